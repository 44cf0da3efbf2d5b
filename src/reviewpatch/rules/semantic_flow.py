"""RP30x: control flow around calls — calls that moved under new conditions,
calls newly gated by a flag mask, and the masks that gate them."""

from __future__ import annotations

__all__ = [
    "gate_misses_flag",
    "gated_callee_side_effects",
    "mask_member_unused",
    "moved_call_conditional",
]

from collections.abc import Iterator

from reviewpatch.csource import Call, Condition, SeriesCode
from reviewpatch.csource.gated import (
    DeadTerm,
    dead_terms,
    skipped_calls,
    still_reached,
    used_by_name,
    used_flags,
)
from reviewpatch.csource.gates import Gate, describe, gates
from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.semantic_text import code_evidence

_TREE_HINT = "--tree would settle it"


def _callcode_evidence(call: Call, label: str) -> EvidenceLine:
    return code_evidence(call.line, call.path, label)


def _fn(name: str | None) -> str:
    return f"{name}()" if name else "an unknown function (fragment incomplete)"


def _hit(
    call: Call, message: str, symbol: str, evidence: tuple[EvidenceLine, ...], **kw: object
) -> Hit:
    side = "new" if call.side == "new" else "old"
    line = call.line.new_no if side == "new" else call.line.old_no
    return Hit(
        message=message,
        patch_index=call.patch_index,
        file=call.path,
        line=line,
        side=side,
        mail_line=call.line.mail_line,
        symbol=symbol,
        evidence=evidence,
        **kw,  # type: ignore[arg-type]
    )


def _code(ctx: RuleContext) -> SeriesCode | None:
    return ctx.code if isinstance(ctx.code, SeriesCode) and ctx.patch is not None else None


@rule(
    id="RP301",
    name="moved-call-conditional",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=True,
    family="semantic",
)
def moved_call_conditional(ctx: RuleContext) -> Iterator[Hit]:
    """A call moved to another place now runs under conditions it did not have.

    What it does
        Pairs each call removed at one place with the same call added at
        another (another function, hunk, file or patch of the series) and
        compares the conditions each runs under: enclosing if/else, loops,
        switch cases, && and || short circuits, ?:, and earlier returns or
        gotos in the same block.  It fires when the new place adds a
        condition the old place did not have.

    Why it matters
        Moving a call is often presented as a clean-up; when the call lands
        inside a branch, after an early return or behind a short circuit,
        it silently stops running in some cases.

    Example
        -	rseq_syscall(regs);        /* top of the slow path, always */
        +	if (flags & WORK)
        +		rseq_syscall(regs);

    Use instead
        Keep the call where it runs in every case it ran before, or say in
        the commit message why the new condition is enough.
    """
    code = _code(ctx)
    if code is None or ctx.patch is None:
        return
    seen: set[tuple[str, int]] = set()
    for move in code.moved_calls(ctx.patch.index):
        had = {c.key for c in move.removed.conditions}
        extra = tuple(c for c in move.added.conditions if c.key not in had)
        key = (move.added.callee, move.added.line.no)
        if not extra or key in seen:
            continue
        seen.add(key)
        yield _moved_hit(move.removed, move.added, extra)


def _moved_hit(removed: Call, added: Call, extra: tuple[Condition, ...]) -> Hit:
    what = "; ".join(describe(c) for c in extra)
    msg = (
        f"{added.callee}() moved from {_fn(removed.function)} to {_fn(added.function)} "
        f"now runs {what}; before it ran without that condition"
    )
    severity = None
    if not removed.context_complete:
        severity = Severity.NOTE
        msg += f" (the old place's enclosing code is not fully visible; {_TREE_HINT})"
    evidence = (
        _callcode_evidence(removed, "removed here"),
        _callcode_evidence(added, "added here"),
    ) + tuple(code_evidence(c.line, added.path, "condition") for c in extra)
    return _hit(added, msg, added.callee, evidence, severity=severity)


def _gate_text(gate: Gate) -> str:
    flags = " | ".join(gate.flags)
    extra = " or other conditions" if gate.opaque else ""
    return f"if ({gate.text}) — lets through {flags}{extra}"


def _gatecode_evidence(gate: Gate) -> tuple[EvidenceLine, ...]:
    g = gate.guarded
    out = [
        _callcode_evidence(g.old, "was called here"),
        _callcode_evidence(g.new, "now called here"),
    ]
    out += [
        code_evidence(c.line, g.new.path, "guard") for c in gate.conditions if c.line != g.new.line
    ]
    return tuple(out)


def _partial(gate: Gate) -> str:
    body = gate.body
    if body is None:
        return f"the body of {gate.callee}() is not in the series; {_TREE_HINT}"
    if body.complete:
        return f"from the whole body of {gate.callee}() ({body.source})"
    return f"the hunks show only part of {gate.callee}(); {_TREE_HINT}"


@rule(
    id="RP302",
    name="gated-callee-side-effects",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=True,
    family="semantic",
)
def gated_callee_side_effects(ctx: RuleContext) -> Iterator[Hit]:
    """A call that ran unconditionally is now gated by a flag test: what the callee did is skipped when no flag is set.

    What it does
        Finds call sites newly wrapped in a flag test such as
        ``if (flags & MASK)``, expands the mask macros (across the whole
        series), and lists every call inside the callee that is not itself
        guarded by a flag the new guard lets through: those now stop
        running when the guard is false.  One finding per such call; with
        only part of the callee visible a note says so.

    Why it matters
        Gating a slow path behind a "work pending" mask is a common
        optimisation; anything the slow path did unconditionally (auditing,
        accounting, debug checks) silently stops on the fast path.

    Example
        -	syscall_exit_work(regs, flags);
        +	if (flags & _TIF_SYSCALL_EXIT_WORK)
        +		syscall_exit_work(regs, flags);
        where syscall_exit_work() calls audit_syscall_exit() unconditionally.

    Use instead
        Move the unconditional work out of the gated function, add its
        flag to the mask, or explain in the commit message why skipping it
        is safe.
    """
    code = _code(ctx)
    if code is None or ctx.patch is None:
        return
    for gate in gates(code, ctx.patch.index):
        yield from _gate_hits(code, gate)


def _gate_hits(code: SeriesCode, gate: Gate) -> Iterator[Hit]:
    new = gate.guarded.new
    head = f"{gate.callee}() now runs only {_gate_text(gate)}"
    body = gate.body
    seen: set[str] = set()
    for skip in skipped_calls(code, gate):
        inner = skip.call
        if inner.callee in seen:
            continue
        seen.add(inner.callee)
        where = _where(gate, skip.via)
        msg = (
            f"{inner.callee}() in {where} ran on every call; now that {gate.callee}() runs "
            f"only if ({gate.text}), it is skipped unless one of {' | '.join(gate.flags)} is set"
        )
        if skip.covered_by:
            msg += (
                f"; the guard lets through {skip.covered_by}, named after it, so it is taken "
                f"to be the flag {inner.callee}() acts on"
            )
        if body is not None and not body.complete:
            msg += f" ({_partial(gate)})"
        evidence = _gatecode_evidence(gate) + (
            _callcode_evidence(inner, f"in {skip.via[-1] if skip.via else gate.callee}()"),
        )
        yield _hit(new, msg, inner.callee, evidence, explained=skip.covered_by is not None)
    if body is None or not body.complete:
        msg = f"{head}; {_partial(gate)} to list everything that is now skipped"
        yield _hit(new, msg, gate.callee, _gatecode_evidence(gate), severity=Severity.NOTE)


def _where(gate: Gate, via: tuple[str, ...]) -> str:
    """Where a call sits: the callee, or a helper it passes the flags to."""
    if not via:
        return f"{gate.callee}()"
    chain = " -> ".join(f"{n}()" for n in (gate.callee,) + via)
    return f"{via[-1]}() (called with the flags: {chain})"


@rule(
    id="RP303",
    name="mask-member-unused",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=True,
    family="semantic",
)
def mask_member_unused(ctx: RuleContext) -> Iterator[Hit]:
    """A member of a mask that gates a callee is never used by the gated code.

    What it does
        For each call newly gated by a mask, checks every member of the
        mask (expanded recursively) against the callee's body: a member is
        used when the body names it (directly or through another mask) or
        calls a function whose name shares the flag's distinctive word
        (_TIF_SYSCALL_AUDIT and audit_syscall_exit()).  When only part of
        the callee is visible, members it cannot confirm give a note.

    Why it matters
        A mask member the gated code never looks at makes the slow path
        run for nothing, and usually means the mask was copied from
        elsewhere or the code that handled the flag was moved away.

    Example
        #define _TIF_EXIT_WORK (_TIF_SYSCALL_TRACE | _TIF_SECCOMP)
        if (flags & _TIF_EXIT_WORK)
                exit_work(regs, flags);   /* never tests _TIF_SECCOMP */

    Use instead
        Drop the member from the mask, or handle it in the gated code.
    """
    code = _code(ctx)
    if code is None or ctx.patch is None:
        return
    for gate in gates(code, ctx.patch.index):
        used = used_flags(code, gate)
        done: set[str] = set()
        for mask, members in gate.masks:
            unsure: list[str] = []
            for member in members:
                if member in done or member in used:
                    continue
                done.add(member)
                if used_by_name(code, gate, member, members) is not None:
                    continue
                if gate.body is None or not gate.body.complete:
                    unsure.append(member)
                else:
                    yield _unused_hit(code, gate, mask, member)
            if unsure:
                yield _unsure_hit(code, gate, mask, tuple(unsure))


def _unsure_hit(code: SeriesCode, gate: Gate, mask: str, members: tuple[str, ...]) -> Hit:
    """One note for the members of ``mask`` that the visible part of the
    callee does not show in use."""
    names = ", ".join(members)
    them = "it" if len(members) == 1 else "them"
    msg = (
        f"{names} (in {mask}) {'gates' if len(members) == 1 else 'gate'} {gate.callee}(), "
        f"but {_partial(gate)}: cannot confirm the gated code uses {them}"
    )
    evidence = _gatecode_evidence(gate) + _maskcode_evidence(code, mask)
    symbol = members[0] if len(members) == 1 else mask
    return _hit(gate.guarded.new, msg, symbol, evidence, severity=Severity.NOTE)


def _unused_hit(code: SeriesCode, gate: Gate, mask: str, member: str) -> Hit:
    new = gate.guarded.new
    evidence = _gatecode_evidence(gate) + _maskcode_evidence(code, mask)
    msg = (
        f"{member} (in {mask}) gates {gate.callee}(), but {gate.callee}() never tests it "
        f"nor calls anything named after it ({_partial(gate)})"
    )
    return _hit(new, msg, member, evidence)


def _maskcode_evidence(code: SeriesCode, mask: str) -> tuple[EvidenceLine, ...]:
    defs = code.macro_defs(mask)
    if not defs:
        return ()
    return (code_evidence(defs[0].line, defs[0].path, f"{mask} defined here"),)


@rule(
    id="RP304",
    name="gate-misses-flag",
    severity=Severity.ERROR,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=True,
    family="semantic",
)
def gate_misses_flag(ctx: RuleContext) -> Iterator[Hit]:
    """The gated code tests a flag the new guard never lets through: that branch no longer runs when the flag is set alone.

    What it does
        For each call newly gated by flag tests, reads the callee's body
        (what the hunks show, or the whole body in tree mode) and finds
        tests of the same flags variable whose flags are neither in the
        guard's masks (expanded) nor let through by another part of the
        guard.  Such a branch still runs when one of the guard's flags is
        set too, but no longer when its flag is set without any of them.
        An error when the flags are distinct bits and the tree shows the
        callee (and each helper on the way) called only through this
        guard; else a warning (hunk mode, other callers, a shared bit).

    Why it matters
        The guard was meant to let the slow path run whenever it has work;
        a flag it forgets (single-step, a new tracing flag) silently stops
        that work, and nothing fails at build time.

    Example
        if (flags & _TIF_SYSCALL_EXIT_WORK)     /* no _TIF_SINGLESTEP */
                syscall_exit_work(regs, flags);
        where syscall_exit_work() tests flags & _TIF_SINGLESTEP.

    Use instead
        Add the flag to the mask or to the guard (|| flags & FLAG).
    """
    code = _code(ctx)
    if code is None or ctx.patch is None:
        return
    for gate in gates(code, ctx.patch.index):
        seen: set[tuple[str, str]] = set()
        for dead in dead_terms(code, gate):
            key = (dead.term, dead.condition.text)
            if key not in seen:
                seen.add(key)
                yield _dead_hit(gate, dead, _dead_severity(code, gate, dead))


def _dead_severity(code: SeriesCode, gate: Gate, dead: DeadTerm) -> tuple[Severity, str]:
    """Error only when nothing else reaches the branch; else a warning and why."""
    why = still_reached(code, gate, dead)
    return (Severity.WARNING, f"; {why}") if why else (Severity.ERROR, "")


def _dead_hit(gate: Gate, dead: DeadTerm, severity: tuple[Severity, str]) -> Hit:
    how = f"through {dead.verdict}()" if dead.verdict else ""
    if dead.via:
        how = (how + " " if how else "") + f"in {_where(gate, dead.via)}"
    test = f"if ({dead.condition.text})" + (f", {how}" if how else "")
    alone = f"when {' or '.join(dead.leaves)} is set without any of {' | '.join(gate.flags)}"
    if dead.term == dead.condition.text:
        dead_what = f"the branch that tests {' | '.join(dead.leaves)} no longer runs {alone}"
    else:
        dead_what = f"its term ({dead.term}) no longer gets there {alone}"
    msg = (
        f"{gate.callee}() tests {' | '.join(dead.leaves)} ({test}), but the new guard "
        f"{_gate_text(gate)}: {dead_what}{severity[1]}"
    )
    label = f"tested in {dead.via[-1] if dead.via else gate.callee}()"
    if dead.verdict:
        label += f" through {dead.verdict}()"
    evidence = _gatecode_evidence(gate) + (code_evidence(dead.condition.line, dead.path, label),)
    return _hit(gate.guarded.new, msg, dead.leaves[0], evidence, severity=severity[0])
