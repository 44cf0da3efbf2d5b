"""Definitions in C source text: find where a function body or a
``#define`` named ``name`` starts and ends.

Used by tree mode (``reviewpatch.kernel.tree``): ``git grep`` finds the
candidate lines with ``definition_patterns``; ``extract_definition`` cuts
the whole definition out of the file by brace matching (skipping comments,
strings and character literals) or by following backslash continuations.
"""

from __future__ import annotations

__all__ = [
    "Definition",
    "definition_lines",
    "ConditionMarks",
    "conditions_at",
    "conditions_by_line",
    "definition_patterns",
    "extract_definition",
    "rank_definitions",
]

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_BODY_LINES = 4000


@dataclass(frozen=True)
class Definition:
    """A C definition.  ``kind`` is "function" or "macro"; ``line`` the
    1-based line of its first line in ``path``; ``conditions`` the
    preprocessor conditions it is compiled under, outermost first, each as
    an ``#if`` expression (``defined(CONFIG_X)``, ``!defined(X)``, the
    negation of the earlier branches in an ``#else``)."""

    path: str
    line: int
    kind: str
    text: str
    conditions: tuple[str, ...] = ()

    @property
    def rank(self) -> int:
        """0: function in a .c file, 1: function in a header, 2: macro in
        a header, 3: macro elsewhere."""
        header = self.path.endswith(".h")
        if self.kind == "function":
            return 1 if header else 0
        return 2 if header else 3


def definition_patterns(name: str) -> tuple[str, ...]:
    """``git grep -E`` arguments matching the first line of a function
    definition (unindented, ``name`` followed by ``(``) or a ``#define`` of
    ``name``; empty unless ``name`` is a C identifier."""
    if not _IDENT_RE.match(name):
        return ()
    func = rf"^([A-Za-z_].*[^A-Za-z0-9_])?{name}[[:space:]]*\("
    macro = rf"^[[:space:]]*#[[:space:]]*define[[:space:]]+{name}([^A-Za-z0-9_]|$)"
    return ("-e", func, "-e", macro)


def definition_lines(text: str, name: str) -> list[int]:
    """1-based lines of ``text`` that ``definition_patterns(name)`` would
    match (the same two patterns, for text already in memory)."""
    if not _IDENT_RE.match(name) or name not in text:
        return []
    func = re.compile(r"(?:[A-Za-z_].*[^A-Za-z0-9_])?" + name + r"[ \t\f\v]*\(")
    macro = re.compile(r"[ \t\f\v]*#[ \t\f\v]*define[ \t\f\v]+" + name + r"(?![A-Za-z0-9_])")
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        if name in line and (func.match(line) or macro.match(line)):
            out.append(no)
    return out


def extract_definition(
    path: str,
    text: str,
    line: int,
    name: str,
    *,
    lines: list[str] | None = None,
    marks: ConditionMarks | None = None,
) -> Definition | None:
    """The definition of ``name`` whose first line is ``line`` (1-based) of
    ``text``; None for a prototype, a call or unbalanced braces.
    ``lines`` and ``marks`` (``ConditionMarks.of``) of the same text may be
    given by a caller that looks up many names in one file."""
    lines = text.splitlines() if lines is None else lines
    if not 0 < line <= len(lines):
        return None
    marks = ConditionMarks.of(text) if marks is None else marks
    if lines[line - 1].lstrip().startswith("#"):
        conds = marks.at(line - 1)
        return Definition(path, line, "macro", _macro_text(lines, line - 1), conds)
    got = _function_text(lines, line - 1, name)
    if got is None:
        return None
    return Definition(path, got[0], "function", got[1], marks.at(got[0] - 1))


_DIRECTIVE_RE = re.compile(
    r"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif|define)\b([^\n]*)$", re.MULTILINE
)


def conditions_at(lines: list[str], index: int) -> tuple[str, ...]:
    """The preprocessor conditions line ``index`` (0-based) sits under,
    outermost first (see ``Definition.conditions``)."""
    return conditions_by_line(lines[: index + 1])[index]


def conditions_by_line(lines: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """For each line, the preprocessor conditions it sits under (see
    ``conditions_at``): continuation lines and comments of a directive are
    left out of its expression, a header's include guard is no condition."""
    marks = ConditionMarks.of("\n".join(lines))
    return tuple(marks.at(i) for i in range(len(lines)))


@dataclass(frozen=True)
class ConditionMarks:
    """Where the preprocessor conditions of a file change: ``starts[k]``
    is the first 0-based line under ``conditions[k]``.  Found from the
    directive lines alone (a regular-expression scan of the text), so a
    file's marks cost little however long it is."""

    starts: tuple[int, ...]
    conditions: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, text: str) -> ConditionMarks:
        starts = [0]
        conds: list[tuple[str, ...]] = [()]
        stack: list[tuple[list[str], bool]] = []  # (each branch's own test, in #else)
        guard = ""  # an #ifndef just opened: a #define of it right below makes it a guard
        guard_line = -1
        line, pos = 0, 0
        for m in _DIRECTIVE_RE.finditer(text):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            word, rest = m.group(1), m.group(2)
            if word == "define":
                if (
                    guard
                    and line == guard_line + 1
                    and rest.split("(", 1)[0].split()[:1] == [guard]
                ):
                    stack[-1] = ([], False)  # the header's include guard: no condition
                else:
                    continue
            elif word in ("if", "ifdef", "ifndef"):
                expr = _expression(rest)
                cond = {"ifdef": f"defined({expr})", "ifndef": f"!defined({expr})"}.get(word, expr)
                stack.append(([cond], False))
                guard, guard_line = (expr, line) if word == "ifndef" else ("", -1)
            elif not stack or (word != "endif" and not stack[-1][0]):
                continue  # a block opened above the file, or the guard's #else
            elif word == "endif":
                stack.pop()
            elif word == "elif":
                stack[-1][0].append(_expression(rest))
            else:
                stack[-1] = (stack[-1][0], True)
            current = _current(stack)
            if current != conds[-1]:
                starts.append(line + 1)
                conds.append(current)
        return cls(tuple(starts), tuple(conds))

    def at(self, index: int) -> tuple[str, ...]:
        """The conditions of 0-based line ``index``."""
        return self.conditions[bisect.bisect_right(self.starts, index) - 1]


def _current(stack: list[tuple[list[str], bool]]) -> tuple[str, ...]:
    return tuple(_branch(tests, in_else) for tests, in_else in stack if tests)


def _branch(tests: list[str], in_else: bool) -> str:
    """The condition of the current branch of a group whose branches test
    ``tests`` in order."""
    before = tests if in_else else tests[:-1]
    parts = [f"!({t})" for t in before] + ([] if in_else else [tests[-1]])
    return (
        parts[0]
        if len(parts) == 1
        else " && ".join(p if p.startswith("!(") else f"({p})" for p in parts)
    )


def _expression(rest: str) -> str:
    """A directive's expression without its comment or continuation."""
    text = rest.split("/*", 1)[0].split("//", 1)[0].rstrip().rstrip("\\").strip()
    return " ".join(text.split())


def rank_definitions(found: Iterable[Definition]) -> tuple[Definition, ...]:
    """Best first: functions in .c files, in headers, then macros."""
    return tuple(sorted(found, key=lambda d: d.rank))


def _macro_text(lines: list[str], start: int) -> str:
    """A ``#define`` line with its backslash continuation lines."""
    end = start
    while end < len(lines) - 1 and lines[end].rstrip().endswith("\\"):
        end += 1
    return "\n".join(lines[start : end + 1]) + "\n"


def _function_text(lines: list[str], start: int, name: str) -> tuple[int, str] | None:
    """(1-based first line, text) of the function whose name is on line
    ``start``, through its closing brace; None for a prototype, a call or
    anything whose braces do not balance."""
    text = "\n".join(lines[start : start + _MAX_BODY_LINES])
    end = _body_end(text)
    if end is None:
        return None
    first = start
    prev = lines[start - 1].rstrip() if start > 0 else ""
    if (
        lines[start].startswith(name)
        and prev
        and not prev.endswith((";", "}", "*/", "{", "\\"))
        and not prev.lstrip().startswith("#")
    ):
        first = start - 1
    head = "\n".join(lines[first:start])
    return first + 1, (head + "\n" if head else "") + text[:end] + "\n"


def _body_end(text: str) -> int | None:
    """Offset just past the brace that closes the first top-level ``{`` of
    ``text``, skipping comments, strings and character literals; None when
    a ``;`` comes first (a prototype) or the braces never balance."""
    depth = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        two = text[i : i + 2]
        if two == "/*":
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
            continue
        if two == "//":
            close = text.find("\n", i)
            i = n if close < 0 else close
            continue
        if c in "\"'":
            i = _skip_literal(text, i)
            continue
        if c == ";" and depth == 0:
            return None
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
            if depth < 0:
                return None
        i += 1
    return None


def _skip_literal(text: str, i: int) -> int:
    """Offset just past the string or character literal opened at ``i``."""
    quote = text[i]
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == quote or text[j] == "\n":
            return j + 1
        j += 1
    return j
