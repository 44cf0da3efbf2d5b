"""Pair the calls of the old and new code: calls re-wrapped in place (and
the conditions they gained) and calls moved to another place."""

from __future__ import annotations

__all__ = ["guarded_in_file", "inherit_call_sites", "pair_moves", "same_site"]

from collections import defaultdict
from dataclasses import replace

from reviewpatch.csource.model import (
    NEW,
    OLD,
    Call,
    Condition,
    FileCode,
    GuardedCall,
    MovedCall,
)


def same_site(a: Call, b: Call) -> bool:
    """True when two calls of one callee sit in the same hunk of the same
    file of the same patch, in the same function."""
    return (
        a.callee == b.callee
        and a.patch_index == b.patch_index
        and a.hunk_index == b.hunk_index
        and a.function == b.function
        and _base(a.path) == _base(b.path)
    )


def _base(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _score(removed: Call, added: Call) -> tuple[int, int, int, int]:
    return (
        int(removed.args == added.args),
        int(removed.function is not None and removed.function == added.function),
        int(removed.path == added.path),
        -abs(removed.patch_index - added.patch_index),
    )


def pair_moves(removed: tuple[Call, ...], added: tuple[Call, ...]) -> tuple[MovedCall, ...]:
    """Each added call paired with the best removed call of the same callee
    and the same arguments at another place.  A removed call re-added at its own site is a
    re-wrap, not the source of a move."""
    by_callee: dict[str, list[Call]] = defaultdict(list)
    for r in removed:
        by_callee[r.callee].append(r)
    out: list[MovedCall] = []
    for a in added:
        candidates = by_callee.get(a.callee, [])
        if not candidates or any(same_site(r, a) for r in candidates):
            continue
        free = [r for r in candidates if r.args == a.args and not _rewrapped(r, added)]
        if not free:
            continue
        best = max(free, key=lambda r: _score(r, a))
        out.append(MovedCall(removed=best, added=a))
    return tuple(out)


def inherit_call_sites(
    moves: tuple[MovedCall, ...], old_calls: tuple[Call, ...]
) -> tuple[MovedCall, ...]:
    """``moves`` with the conditions each removed call inherits from its
    function's call sites in the added call's function (old side of the
    removed call's patch): a call moved up from a callee into its caller,
    or a helper open-coded where it was called, ran only when the caller
    reached the callee, so those conditions are not new at the new place."""
    return tuple(_inherit(m, old_calls) for m in moves)


def _inherit(move: MovedCall, old_calls: tuple[Call, ...]) -> MovedCall:
    removed, added = move.removed, move.added
    if removed.function is None or added.function is None:
        return move
    if removed.function == added.function:
        return move
    sites = [
        c
        for c in old_calls
        if c.callee == removed.function
        and c.function == added.function
        and c.patch_index == removed.patch_index
        and _base(c.path) == _base(added.path)
    ]
    common = _common_conditions(sites)
    if not common:
        return move
    effective = replace(removed, conditions=common + removed.conditions)
    return MovedCall(removed=effective, added=added, inherited=common)


def _common_conditions(sites: list[Call]) -> tuple[Condition, ...]:
    """The conditions (in the first site's order) every site runs under."""
    if not sites:
        return ()
    keys = set.intersection(*({c.key for c in s.conditions} for s in sites))
    return tuple(c for c in sites[0].conditions if c.key in keys)


def _rewrapped(r: Call, added: tuple[Call, ...]) -> bool:
    return any(same_site(r, a) and a.args == r.args for a in added)


def _groups(calls: tuple[Call, ...]) -> dict[object, list[Call]]:
    out: dict[object, list[Call]] = defaultdict(list)
    for c in calls:
        out[c.hunk_index].append(c)
    return out


def _pair_in_order(old: list[Call], new: list[Call]) -> list[tuple[Call, Call]]:
    """Pair calls with the same (function, callee) in order, same
    arguments first."""
    pairs: list[tuple[Call, Call]] = []
    left = list(old)
    for n in new:
        match = next((o for o in left if _key(o) == _key(n) and o.args == n.args), None)
        if match is None:
            match = next((o for o in left if _key(o) == _key(n)), None)
        if match is not None:
            left.remove(match)
            pairs.append((match, n))
    return pairs


def _key(c: Call) -> tuple[str | None, str]:
    return (c.function, c.callee)


def guarded_in_file(f: FileCode) -> list[GuardedCall]:
    """Call sites of one file that gained conditions: an unchanged call
    under a new condition, or a call removed and re-added (re-wrapped) in
    the same hunk and function."""
    old_calls = tuple(c for fr in f.fragments(OLD) for c in fr.calls)
    new_calls = tuple(c for fr in f.fragments(NEW) for c in fr.calls)
    old_groups, new_groups = _groups(old_calls), _groups(new_calls)
    out: list[GuardedCall] = []
    for key, news in new_groups.items():
        olds = old_groups.get(key, [])
        if not olds:
            continue
        unchanged = _pair_in_order(
            [c for c in olds if not c.changed], [c for c in news if not c.changed]
        )
        changed = _pair_in_order([c for c in olds if c.changed], [c for c in news if c.changed])
        for o, n in unchanged + changed:
            had = {c.key for c in o.conditions}
            guard = tuple(c for c in n.conditions if c.key not in had)
            if guard:
                out.append(GuardedCall(old=o, new=n, guard=guard))
    return out
