"""Preprocessor conditionals as formulas, line by line.

``line_conditions(lines)`` follows ``#if``/``#ifdef``/``#ifndef``/
``#elif``/``#else``/``#endif`` through a view and gives, for every line, the
conditional blocks it sits in, each as a formula: ``#ifdef CONFIG_X`` and
``#if IS_ENABLED(CONFIG_X)`` are both the configuration atom of CONFIG_X,
``#else`` the negation of what came before.  A fragment that starts inside
a block (an ``#else`` or ``#endif`` without its ``#if``) leaves that outer
block unknown: it is the same before and after the patch.

Expressions are read by a small precedence parser over ``!``, ``&&``,
``||``, parentheses, ``defined`` and ``IS_ENABLED()``; anything else
(``LINUX_VERSION_CODE >= ...``) is one atom of its text.
"""

from __future__ import annotations

__all__ = ["Block", "line_conditions", "pp_formula"]

import re
from dataclasses import dataclass

from reviewpatch.csource.condexpr import config_formula
from reviewpatch.csource.formula import FALSE, TRUE, AtomKind, Formula, atom, conj, disj, neg

_DIRECTIVE_RE = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$")
_TOKEN_RE = re.compile(r"\s*(\|\||&&|[!()]|[A-Za-z_]\w*|\d\w*|\S)")
_CONFIG_TESTS = ("IS_ENABLED", "IS_BUILTIN", "IS_MODULE", "IS_REACHABLE")
_MAX_NEST = 32
# conditional blocks followed per line; deeper ones count as their outer ones
_MAX_BLOCKS = 64


@dataclass(frozen=True)
class Block:
    """One conditional block a line sits in: ``group`` numbers the
    ``#if ... #endif`` group in the view, ``cond`` is the formula of the
    branch the line is in."""

    group: int
    cond: Formula


def _defined(name: str) -> Formula:
    if name.startswith("CONFIG_"):
        return config_formula(name)
    return atom(AtomKind.COND, f"defined ( {name} )", f"defined({name})")


class _Parser:
    """Precedence parser over one directive's tokens (local to one call)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str:
        return self.tokens[self.i] if self.i < len(self.tokens) else ""

    def take(self) -> str:
        tok = self.peek()
        self.i += 1
        return tok

    def or_expr(self, depth: int) -> Formula:
        parts = [self.and_expr(depth)]
        while self.peek() == "||":
            self.take()
            parts.append(self.and_expr(depth))
        return disj(*parts)

    def and_expr(self, depth: int) -> Formula:
        parts = [self.unary(depth)]
        while self.peek() == "&&":
            self.take()
            parts.append(self.unary(depth))
        return conj(*parts)

    def unary(self, depth: int) -> Formula:
        nots = 0
        while self.peek() == "!":
            self.take()
            nots += 1
        f = self.primary(depth)
        return neg(f) if nots % 2 else f

    def primary(self, depth: int) -> Formula:
        tok = self.peek()
        if tok == "(" and depth < _MAX_NEST:
            self.take()
            f = self.or_expr(depth + 1)
            if self.peek() == ")":
                self.take()
            return f
        if tok == "defined":
            self.take()
            paren = self.peek() == "("
            if paren:
                self.take()
            name = self.take()
            if paren and self.peek() == ")":
                self.take()
            return _defined(name)
        if tok in _CONFIG_TESTS and self.tokens[self.i + 1 : self.i + 2] == ["("]:
            self.i += 2
            name = self.take()
            if self.peek() == ")":
                self.take()
            return config_formula(name)
        return self.opaque()

    def opaque(self) -> Formula:
        """Tokens up to the next ``&&``, ``||`` or unmatched ``)``."""
        start, depth = self.i, 0
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            if depth == 0 and tok in ("&&", "||", ")"):
                break
            depth += tok == "("
            depth -= tok == ")"
            self.i += 1
        words = self.tokens[start : self.i]
        if not words:
            self.i += 1
            return atom(AtomKind.COND, "pp ?", "?")
        if words == ["0"]:
            return FALSE
        if len(words) == 1 and words[0].isdigit():
            return TRUE
        if len(words) == 1 and words[0].startswith("CONFIG_"):
            return config_formula(words[0])
        text = " ".join(words)
        return atom(AtomKind.COND, f"pp {text}", text)


def pp_formula(directive: str, arg: str) -> Formula:
    """The formula of an ``#if``/``#ifdef``/``#ifndef``/``#elif`` line's
    condition."""
    arg = arg.strip()
    if directive in ("ifdef", "ifndef"):
        name = arg.split()[0] if arg.split() else "?"
        f = _defined(name)
        return neg(f) if directive == "ifndef" else f
    tokens = _TOKEN_RE.findall(arg)
    parser = _Parser(tokens)
    f = parser.or_expr(0)
    return f


def _joined(lines: list[str], i: int) -> tuple[str, int]:
    """Line ``i`` with its backslash continuations, and the next index."""
    text = lines[i]
    j = i + 1
    while text.rstrip().endswith("\\") and j < len(lines):
        text = text.rstrip()[:-1] + " " + lines[j]
        j += 1
    return text, j


def line_conditions(lines: list[str]) -> tuple[tuple[Block, ...], ...]:
    """For each line (comments already blanked), the conditional blocks
    it sits in, outermost first.  Lines in the same blocks share one tuple,
    and blocks nested deeper than ``_MAX_BLOCKS`` are left out (their
    lines count as inside the outer ones only): time and memory stay
    linear in the number of lines."""
    out: list[tuple[Block, ...]] = []
    stack: list[tuple[int, Formula, Formula]] = []  # (group, branch cond, taken so far)
    groups = 0
    here: tuple[Block, ...] = ()
    i = 0
    while i < len(lines):
        m = _DIRECTIVE_RE.match(lines[i])
        if m is None:
            out.append(here)
            i += 1
            continue
        text, nxt = _joined(lines, i)
        m = _DIRECTIVE_RE.match(text)
        assert m is not None
        kind, arg = m.group(1), m.group(2)
        at = here
        if kind in ("if", "ifdef", "ifndef"):
            groups += 1
            f = pp_formula(kind, arg) if len(stack) < _MAX_BLOCKS else TRUE
            stack.append((groups, f, f))
        elif kind == "elif" and stack:
            g, _, taken = stack.pop()
            f = pp_formula("if", arg) if len(stack) < _MAX_BLOCKS else TRUE
            stack.append((g, conj(neg(taken), f), disj(taken, f)))
        elif kind == "else" and stack:
            g, _, taken = stack.pop()
            stack.append((g, neg(taken), TRUE))
        elif kind == "endif" and stack:
            stack.pop()
        here = tuple(Block(g, c) for g, c, _ in stack[:_MAX_BLOCKS])
        out.extend([at] * (nxt - i))
        i = nxt
    return tuple(out)
