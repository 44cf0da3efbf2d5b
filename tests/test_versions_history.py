"""reviewpatch.versions: earlier versions in one thread and among search
results; hostile replies stay fast."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_limits import _bounded
from test_versions_support import (
    AUTHOR,
    FIXTURES,
    foo_diff,
    load_mails,
    patch_mail,
    real_series,
)

from reviewpatch.errors import NoPatchError
from reviewpatch.series import assemble_series
from reviewpatch.versions import (
    compare_versions,
    previous_candidates,
    search_query,
    thread_versions,
)
from reviewpatch.versions.model import PatchStatus, Verdict


def test_thread_with_two_versions() -> None:
    pair = thread_versions(load_mails(FIXTURES / "v1-v2-replies.mbox"))
    assert pair is not None
    assert (pair.old.version, pair.new.version) == (1, 2)
    assert [p.index for p in pair.old.patches] == [1, 2]
    report = compare_versions(pair.old, pair.new)
    assert [p.status for p in report.map.pairs] == [PatchStatus.CHANGED, PatchStatus.UNCHANGED]
    assert [f.verdict for f in report.follow_through] == [Verdict.ADDRESSED]
    assert len(report.interdiffs) == 1 and report.interdiffs[0].code_changed


def test_thread_with_one_version() -> None:
    assert thread_versions(load_mails(FIXTURES / "cover-3.mbox")) is None
    with pytest.raises(NoPatchError):
        thread_versions(load_mails(FIXTURES / "cover-3.mbox"), version=7)


def _hits() -> list[tuple[str, str, str, str]]:
    me = "Askar Safin <safinaskar@gmail.com>"
    title = "initrd: remove half of classic initrd support"
    return [
        ("<v3-0@x>", f"[PATCH v3 0/3] {title}", me, "2025-10-17"),
        (
            "v3-2@x",
            "[PATCH v3 2/3] initrd: remove deprecated code path (linuxrc)",
            me,
            "2025-10-17",
        ),
        ("r@x", f"Re: [PATCH v3 0/3] {title}", "Christian Brauner <brauner@kernel.org>", "x"),
        ("o@x", f"[PATCH v3 0/3] {title}", "Someone Else <else@example.org>", "x"),
        ("u@x", "[PATCH v3 1/1] initrd: unrelated", me, "x"),
        ("v4-0@x", f"[PATCH v4 0/3] {title}", me, "x"),
        ("v2-0@x", f"[PATCH v2 0/3] {title}", me, "2025-10-10"),
        ("v1-0@x", "[PATCH 0/62] initrd: remove classic initrd support", me, "2025-09-13"),
        ("v3-0@x", f"[PATCH v3 0/3] {title}", me, "2025-10-17"),
    ]


def test_previous_candidates_from_search_results() -> None:
    series = real_series("initrd-v4")
    found = previous_candidates(series, _hits(), change_ids={"v1-0@x": "no-such-id"})
    assert [(c.msgid, c.version, c.counter, c.reason) for c in found] == [
        ("v3-0@x", 3, 0, "same title"),
        ("v3-2@x", 3, 2, "same title"),
        ("v2-0@x", 2, 0, "same title"),
    ]
    query = search_query(series)
    assert query == 's:"initrd: remove half of classic initrd support" f:safinaskar@gmail.com'


def test_previous_candidate_by_change_id() -> None:
    mail = patch_mail(
        "n@x", "[PATCH v2] foo: a new title", "Text.", foo_diff(), notes="change-id: 20260101-foo"
    )
    series = assemble_series((mail,))
    hits = [("old@x", "[PATCH] foo: the old title", str(AUTHOR), "x")]
    assert previous_candidates(series, hits) == ()
    (cand,) = previous_candidates(series, hits, change_ids={"old@x": "20260101-foo"})
    assert cand.reason == "same change-id" and cand.version == 1


def test_hostile_reply_is_linear() -> None:
    """Long quote runs, huge lines and marker storms stay linear: the
    reading runs in a child Python that must finish within the generous
    timeout of ``test_limits._bounded`` (no timing asserted)."""
    _bounded(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        from test_versions_support import REVIEWER, foo_diff, patch_mail, reply
        from reviewpatch.series import assemble_series
        from reviewpatch.versions import extract_requests
        from reviewpatch.versions.quotes import split_reply
        from reviewpatch.versions.text import key_terms

        v1 = patch_mail("v1@x", "[PATCH] foo: bar", "Text.", foo_diff())
        body = "\\n".join(
            [
                "> " * 40 + "x" * 50_000,
                ">" * 100_000,
                "On " + "a" * 100_000 + " wrote:",
                "Thanks " + "!" * 50_000,
                ("`" + "a_b " * 20_000) + "'" + ("(" * 50_000),
                "> +\\tint ret;",
                ("Please use Foo Bar Baz Qux instead " * 5_000) + "?",
                " " * 100_000 + ":",
            ]
            * 3
        )
        evil = reply("e@x", v1.subject, REVIEWER, body, v1.msgid, stamp=1)
        series = assemble_series((v1, evil))
        split_reply(evil)
        key_terms(body)
        extract_requests(series)
        """
    )
