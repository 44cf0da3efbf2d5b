"""Flag tests through helper functions.

A gated callee often does not test its flags itself: it hands them to a
helper (``report_single_step(flags)``, ``foo(regs, flags)``) or keeps a
helper's verdict in a local (``bool step = report_single_step(flags);``)
and tests that.  ``reach`` follows the flags variable from a function body
into the helpers it is passed to, at most ``MAX_DEPTH`` levels down,
mapping the argument to the helper's parameter, and collects every test of
the flags with the helper chain it was found through.

Helper bodies come from ``SeriesCode.function_body``: the series' own
hunks or files, else (tree mode) the kernel tree.  Only complete bodies
are followed: a partial body says too little to conclude anything.
"""

from __future__ import annotations

__all__ = ["MAX_DEPTH", "FlagUse", "Predicate", "Reach", "branch_is_veto", "reach", "uses_var"]

import re
from dataclasses import dataclass
from functools import lru_cache

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.conditions import disjuncts, normalise
from reviewpatch.csource.model import NEW, Call, Condition, Disjunct, FunctionBody
from reviewpatch.csource.prepare import mask_comments

MAX_DEPTH = 2

_WORD_RE = re.compile(r"[A-Za-z_]\w*")
_ASSIGN_RE = re.compile(r"^\s*(?:[A-Za-z_][\w\s\*]*?[\s\*])?([A-Za-z_]\w*)\s*=\s*([^=;][^;]*);\s*$")
_CALLS_RE = re.compile(r"[A-Za-z_]\w*\s*\(")
_CALL_RE = re.compile(r"^\(*\s*([A-Za-z_]\w*)\s*\((.*)\)\s*\)*$")
_RETURN_RE = re.compile(r"^\s*return\b\s*([^;]*);")
_VETO_RE = re.compile(r"^\s*return\s*(?:\(?\s*(?:false|0|NULL)\s*\)?)?\s*;\s*$")
_TRUE_RE = re.compile(r"^\s*return\s*\(?\s*(?:true|1)\s*\)?\s*;\s*$")


@dataclass(frozen=True)
class FlagUse:
    """A test of the flags (``var``, the name they have in the function
    that holds the test).  ``via``
    is the helper chain from the gated callee down to that function (empty
    for a test in the callee itself); ``veto`` is True when the branch only
    returns nothing, false, 0 or NULL (it does no work)."""

    condition: Condition
    var: str
    path: str
    via: tuple[str, ...]
    veto: bool


@dataclass(frozen=True)
class Predicate:
    """A flag verdict of a helper: the local ``name`` (or the call itself
    when ``name`` is empty) holds what ``helper`` returns, which is true
    when one of ``names`` (mask identifiers, not expanded) is set."""

    name: str
    helper: str
    names: tuple[str, ...]
    via: tuple[str, ...]


@dataclass(frozen=True)
class Reach:
    """What a function and the helpers it passes the flags to do with them:
    ``uses`` every flag test, ``predicates`` the locals and calls that stand
    for flag tests, ``identifiers`` (identifier, helper) the helpers name,
    ``helpers`` (helper, body, parameter receiving the flags) every helper
    followed."""

    uses: tuple[FlagUse, ...]
    predicates: tuple[Predicate, ...]
    identifiers: tuple[tuple[str, str], ...]
    helpers: tuple[tuple[str, FunctionBody, str], ...]

    def predicate(self, text: str) -> Predicate | None:
        """The predicate a condition term stands for (a local, or a call
        of a helper that returns a flag verdict), or None."""
        text = normalise(text)
        for p in self.predicates:
            if p.name and p.name == text:
                return p
        m = _CALL_RE.match(text)
        if m:
            for p in self.predicates:
                if not p.name and p.helper == m.group(1):
                    return p
        return None

    def helper(self, name: str) -> tuple[FunctionBody, str] | None:
        """The body of a helper that was followed and its flags parameter."""
        return next(((b, p) for n, b, p in self.helpers if n == name), None)


EMPTY = Reach((), (), (), ())


def uses_var(arg: str, var: str) -> bool:
    """True when the argument expression ``arg`` names ``var`` (``flags``,
    ``flags & MASK``, ``(u32)flags``); not for ``var->field`` nor
    ``p->var``."""
    return any(
        m.group(0) == var
        and not arg[m.end() :].lstrip().startswith(("->", "."))
        and not arg[: m.start()].rstrip().endswith(("->", "."))
        for m in _WORD_RE.finditer(arg)
    )


def branch_is_veto(body: FunctionBody, cond: Condition) -> bool:
    """True when the branch of an ``if`` only returns nothing/false/0/NULL."""
    return _branch_matches(body, cond, _VETO_RE)


def _branch_matches(body: FunctionBody, cond: Condition, pattern: re.Pattern[str]) -> bool:
    if cond.kind != "if":
        return False
    lines = [ln.text for ln in body.lines]
    nos = [ln.no for ln in body.lines]
    if cond.line.no not in nos:
        return False
    i = nos.index(cond.line.no)
    head = lines[i]
    close = head.rfind(")")
    tail = head[close + 1 :].strip() if close >= 0 else ""
    if tail and tail != "{":
        return bool(pattern.match(tail))
    rest = [ln for ln in lines[i + 1 : i + 4] if ln.strip() and ln.strip() != "{"]
    if not rest or not pattern.match(rest[0]):
        return False
    return tail != "{" or (len(rest) > 1 and rest[1].strip() == "}")


def _aliases(body: FunctionBody, var: str) -> tuple[str, ...]:
    """``var`` and the locals copied or masked from it without a call
    (``unsigned long work = flags & MASK;``)."""
    out = [var]
    for line in mask_comments([ln.text for ln in body.lines]):
        m = _ASSIGN_RE.match(line)
        fresh = m is not None and m.group(1) not in out and not _CALLS_RE.search(m.group(2))
        if m and fresh and any(uses_var(m.group(2), v) for v in out):
            out.append(m.group(1))
    return tuple(out)


def _flag_args(call: Call, names: tuple[str, ...], params: tuple[str, ...]) -> str | None:
    """The helper parameter that receives one of ``names``, or None."""
    for i, arg in enumerate(call.args):
        if any(uses_var(arg, v) for v in names) and i < len(params):
            return params[i]
    return None


@dataclass
class _Walk:
    """Mutable accumulator local to one ``reach`` call."""

    uses: list[FlagUse]
    predicates: list[Predicate]
    identifiers: list[tuple[str, str]]
    helpers: list[tuple[str, FunctionBody, str]]
    seen: set[str]


def reach(code: SeriesCode, body: FunctionBody, var: str) -> Reach:
    """Follow ``var`` (the flags parameter of ``body``'s function) through
    ``body`` and the helpers it is passed to (``MAX_DEPTH`` levels)."""
    walk = _Walk([], [], [], [], {body.function.name or ""})
    _follow(code, body, var, (), walk)
    return Reach(
        tuple(walk.uses), tuple(walk.predicates), tuple(walk.identifiers), tuple(walk.helpers)
    )


def _follow(
    code: SeriesCode, body: FunctionBody, var: str, via: tuple[str, ...], walk: _Walk
) -> None:
    names = _aliases(body, var)
    if len(via) < MAX_DEPTH:
        _into_helpers(code, body, names, via, walk)
    verdicts = Reach((), tuple(walk.predicates), (), ())
    for cond in body.tests:
        tested = next((t.var for d in cond.any_of for t in d.tests if t.var in names), None)
        if tested is None and any(verdicts.predicate(d.text) for d in cond.any_of):
            tested = var
        if tested is not None:
            walk.uses.append(
                FlagUse(cond, tested, body.function.path, via, branch_is_veto(body, cond))
            )


def _into_helpers(
    code: SeriesCode, body: FunctionBody, names: tuple[str, ...], via: tuple[str, ...], walk: _Walk
) -> None:
    """Follow the flags into every helper ``body`` passes them to."""
    candidates = [c for c in body.calls if any(uses_var(a, v) for a in c.args for v in names)]
    code.prefetch(tuple(dict.fromkeys(c.callee for c in candidates if c.callee not in walk.seen)))
    for call in candidates:
        if call.callee in walk.seen:
            continue
        helper = code.function_body(call.callee, NEW)
        if helper is None or not helper.complete:
            continue
        param = _flag_args(call, names, helper.function.params)
        if param is None:
            continue
        walk.seen.add(call.callee)
        walk.helpers.append((call.callee, helper, param))
        chain = via + (call.callee,)
        walk.identifiers.extend((i, call.callee) for i in helper.identifiers)
        returned = _returned(helper, param)
        if returned:
            walk.predicates.extend(_verdicts(body, call, returned, chain))
        _follow(code, helper, param, chain, walk)


def _verdicts(
    body: FunctionBody, call: Call, names: tuple[str, ...], via: tuple[str, ...]
) -> list[Predicate]:
    """The predicates a helper call makes: the call itself, and the local
    its result is stored in."""
    out = [Predicate("", call.callee, names, via)]
    for line in mask_comments([ln.text for ln in body.lines]):
        m = _ASSIGN_RE.match(line)
        cm = _CALL_RE.match(m.group(2).strip()) if m else None
        if m and cm and cm.group(1) == call.callee:
            out.append(Predicate(m.group(1), call.callee, names, via))
    return out


def _returned(helper: FunctionBody, param: str) -> tuple[str, ...]:
    """The flags (mask identifiers) whose being set makes ``helper`` return
    true: ``return flags & X;`` and ``if (flags & X) return true;``."""
    names = _aliases(helper, param)
    out: list[str] = []
    for line in mask_comments([ln.text for ln in helper.lines]):
        m = _RETURN_RE.match(line)
        if not m or not m.group(1).strip():
            continue
        for d in _expression_terms(m.group(1)):
            out.extend(n for t in d.tests if t.var in names for n in t.names)
    for cond in helper.tests:
        if _branch_matches(helper, cond, _TRUE_RE):
            out.extend(n for d in cond.any_of for t in d.tests if t.var in names for n in t.names)
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=512)
def _expression_terms(expr: str) -> tuple[Disjunct, ...]:
    """The ``||`` terms of a C expression, with their flag tests."""
    from reviewpatch.csource.facts import parse_c

    tree = parse_c(f"void f(void) {{ if ({expr}) ; }}\n")
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "if_statement":
            cond = node.child_by_field_name("condition")
            return disjuncts(cond) if cond is not None else ()
        stack.extend(node.children)
    return ()
