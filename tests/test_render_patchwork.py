"""Patchwork check records: one per patch, states, description, URL."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.findings import Confidence, Finding, Location, Report, Severity
from reviewpatch.render.patchwork import MAX_DESCRIPTION, render_patchwork
from reviewpatch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "arm64-exit-work.mbox"


@pytest.fixture(scope="module")
def base() -> Report:
    return review(str(SAMPLE), Settings())


def _f(name: str, severity: Severity, index: int | None) -> Finding:
    return Finding("RP999", name, severity, Confidence.HIGH, "m", Location(patch_index=index))


def _records(report: Report) -> list[dict]:
    return json.loads(render_patchwork(report))


def test_one_record_per_patch(base: Report) -> None:
    records = _records(replace(base, findings=()))
    assert [r["patch_index"] for r in records] == [1, 2, 3]
    assert [r["msgid"] for r in records] == [p.msgid for p in base.series.patches]
    for r in records:
        assert r["state"] == "success" and r["context"] == "reviewpatch"
        assert r["description"] == "no findings" and r["target_url"] is None
        assert set(r) == {
            "msgid",
            "patch_index",
            "state",
            "context",
            "description",
            "target_url",
            "counts",
        }


def test_states_follow_the_worst_finding(base: Report) -> None:
    findings = (
        _f("some-note", Severity.NOTE, 1),
        _f("bad-fixes-tag", Severity.WARNING, 2),
        _f("no-changelog", Severity.WARNING, 2),
        _f("missing-signoff", Severity.ERROR, 3),
        _f("series-note", Severity.NOTE, None),
    )
    records = _records(replace(base, findings=findings))
    assert [r["state"] for r in records] == ["success", "warning", "fail"]
    assert records[1]["counts"] == {"error": 0, "warning": 2, "note": 1}
    assert (
        records[1]["description"] == "2 warnings, 1 note: bad-fixes-tag, no-changelog, series-note"
    )
    assert records[0]["description"] == "2 notes: series-note, some-note"
    assert records[2]["description"].startswith("1 error, 1 note: missing-signoff")


def test_series_wide_error_fails_every_patch(base: Report) -> None:
    records = _records(replace(base, findings=(_f("missing-patches", Severity.ERROR, None),)))
    assert {r["state"] for r in records} == {"fail"}


def test_description_is_bounded(base: Report) -> None:
    findings = tuple(
        _f(f"rule-number-{i:03d}-with-a-long-name", Severity.WARNING, 1) for i in range(40)
    )
    desc = _records(replace(base, findings=findings))[0]["description"]
    assert len(desc) <= MAX_DESCRIPTION and desc.endswith(", ...")
    assert desc.startswith("40 warnings: rule-number-000")


def test_target_url_from_the_archive(base: Report) -> None:
    url = "https://lore.kernel.org/all/" + base.series.patches[0].msgid + "/"
    series = replace(base.series, archive_url=url)
    records = _records(replace(base, series=series))
    assert records[0]["target_url"] == url
    other = base.series.patches[2].msgid
    assert records[2]["target_url"] == f"https://lore.kernel.org/all/{other}/"
