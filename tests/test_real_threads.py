"""Real kernel threads (read from ../shared/real-threads when present).

The follow-up trailers collected for each patch must match what b4 0.16
collects from the same thread (``b4 am -m THREAD.mbox MSGID``); the table
below was taken from b4's output once, by hand, so the tests need neither b4
nor the network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.settings import Settings

THREADS = Path(__file__).resolve().parents[2] / "shared" / "real-threads"
REVIEW_TRAILERS = {"Reviewed-by", "Acked-by", "Tested-by"}

B4_COLLECTS = {
    "initrd-v2": (2, {1: set(), 2: set(), 3: set()}),
    "initrd-v3": (3, {1: set(), 2: set(), 3: set()}),
    "initrd-v4": (
        4,
        {
            1: {
                ("Acked-by", "arnd@arndb.de"),
                ("Reviewed-by", "rdunlap@infradead.org"),
                ("Reviewed-by", "hch@lst.de"),
            },
            2: {("Reviewed-by", "hch@lst.de")},
            3: {("Reviewed-by", "hch@lst.de")},
        },
    ),
    "ptrace-set-syscall-info-v3-partial": (
        3,
        {2: {("Reviewed-by", "oleg@redhat.com")}, 3: {("Reviewed-by", "oleg@redhat.com")}},
    ),
}


def _thread(name: str) -> Path:
    path = THREADS / f"{name}.mbox.gz"
    if not path.is_file():
        pytest.skip(f"real thread {path.name} not available (../shared/real-threads is absent)")
    return path


@pytest.mark.parametrize("name", sorted(B4_COLLECTS))
def test_followup_trailers_match_b4(name: str) -> None:
    version, expected = B4_COLLECTS[name]
    report = review(str(_thread(name)), Settings())
    series = report.series
    assert series.version == version
    got = {
        p.index: {
            (t.name, t.person.email.lower() if t.person else t.value)
            for t in p.followup_trailers
            if t.name in REVIEW_TRAILERS
        }
        for p in series.patches
    }
    assert got == expected


def test_partial_series_reports_missing_patches() -> None:
    report = review(str(_thread("ptrace-set-syscall-info-v3-partial")), Settings())
    assert report.series.missing == (1, 4, 5, 6)
    assert report.series.total == 6
    assert any(f.rule_name == "missing-patches" for f in report.findings)


@pytest.mark.parametrize("name", sorted(B4_COLLECTS))
def test_real_thread_reviews_without_internal_errors(name: str) -> None:
    report = review(str(_thread(name)), Settings())
    crashes = [f.message for f in report.findings if f.rule_id == "RP000"]
    assert crashes == []
    assert not report.series.problems
