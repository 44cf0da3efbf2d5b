"""Flag gates: call sites newly guarded by a bit test such as
``if (flags & MASK)``, with the masks expanded, and what the gated callee
does with the flags."""

from __future__ import annotations

__all__ = ["Gate", "describe", "flag_gate_conditions", "gates", "test_leaves"]

from dataclasses import dataclass

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.model import NEW, Condition, FunctionBody, GuardedCall

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
    run without any of ``flags``); ``vars`` the variables tested."""

    guarded: GuardedCall
    conditions: tuple[Condition, ...]
    flags: tuple[str, ...]
    masks: tuple[tuple[str, tuple[str, ...]], ...]
    opaque: bool
    vars: tuple[str, ...]
    body: FunctionBody | None

    @property
    def callee(self) -> str:
        return self.guarded.new.callee

    @property
    def text(self) -> str:
        """The guard as written, conditions joined with ``&&``."""
        return " && ".join(f"({c.text})" if len(self.conditions) > 1 else c.text for c in self.conditions)

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
        c for c in g.guard if c.kind in _POSITIVE and not c.negated and any(d.tests for d in c.any_of)
    )


def gates(code: SeriesCode, patch_index: int | None = None) -> tuple[Gate, ...]:
    """Every call site of a patch newly guarded by a flag test."""
    out = []
    for g in code.guarded_calls(patch_index):
        conds = flag_gate_conditions(g)
        if not conds:
            continue
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
        out.append(
            Gate(
                guarded=g,
                conditions=conds,
                flags=code.expand(tuple(dict.fromkeys(names)), NEW),
                masks=masks,
                opaque=opaque,
                vars=tuple(dict.fromkeys(vars_)),
                body=code.function_body(g.new.callee, NEW),
            )
        )
    return tuple(out)


def test_leaves(code: SeriesCode, cond: Condition, var: str) -> tuple[str, ...] | None:
    """The flags (expanded) a condition tests on ``var``, or None when some
    ``||`` term tests something else (so the branch can run without them)."""
    leaves: list[str] = []
    for d in cond.any_of:
        tested = [t for t in d.tests if t.var == var]
        if not tested:
            return None
        for t in tested:
            leaves.extend(code.expand(t.names, NEW))
    return tuple(dict.fromkeys(leaves)) or None
