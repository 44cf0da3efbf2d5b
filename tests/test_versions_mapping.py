"""reviewpatch.versions: patch mapping across versions and interdiff."""

from __future__ import annotations

from test_versions_support import bar_diff, fixture_series, foo_diff, patch_mail, real_series

from reviewpatch.model import Mail
from reviewpatch.series import assemble_series
from reviewpatch.versions import interdiff, interdiffs, map_series
from reviewpatch.versions.model import HunkChange, MatchBasis, PatchStatus


def _statuses(old_name: str, new_name: str) -> list[tuple[str, int | None, int | None, str]]:
    smap = map_series(real_series(old_name), real_series(new_name))
    return [
        (
            p.status.value,
            p.old.index if p.old else None,
            p.new.index if p.new else None,
            p.basis.value,
        )
        for p in smap.pairs
    ]


def test_initrd_mapping() -> None:
    expected = [
        ("unchanged", 1, 1, "patch-id"),
        ("changed", 2, 2, "title"),
        ("unchanged", 3, 3, "patch-id"),
    ]
    assert _statuses("initrd-v2", "initrd-v3") == expected
    assert _statuses("initrd-v3", "initrd-v4") == expected


def test_initrd_v2_v3_messages_changed_under_same_patch_id() -> None:
    smap = map_series(real_series("initrd-v2"), real_series("initrd-v3"))
    assert [p.message_changed for p in smap.pairs] == [True, True, True]
    first = smap.pairs[0]
    assert first.status is PatchStatus.UNCHANGED and first.old_patch_id == first.new_patch_id


def test_initrd_cover_changelog() -> None:
    smap = map_series(real_series("initrd-v3"), real_series("initrd-v4"))
    log = smap.cover.changelog
    assert "v3 -> v4 changes:" in log
    assert any("January 2027" in line for line in log)
    assert any(line.startswith("+") and "January 2027" in line for line in smap.cover.message_lines)


def test_initrd_v3_v4_interdiff() -> None:
    smap = map_series(real_series("initrd-v3"), real_series("initrd-v4"))
    (diff,) = interdiffs(smap)
    assert (diff.old.label, diff.new.label) == ("v3 2/3", "v4 2/3")
    assert diff.code_changed and not diff.truncated
    assert not diff.message.changed
    (one,) = diff.files
    assert one.path == "init/do_mounts_initrd.c"
    assert (one.change, one.hunks_changed, one.hunks_added, one.hunks_removed) == (
        HunkChange.CHANGED,
        1,
        0,
        0,
    )
    removed = [line for line in one.lines if line.startswith("-+") and "September 2026" in line]
    added = [line for line in one.lines if line.startswith("++") and "January 2027" in line]
    assert removed and added


def test_initrd_v2_v3_interdiff_of_message_only_change() -> None:
    smap = map_series(real_series("initrd-v2"), real_series("initrd-v3"))
    diff = interdiff(smap, smap.pairs[0])
    assert diff is not None and not diff.code_changed and not diff.files
    assert any(line.startswith("+") and "in 2020." in line for line in diff.message.lines)


def test_interdiff_is_cut_and_says_so() -> None:
    smap = map_series(real_series("initrd-v2"), real_series("initrd-v3"))
    full = interdiff(smap, smap.pairs[1])
    cut = interdiff(smap, smap.pairs[1], max_lines=5)
    assert full is not None and cut is not None
    assert not full.truncated and full.shown_lines == full.total_lines
    assert cut.truncated and cut.shown_lines == 5 and cut.total_lines == full.total_lines


def test_v1_v2_fixture() -> None:
    old = fixture_series("v1-v2-replies.mbox", 1)
    new = fixture_series("v1-v2-replies.mbox", 2)
    smap = map_series(old, new)
    got = [(p.status, p.basis) for p in smap.pairs]
    assert got == [
        (PatchStatus.CHANGED, MatchBasis.TITLE),
        (PatchStatus.UNCHANGED, MatchBasis.PATCH_ID),
    ]
    diff = interdiff(smap, smap.pairs[0])
    assert diff is not None and diff.code_changed
    assert "-+\tif (ret < 0)" in diff.files[0].lines
    assert "++\tif (ret)" in diff.files[0].lines


def test_seed_pair_cannot_be_matched() -> None:
    """v15 10/11 and v16 11/18 are different patches, and each version
    misses most of its patches: neither new nor dropped can be told."""
    smap = map_series(fixture_series("seed-v15-review.mbox"), fixture_series("seed-v16-11.mbox"))
    assert [(p.status, p.old is None) for p in smap.pairs] == [
        (PatchStatus.UNMATCHED, False),
        (PatchStatus.UNMATCHED, True),
    ]
    assert "v16 misses patches 1, 2" in smap.pairs[0].reason


def _v(version: int, *patches: tuple[str, str]) -> list[Mail]:
    tag = f"PATCH v{version}" if version > 1 else "PATCH"
    total = len(patches)
    cover = patch_mail(f"{version}-0@x", f"[{tag} 0/{total}] foo: fixes", "Fixes.", None)
    out = [cover]
    for n, (title, diff) in enumerate(patches, start=1):
        out.append(
            patch_mail(
                f"{version}-{n}@x",
                f"[{tag} {n}/{total}] {title}",
                f"{title}.",
                diff,
                parent=cover.msgid,
                stamp=n,
            )
        )
    return out


def test_new_dropped_and_renamed() -> None:
    v1 = _v(1, ("foo: check init", foo_diff()), ("bar: add helper", bar_diff()))
    v2 = _v(
        2,
        ("foo: check the result of foo_init()", foo_diff(cond="ret")),
        ("baz: add baz", bar_diff().replace("bar.c", "baz.c")),
    )
    old = assemble_series(tuple(v1), version=1)
    new = assemble_series(tuple(v1 + v2), version=2)
    smap = map_series(old, new)
    got = [
        (p.status, p.old.index if p.old else None, p.new.index if p.new else None, p.basis)
        for p in smap.pairs
    ]
    assert got == [
        (PatchStatus.CHANGED, 1, 1, MatchBasis.FILES),
        (PatchStatus.DROPPED, 2, None, MatchBasis.NONE),
        (PatchStatus.NEW, None, 2, MatchBasis.NONE),
    ]
    assert smap.pairs[0].title_changed
    assert smap.pair_of_old(2) is smap.pairs[1] and smap.pair_of_new(2) is smap.pairs[2]


def test_context_only_change_is_no_code_change() -> None:
    v1 = _v(1, ("foo: check init", foo_diff()))
    v2 = _v(2, ("foo: check init", foo_diff(blank="/* rebased */", start=40)))
    smap = map_series(
        assemble_series(tuple(v1), version=1), assemble_series(tuple(v1 + v2), version=2)
    )
    (pair,) = smap.pairs
    assert pair.status is PatchStatus.CHANGED and pair.old_patch_id != pair.new_patch_id
    diff = interdiff(smap, pair)
    assert diff is not None and not diff.code_changed
    assert diff.files[0].hunks_changed == 1
