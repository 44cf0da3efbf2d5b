"""Small text helpers of the symbol rules: whole-word patterns, plain
callee names, code lines with comments blanked, evidence lines."""

from __future__ import annotations

__all__ = ["evidence", "masked_lines", "plain_name", "word_re"]

import re
from collections.abc import Iterable, Sequence

from reviewpatch.csource import CodeLine
from reviewpatch.csource.prepare import mask_comments
from reviewpatch.findings import EvidenceLine
from reviewpatch.rules.c.common import code_evidence

_COMMENT_TAIL_RE = re.compile(r"^\s*\*(?:\s|$|/)")
_IDENT_RE = re.compile(r"^[A-Za-z_]\w*$")


def word_re(name: str) -> re.Pattern[str]:
    """A pattern matching ``name`` as a whole identifier."""
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


def plain_name(callee: str) -> bool:
    """True for a callee that is a plain identifier (not ``ops->fn``)."""
    return bool(_IDENT_RE.match(callee))


def masked_lines(lines: Sequence[CodeLine]) -> tuple[str, ...]:
    """The text of ``lines`` with comments and literals blanked (by the C
    analysis' own masking); a line that continues a comment whose opener is
    not shown (`` * text``) is blanked too."""
    masked = mask_comments([ln.text for ln in lines])
    out = []
    opened = False
    for raw, code in zip(lines, masked):
        opened = opened or "/*" in raw.text
        if not opened and _COMMENT_TAIL_RE.match(raw.text):
            code = ""
        out.append(code)
    return tuple(out)


def evidence(path: str, lines: Iterable[CodeLine], label: str = "") -> tuple[EvidenceLine, ...]:
    """Evidence lines for code lines of ``path``."""
    return tuple(code_evidence(ln, path, label) for ln in lines)
