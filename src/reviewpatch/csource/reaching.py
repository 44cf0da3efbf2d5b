"""How a gated callee can be reached and what its flags are worth: whether
the tree calls a function only from known sites, and the bit values of
flag macros (``BIT(3)``, ``(1 << TIF_X)``, ``0x8``)."""

from __future__ import annotations

__all__ = ["bits_overlap", "call_sites_only", "flag_bits"]

import re

from reviewpatch.csource.code import SeriesCode
from reviewpatch.errors import ReviewpatchError

_MAX_DEPTH = 8
_NUMBER_RE = re.compile(r"^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")
_BIT_RE = re.compile(r"^(?:BIT|BIT_ULL|_BITUL|_BITULL)\((\w+)\)$")
_SHIFT_RE = re.compile(r"^(0[xX]0*1|1)[uUlL]*<<(\w+)$")
_COMMENT_PREFIXES = ("*", "/*", "//")


def _strip(body: str) -> str:
    text = body.replace(" ", "").replace("\t", "")
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _number(code: SeriesCode, token: str, depth: int) -> int | None:
    m = _NUMBER_RE.match(token)
    if m:
        return int(m.group(1), 0)
    if depth >= _MAX_DEPTH or not re.fullmatch(r"[A-Za-z_]\w*", token):
        return None
    defs = code.macro_defs(token)
    if not defs or defs[0].params is not None:
        return None
    return _number(code, _strip(defs[0].body), depth + 1)


def flag_bits(code: SeriesCode, name: str, depth: int = 0) -> int | None:
    """The value of flag macro ``name`` when its definition is a bit
    (``BIT(n)``, ``1 << n``) or a number, else None."""
    if depth >= _MAX_DEPTH:
        return None
    defs = code.macro_defs(name)
    if not defs or defs[0].params is not None:
        return None
    body = _strip(defs[0].body)
    m = _BIT_RE.match(body) or _SHIFT_RE.match(body)
    if m:
        shift = _number(code, m.groups()[-1], depth + 1)
        return 1 << shift if shift is not None and 0 <= shift < 128 else None
    if re.fullmatch(r"[A-Za-z_]\w*", body):
        return flag_bits(code, body, depth + 1)
    return _number(code, body, depth + 1)


def bits_overlap(code: SeriesCode, flags: tuple[str, ...], others: tuple[str, ...]) -> bool:
    """True when some flag of ``flags`` shares a bit with one of
    ``others`` (both values known); distinct names with unknown values
    are taken to be distinct bits."""
    mine = [b for f in flags if (b := flag_bits(code, f)) is not None]
    theirs = [b for f in others if (b := flag_bits(code, f)) is not None]
    return any(a & b for a in mine for b in theirs)


def _call_refs(name: str, hits: tuple[tuple[str, int, str], ...]) -> int | None:
    """How many calls of ``name`` the grep ``hits`` hold (definitions and
    prototypes at column 0 and comments left out); None when ``name`` is
    also used otherwise (a function pointer, an export), so it may be
    reached from elsewhere."""
    call_re = re.compile(rf"\b{re.escape(name)}\s*\(")
    count = 0
    for _path, _line, text in hits:
        stripped = text.strip()
        if stripped.startswith(_COMMENT_PREFIXES):
            continue
        calls = len(call_re.findall(text))
        words = len(re.findall(rf"\b{re.escape(name)}\b", text))
        if words > calls:
            return None
        if text[:1] not in (" ", "\t", "#") and calls:
            continue  # a definition or a prototype
        count += calls
    return count


def call_sites_only(code: SeriesCode, name: str, known: int) -> bool | None:
    """Tree mode: True when the tree calls function ``name`` exactly
    ``known`` times (the sites the caller knows of) and never uses it
    otherwise; False when it has other callers or uses; None when there
    is no tree to ask or it shows no call at all."""
    tree = code.tree
    if tree is None or known <= 0:
        return None
    try:
        hits = tuple(tree.grep(name))
    except (ReviewpatchError, OSError, UnicodeError):  # best effort
        return None
    count = _call_refs(name, hits)
    if count == 0:
        return None  # the tree does not even show the known sites
    return count is not None and count <= known
