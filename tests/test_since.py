"""The series against its previous version, wired through the review:
found in the thread or named with --compare-with, shown in every format,
and the rules that read it (RP114-RP116, RP205)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.cli import main
from reviewpatch.render.html import render_html
from reviewpatch.render.jsonreport import report_to_dict
from reviewpatch.render.text import TextOptions, render_text
from reviewpatch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
V1V2 = ROOT / "fixtures" / "threads" / "v1-v2-replies.mbox"
REAL = ROOT.parent / "shared" / "real-threads"
PROMISE = ROOT / "fixtures" / "rules" / "request-not-addressed" / "bad-promised-change-missing.mbox"


def test_the_previous_version_in_the_thread_is_found_by_itself() -> None:
    report = review(str(V1V2), Settings(offline=True))
    assert report.series.version == 2
    assert report.since is not None and report.since.map.old.version == 1
    text = render_text(report)
    assert "  since:    v1: " in text
    doc = report_to_dict(report)
    since = doc["since"]
    assert isinstance(since, dict) and since["version"] == 1
    # the first version has nothing before it
    first = review(str(V1V2), Settings(offline=True, version=1))
    assert first.since is None and report_to_dict(first)["since"] is None


def test_compare_with_a_version_of_the_thread() -> None:
    report = review(str(V1V2), Settings(offline=True, compare_with="v1"))
    assert report.since is not None and report.since.map.old.version == 1


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-threads is absent")
def test_compare_with_another_thread_in_every_format() -> None:
    v4, v3 = REAL / "initrd-v4.mbox.gz", REAL / "initrd-v3.mbox.gz"
    report = review(str(v4), Settings(offline=True, compare_with=str(v3)))
    assert report.since is not None
    statuses = [(p.new.index if p.new else None, p.status.value) for p in report.since.map.pairs]
    assert statuses == [(1, "unchanged"), (2, "changed"), (3, "unchanged")]
    text = render_text(report, TextOptions(verbose=True))
    assert "since v3 2/3: changed" in text
    assert "review by Bagas Sanjaya: addressed" in text
    assert "January 2027" in text  # the interdiff, with -v
    since = report_to_dict(report)["since"]
    assert isinstance(since, dict)
    patches = since["patches"]
    assert isinstance(patches, list) and patches[1]["status"] == "changed"  # type: ignore[index]
    html = render_html(report)
    assert "Since v3" in html and "Interdiff against v3 2/3" in html


def test_the_cli_flag_and_a_promise_not_kept(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(PROMISE), "--compare-with", "v1", "--format", "json", "--fail-on", "note"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    rp205 = [f for f in doc["findings"] if f["rule_id"] == "RP205"]
    assert len(rp205) == 1 and rp205[0]["severity"] == "note"
    assert rp205[0]["confidence"] == "medium"
    assert "Right, will fix in v2." in rp205[0]["message"]
    requests = doc["since"]["patches"][0]["requests"]
    assert [r["verdict"] for r in requests] == ["not_addressed"]


def test_hostile_review_text_is_escaped_in_html(tmp_path: Path) -> None:
    text = PROMISE.read_text(encoding="utf-8").replace(
        "please drop this kfree()", "please <script>alert(1)</script> drop this kfree()"
    )
    path = tmp_path / "hostile.mbox"
    path.write_text(text, encoding="utf-8")
    html = render_html(review(str(path), Settings(offline=True)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    out = io.StringIO()
    out.write(render_text(review(str(path), Settings(offline=True))))
    assert "\x1b" not in out.getvalue()


def test_a_request_followed_in_another_patch_is_not_reported_as_ignored(tmp_path: Path) -> None:
    # v2 keeps the quoted lines in the patch reviewed, but a new patch 2/2
    # changes the same file: the fix may be there, so no warning
    text = PROMISE.read_text(encoding="utf-8")
    text = text.replace("Subject: [PATCH v2] misc:", "Subject: [PATCH v2 1/2] misc:")
    extra = (
        "From fix-2@example.org Mon Sep 17 00:00:00 2001\n"
        "From: Jane Doe <jane@example.org>\n"
        "Subject: [PATCH v2 2/2] misc: foo: allocate foo with devm_kzalloc()\n"
        "Date: Mon, 3 Mar 2025 10:31:00 +0000\n"
        "Message-ID: <fix-2@example.org>\n"
        "In-Reply-To: <bad-promised-change-missing-v1@example.org>\n\n"
        "As asked in review.\n\nSigned-off-by: Jane Doe <jane@example.org>\n---\n"
        "diff --git a/drivers/misc/foo.c b/drivers/misc/foo.c\n"
        "--- a/drivers/misc/foo.c\n+++ b/drivers/misc/foo.c\n"
        "@@ -40,3 +40,3 @@ static int foo_probe(struct platform_device *pdev)\n"
        "-\tfoo = kzalloc(sizeof(*foo), GFP_KERNEL);\n"
        "+\tfoo = devm_kzalloc(&pdev->dev, sizeof(*foo), GFP_KERNEL);\n"
        " \tif (!foo)\n \t\treturn -ENOMEM;\n-- \n2.47.0\n\n"
    )
    path = tmp_path / "split.mbox"
    path.write_text(text + extra, encoding="utf-8")
    report = review(str(path), Settings(offline=True, compare_with="v1"))
    assert report.series.version == 2 and len(report.series.patches) == 2
    assert [f for f in report.findings if f.rule_id == "RP205" and f.severity.value != "note"] == []
    assert report.since is not None
    verdicts = [f.verdict.value for f in report.since.follow_through]
    assert "not_addressed" not in verdicts


def test_a_tag_kept_over_a_renamed_include_is_no_rework(tmp_path: Path) -> None:
    bad = ROOT / "fixtures" / "rules" / "trailer-carried-after-change"
    text = (bad / "bad-reviewed-tag-kept-over-a-rework.mbox").read_text(encoding="utf-8")
    # the same thread where v2 only adds a blank line: the tag still holds
    v2 = text.index("[PATCH v2]")
    head, tail = text[:v2], text[v2:]
    for line in ("+\tfoo->ready = true;\n", "+\tfoo->state = FOO_IDLE;\n", "+\tfoo_start(foo);\n"):
        tail = tail.replace(line, "", 1)
    tail = tail.replace("+40,15 @@", "+40,13 @@", 1).replace("+\t}\n", "+\t}\n+\n", 1)
    path = tmp_path / "rebase.mbox"
    path.write_text(head + tail, encoding="utf-8")
    report = review(str(path), Settings(offline=True))
    assert report.since is not None
    assert [f for f in report.findings if f.rule_id == "RP114"] == []
