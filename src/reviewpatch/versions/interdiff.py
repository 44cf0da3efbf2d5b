"""Interdiff from the mails alone: what changed between two versions of a
patch, without a tree.

Per file the hunks of both versions are paired (an identical hunk is the
same; otherwise the most similar one, when at least half alike), which
gives the hunks added, removed and changed; the file's two diffs are then
compared line by line (hunk headers without their line numbers, so a
rebase does not show), giving a diff of diffs.  ``code_changed`` compares
only the added and removed lines, whitespace aside: a patch whose context
moved but whose change is the same did not change its code.  The commit
message is compared as text, the trailers by name and person.  The output
is cut at ``max_lines`` lines, and says so.
"""

from __future__ import annotations

__all__ = ["interdiff", "interdiffs", "diff_patches", "DEFAULT_MAX_LINES"]

import difflib
from dataclasses import dataclass

from reviewpatch.model import FileDiff, Hunk, LineKind, Patch, Trailer
from reviewpatch.versions.mapping import patch_ref
from reviewpatch.versions.model import (
    FileInterdiff,
    HunkChange,
    Interdiff,
    MessageChanges,
    PatchPair,
    PatchRef,
    PatchStatus,
    SeriesMap,
)
from reviewpatch.versions.text import squeeze

DEFAULT_MAX_LINES = 400
_HUNK_ALIKE = 0.5


@dataclass(frozen=True)
class _Budget:
    """How many lines may still be shown."""

    left: int


def _body(hunk: Hunk) -> tuple[str, ...]:
    return tuple(line.kind.value + squeeze(line.text) for line in hunk.lines)


def _changes(fdiff: FileDiff | None) -> tuple[str, ...]:
    if fdiff is None:
        return ()
    return tuple(
        line.kind.value + squeeze(line.text)
        for hunk in fdiff.hunks
        for line in hunk.lines
        if line.kind is not LineKind.CONTEXT
    )


def _render(fdiff: FileDiff | None) -> list[str]:
    out: list[str] = []
    for hunk in fdiff.hunks if fdiff else ():
        out.append(f"@@ {hunk.section}".rstrip())
        out.extend(line.kind.value + line.text for line in hunk.lines)
    return out


def _pair_hunks(old: FileDiff | None, new: FileDiff | None) -> tuple[int, int, int]:
    """(added, removed, changed) hunks between two diffs of one file."""
    olds = [_body(h) for h in old.hunks] if old else []
    news = [_body(h) for h in new.hunks] if new else []
    for body in list(news):
        if body in olds:
            olds.remove(body)
            news.remove(body)
    changed = 0
    for body in list(news):
        scored = [
            (difflib.SequenceMatcher(None, cand, body, autojunk=False).ratio(), -i, cand)
            for i, cand in enumerate(olds)
        ]
        if scored:
            ratio, _, best = max(scored)
            if ratio >= _HUNK_ALIKE:
                olds.remove(best)
                news.remove(body)
                changed += 1
    return len(news), len(olds), changed


def _file_key(fdiff: FileDiff) -> str:
    return fdiff.new_path if not fdiff.is_deleted else fdiff.old_path


def _match_files(old: Patch, new: Patch) -> list[tuple[str, FileDiff | None, FileDiff | None]]:
    """Files of both patches, paired by path (a renamed file by either
    of its names), in the order of the new patch then the old one."""
    left = list(old.files)
    out: list[tuple[str, FileDiff | None, FileDiff | None]] = []
    for fdiff in new.files:
        names = {fdiff.old_path, fdiff.new_path}
        partner = next((f for f in left if {f.old_path, f.new_path} & names), None)
        if partner is not None:
            left.remove(partner)
        out.append((_file_key(fdiff), partner, fdiff))
    out.extend((_file_key(f), f, None) for f in left)
    return out


def _file(
    path: str, old: FileDiff | None, new: FileDiff | None, budget: _Budget
) -> tuple[FileInterdiff, int, _Budget]:
    added, removed, changed = _pair_hunks(old, new)
    lines = list(
        difflib.unified_diff(_render(old), _render(new), f"a/{path}", f"b/{path}", lineterm="")
    )
    if old is None:
        change = HunkChange.ADDED
    elif new is None:
        change = HunkChange.REMOVED
    else:
        change = HunkChange.CHANGED if lines else HunkChange.SAME
    shown = lines[: max(budget.left, 0)]
    item = FileInterdiff(
        path=path,
        change=change,
        hunks_added=added,
        hunks_removed=removed,
        hunks_changed=changed,
        code_changed=_changes(old) != _changes(new),
        lines=tuple(shown),
    )
    return item, len(lines), _Budget(budget.left - len(shown))


def _trailer_key(trailer: Trailer) -> tuple[str, str]:
    who = trailer.person.key if trailer.person else " ".join(trailer.value.lower().split())
    return trailer.name.lower(), who


def _message(old: Patch, new: Patch, budget: _Budget) -> tuple[MessageChanges, int, _Budget]:
    lines = list(
        difflib.unified_diff(
            old.message.split("\n"), new.message.split("\n"), "a/message", "b/message", lineterm=""
        )
    )
    before = {_trailer_key(t) for t in old.trailers}
    after = {_trailer_key(t) for t in new.trailers}
    shown = lines[: max(budget.left, 0)]
    changes = MessageChanges(
        old_title=old.subject.title,
        new_title=new.subject.title,
        lines=tuple(shown),
        trailers_added=tuple(t for t in new.trailers if _trailer_key(t) not in before),
        trailers_removed=tuple(t for t in old.trailers if _trailer_key(t) not in after),
    )
    return changes, len(lines), _Budget(budget.left - len(shown))


def diff_patches(
    old: Patch,
    new: Patch,
    old_ref: PatchRef,
    new_ref: PatchRef,
    *,
    max_lines: int = DEFAULT_MAX_LINES,
) -> Interdiff:
    """The interdiff of two versions of one patch, cut at ``max_lines``
    lines (message diff first, then the files)."""
    budget = _Budget(max_lines)
    message, total, budget = _message(old, new, budget)
    files: list[FileInterdiff] = []
    for path, before, after in _match_files(old, new):
        item, count, budget = _file(path, before, after, budget)
        total += count
        if item.change is not HunkChange.SAME:
            files.append(item)
    shown = len(message.lines) + sum(len(f.lines) for f in files)
    return Interdiff(
        old=old_ref,
        new=new_ref,
        files=tuple(files),
        message=message,
        code_changed=any(f.code_changed for f in files),
        total_lines=total,
        shown_lines=shown,
        truncated=shown < total,
    )


def interdiff(
    smap: SeriesMap, pair: PatchPair, *, max_lines: int = DEFAULT_MAX_LINES
) -> Interdiff | None:
    """The interdiff of a pair of ``smap``; None unless both sides exist."""
    if pair.old is None or pair.new is None:
        return None
    return diff_patches(
        pair.old,
        pair.new,
        patch_ref(smap.old, pair.old),
        patch_ref(smap.new, pair.new),
        max_lines=max_lines,
    )


def interdiffs(smap: SeriesMap, *, max_lines: int = DEFAULT_MAX_LINES) -> tuple[Interdiff, ...]:
    """The interdiff of every pair whose diff or message changed, in the
    order of ``smap.pairs``; ``max_lines`` applies to each."""
    out: list[Interdiff] = []
    for pair in smap.pairs:
        if pair.status is PatchStatus.CHANGED or pair.message_changed or pair.title_changed:
            found = interdiff(smap, pair, max_lines=max_lines)
            if found is not None:
                out.append(found)
    return tuple(out)
