"""RP304 gate-misses-flag: the gated code tests a flag the new guard does not
let through, so that branch no longer runs when the flag is set alone."""

from __future__ import annotations

__all__ = ["gate_misses_flag"]

from collections.abc import Iterator

from reviewpatch.csource.formula import AtomKind
from reviewpatch.findings import Confidence, Severity
from reviewpatch.flow.analysis import Gate
from reviewpatch.flow.compare import Change
from reviewpatch.flow.describe import unseen_text, when
from reviewpatch.rules.c.claims import explanation
from reviewpatch.rules.c.common import flow, fn, hit_at, occurrence_evidence, reportable
from reviewpatch.rules.c.gating import gate_evidence, guard_text, words_of
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule


def _missed(ch: Change, gate: Gate) -> tuple[str, ...]:
    """The flags of the gate's variable that the case where ``ch``'s call
    stops running has set (and the guard therefore does not let through)."""
    lost = ch.comparison.lost
    if lost is None:
        return ()
    return tuple(
        lit.atom.name
        for lit in lost.literals
        if lit.value and lit.atom.kind is AtomKind.BIT and lit.atom.var == gate.var
    )


@rule(
    id="RP304",
    name="gate-misses-flag",
    severity=Severity.ERROR,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    family="semantic",
)
def gate_misses_flag(ctx: RuleContext) -> Iterator[Hit]:
    """The gated code tests a flag the new guard never lets through: that branch no longer runs when the flag is set alone.

    What it does
        For each call newly gated by a flag test, inlines the callee's body
        (what the hunks show, the whole body in tree mode, and the helpers
        it passes the flags to) and compares every call's condition before
        and after with a solver.  A call that ran when some flag was set
        and that the new guard no longer lets through is reported with the
        exact case: "when flags has _TIF_SINGLESTEP but none of
        _TIF_SYSCALL_TRACE, _TIF_SYSCALL_AUDIT, report_syscall_exit() ran
        before the patch and no longer runs".  An error when the callee's
        whole body comes from the tree (nothing else can run the branch
        along this path); a warning from the hunks alone; a note when the
        case depends on code the diff does not show.

    Why it matters
        The guard was meant to let the slow path run whenever it has work;
        a flag it forgets (single-step, a new tracing flag) silently stops
        that work, and nothing fails at build time.

    Example
        if (flags & _TIF_SYSCALL_EXIT_WORK)     /* no _TIF_SINGLESTEP */
                syscall_exit_work(regs, flags);
        where syscall_exit_work() does
                if (flags & (_TIF_SYSCALL_TRACE | _TIF_SINGLESTEP))
                        report_syscall_exit(regs);

    Use instead
        Add the flag to the mask or to the guard (|| flags & FLAG).
    """
    fa = flow(ctx)
    if fa is None or ctx.patch is None:
        return
    tree = ctx.code is not None and ctx.code.tree is not None
    seen: set[str] = set()
    for gate in fa.gates(ctx.patch.index):
        groups: dict[tuple[str, ...], list[Change]] = {}
        for ch in gate.inner:
            missed = _missed(ch, gate)
            if missed and reportable(fa, ch):
                groups.setdefault(missed, []).append(ch)
        for missed, group in sorted(groups.items()):
            if missed[0] in seen:
                continue
            seen.add(missed[0])
            group.sort(key=lambda c: (_depth(c, gate), c.callee))
            yield _missed_hit(ctx, gate, group[0], missed, tree, len(group) - 1)


def _depth(ch: Change, gate: Gate) -> int:
    return min((len(o.chain) for o in ch.old if gate.callee in o.chain[1:]), default=99)


def _missed_hit(
    ctx: RuleContext, gate: Gate, ch: Change, missed: tuple[str, ...], tree: bool, more: int
) -> Hit:
    assert ctx.patch is not None
    lost = ch.comparison.lost
    assert lost is not None
    inner = next((o for o in ch.old if gate.callee in o.chain[1:]), ch.old[0])
    guard = inner.site.guards[-1] if inner.site is not None and inner.site.guards else None
    tested = ""
    if guard is not None:
        through = ", ".join(f"{v}()" for v in guard.via)
        tested = f" ({guard.text}" + (f", through {through})" if through else ")")
    flags = " | ".join(missed)
    msg = (
        f"{fn(inner.holder)} tests {flags}{tested}, but the new guard of {fn(gate.callee)} "
        f"({guard_text(gate)}) does not let {'it' if len(missed) == 1 else 'them'} through: "
        f"{when(lost)}, {ch.callee}() ran before the patch and no longer runs"
    )
    if more:
        msg += f" (nor do {more} more call{'s' if more > 1 else ''} the same case skips)"
    evidence = (*gate_evidence(gate), occurrence_evidence(inner, f"in {fn(inner.holder)}"))
    if inner.site is not None:
        evidence += tuple(occurrence_evidence(inner, "tested here") for _ in inner.site.guards[-1:])
    doubt = ch.doubt(True)
    if doubt:
        msg += f" (if {unseen_text(lost)})" if not lost.robust else f" ({doubt})"
        return hit_at(gate.site, msg, missed[0], evidence, severity=Severity.NOTE)
    why = explanation(ctx.patch.message, ch.callee, words_of(lost, gate))
    if why is not None:
        msg += f' (explained by the commit message: "{why}")'
        return hit_at(gate.site, msg, missed[0], evidence, explained=True)
    whole = tree and gate.body is not None and gate.body.complete
    severity = None if whole else Severity.WARNING
    if not whole:
        msg += "; from the hunks alone (--tree would make it an error or clear it)"
    return hit_at(gate.site, msg, missed[0], evidence, severity=severity)
