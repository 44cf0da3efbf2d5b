"""Names a patch renames, read from the lines it rewrites.

A run of removed lines followed by a run of added lines of the same length
pairs them line by line; a pair whose tokens differ only in identifiers
renames each of those identifiers (``priv->irq_on`` to ``priv->irq_enabled``,
``foo_start()`` to ``foo_enable()``).  A name renamed two different ways is
left alone.  The comparison applies the renames to the old code, so that a
renamed variable, field or function is not a changed condition.
"""

from __future__ import annotations

__all__ = ["patch_renames"]

import re
from collections.abc import Iterable

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.model import NEW, OLD, CodeLine

_TOKEN_RE = re.compile(r"[A-Za-z_]\w*|\d\w*|\S")
_IDENT_RE = re.compile(r"^[A-Za-z_]\w*$")
_KEYWORDS = frozenset(
    {"if", "else", "while", "for", "return", "goto", "switch", "case", "break", "continue", "do"}
)


def _runs(lines: list[CodeLine]) -> Iterable[tuple[list[CodeLine], list[CodeLine]]]:
    """(removed run, added run) pairs in hunk order."""
    removed: list[CodeLine] = []
    added: list[CodeLine] = []
    for ln in lines:
        if ln.kind == "-":
            if added:
                yield removed, added
                removed, added = [], []
            removed.append(ln)
        elif ln.kind == "+":
            added.append(ln)
        else:
            if removed or added:
                yield removed, added
            removed, added = [], []
    if removed or added:
        yield removed, added


def _pair(old: str, new: str, found: dict[str, set[str]]) -> None:
    a, b = _TOKEN_RE.findall(old), _TOKEN_RE.findall(new)
    if len(a) != len(b) or a == b:
        return
    diffs = [(x, y) for x, y in zip(a, b) if x != y]
    if all(_IDENT_RE.match(x) and _IDENT_RE.match(y) for x, y in diffs):
        for x, y in diffs:
            if x not in _KEYWORDS and y not in _KEYWORDS:
                found.setdefault(x, set()).add(y)


def patch_renames(code: SeriesCode, index: int) -> dict[str, str]:
    """The identifiers patch ``index`` renames, old name to new name."""
    found: dict[str, set[str]] = {}
    for fc in code.files(index):
        lines: dict[int, CodeLine] = {}
        for side, kind in ((OLD, "-"), (NEW, "+")):
            for fr in fc.fragments(side):
                for ln in fr.view.lines:
                    if ln.kind in (kind, " ") and ln.mail_line is not None:
                        lines.setdefault(ln.mail_line, ln)
        ordered = [lines[k] for k in sorted(lines)]
        for removed, added in _runs(ordered):
            if len(removed) == len(added):
                for old, new in zip(removed, added):
                    _pair(old.text, new.text, found)
    return {old: next(iter(new)) for old, new in found.items() if len(new) == 1}
