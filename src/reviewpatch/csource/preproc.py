"""``#define`` and ``#include`` lines of a view, read without a parser."""

from __future__ import annotations

__all__ = [
    "C_KEYWORDS",
    "identifiers",
    "mask_members",
    "read_includes",
    "read_macros",
    "strip_parens",
]

import re

from reviewpatch.ckeywords import C_KEYWORDS as _KEYWORDS
from reviewpatch.ckeywords import PREPROCESSOR_WORDS
from reviewpatch.csource.model import CodeLine, Include, Macro, View

_DEFINE_RE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(\([^)]*\))?(.*)$")
_INCLUDE_RE = re.compile(r"^\s*#\s*include\s*([<\"])([^>\"]+)[>\"]")
_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
_MEMBER_RE = re.compile(r"^[A-Za-z_]\w*(?:\s*\|\s*[A-Za-z_]\w*)*$")

C_KEYWORDS = _KEYWORDS | PREPROCESSOR_WORDS


def strip_parens(text: str) -> str:
    """``text`` without the parentheses that wrap all of it: ``((a) | b)``
    becomes ``(a) | b``, ``(a) | (b)`` stays."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


def mask_members(body: str) -> tuple[str, ...]:
    """The identifiers of a mask body ``(A | B | C)`` (or an alias ``A``)."""
    text = strip_parens(" ".join(body.split()))
    if not text or not _MEMBER_RE.match(text):
        return ()
    names = tuple(n.strip() for n in text.split("|"))
    if len(names) == 1 and not names[0].isupper() and not names[0].startswith("_"):
        return ()
    return names


def read_macros(view: View, masked: tuple[str, ...]) -> tuple[Macro, ...]:
    """Every ``#define`` whose first line is in the view, continuations
    joined (comments already masked out in ``masked``)."""
    out: list[Macro] = []
    lines = view.lines
    i = 0
    while i < len(lines):
        m = _DEFINE_RE.match(masked[i])
        if not m:
            i += 1
            continue
        first = lines[i]
        parts = [m.group(3)]
        while parts[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            parts[-1] = parts[-1].rstrip()[:-1]
            i += 1
            parts.append(masked[i])
        if parts[-1].rstrip().endswith("\\"):
            parts[-1] = parts[-1].rstrip()[:-1]
        body = " ".join(" ".join(parts).split())
        params = None
        if m.group(2) is not None:
            params = tuple(p.strip() for p in m.group(2)[1:-1].split(",") if p.strip())
        elif m.group(3).startswith("("):
            # ``#define name(a, b, \`` with the parameters over several
            # lines: function-like all the same (the parenthesis touches
            # the name); the parameter list ends at the first ``)``
            head, _, rest = body[1:].partition(")")
            params = tuple(p.strip() for p in head.split(",") if p.strip())
            body = rest.strip()
        out.append(
            Macro(
                name=m.group(1),
                params=params,
                body=body,
                line=first,
                path=view.path,
                side=view.side,
                patch_index=view.patch_index,
                members=mask_members(body) if params is None else (),
            )
        )
        i += 1
    return tuple(out)


def read_includes(view: View, masked: tuple[str, ...]) -> tuple[Include, ...]:
    """Every ``#include`` line of the view."""
    out = []
    for line, text in zip(view.lines, masked):
        m = _INCLUDE_RE.match(line.text)
        if m and text.lstrip().startswith("#"):
            out.append(
                Include(
                    target=m.group(2).strip(),
                    system=m.group(1) == "<",
                    line=line,
                    path=view.path,
                    side=view.side,
                    patch_index=view.patch_index,
                )
            )
    return tuple(out)


def identifiers(masked: tuple[str, ...]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """(view line number, identifiers used on it) for lines that use any."""
    out = []
    for no, text in enumerate(masked, start=1):
        names = tuple(dict.fromkeys(n for n in _IDENT_RE.findall(text) if n not in C_KEYWORDS))
        if names:
            out.append((no, names))
    return tuple(out)


def line_identifiers(lines: tuple[CodeLine, ...]) -> tuple[str, ...]:
    """Identifiers used in ``lines`` (comments are not masked here)."""
    seen: dict[str, None] = {}
    for line in lines:
        for n in _IDENT_RE.findall(line.text):
            if n not in C_KEYWORDS:
                seen[n] = None
    return tuple(seen)
