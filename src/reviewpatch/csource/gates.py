"""Flag gates: call sites newly guarded by a bit test such as
``if (flags & MASK)``, with the masks expanded, and what the gated callee
does with the flags."""

from __future__ import annotations

__all__ = ["Gate", "describe", "flag_gate_conditions", "gates", "term_leaves", "test_leaves"]

from dataclasses import dataclass, replace

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.helpers import EMPTY, Predicate, Reach, reach
from reviewpatch.csource.model import NEW, Condition, Disjunct, FunctionBody, GuardedCall

_POSITIVE = ("if", "and", "ternary")
_PHRASES = {
    "if": "only if ({})",
    "else": "only in the else branch of if ({})",
    "loop": "only inside the loop on ({})",
    "case": "only in case {}",
    "and": "only when ({}) holds (&&)",
    "or": "only when ({}) is false (||)",
    "ternary": "when ({}) holds (?:)",
    "ternary-else": "when ({}) is false (?:)",
    "early-exit": "only when ({}) is false (after an early exit)",
}


def describe(cond: Condition) -> str:
    """A short phrase for a condition, e.g. ``only if (flags & X)``."""
    return _PHRASES.get(cond.kind, "only under ({})").format(cond.text)


@dataclass(frozen=True)
class Gate:
    """A call site newly guarded by flag tests.  ``flags`` are the flags the
    guard lets through, masks expanded; ``masks`` the mask macros of the
    guard with their expanded members; ``opaque`` is True when some ``||``
    term of the guard tests something other than flags (so the callee may
    run without any of ``flags``); ``vars`` the variables tested;
    ``reach`` what the callee and the helpers it passes the flags to test."""

    guarded: GuardedCall
    conditions: tuple[Condition, ...]
    flags: tuple[str, ...]
    masks: tuple[tuple[str, tuple[str, ...]], ...]
    opaque: bool
    vars: tuple[str, ...]
    body: FunctionBody | None
    reach: Reach = EMPTY

    @property
    def callee(self) -> str:
        return self.guarded.new.callee

    @property
    def text(self) -> str:
        """The guard as written, conditions joined with ``&&``."""
        return " && ".join(
            f"({c.text})" if len(self.conditions) > 1 else c.text for c in self.conditions
        )

    def param_for(self, var: str) -> str:
        """The callee's parameter that receives ``var`` (``var`` itself when
        the callee's head or the argument is not known)."""
        args = self.guarded.new.args
        params = self.body.function.params if self.body is not None else ()
        if var in args:
            i = args.index(var)
            if i < len(params):
                return params[i]
        return var


def flag_gate_conditions(g: GuardedCall) -> tuple[Condition, ...]:
    """The positive conditions of the guard that test flags."""
    return tuple(
        c
        for c in g.guard
        if c.kind in _POSITIVE and not c.negated and any(d.tests for d in c.any_of)
    )


def gates(code: SeriesCode, patch_index: int | None = None) -> tuple[Gate, ...]:
    """Every call site of a patch (or of the series) newly guarded by a
    flag test, with what the callee does with the flags."""
    found = code.memo(("gates",), lambda: _all_gates(code))
    return tuple(
        g for g in found if patch_index is None or g.guarded.new.patch_index == patch_index
    )


def _all_gates(code: SeriesCode) -> tuple[Gate, ...]:
    guarded = [(g, conds) for g in code.guarded_calls() if (conds := flag_gate_conditions(g))]
    tested = [
        n for _, conds in guarded for c in conds for d in c.any_of for t in d.tests for n in t.names
    ]
    code.prefetch(tuple(g.new.callee for g, _ in guarded) + tuple(tested))
    _prefetch_members(code, tuple(dict.fromkeys(tested)))
    made = [_gate(code, g, conds) for g, conds in guarded]
    return tuple(replace(g, reach=_reach(code, g)) for g in made)


def _prefetch_members(code: SeriesCode, names: tuple[str, ...]) -> None:
    """Batch the lookups that expanding the masks ``names`` will make,
    one level at a time."""
    seen = set(names)
    level = names
    for _ in range(4):
        members = [
            m
            for n in level
            for d in code.macro_defs(n, NEW)[:1]
            for m in d.members
            if m not in seen
        ]
        if not members:
            return
        seen.update(members)
        level = tuple(dict.fromkeys(members))
        code.prefetch(level)


def _gate(code: SeriesCode, g: GuardedCall, conds: tuple[Condition, ...]) -> Gate:
    names: list[str] = []
    vars_: list[str] = []
    opaque = False
    for c in conds:
        for d in c.any_of:
            opaque = opaque or not d.tests
            for t in d.tests:
                names.extend(t.names)
                vars_.append(t.var)
    masks = tuple(
        (n, members) for n in dict.fromkeys(names) if (members := code.macro(n, NEW)) is not None
    )
    return Gate(
        guarded=g,
        conditions=conds,
        flags=code.expand(tuple(dict.fromkeys(names)), NEW),
        masks=masks,
        opaque=opaque,
        vars=tuple(dict.fromkeys(vars_)),
        body=code.function_body(g.new.callee, NEW),
    )


def _reach(code: SeriesCode, gate: Gate) -> Reach:
    """The flag tests of the callee and its helpers, for every variable
    the guard tests (passed to the callee)."""
    if gate.body is None:
        return EMPTY
    parts = [reach(code, gate.body, gate.param_for(v)) for v in gate.vars]
    if len(parts) == 1:
        return parts[0]
    return Reach(
        uses=tuple(u for p in parts for u in p.uses),
        predicates=tuple(x for p in parts for x in p.predicates),
        identifiers=tuple(x for p in parts for x in p.identifiers),
        helpers=tuple(dict.fromkeys(x for p in parts for x in p.helpers)),
    )


def term_leaves(
    code: SeriesCode, d: Disjunct, var: str, found: Reach = EMPTY
) -> tuple[str, ...] | None:
    """The flags (expanded) one ``||`` term tests on ``var`` (directly, or
    through a helper's verdict in ``found``), or None when it tests none."""
    tested = [t for t in d.tests if t.var == var]
    if tested:
        return code.expand(tuple(n for t in tested for n in t.names), NEW)
    verdict: Predicate | None = found.predicate(d.text)
    if verdict is not None:
        return code.expand(verdict.names, NEW)
    return None


def test_leaves(
    code: SeriesCode, cond: Condition, var: str, found: Reach = EMPTY
) -> tuple[str, ...] | None:
    """The flags (expanded) a condition tests on ``var``, or None when some
    ``||`` term tests something else (so the branch can run without them).
    With ``found``, a term that is a helper's flag verdict (``step`` from
    ``step = report_single_step(flags)``) counts as the flags it tests."""
    leaves: list[str] = []
    for d in cond.any_of:
        got = term_leaves(code, d, var, found)
        if not got:
            return None
        leaves.extend(got)
    return tuple(dict.fromkeys(leaves)) or None
