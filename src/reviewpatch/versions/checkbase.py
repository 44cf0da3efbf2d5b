"""What the follow-through checks share: the answer of a check, the
context it looks at, and small helpers over patches."""

from __future__ import annotations

__all__ = [
    "MAX_EVIDENCE",
    "Check",
    "CheckState",
    "Context",
    "Side",
    "added_lines",
    "file_of",
    "where",
]

from dataclasses import dataclass
from enum import Enum

from reviewpatch.model import DiffLine, FileDiff, LineKind, Patch
from reviewpatch.versions.model import Evidence, PatchPair, PatchRef, RequestKind, SeriesMap

MAX_EVIDENCE = 6

Side = tuple[Patch, PatchRef]
"""The successor patch in vN and its reference."""


class CheckState(str, Enum):
    """The answer of one check."""

    DONE = "done"
    NOT_DONE = "not-done"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Check:
    """What one check found, about one aspect of a request."""

    aspect: RequestKind
    state: CheckState
    reason: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Context:
    """What a check looks at: the map, the vN-1 patch the request was made
    on, its successor in vN (None when not found) and the pair."""

    smap: SeriesMap
    old: Patch
    new: Patch | None
    new_ref: PatchRef | None
    pair: PatchPair | None

    @property
    def side(self) -> Side | None:
        """The successor and its reference, when there is one."""
        if self.new is None or self.new_ref is None:
            return None
        return self.new, self.new_ref

    @property
    def missing_reason(self) -> str:
        """Why there is no successor to look at."""
        if self.pair is not None:
            return self.pair.reason
        return f"v{self.smap.new.version} has no cover letter"


def where(ref: PatchRef, place: str) -> str:
    """``v4 2/3 init/main.c`` or ``v4 2/3 message``."""
    return f"{ref.label} {place}"


def file_of(patch: Patch, path: str) -> FileDiff | None:
    """The diff of ``path`` in ``patch`` (by its old or new name)."""
    return next((f for f in patch.files if path in (f.old_path, f.new_path)), None)


def added_lines(patch: Patch) -> list[tuple[str, DiffLine]]:
    """(path, line) of every added line of the patch."""
    return [
        (f.path, ln)
        for f in patch.files
        for h in f.hunks
        for ln in h.lines
        if ln.kind is LineKind.ADDED
    ]
