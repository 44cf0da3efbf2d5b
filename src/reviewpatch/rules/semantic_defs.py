"""Definitions, includes and references read from the diff text of a series,
for the symbol rules (RP306, RP307, RP309).

A *definition* is a ``#define``, a function definition or prototype, or an
enum member, seen on one side of a hunk.  Everything is computed from the
hunks alone; tree mode adds whole files elsewhere.
"""

from __future__ import annotations

__all__ = [
    "Def",
    "Ref",
    "hunk_definitions",
    "series_definitions",
    "references",
    "include_target",
    "tree_of",
]

import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from reviewpatch.model import FileDiff, Hunk, LineKind, Series
from reviewpatch.rules.semantic_text import (
    SideLine,
    c_files,
    function_head,
    side_lines,
    word_re,
)

_DEFINE_RE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)")
_INCLUDE_RE = re.compile(r"^\s*#\s*include\s*([<\"])([^>\"]+)[>\"]")
_ENUM_OPEN_RE = re.compile(r"^\s*(?:typedef\s+)?enum\b[^;()=]*\{\s*$")
_ENUM_MEMBER_RE = re.compile(r"^\s+([A-Za-z_]\w*)\s*(?:=[^;{}]*)?,?\s*$")
_PREPROC_TEST_RE = re.compile(r"^\s*#\s*(?:if|ifdef|ifndef|elif|undef)\b|\bdefined\s*\(?\s*$")


@dataclass(frozen=True)
class Def:
    """A definition on one side of a hunk.  ``kind`` is "macro", "function",
    "prototype", "head" (a function head whose end is not shown) or
    "enum"."""

    name: str
    kind: str
    path: str
    patch_index: int
    line: SideLine

    @property
    def is_body(self) -> bool:
        """True for a definition that gives the symbol a value or a body."""
        return self.kind in ("macro", "function", "enum")


@dataclass(frozen=True)
class Ref:
    """A use of an identifier on the new side of a hunk."""

    name: str
    path: str
    patch_index: int
    line: SideLine


def include_target(code: str) -> str | None:
    """The header named by an ``#include`` line, or None."""
    m = _INCLUDE_RE.match(code)
    return m.group(2).strip() if m else None


def _head_kind(lines: Sequence[SideLine], start: int) -> str:
    """"function" or "prototype" for the head at ``lines[start]``; "head"
    when the hunk ends before telling."""
    for sl in lines[start:]:
        code = sl.code.rstrip()
        after = code.split(")", 1)[1] if ")" in code else code
        if "{" in after or code.startswith("{"):
            return "function"
        if code.endswith(";"):
            return "prototype"
    return "head"


def _in_enum_at_start(hunk: Hunk, lines: Sequence[SideLine]) -> bool:
    section = hunk.section.strip()
    if not re.match(r"^(?:typedef\s+)?enum\b", section):
        return False
    for sl in lines:
        if sl.code.strip():
            return sl.code[:1] in " \t"
    return False


def hunk_definitions(
    hunk: Hunk, side: str, path: str, patch_index: int
) -> tuple[Def, ...]:
    """Every definition on ``side`` of ``hunk``."""
    lines = side_lines(hunk, side)
    in_enum = _in_enum_at_start(hunk, lines)
    out: list[Def] = []
    for i, sl in enumerate(lines):
        code = sl.code
        m = _DEFINE_RE.match(code)
        head = function_head(code)
        if m:
            out.append(Def(m.group(1), "macro", path, patch_index, sl))
        elif head is not None:
            out.append(Def(head, _head_kind(lines, i), path, patch_index, sl))
        elif _ENUM_OPEN_RE.match(code):
            in_enum = True
        elif code.startswith("}"):
            in_enum = False
        elif in_enum:
            em = _ENUM_MEMBER_RE.match(code)
            if em:
                out.append(Def(em.group(1), "enum", path, patch_index, sl))
    return tuple(out)


def _file_hunks(series: Series) -> Iterator[tuple[int, FileDiff, Hunk]]:
    for patch in series.patches:
        for fd in c_files(patch.files):
            for hunk in fd.hunks:
                yield patch.index, fd, hunk


def series_definitions(series: Series) -> tuple[tuple[Def, ...], tuple[Def, ...], tuple[Def, ...]]:
    """(removed, added, kept) definitions of the whole series: on removed
    lines, on added lines, on context lines."""
    removed: list[Def] = []
    added: list[Def] = []
    kept: list[Def] = []
    for index, fd, hunk in _file_hunks(series):
        for side, path in (("old", fd.old_path), ("new", fd.new_path)):
            for d in hunk_definitions(hunk, side, path, index):
                if d.line.line.kind is LineKind.CONTEXT:
                    if side == "new":
                        kept.append(d)
                elif side == "old":
                    removed.append(d)
                else:
                    added.append(d)
    return tuple(removed), tuple(added), tuple(kept)


def _is_use(code: str, pattern: re.Pattern[str]) -> bool:
    """A use of the name in ``code``: not a member access, not a
    preprocessor test of whether it is defined."""
    if _PREPROC_TEST_RE.search(code) and code.lstrip().startswith("#"):
        return False
    for m in pattern.finditer(code):
        before = code[: m.start()].rstrip()
        if before.endswith((".", "->")):
            continue
        if re.search(r"\bdefined\s*\(?\s*$", before):
            continue
        return True
    return False


def references(series: Series, name: str) -> tuple[Ref, ...]:
    """Uses of ``name`` on the new side (context and added lines) of the
    series' C hunks that no later patch removes again."""
    pattern = word_re(name)
    found: list[Ref] = []
    for index, fd, hunk in _file_hunks(series):
        if name not in hunk.new_text:
            continue
        for sl in side_lines(hunk, "new"):
            if _is_use(sl.code, pattern):
                found.append(Ref(name, fd.new_path, index, sl))
    return tuple(r for r in found if not _removed_later(series, r))


def _removed_later(series: Series, ref: Ref) -> bool:
    text = ref.line.text.strip()
    for index, fd, hunk in _file_hunks(series):
        if index <= ref.patch_index or fd.old_path != ref.path:
            continue
        if any(ln.kind is LineKind.REMOVED and ln.text.strip() == text for ln in hunk.lines):
            return True
    return False


def tree_of(code: Any) -> Any:
    """The kernel tree of tree mode from the C analysis, or None."""
    for holder in (code, getattr(code, "source", None)):
        tree = getattr(holder, "tree", None)
        if tree is not None and hasattr(tree, "new_file"):
            return tree
    return None
