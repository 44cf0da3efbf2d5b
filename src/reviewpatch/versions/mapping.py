"""Patch mapping: which patch of vN follows which patch of vN-1.

Patches are paired in three passes, each over what is left unpaired:

1. the same patch-id (``git patch-id --stable``): the diff is the same up to
   line numbers and whitespace, the patch is *unchanged* (its message may
   have changed; ``PatchPair.message_changed`` says);
2. the same normalised subject title: *changed*;
3. overlapping files with a similar title (or the same files with any
   title): *changed*.

A patch of vN-1 left over is *dropped* when vN is complete, and
*unmatched* when vN misses patches (it may be one of them); a patch of vN
left over is *new*, or *unmatched* when vN-1 misses patches.  Ties are
broken by counter, so the result is deterministic.
"""

from __future__ import annotations

__all__ = ["map_series", "patch_ref", "compare_covers", "changelog_lines"]

import difflib
import re
from collections.abc import Callable

from reviewpatch.model import Patch, Series
from reviewpatch.versions.model import (
    CoverComparison,
    MatchBasis,
    PatchPair,
    PatchRef,
    PatchStatus,
    SeriesMap,
)
from reviewpatch.versions.patchid import patch_id
from reviewpatch.versions.text import normalise_title

_TITLE_SIMILAR = 0.6  # difflib ratio of titles, together with shared files
_FILES_SAME = 1.0  # Jaccard index of touched files that pairs on files alone
_FILES_SHARED = 0.5
_VERSION_WORD = re.compile(r"\bv\d{1,4}\b", re.IGNORECASE)
_LOG_HEAD = re.compile(
    r"^[\s\-*#\[(]{0,8}(?:changes?|changelog|changed|since|v\d{1,4}\s{0,4}(?:->|-->|=>|to|\.\.)"
    r"|from\s+v\d)",
    re.IGNORECASE,
)

Matcher = Callable[[Patch, Patch], bool]


def patch_ref(series: Series, patch: Patch) -> PatchRef:
    """A PatchRef for ``patch`` of ``series``."""
    return PatchRef(
        version=series.version,
        index=patch.index,
        total=series.total,
        msgid=patch.msgid,
        title=patch.subject.title,
    )


def _files(patch: Patch) -> frozenset[str]:
    return frozenset(f.path for f in patch.files)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def _title_ratio(a: Patch, b: Patch) -> float:
    left, right = normalise_title(a.subject.title), normalise_title(b.subject.title)
    return difflib.SequenceMatcher(None, left, right, autojunk=False).ratio()


def _same_id(ids: dict[str, str | None]) -> Matcher:
    def match(old: Patch, new: Patch) -> bool:
        left, right = ids.get(old.msgid), ids.get(new.msgid)
        return left is not None and left == right

    return match


def _same_title(old: Patch, new: Patch) -> bool:
    return normalise_title(old.subject.title) == normalise_title(new.subject.title)


def _similar_files(old: Patch, new: Patch) -> bool:
    shared = _jaccard(_files(old), _files(new))
    if shared >= _FILES_SAME:
        return True
    return shared >= _FILES_SHARED and _title_ratio(old, new) >= _TITLE_SIMILAR


def _pass(
    olds: list[Patch], news: list[Patch], match: Matcher, basis: MatchBasis
) -> list[tuple[Patch, Patch, MatchBasis]]:
    """Pair what ``match`` accepts: for each new patch in counter order the
    old patch with the best title ratio, then the nearest counter."""
    out: list[tuple[Patch, Patch, MatchBasis]] = []
    for new in list(news):
        found = [old for old in olds if match(old, new)]
        if not found:
            continue
        found.sort(key=lambda old: (-_title_ratio(old, new), abs(old.index - new.index), old.index))
        olds.remove(found[0])
        news.remove(new)
        out.append((found[0], new, basis))
    return out


def _counters(numbers: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in numbers)


def _pair(
    old: Patch | None,
    new: Patch | None,
    basis: MatchBasis,
    ids: dict[str, str | None],
    smap: tuple[Series, Series],
) -> PatchPair:
    before, after = smap
    old_id = ids.get(old.msgid) if old else None
    new_id = ids.get(new.msgid) if new else None
    title_changed = bool(old and new and not _same_title(old, new))
    message_changed = bool(old and new and old.message.strip() != new.message.strip())
    if old is not None and new is not None:
        same = old_id is not None and old_id == new_id
        status = PatchStatus.UNCHANGED if same else PatchStatus.CHANGED
        reason = "same patch-id" if same else f"same {basis.value}; the diff differs"
        if same and basis is not MatchBasis.PATCH_ID:
            reason = f"same {basis.value} and patch-id"
    elif old is not None:
        status = PatchStatus.UNMATCHED if after.missing else PatchStatus.DROPPED
        reason = (
            f"no v{after.version} patch matches; v{after.version} misses patches "
            f"{_counters(after.missing)}, it may be one of them"
            if after.missing
            else f"no v{after.version} patch has its patch-id, title or files"
        )
    else:
        status = PatchStatus.UNMATCHED if before.missing else PatchStatus.NEW
        reason = (
            f"no v{before.version} patch matches; v{before.version} misses patches "
            f"{_counters(before.missing)}, it may follow one of them"
            if before.missing
            else f"no v{before.version} patch has its patch-id, title or files"
        )
    return PatchPair(
        status, old, new, basis, old_id, new_id, title_changed, message_changed, reason
    )


def _order(pairs: list[PatchPair]) -> tuple[PatchPair, ...]:
    """By new counter; an old patch without successor after the pair of
    the old patch before it."""
    keyed: list[tuple[float, int, PatchPair]] = []
    anchors = sorted(
        (p.old.index, p.new.index) for p in pairs if p.old is not None and p.new is not None
    )
    for pair in pairs:
        if pair.new is not None:
            keyed.append((float(pair.new.index), 0, pair))
            continue
        if pair.old is None:
            continue
        before = [new for old, new in anchors if old < pair.old.index]
        keyed.append((max(before, default=0) + 0.5, pair.old.index, pair))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return tuple(item[2] for item in keyed)


def changelog_lines(text: str) -> tuple[str, ...]:
    """The lines of a cover letter or of a patch's notes that belong to a
    changelog: a heading such as ``Changes in v3:``, ``v2 -> v3:`` or
    ``Since v1:`` and the lines below it up to a blank line."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        if _LOG_HEAD.match(line) and (_VERSION_WORD.search(line) or line.rstrip().endswith(":")):
            inside = True
        elif not line.strip():
            inside = False
        if inside and line.strip():
            out.append(line.rstrip())
    return tuple(out)


def compare_covers(old: Series, new: Series) -> CoverComparison:
    """The cover letters of two versions: a diff of their text and the
    changelog lines of vN (cover, then each patch's notes)."""
    before, after = old.cover, new.cover
    diff = difflib.unified_diff(
        before.message.split("\n") if before else [],
        after.message.split("\n") if after else [],
        f"v{old.version} cover",
        f"v{new.version} cover",
        lineterm="",
    )
    log = list(changelog_lines(after.message)) if after else []
    for patch in new.patches:
        # text below a patch's "---" is a changelog even without a heading
        log.extend(changelog_lines(patch.notes) or patch.notes.split("\n"))
    changed = bool(before and after and not _same_title(before, after))
    return CoverComparison(before, after, changed, tuple(diff), tuple(x for x in log if x.strip()))


def map_series(old: Series, new: Series) -> SeriesMap:
    """Map the patches of ``old`` (vN-1) onto those of ``new`` (vN)."""
    ids: dict[str, str | None] = {p.msgid: patch_id(p) for p in (*old.patches, *new.patches)}
    olds, news = list(old.patches), list(new.patches)
    found = _pass(olds, news, _same_id(ids), MatchBasis.PATCH_ID)
    found += _pass(olds, news, _same_title, MatchBasis.TITLE)
    found += _pass(olds, news, _similar_files, MatchBasis.FILES)
    pairs = [_pair(a, b, basis, ids, (old, new)) for a, b, basis in found]
    pairs += [_pair(a, None, MatchBasis.NONE, ids, (old, new)) for a in olds]
    pairs += [_pair(None, b, MatchBasis.NONE, ids, (old, new)) for b in news]
    return SeriesMap(old, new, _order(pairs), compare_covers(old, new))
