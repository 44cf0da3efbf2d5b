"""Tests of the self-contained HTML report (reviewpatch.render.html).

Golden files live in tests/golden/html/.  On a mismatch the actual output is
written beside the golden as ``<name>.actual`` (git-ignored).  After an
intended change, refresh every golden file with:

    REVIEWPATCH_UPDATE_GOLDEN=1 python -m pytest tests/

and review the diff before committing it.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from htmlfactory import ARCHIVE, SAMPLE_DOCS, large_report, sample_report

from reviewpatch.findings import Confidence, EvidenceLine, Finding, Location, Report, Severity
from reviewpatch.model import Person, Trailer
from reviewpatch.render.diffview import Span, c_spans
from reviewpatch.render.html import render_html
from reviewpatch.render.viewmodel import archive_link, build_view, safe_url

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "html"
HOSTILE_MBOX = ROOT / "fixtures" / "hostile" / "hostile.mbox"
SAMPLE_MBOX = ROOT / "fixtures" / "sample" / "arm64-exit-work.mbox"

XSS = '"><img src=x onerror=alert(1)>'
SCRIPT = "<script>window.__pwned=1</script>"


class Page(HTMLParser):
    """Every start tag with its attributes, and the text of script and
    style elements."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self.text: list[str] = []
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag in self.raw:
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in].append(data)
        else:
            self.text.append(data)

    def with_class(self, cls: str) -> list[dict[str, str]]:
        return [a for _, a in self.tags if cls in a.get("class", "").split()]

    def by_id(self, ident: str) -> dict[str, str] | None:
        found = [a for _, a in self.tags if a.get("id") == ident]
        return found[0] if found else None


def hostile_report(archive_url: str | None = "javascript:alert(1)") -> Report:
    """The sample report with markup in every field that comes from mail."""
    base = sample_report(archive_url)
    series = base.series
    evil = Person(XSS, "evil@example.org")
    p1 = series.patches[0]
    hunk = p1.files[0].hunks[0]
    lines = tuple(dataclasses.replace(ln, text=ln.text + " " + SCRIPT) for ln in hunk.lines)
    fd = dataclasses.replace(
        p1.files[0], hunks=(dataclasses.replace(hunk, lines=lines, section=XSS),)
    )
    p1 = dataclasses.replace(
        p1,
        author=evil,
        message=f'{SCRIPT}\n{XSS}\n<a href="javascript:alert(1)">x</a>',
        notes="</pre>" + SCRIPT,
        files=(fd,),
        trailers=(Trailer("Signed-off-by", f"{SCRIPT} <e@x>", evil, "a@b", 5),),
        followup_trailers=(Trailer("Reviewed-by", XSS, evil, f'x"{XSS}@y', 3, given_by=evil),),
        subject=dataclasses.replace(p1.subject, title=f"{SCRIPT} {XSS}"),
    )
    finding = Finding(
        "RP301",
        f"name{XSS}",
        Severity.ERROR,
        Confidence.LOW,
        f"{SCRIPT} {XSS}",
        Location(patch_index=1, file=p1.files[0].path, line=130, symbol=XSS),
        evidence=(EvidenceLine(SCRIPT, "+", XSS, new_no=1, label=XSS),),
        doc_url="javascript:alert(1)",
    )
    series = dataclasses.replace(
        series,
        subject=f"{SCRIPT}{XSS}",
        patches=(p1,) + series.patches[1:],
        author=evil,
        base_commit=XSS,
    )
    return Report(
        series=series, findings=base.findings + (finding,), meta=(("source", XSS), ("tool", SCRIPT))
    )


def assert_inert(html: str) -> Page:
    """No element, attribute or URL from mail content: one script (ours),
    no event handler, no javascript: URL, no image or frame."""
    page = Page(html)
    scripts = [a for t, a in page.tags if t == "script"]
    assert len(scripts) == 1 and "src" not in scripts[0]
    assert "__pwned" not in "".join(page.raw["script"])
    for tag, attrs in page.tags:
        assert tag not in {"img", "svg", "iframe", "object", "embed", "link", "base", "form"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert not value.strip().lower().startswith("javascript:"), (tag, name, value)
    return page


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    actual = golden.with_name(name + ".actual")
    if os.environ.get("REVIEWPATCH_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        actual.unlink(missing_ok=True)
        return
    assert golden.exists(), f"missing golden {golden}; run with REVIEWPATCH_UPDATE_GOLDEN=1"
    if golden.read_text(encoding="utf-8") != text:
        actual.write_text(text, encoding="utf-8")
        pytest.fail(f"{name} differs from its golden file; see {actual.name}")
    actual.unlink(missing_ok=True)


# -- structure ---------------------------------------------------------------


def test_every_finding_is_rendered_once_with_its_severity() -> None:
    report = sample_report()
    page = Page(render_html(report, docs=SAMPLE_DOCS))
    findings = page.with_class("finding")
    assert len(findings) == len(report.findings) == 7
    assert [f["data-severity"] for f in findings].count("error") == report.count(Severity.ERROR)
    assert sorted(f["id"] for f in findings) == sorted(f"finding-{n}" for n in range(1, 8))
    count = page.by_id("finding-count")
    assert count is not None and count["data-count"] == "7"


def test_patch_sections_navigation_and_badges() -> None:
    page = Page(render_html(sample_report(), docs=SAMPLE_DOCS))
    for index, status in ((0, "notes"), (1, "errors"), (2, "errors"), (3, "clean")):
        section = page.by_id(f"patch-{index}")
        assert section is not None and section["data-status"] == status
    links = [a["href"] for a in page.with_class("nav-link")]
    assert links == ["#patch-0", "#patch-1", "#patch-2", "#patch-3"]
    statuses = [li["data-status"] for li in page.with_class("nav-item")]
    assert statuses == ["notes", "errors", "errors", "clean"]
    ids = [a["id"] for _, a in page.tags if "id" in a]
    assert len(ids) == len(set(ids)), "duplicate ids"


def _row_before(html: str, anchor: str) -> str:
    """The last diff line row before the element with id ``anchor``."""
    head = html[: html.index(f'id="{anchor}"')]
    rows = re.findall(r'<tr class="(?:add|del|ctx)"><td>(\d*)</td><td>(\d*)</td>', head)
    return "old {} new {}".format(*rows[-1])


def test_findings_sit_under_their_diff_line_or_at_the_top() -> None:
    html = render_html(sample_report(), docs=SAMPLE_DOCS)
    by_message = {
        m: re.search(r'id="(finding-\d+)"[^\n]*\n[^\n]*\n<p class="msg">' + re.escape(m), html)
        for m in ("rseq_syscall() now runs on every exit.", "The old call was gated.")
    }
    new_id = by_message["rseq_syscall() now runs on every exit."]
    old_id = by_message["The old call was gated."]
    assert new_id and old_id
    assert _row_before(html, new_id.group(1)) == "old  new 130"
    assert _row_before(html, old_id.group(1)) == "old 130 new "
    patch2 = html[html.index('id="patch-2"') : html.index('id="patch-3"')]
    diff_at = patch2.index('<table class="diff">')
    for message in ("A line outside the hunk.", "A whole-file note.", "did not sign off"):
        assert patch2.index(message) < diff_at
    series_part = html[html.index('id="series-findings"') : html.index('id="patch-0"')]
    assert "Patch 4/4 never arrived." in series_part


def test_view_places_each_finding_exactly_once() -> None:
    view = build_view(large_report(), SAMPLE_DOCS)
    placed = list(view.series_findings)
    for p in view.patches:
        placed += p.findings
        placed += [f for fv in p.files for h in fv.hunks for ln in h.lines for f in ln.findings]
    assert sorted(f.anchor for f in placed) == sorted(f"finding-{n}" for n in range(1, 91))


def test_duplicate_counters_and_unknown_patches_keep_one_copy() -> None:
    report = sample_report()
    series = report.series
    stray = Finding(
        "RP299", "x", Severity.NOTE, Confidence.HIGH, "Patch 9 is odd.", Location(patch_index=9)
    )
    report = dataclasses.replace(
        report,
        series=dataclasses.replace(series, patches=series.patches + (series.patches[0],)),
        findings=report.findings + (stray,),
    )
    html = render_html(report, docs=SAMPLE_DOCS)
    page = Page(html)
    assert len(page.with_class("finding")) == len(report.findings) == 8
    ids = [a["id"] for _, a in page.tags if "id" in a]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert (
        "Patch 9 is odd." in html[html.index('id="series-findings"') : html.index('id="patch-0"')]
    )


def test_rule_docs_once_in_appendix_and_missing_docs_tolerated() -> None:
    html = render_html(sample_report(), docs=SAMPLE_DOCS)
    page = Page(html)
    assert page.by_id("rule-RP301") and page.by_id("rule-RP101")
    assert page.by_id("rule-RP299") is None
    assert html.count("Compares the conditions around a call") == 1
    bare = Page(render_html(sample_report(), docs={}))
    assert bare.by_id("rules") is None
    assert len(bare.with_class("finding")) == 7


def test_header_links_and_trailers() -> None:
    html = render_html(sample_report(), docs=SAMPLE_DOCS)
    page = Page(html)
    hrefs = [a["href"] for t, a in page.tags if t == "a" and not a["href"].startswith("#")]
    assert f"{ARCHIVE}/20260101000000.0-1-dev@example.org/" in hrefs
    assert f"{ARCHIVE}/20260101000000.3-1-dev@example.org/" in hrefs
    assert f"{ARCHIVE}/reply-1@example.org/" in hrefs
    assert "0123456789abcdef0123456789abcdef01234567" in html
    assert "given in a reply by Re Viewer &lt;rev@example.org&gt;" in html
    assert '<span class="rv" title="1 review trailer(s)' in html


def test_default_rule_docs_render() -> None:
    """Without explicit docs the declared rules are used; never crashes."""
    html = render_html(sample_report())
    assert len(Page(html).with_class("finding")) == 7


# -- escaping and self-containment --------------------------------------------


def test_hostile_content_renders_as_text() -> None:
    html = render_html(hostile_report(), docs=SAMPLE_DOCS)
    page = assert_inert(html)
    text = "".join(page.text)
    assert SCRIPT in text and XSS in text
    assert 'href="javascript' not in html.lower()


def test_unsafe_archive_urls_give_no_links() -> None:
    for bad in (
        "javascript:alert(1)",
        "JavaScript://x",
        "data:text/html,x",
        "//evil.org",
        "https://a b",
        'https://x"onload=1',
        "ftp://x.org",
        "/relative",
    ):
        assert safe_url(bad) == ""
        assert archive_link(bad, "m@x") == ""
    assert archive_link("https://lore.kernel.org/all/", "<a/b?c#d@x>") == (
        "https://lore.kernel.org/all/a%2Fb%3Fc%23d@x/"
    )
    page = Page(render_html(hostile_report("javascript:alert(1)"), docs=SAMPLE_DOCS))
    assert all(a["href"].startswith("#") for t, a in page.tags if t == "a")


def test_no_external_resources() -> None:
    html = render_html(sample_report(), docs=SAMPLE_DOCS)
    page = Page(html)
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        if href is not None:
            assert tag == "a" and (href.startswith(("#", ARCHIVE + "/"))), href
    inline = "".join(page.raw["style"]) + "".join(page.raw["script"])
    assert "@import" not in inline and "url(" not in inline and "http" not in inline
    assert "@font-face" not in inline


def test_csp_allows_exactly_the_inline_script() -> None:
    html = render_html(sample_report(), docs=SAMPLE_DOCS)
    page = Page(html)
    script = "".join(page.raw["script"])
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = [a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and f"'sha256-{digest}'" in csp[0] and "default-src 'none'" in csp[0]


def test_size_bound_for_eighteen_patches() -> None:
    html = render_html(large_report(18), docs=SAMPLE_DOCS)
    assert len(html.encode("utf-8")) < 1_000_000
    assert html.count("<style>") == 1
    assert html.count("Compares the conditions around a call") == 1


def test_deterministic_and_no_local_paths() -> None:
    report = sample_report()
    first = render_html(report, docs=SAMPLE_DOCS)
    assert first == render_html(report, docs=SAMPLE_DOCS)
    assert str(ROOT) not in first and str(Path.home()) not in first


# -- syntax colouring -----------------------------------------------------------


def test_c_spans_classes_and_block_comments() -> None:
    spans, open_comment = c_spans('\tif (x == 0x10) return "a\\"b"; /* start')
    assert Span("k", "if") in spans and Span("n", "0x10") in spans
    assert Span("s", '"a\\"b"') in spans and spans[-1] == Span("c", "/* start")
    assert open_comment
    spans, open_comment = c_spans(" * middle", True)
    assert spans == (Span("c", " * middle"),) and open_comment
    spans, open_comment = c_spans(" end */ int y; // tail", True)
    assert spans[0] == Span("c", " end */") and Span("k", "int") in spans
    assert spans[-1] == Span("c", "// tail") and not open_comment
    spans, _ = c_spans("#include <linux/rseq.h>")
    assert spans[0] == Span("p", "#include")
    assert "".join(s.text for s in c_spans("a<b && c>'\\''")[0]) == "a<b && c>'\\''"


# -- golden files -----------------------------------------------------------------


def test_golden_sample() -> None:
    check_golden("sample.html", render_html(sample_report(), docs=SAMPLE_DOCS))


def test_golden_hostile() -> None:
    check_golden("hostile.html", render_html(hostile_report(), docs=SAMPLE_DOCS))


# -- real fixtures through the whole pipeline -------------------------------------


def _review(path: Path) -> Report:
    if not path.exists():
        pytest.skip(f"fixture {path.name} is not there yet")
    try:
        from reviewpatch.api import review
    except ImportError as exc:
        pytest.skip(f"reviewpatch.api is not usable yet: {exc}")
    return review(str(path))


def test_hostile_fixture_through_pipeline() -> None:
    report = _review(HOSTILE_MBOX)
    html = render_html(report)
    page = assert_inert(html)
    assert len(page.with_class("finding")) == len(report.findings)
    assert "window.__pwned" in "".join(page.text)


def test_sample_fixture_through_pipeline() -> None:
    report = _review(SAMPLE_MBOX)
    html = render_html(report)
    page = assert_inert(html)
    assert len(page.with_class("finding")) == len(report.findings)
    for patch in report.series.all_patches:
        assert page.by_id(f"patch-{patch.index}") is not None


REAL_THREADS = Path(__file__).resolve().parents[2] / "shared" / "real-threads"


@pytest.mark.parametrize(
    "name",
    ["initrd-v4.mbox.gz", "ptrace-set-syscall-info-v3-partial.mbox.gz"],
)
def test_real_threads_render(name: str) -> None:
    path = REAL_THREADS / name
    if not path.exists():
        pytest.skip(f"real threads are not available ({REAL_THREADS} is absent)")
    report = _review(path)
    page = assert_inert(render_html(report))
    assert len(page.with_class("finding")) == len(report.findings)
    sections = [a["id"] for a in page.with_class("patch")]
    assert sections == [f"patch-{p.index}" for p in report.series.all_patches]
