"""How one line of C uses a name, from its tokens: the facts behind the
enum-value rule (a value a ``switch`` handles that nothing produces)."""

from __future__ import annotations

__all__ = ["UseKind", "use_kinds"]

import re
from enum import Enum

from reviewpatch.csource.prepare import mask_comments

# one token: a name, a number, a two-character operator, or one character
_TOKEN_RE = re.compile(r"[A-Za-z_]\w*|\d\w*|==|!=|<=|>=|->|&&|\|\||##|<<|>>|\S")


class UseKind(Enum):
    """What a line does with a name."""

    CASE = "case"  # ``case NAME:``: a switch handles it
    TEST = "test"  # ``x == NAME``, ``NAME != x``: a test for it
    INDEX = "index"  # ``[NAME] = ...`` or ``table[NAME]``: a slot named by it
    DIRECTIVE = "directive"  # on a preprocessor line (an alias, a guard)
    PASTE = "paste"  # next to ``##``: names are being made, anything goes
    PRODUCE = "produce"  # anything else: assigned, passed, returned, listed


def _kind(tokens: list[str], at: int) -> UseKind:
    prev = tokens[at - 1] if at > 0 else ""
    nxt = tokens[at + 1] if at + 1 < len(tokens) else ""
    if "##" in (prev, nxt):
        return UseKind.PASTE
    if prev == "case":
        return UseKind.CASE
    if prev in ("==", "!=") or nxt in ("==", "!="):
        return UseKind.TEST
    if prev == "[" and nxt == "]":
        return UseKind.INDEX
    return UseKind.PRODUCE


def use_kinds(text: str, name: str) -> tuple[UseKind, ...]:
    """What ``text`` (one line of C) does with each whole-word occurrence
    of ``name`` outside comments and strings."""
    masked = mask_comments([text])[0] if text else ""
    tokens = _TOKEN_RE.findall(masked)
    directive = tokens[:1] == ["#"]
    out = []
    for i, t in enumerate(tokens):
        if t != name:
            continue
        kind = _kind(tokens, i)
        if directive and kind is not UseKind.PASTE:
            kind = UseKind.DIRECTIVE
        out.append(kind)
    return tuple(out)
