"""Unit tests of the series rules (reviewpatch.rules.series)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from reviewpatch.findings import Severity
from reviewpatch.model import Mail, Patch, Person, Series, Subject
from reviewpatch.rules import series as sr
from reviewpatch.rules.registry import RuleContext, spec_of

JANE = Person("Jane Doe", "jane@example.org")


def make_patch(index: int, body: str = "Change.\n---\n x.c | 1 +\n", notes: str = "") -> Patch:
    mail = Mail(f"p{index}@x", f"[PATCH {index}/2] x", JANE, "", None, (), body)
    return Patch(mail, Subject(raw="x", title="x"), index, JANE, "Change.", notes=notes)


def make_series(patches, *, version=1, total=None, cover=None, missing=()) -> Series:
    patches = tuple(patches)
    return Series(
        version=version,
        total=total or len(patches),
        subject="x",
        cover=cover,
        patches=patches,
        missing=tuple(missing),
    )


def run(func, series: Series):
    return list(spec_of(func).run(RuleContext(series)))


def test_missing_patches_names_counters_and_total():
    hits = run(
        sr.missing_patches,
        make_series([make_patch(2), make_patch(3)], total=6, missing=(1, 4, 5, 6)),
    )
    assert len(hits) == 1 and hits[0].patch_index is None
    assert hits[0].message.startswith("Patches 1 and 4-6 of the 6 are missing")
    assert hits[0].severity is None


def test_missing_patches_of_a_series_sent_to_several_lists_is_a_note():
    from dataclasses import replace as _replace

    lists = (Person("", "linux-pm@vger.kernel.org"), Person("", "linux-arch@vger.kernel.org"))
    patch = make_patch(2)
    patch = _replace(patch, mail=_replace(patch.mail, cc=lists))
    (hit,) = run(sr.missing_patches, make_series([patch], total=3, missing=(1, 3)))
    assert hit.severity is Severity.NOTE and "2 lists" in hit.message


def test_missing_single_and_none():
    hits = run(sr.missing_patches, make_series([make_patch(1)], total=2, missing=(2,)))
    assert hits[0].message.startswith("Patch 2 of the 2 is missing")
    many = make_series(
        [make_patch(11)], total=18, missing=tuple(range(1, 11)) + tuple(range(12, 19))
    )
    assert "Patches 1-10 and 12-18 of the 18" in run(sr.missing_patches, many)[0].message
    assert run(sr.missing_patches, make_series([make_patch(1), make_patch(2)])) == []


def test_no_cover_letter():
    (short,) = run(sr.no_cover_letter, make_series([make_patch(1), make_patch(2)]))
    assert short.severity is Severity.NOTE  # two or three patches often go without one
    (four,) = run(sr.no_cover_letter, make_series([make_patch(i) for i in range(1, 5)]))
    assert four.severity is None and "4 patches" in four.message
    assert run(sr.no_cover_letter, make_series([make_patch(1)])) == []
    assert (
        run(sr.no_cover_letter, make_series([make_patch(1), make_patch(2)], cover=make_patch(0)))
        == []
    )
    # patches missing: the cover letter may be among them
    assert run(sr.no_cover_letter, make_series([make_patch(2)], total=3, missing=(1, 3))) == []


@pytest.mark.parametrize(
    "text",
    [
        "Changes in v2:\n- foo",
        "v1 -> v2 changes:\n- x",
        "Changes since v1:\n",
        "Changelog:\n",
        "    v2:\n    * x",
        "Since v1:\n- y",
        "- Link to v1: https://lore.kernel.org/r/1@x",
        "v1: https://lore.kernel.org/lkml/1@x/",
        "Previous version: https://lore.kernel.org/r/1@x",
        "Changes:\n- z",
        "[v2]\n- z",
        "v2 -> v3: drop the foo",
        "History:\n",
        "PATCH V2: Fix typo of commit comments of previous version.",
        "Change V4:\n - use the generic header",
        "Change since v6:\n * fix the build",
        "Summary of changes from v6:\n  Rebase to v5.2-rc3.",
        "Changed in v2:\n  - Rebased onto v6.13-rc1.",
        "-> v2: Pair read and write memory barriers as appropriate.",
        "This v2 just has a few spelling fixes.",
        "v2 is updated to account for feedback from Will and Peter.",
        "changelogs between v1 & v2\n - Add binding property with unit",
        "The first version was called foo [1], changes are:\n- apply review feedback",
        "Minor changes from v5, mainly based on feedback from Longman:\n---",
        "v1\u2026v2:\n   - Use def_bool",
        "Updates since the last version [1]\n- Simplified allocation tagging macros;",
        "v1[1] -> v2:\n - Split the patch",
        "In this v2 the\nfollowing changes have been introduced compared to v1 of this series:",
        " - v5 changes:\n   - add changes for cpuidle-qcom-spm",
        "Since RFC, relevant architectures have added p?d_leaf accessors so no",
        "Made following changes in this post:\nAddressed comments given by Jonathan.",
        "Addressed comments given by Dmitry and Jonathan for foo.c.",
        "This is version 3 of the patch. Changes:\n* fix Documentation/atomic_bitops.txt",
        "This replaces\n\nhttps://lore.kernel.org/linux-pm/1929404.tdWV9SEqCh@rjwysocki.net/",
        "This is the fourth version of this series, in this version the changes\nare restricted",
        "Her I'm sending the second version of the patch that changes buffer_locked",
        "New in v2:\n1. Reverse the patch order as suggested by Michael.",
        "New since v1:\n\n - rebased on Eric's ghash cleanups",
        "This is the updated version of my ARM set_fs patches, hopefully\nI managed to address your",
        "I managed to address your previous concerns.",
    ],
)
def test_has_changelog(text):
    assert sr.has_changelog(text)


@pytest.mark.parametrize(
    "text",
    [
        "Changes to the foo driver are needed because bar.",
        "This patchset is based on v6.18-rc1.",
        "See https://example.org/doc for details.",
        "The history of this code is long.",
        "Patch v2 of the spec defines the foo register.",
        "Change the foo driver to use bar.",
        "This v2 of the protocol has a new field.",
        "The v2 is the second revision of the hardware.",
        "These changes are needed: the foo driver breaks otherwise.",
        "Updates to the foo driver are needed because bar.",
        "This replaces the open-coded loop with a helper.",
        "The driver now addresses the comments field of the header.",
        "The new version of the firmware has a bug.",
        "",
    ],
)
def test_has_no_changelog(text):
    assert not sr.has_changelog(text)


def test_no_changelog_fires_for_v2_without_any():
    cover = make_patch(0, body="This series does x.\n")
    hits = run(sr.no_changelog, make_series([make_patch(1), make_patch(2)], version=2, cover=cover))
    assert len(hits) == 1 and "version 2" in hits[0].message and "cover letter" in hits[0].message


def test_no_changelog_quiet_for_v1_cover_log_or_patch_notes():
    assert run(sr.no_changelog, make_series([make_patch(1)], version=1)) == []
    cover = make_patch(0, body="Intro.\n\nChanges in v3:\n- x\n")
    assert run(sr.no_changelog, make_series([make_patch(1)], version=3, cover=cover)) == []
    noted = make_patch(2, notes="v2: rebased on net-next")
    assert run(sr.no_changelog, make_series([make_patch(1), noted], version=2)) == []
    inbody = make_patch(1, body="Change.\n---\nv1 -> v2: fix typo\n\n x.c | 1 +\n")
    assert run(sr.no_changelog, make_series([inbody], version=2)) == []


# -- real threads: the trailer and series rules stay quiet -----------------

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-threads"
MY_FAMILIES = ("RP1", "RP2")


def _real_report(name: str):
    from reviewpatch.api import review_mails
    from reviewpatch.mail import read_mails
    from reviewpatch.settings import Settings

    path = REAL / name
    if not path.is_file():
        pytest.skip(f"real thread {name} not available (shared/real-threads is absent)")
    mails, problems = read_mails(gzip.decompress(path.read_bytes()), name)
    return review_mails(tuple(mails), Settings(), problems=tuple(problems))


@pytest.mark.parametrize("name", ["initrd-v2.mbox.gz", "initrd-v3.mbox.gz", "initrd-v4.mbox.gz"])
def test_real_complete_series_has_no_trailer_or_series_warning(name):
    report = _real_report(name)
    loud = [
        f"{f.rule_id}: {f.message}"
        for f in report.findings
        if f.rule_id.startswith(MY_FAMILIES) and f.severity is not Severity.NOTE
    ]
    assert loud == []


def test_real_v4_lists_pending_review_tags():
    report = _real_report("initrd-v4.mbox.gz")
    pending = {f.location.patch_index for f in report.findings if f.rule_name == "pending-trailers"}
    assert pending == {1, 2, 3}


def test_real_partial_series_reports_only_missing_patches():
    report = _real_report("ptrace-set-syscall-info-v3-partial.mbox.gz")
    loud = sorted(
        {
            f.rule_name
            for f in report.findings
            if f.rule_id.startswith(MY_FAMILIES) and f.severity is not Severity.NOTE
        }
    )
    assert loud == []
    # the thread has part of a series sent to several lists: the rest is
    # likely on another list's archive, which the note says
    (missing,) = [f for f in report.findings if f.rule_name == "missing-patches"]
    assert missing.severity is Severity.NOTE and "another one" in missing.message
