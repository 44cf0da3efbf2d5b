"""RP302 gated-callee-side-effects: a call newly gated by a flag test stops
doing what its callee did whatever the flags."""

from __future__ import annotations

__all__ = ["gated_callee_side_effects"]

from collections.abc import Iterator

from reviewpatch.csource.model import NEW
from reviewpatch.findings import Confidence, Severity
from reviewpatch.flow.analysis import Gate
from reviewpatch.flow.compare import Change
from reviewpatch.flow.describe import unseen_text, when
from reviewpatch.rules.c.claims import MessageClaim, contradicts, explanation, read_claims
from reviewpatch.rules.c.common import flow, fn, hit_at, occurrence_evidence, reportable
from reviewpatch.rules.c.gating import (
    covering_flag,
    gate_evidence,
    guard_text,
    partial_note,
    words_of,
)
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule


def _flag_free(ch: Change, gate: Gate) -> bool:
    """Whether the case where the call stops running needs no flag of the
    gate's variable set (else it is RP304's business)."""
    lost = ch.comparison.lost
    return lost is not None and not any(
        lit.value and lit.atom.var == gate.var and lit.atom.kind.value == "bit"
        for lit in lost.literals
    )


@rule(
    id="RP302",
    name="gated-callee-side-effects",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    family="semantic",
)
def gated_callee_side_effects(ctx: RuleContext) -> Iterator[Hit]:
    """A call that ran unconditionally is now gated by a flag test: what the callee did is skipped when no flag is set.

    What it does
        Finds calls that ran whenever their caller did and now run only
        when some flags are set (``if (flags & MASK)``, masks expanded
        across the series and the tree), inlines the callee's body as far
        as it is visible (and the helpers it calls), and compares, for
        every call inside, the condition before and after with a solver.
        Each call that ran before whatever the flags and now stops when
        none of the guard's flags is set is reported with that case.  A
        call named after one of the guard's flags (audit_syscall_exit()
        and _TIF_SYSCALL_AUDIT) is taken to act on that flag and is only a
        note; so is one the commit message explains by naming it and the
        flag.  When only part of the callee is visible, a note says what
        cannot be judged.

    Why it matters
        Gating a slow path behind a "work pending" mask is a common
        optimisation; anything the slow path did unconditionally (auditing,
        accounting, debug checks) silently stops on the fast path.

    Example
        -	syscall_exit_work(regs, flags);
        +	if (flags & _TIF_SYSCALL_EXIT_WORK)
        +		syscall_exit_work(regs, flags);
        where syscall_exit_work() calls rseq_syscall() unconditionally:
        when flags has none of the mask's flags, rseq_syscall() no longer
        runs.

    Use instead
        Move the unconditional work out of the gated function, add its
        flag to the mask, or explain in the commit message why skipping it
        is safe.
    """
    fa = flow(ctx)
    if fa is None or ctx.patch is None:
        return
    gates = fa.gates(ctx.patch.index)
    symbols = {c.callee for g in gates for c in g.inner}
    claims = read_claims(ctx.patch.message, symbols)
    seen: set[str] = set()
    bodies = fa.bodies(ctx.patch.index)
    for gate in gates:
        for ch in gate.inner:
            if ch.callee in seen or not reportable(fa, ch) or not _flag_free(ch, gate):
                continue
            inlined = bodies.get(ch.callee, NEW)
            if inlined is not None and inlined.head_visible:
                continue  # a helper in view: what it does is judged call by call
            seen.add(ch.callee)
            yield _skipped_hit(ctx, gate, ch, claims)
        note = partial_note(gate)
        if note is not None and gate.callee not in seen:
            seen.add(gate.callee)
            msg = (
                f"{fn(gate.callee)} now runs only if ({guard_text(gate)}); {note}, so what it "
                "does whatever the flags cannot all be listed"
            )
            yield hit_at(gate.site, msg, gate.callee, gate_evidence(gate), severity=Severity.NOTE)


def _skipped_hit(ctx: RuleContext, gate: Gate, ch: Change, claims: tuple[MessageClaim, ...]) -> Hit:
    assert ctx.patch is not None
    lost = ch.comparison.lost
    assert lost is not None
    inner = next((o for o in ch.old if gate.callee in o.chain[1:]), ch.old[0])
    where = fn(inner.holder)
    if inner.holder != gate.callee:
        where += f" (called from {fn(gate.callee)})"
    msg = (
        f"{ch.callee}() in {where} ran whenever {fn(gate.callee)} was called; now that "
        f"{fn(gate.callee)} runs only if ({guard_text(gate)}), it no longer runs {when(lost)}"
    )
    evidence = (*gate_evidence(gate), occurrence_evidence(inner, f"in {fn(inner.holder)}"))
    doubt = ch.doubt(True)
    if doubt:
        msg += f" (if {unseen_text(lost)})" if not lost.robust else f" ({doubt})"
        return hit_at(gate.site, msg, ch.callee, evidence, severity=Severity.NOTE)
    claim = contradicts(claims, ch.callee)
    if claim is not None:
        msg += f'; the commit message says "{claim.sentence}"'
        return hit_at(gate.site, msg, ch.callee, evidence)
    cover = covering_flag(ch.callee, gate.flags)
    if cover is not None:
        msg += (
            f"; the guard lets through {cover}, named after it, so it is taken to be the "
            f"flag {ch.callee}() acts on"
        )
        return hit_at(gate.site, msg, ch.callee, evidence, explained=True)
    why = explanation(ctx.patch.message, ch.callee, words_of(lost, gate))
    if why is not None:
        msg += f' (explained by the commit message: "{why}")'
        return hit_at(gate.site, msg, ch.callee, evidence, explained=True)
    return hit_at(gate.site, msg, ch.callee, evidence)
