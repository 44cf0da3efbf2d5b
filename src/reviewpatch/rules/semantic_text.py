"""Small, conservative readings of C diff text for the RP305-RP309 rules.

These helpers work on the lines of one hunk side (context and removed lines
for the old side, context and added lines for the new side), in kernel
coding style: function heads start in column 0, bodies are indented, a
function ends with ``}`` in column 0.  They never guess: where a fact cannot
be read from the lines (a function whose head is not shown), they say
``None``.
"""

from __future__ import annotations

__all__ = [
    "C_SUFFIXES",
    "SideLine",
    "is_c_path",
    "side_lines",
    "strip_code",
    "word_re",
    "calls_in",
    "function_head",
    "enclosing_functions",
    "function_body",
    "evidence",
    "c_files",
    "KEYWORDS",
]

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from reviewpatch.findings import EvidenceLine
from reviewpatch.model import DiffLine, FileDiff, Hunk, LineKind

C_SUFFIXES = (".c", ".h", ".S", ".inc")
KEYWORDS = frozenset(
    "if else for while do switch case default return goto break continue sizeof typeof "
    "__typeof__ defined alignof _Alignof offsetof __builtin_expect asm __asm__ "
    "volatile __attribute__ likely unlikely struct union enum".split()
)
_CALL_RE = re.compile(r"(?<![\w.>])(?<!->)([A-Za-z_]\w*)\s*\(")
_HEAD_RE = re.compile(r"^[A-Za-z_][\w \t\*]*?[\s\*]([A-Za-z_]\w*)\s*\(")


@dataclass(frozen=True)
class SideLine:
    """One line of one side of a hunk: the diff line and its code with
    comments and string literals blanked out."""

    line: DiffLine
    code: str

    @property
    def text(self) -> str:
        return self.line.text

    @property
    def changed(self) -> bool:
        return self.line.kind is not LineKind.CONTEXT


def is_c_path(path: str) -> bool:
    """True for C sources and headers."""
    return path.endswith(C_SUFFIXES)


def strip_code(text: str, in_comment: bool) -> tuple[str, bool]:
    """``text`` with comments, string and character literals replaced by
    spaces (``"..."`` keeps its quotes), and whether a ``/* */`` comment is
    still open at its end."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if in_comment:
            end = text.find("*/", i)
            if end < 0:
                out.append(" " * (n - i))
                return "".join(out), True
            out.append(" " * (end + 2 - i))
            i, in_comment = end + 2, False
        elif text.startswith("/*", i):
            in_comment = True
        elif text.startswith("//", i):
            out.append(" " * (n - i))
            break
        elif text[i] in "\"'":
            quote, j = text[i], i + 1
            while j < n and text[j] != quote:
                j += 2 if text[j] == "\\" else 1
            out.append(quote + " " * (min(j, n) - i - 1) + (quote if j < n else ""))
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out), in_comment


def side_lines(hunk: Hunk, side: str) -> tuple[SideLine, ...]:
    """The lines of ``side`` ("old" or "new") of ``hunk`` with their code."""
    skip = LineKind.ADDED if side == "old" else LineKind.REMOVED
    out: list[SideLine] = []
    in_comment = False
    for line in hunk.lines:
        if line.kind is skip:
            continue
        stripped = line.text.lstrip()
        if not in_comment and stripped.startswith("*") and not stripped.startswith("*/"):
            code = ""  # a comment continuation line whose opener is not shown
        else:
            code, in_comment = strip_code(line.text, in_comment)
        out.append(SideLine(line, code))
    return tuple(out)


def word_re(name: str) -> re.Pattern[str]:
    """A pattern matching ``name`` as a whole identifier."""
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


def _balanced(code: str, start: int) -> str:
    """The text inside the parentheses opening at ``code[start]`` (to the end
    of the line when they do not close on it)."""
    depth = 0
    for i in range(start, len(code)):
        if code[i] == "(":
            depth += 1
        elif code[i] == ")":
            depth -= 1
            if depth == 0:
                return code[start + 1 : i]
    return code[start + 1 :]


def calls_in(code: str) -> tuple[tuple[str, str, int], ...]:
    """Calls on one line of code: (name, argument text, column)."""
    out = []
    for m in _CALL_RE.finditer(code):
        name = m.group(1)
        if name in KEYWORDS:
            continue
        out.append((name, _balanced(code, m.end() - 1), m.start()))
    return tuple(out)


def function_head(code: str) -> str | None:
    """The name defined when ``code`` looks like the first line of a
    function definition head (column 0, a type before the name, not ending
    in ``;``), else None."""
    if not code or code[0] in " \t#}{/" or code.rstrip().endswith((";", ",")):
        return None
    m = _HEAD_RE.match(code)
    if not m or "=" in code[: m.start(1)]:
        return None
    name = m.group(1)
    first = code.split()[0]
    if name in KEYWORDS or first in ("return", "typedef", "else", "extern"):
        return None
    return name


def _starts_inside(hunk: Hunk, lines: Sequence[SideLine]) -> str | None:
    """The function the hunk starts inside, from git's section header, when
    the first code line is indented (so no other head can stand between)."""
    name = function_head(hunk.section.strip())
    if name is None:
        return None
    for sl in lines:
        if not sl.code.strip() or sl.code.lstrip().startswith("#"):
            continue
        return name if sl.code[0] in " \t}{" else None
    return None


def enclosing_functions(hunk: Hunk, lines: Sequence[SideLine]) -> tuple[str | None, ...]:
    """For each of ``lines`` (one side of ``hunk``), the name of the function
    whose head or body holds it, or None (outside any function, or not
    known)."""
    current = _starts_inside(hunk, lines)
    pending: str | None = None
    out: list[str | None] = []
    for sl in lines:
        code = sl.code.rstrip()
        head = function_head(code)
        if head is not None:
            current, pending = (head, None) if code.endswith("{") else (None, head)
            out.append(head)
        elif pending is not None:
            out.append(pending)
            if code.startswith("{") or code.endswith("{"):
                current, pending = pending, None
            elif code.endswith(";"):
                out[-1] = pending = None
        elif code.startswith("}"):
            out.append(current)
            current = None
        else:
            out.append(current)
    return tuple(out)


def function_body(
    hunk: Hunk, lines: Sequence[SideLine], name: str
) -> tuple[SideLine, ...] | None:
    """The lines of function ``name`` in ``lines`` when its head and its
    closing brace are both shown, else None."""
    owners = enclosing_functions(hunk, lines)
    start = None
    for i, sl in enumerate(lines):
        if function_head(sl.code) == name:
            start = i
        elif start is not None and sl.code.startswith("}") and owners[i] == name:
            return tuple(lines[start : i + 1])
    return None


def evidence(
    path: str, lines: Iterable[DiffLine], label: str = ""
) -> tuple[EvidenceLine, ...]:
    """Evidence lines for diff lines of ``path``."""
    return tuple(
        EvidenceLine(
            text=ln.text,
            kind=ln.kind.value,
            file=path,
            old_no=ln.old_no,
            new_no=ln.new_no,
            mail_line=ln.mail_line,
            label=label,
        )
        for ln in lines
    )


def c_files(files: Iterable[FileDiff]) -> tuple[FileDiff, ...]:
    """The files of a patch that are C sources or headers."""
    return tuple(f for f in files if is_c_path(f.path) and not f.is_binary)
