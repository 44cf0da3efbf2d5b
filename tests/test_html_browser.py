"""The HTML report in real headless Chromium (Debian's /usr/bin/chromium,
driven by Playwright's Python API; no browser download).

Checks what only a browser can: the page counts, navigation, the severity
filter and collapsing (JavaScript), that no request leaves the page, and that
hostile mail content runs no script.  A screenshot is saved to
tests/artifacts/report.png (git-ignored) for a human to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from htmlfactory import SAMPLE_DOCS, sample_report
from test_followthrough_render import hostile_since_thread, quoting_thread
from test_render_html import HOSTILE_MBOX, SAMPLE_MBOX, hostile_report

from reviewpatch.findings import Report
from reviewpatch.render.html import render_html
from reviewpatch.render.jsonreport import render_json
from reviewpatch.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_SCHEMES = ("file:", "data:", "about:")

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except sync_api.Error as exc:
            pytest.skip(f"cannot start {CHROMIUM}: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


class Opened:
    """A page showing one report, with what it did recorded."""

    def __init__(self, browser: Any, html: str, path: Path, **context: Any) -> None:
        path.write_text(html, encoding="utf-8")
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()

    def in_viewport(self, selector: str) -> bool:
        return bool(
            self.page.eval_on_selector(
                selector,
                "e => { const r = e.getBoundingClientRect();"
                " return r.height > 0 && r.top < innerHeight && r.bottom > 0; }",
            )
        )


@pytest.fixture()
def sample(browser: Any, tmp_path: Path) -> Iterator[tuple[Opened, Report]]:
    report = sample_report()
    opened = Opened(browser, render_html(report, docs=SAMPLE_DOCS), tmp_path / "report.html")
    yield opened, report
    opened.close()


def test_counts_match_report_and_json(sample: tuple[Opened, Report]) -> None:
    opened, report = sample
    data = json.loads(render_json(report))
    on_page = opened.page.locator(".finding").count()
    assert on_page == len(report.findings) == len(data["findings"])
    assert opened.page.inner_text("#finding-count") == str(len(report.findings))
    notes = opened.page.locator('.finding[data-severity="note"]').count()
    assert notes == data["summary"]["note"]


def test_navigation_reaches_every_patch(sample: tuple[Opened, Report]) -> None:
    opened, report = sample
    page = opened.page
    links = page.locator("a.nav-link")
    assert links.count() == len(report.series.all_patches)
    for n in range(links.count()):
        href = links.nth(n).get_attribute("href")
        assert href is not None
        links.nth(n).click()
        page.wait_for_function("h => location.hash === h", arg=href)
        assert page.locator(href).is_visible()
        assert opened.in_viewport(href)


def test_collapsed_patch_opens_when_navigated_to(sample: tuple[Opened, Report]) -> None:
    page = sample[0].page
    page.click("#collapse-all")
    assert not page.locator("#patch-1 .patch-body").is_visible()
    page.click('a.nav-link[href="#patch-1"]')
    assert page.locator("#patch-1 .patch-body").is_visible()
    assert not page.locator("#patch-2 .patch-body").is_visible()
    page.click("#patch-2 button.toggle")
    assert page.locator("#patch-2 .patch-body").is_visible()


def test_severity_filter_hides_notes(sample: tuple[Opened, Report]) -> None:
    page = sample[0].page
    assert page.locator("#controls").is_visible(), "the script did not run"
    notes = page.locator('.finding[data-severity="note"]')
    errors = page.locator('.finding[data-severity="error"]')
    assert notes.count() > 0 and errors.count() > 0
    page.uncheck("#show-note")
    assert all(not notes.nth(i).is_visible() for i in range(notes.count()))
    assert all(errors.nth(i).is_visible() for i in range(errors.count()))
    page.check("#show-note")
    assert all(notes.nth(i).is_visible() for i in range(notes.count()))


def test_no_request_leaves_the_page(sample: tuple[Opened, Report]) -> None:
    opened = sample[0]
    opened.page.click('a.nav-link[href="#patch-2"]')
    assert opened.requests, "the page load itself should be recorded"
    assert all(url.startswith(LOCAL_SCHEMES) for url in opened.requests), opened.requests
    assert opened.errors == []


def test_print_layout_hides_controls(sample: tuple[Opened, Report]) -> None:
    page = sample[0].page
    page.click("#collapse-all")
    page.emulate_media(media="print")
    assert not page.locator("#nav").is_visible()
    assert not page.locator("#controls").is_visible()
    assert page.locator("#patch-1 .patch-body").is_visible()


def test_works_without_javascript(browser: Any, tmp_path: Path) -> None:
    report = sample_report()
    opened = Opened(
        browser,
        render_html(report, docs=SAMPLE_DOCS),
        tmp_path / "nojs.html",
        java_script_enabled=False,
    )
    try:
        page = opened.page
        assert not page.locator("#controls").is_visible()
        assert not page.locator("button.toggle").first.is_visible()
        findings = page.locator(".finding")
        assert findings.count() == len(report.findings)
        assert all(findings.nth(i).is_visible() for i in range(findings.count()))
        page.click('a.nav-link[href="#patch-3"]')
        assert opened.in_viewport("#patch-3")
    finally:
        opened.close()


def _assert_no_script_ran(opened: Opened) -> None:
    page = opened.page
    for selector in ("h1", "a.nav-link", ".finding", "pre.message", "table.diff td"):
        if page.locator(selector).count():
            page.locator(selector).first.hover()
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert opened.dialogs == []
    assert page.locator("img, svg, iframe").count() == 0
    assert [e for e in opened.errors if "Content Security Policy" in e] == []
    assert all(url.startswith(LOCAL_SCHEMES) for url in opened.requests), opened.requests


def test_hostile_report_runs_no_script(browser: Any, tmp_path: Path) -> None:
    opened = Opened(browser, render_html(hostile_report(), docs=SAMPLE_DOCS), tmp_path / "h.html")
    try:
        _assert_no_script_ran(opened)
        assert "<script>window.__pwned=1</script>" in opened.page.inner_text("h1")
    finally:
        opened.close()


def test_hostile_fixture_runs_no_script(browser: Any, tmp_path: Path) -> None:
    try:
        from reviewpatch.api import review
    except ImportError as exc:
        pytest.skip(f"reviewpatch.api is not usable yet: {exc}")
    report = review(str(HOSTILE_MBOX))
    opened = Opened(browser, render_html(report), tmp_path / "hf.html")
    try:
        _assert_no_script_ran(opened)
        assert opened.page.locator(".finding").count() == len(report.findings)
    finally:
        opened.close()


def test_review_requests_show_their_quoted_lines_as_text(browser: Any, tmp_path: Path) -> None:
    """The lines a review request of the previous version quotes are text
    above the reviewer's words: markup in them stays text, runs nothing."""
    from reviewpatch.api import review

    report = review(str(hostile_since_thread(tmp_path)), Settings(offline=True))
    opened = Opened(browser, render_html(report), tmp_path / "since.html")
    try:
        _assert_no_script_ran(opened)
        quote = opened.page.locator("table.requests pre.quoted")
        assert quote.count() == 1 and quote.is_visible()
        assert quote.inner_text().split("\n") == [
            "> +\t\t/* ?[2J<script>alert(1)</script> */",
            "> +\t\tkfree(foo);",
        ]
        assert opened.page.locator("table.requests script").count() == 0
        cell = opened.page.locator("table.requests td").first.inner_text()
        assert "please ?[31m<script>alert(2)</script> drop this kfree()" in cell
    finally:
        opened.close()
    report = review(str(quoting_thread(tmp_path)), Settings(offline=True))
    opened = Opened(browser, render_html(report), tmp_path / "quoting.html")
    try:
        lines = opened.page.locator("pre.quoted").inner_text().split("\n")
        assert lines[0] == "> [...]" and len(lines) == 7
    finally:
        opened.close()


def _screenshot_report() -> Report:
    if SAMPLE_MBOX.exists():
        try:
            from reviewpatch.api import review

            return review(str(SAMPLE_MBOX))
        except ImportError:
            pass
    return sample_report()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot(browser: Any, tmp_path: Path, scheme: str) -> None:
    """report.png: the top of the page; report-diff.png: the first finding
    under a diff line (or the first finding); -dark variants in dark mode."""
    report = _screenshot_report()
    opened = Opened(browser, render_html(report), tmp_path / "shot.html", color_scheme=scheme)
    suffix = "" if scheme == "light" else "-dark"
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        top = ARTIFACTS / f"report{suffix}.png"
        opened.page.screenshot(path=str(top))
        target = opened.page.locator("tr.fr .finding").first
        if not target.count():
            target = opened.page.locator(".finding").first
        if target.count():
            target.scroll_into_view_if_needed()
            opened.page.evaluate("() => window.scrollBy(0, -250)")
        opened.page.screenshot(path=str(ARTIFACTS / f"report-diff{suffix}.png"))
        assert top.stat().st_size > 10_000
        assert opened.errors == []
    finally:
        opened.close()
