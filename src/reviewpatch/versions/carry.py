"""Trailers across versions.

*Carried* trailers are the review trailers given in replies to the patch
in vN-1 (or in an older version of the thread) that vN inherits because
the patch-id did not change, as b4 carries them (a reply to an earlier
version's cover letter stays with that version): vN's collected trailers are
its own block, the trailers given in replies to vN, and the carried ones,
without repeats (compared by trailer name and person).

The audit returns two kinds of things to look at:

- *carried after change*: vN's own trailer block keeps a review trailer
  given on vN-1 although the patch changed beyond a rebase (the patch-id
  differs and the interdiff changes added or removed lines, not only
  context or line numbers);
- *dropped*: a review trailer given on vN-1 (in its block, or in a reply
  when the patch-id changed) that vN neither carries nor got again.

Each audit entry carries the changelog line of vN that explains it (one
naming the person, or saying trailers were dropped), or None.
"""

from __future__ import annotations

__all__ = ["carried_trailers", "collected_trailers", "audit_trailers", "AUDITED_TRAILERS"]

import re

from reviewpatch.model import Patch, Series, Trailer
from reviewpatch.versions.interdiff import interdiff
from reviewpatch.versions.mapping import changelog_lines, patch_ref
from reviewpatch.versions.model import (
    AuditKind,
    CarriedTrailer,
    PatchPair,
    PatchStatus,
    SeriesMap,
    TrailerAudit,
)
from reviewpatch.versions.patchid import patch_id
from reviewpatch.versions.text import contains_term, name_words

AUDITED_TRAILERS: frozenset[str] = frozenset(
    {"Reviewed-by", "Acked-by", "Tested-by", "Reviewed-and-tested-by"}
)
"""The trailers whose loss or carrying the audit looks at: a review."""

_DROPPED = re.compile(r"\b(?:drop(?:ped|s)?|remov(?:ed|e)|strip(?:ped)?)\b", re.IGNORECASE)
_TAGS = re.compile(
    r"\b(?:tags?|trailers?|reviewed-by|acked-by|tested-by|r-?b|a-?b|review)\b", re.IGNORECASE
)


def _key(trailer: Trailer) -> tuple[str, str]:
    who = trailer.person.key if trailer.person else " ".join(trailer.value.lower().split())
    return trailer.name.lower(), who


def _unique(trailers: list[Trailer]) -> tuple[Trailer, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[Trailer] = []
    for trailer in trailers:
        if _key(trailer) not in seen:
            seen.add(_key(trailer))
            out.append(trailer)
    return tuple(out)


def carried_trailers(smap: SeriesMap, older: tuple[Series, ...] = ()) -> tuple[CarriedTrailer, ...]:
    """The follow-up trailers of vN-1's patch that vN inherits by patch-id,
    less those vN has already (in its block or from replies to vN); and, as
    b4 does, those given on ``older`` versions (before vN-1, from the same
    thread) of a patch whose patch-id is still vN's.  Replies to a cover
    letter are left with their version, as b4 leaves them."""
    out: list[CarriedTrailer] = []
    for pair in smap.pairs:
        if pair.status is not PatchStatus.UNCHANGED or pair.old is None or pair.new is None:
            continue
        have = {_key(t) for t in (*pair.new.trailers, *pair.new.followup_trailers)}
        sources = [(smap.old, pair.old)]
        if older and pair.new_patch_id:
            sources += [
                (series, patch)
                for series in sorted(older, key=lambda s: -s.version)
                for patch in series.patches
                if patch_id(patch) == pair.new_patch_id
            ]
        for series, patch in sources:
            # only what was said of the patch itself: a review of a previous
            # version's cover letter stays with that version, as b4 leaves it
            skip = _cover_origins(series)
            for trailer in _unique(list(patch.followup_trailers)):
                if trailer.origin_msgid in skip:
                    continue
                if _key(trailer) not in have:
                    have.add(_key(trailer))
                    out.append(
                        CarriedTrailer(
                            trailer, patch_ref(series, patch), patch_ref(smap.new, pair.new)
                        )
                    )
    return tuple(out)


def _cover_origins(series: Series) -> frozenset[str]:
    """The Message-IDs of the replies to ``series``' cover letter that gave
    trailers (credited to every patch)."""
    cover = series.cover
    if cover is None:
        return frozenset()
    return frozenset(t.origin_msgid for t in cover.followup_trailers if t.origin_msgid)


def collected_trailers(
    smap: SeriesMap, index: int, older: tuple[Series, ...] = ()
) -> tuple[Trailer, ...]:
    """The trailers vN's patch ``index`` ends up with, as b4 would apply
    it: its own block, those given in replies to vN, and those carried
    from vN-1, each (name, person) once."""
    pair = smap.pair_of_new(index)
    new = pair.new if pair is not None else smap.new.patch(index)
    if new is None:
        return ()
    carried = [c.trailer for c in carried_trailers(smap, older) if c.new.index == index]
    return _unique([*new.trailers, *new.followup_trailers, *carried])


def _explanation(trailer: Trailer, smap: SeriesMap, new: Patch) -> str | None:
    """A changelog line of vN (cover, then the patch's notes) naming the
    person of ``trailer``, or saying that trailers were dropped."""
    text: list[str] = []
    if smap.new.cover is not None:
        text.extend(changelog_lines(smap.new.cover.message) or smap.new.cover.message.split("\n"))
    text.extend(new.notes.split("\n"))
    names = name_words(trailer.person) if trailer.person else (trailer.value,)
    for line in text:
        if any(contains_term(line, name) for name in names):
            return line.strip()
    for line in text:
        if _DROPPED.search(line) and _TAGS.search(line):
            return line.strip()
    return None


def _audit(
    smap: SeriesMap, sides: tuple[Patch, Patch], trailer: Trailer, kind: AuditKind, detail: str
) -> TrailerAudit:
    old, new = sides
    return TrailerAudit(
        kind=kind,
        trailer=trailer,
        old=patch_ref(smap.old, old),
        new=patch_ref(smap.new, new),
        detail=detail,
        explanation=_explanation(trailer, smap, new),
    )


def _pair_audit(smap: SeriesMap, pair: PatchPair) -> list[TrailerAudit]:
    old, new = pair.old, pair.new
    if old is None or new is None:
        return []
    given = [t for t in (*old.trailers, *old.followup_trailers) if t.name in AUDITED_TRAILERS]
    own = {_key(t) for t in new.trailers}
    again = {_key(t) for t in new.followup_trailers}
    changed = pair.status is PatchStatus.CHANGED
    code = False
    if changed:
        diff = interdiff(smap, pair, max_lines=0)
        code = diff is not None and diff.code_changed
    out: list[TrailerAudit] = []
    for trailer in _unique(given):
        key = _key(trailer)
        if key in own and code:
            detail = f"kept by v{smap.new.version} although the patch changed its code"
            out.append(_audit(smap, (old, new), trailer, AuditKind.CARRIED_AFTER_CHANGE, detail))
        elif key not in own and key not in again:
            from_reply = trailer.origin_msgid != old.msgid
            if from_reply and not changed:
                continue  # carried by patch-id
            where = "a reply to" if from_reply else "the trailer block of"
            detail = f"given in {where} v{smap.old.version}, absent from v{smap.new.version}"
            out.append(_audit(smap, (old, new), trailer, AuditKind.DROPPED, detail))
    return out


def audit_trailers(smap: SeriesMap) -> tuple[TrailerAudit, ...]:
    """Trailers carried over a real change, and review trailers lost, in
    the order of ``smap.pairs``."""
    out: list[TrailerAudit] = []
    for pair in smap.pairs:
        out.extend(_pair_audit(smap, pair))
    return tuple(out)
