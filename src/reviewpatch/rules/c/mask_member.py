"""RP303 mask-member-unused: a member of a mask that gates a callee is never
used by the code it gates."""

from __future__ import annotations

__all__ = ["mask_member_unused"]

from collections.abc import Iterator

from reviewpatch.csource.formula import AtomKind, atoms_of
from reviewpatch.csource.model import OLD
from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.flow.analysis import FlowAnalysis, Gate
from reviewpatch.flow.compare import REST, Occurrence
from reviewpatch.rules.c.common import code_evidence, flow, fn, hit_at
from reviewpatch.rules.c.gating import gate_evidence, named_after, partial_note
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule


def _region(fa: FlowAnalysis, gate: Gate) -> list[Occurrence]:
    """Every call the gated callee makes (helpers inlined), before the patch."""
    found = fa.occurrences(gate.change.patch_index, gate.root, OLD)
    return [o for occs in found.values() for o in occs if gate.callee in o.chain[1:]]


def _used(
    fa: FlowAnalysis, gate: Gate, region: list[Occurrence], member: str, members: tuple[str, ...]
) -> bool:
    index = gate.change.patch_index
    key = fa.flag_key(index, member)
    for occ in region:
        for a in atoms_of(occ.local):
            if a.kind is AtomKind.BIT and a.key.endswith(f" & {key}"):
                return True
        if named_after(occ.callee, member, members):
            return True
    names = {n for o in region for n in o.piece.names}
    if gate.body is not None:
        names |= {n for p in gate.body.pieces for n in p.names}
    binder = fa.binder(index, OLD)
    return any(key in {fa.flag_key(index, leaf) for leaf in binder.expand(n)} for n in names)


def _whole(fa: FlowAnalysis, gate: Gate, region: list[Occurrence]) -> bool:
    """Whether everything the callee does with the flags is in view."""
    if partial_note(gate) is not None or any(o.callee.startswith(REST) for o in region):
        return False
    bodies = fa.bodies(gate.change.patch_index)
    for occ in region:
        site = occ.site
        if site is not None and any(gate.var and gate.var in a for a in site.args):
            seen = bodies.get(occ.callee, OLD)
            if seen is None or not seen.complete:
                return False  # the flags go to a function whose body is not in view
    return True


@rule(
    id="RP303",
    name="mask-member-unused",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    family="semantic",
)
def mask_member_unused(ctx: RuleContext) -> Iterator[Hit]:
    """A member of a mask that gates a callee is never used by the gated code.

    What it does
        For each call newly gated by a mask, checks every member of the
        mask (expanded recursively) against the callee's body and the
        helpers it passes the flags to: a member is used when that code
        tests it (directly, through another mask, or through a helper that
        tests it), names it, or calls a function named after it
        (_TIF_SYSCALL_AUDIT and audit_syscall_exit()).  It warns only when
        all of that code is in view; otherwise one note lists the members
        it cannot confirm.

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
    fa = flow(ctx)
    if fa is None or ctx.patch is None:
        return
    done: set[str] = set()
    for gate in fa.gates(ctx.patch.index):
        region = _region(fa, gate)
        whole = _whole(fa, gate, region)
        for mask, members in gate.masks:
            unsure: list[str] = []
            for member in members:
                if member in done or _used(fa, gate, region, member, members):
                    continue
                done.add(member)
                if whole:
                    yield _unused_hit(fa, gate, mask, member)
                else:
                    unsure.append(member)
            if unsure:
                yield _unsure_hit(fa, gate, mask, tuple(unsure))


def _mask_evidence(fa: FlowAnalysis, gate: Gate, mask: str) -> tuple[EvidenceLine, ...]:
    from reviewpatch.csource.model import NEW

    macro = fa.bodies(gate.change.patch_index).macro(mask, NEW)
    if macro is None:
        return ()
    return (code_evidence(macro.line, macro.path, f"{mask} defined here"),)


def _unused_hit(fa: FlowAnalysis, gate: Gate, mask: str, member: str) -> Hit:
    msg = (
        f"{member} (in {mask}) gates {fn(gate.callee)}, but {fn(gate.callee)} never tests it, "
        "names it, nor calls anything named after it, here or in the helpers it passes the "
        "flags to"
    )
    evidence = (*gate_evidence(gate), *_mask_evidence(fa, gate, mask))
    return hit_at(gate.site, msg, member, evidence)


def _unsure_hit(fa: FlowAnalysis, gate: Gate, mask: str, members: tuple[str, ...]) -> Hit:
    names = ", ".join(members)
    them = "it" if len(members) == 1 else "them"
    why = partial_note(gate) or "the flags go to functions whose bodies are not in the diff"
    msg = (
        f"{names} (in {mask}) {'gates' if len(members) == 1 else 'gate'} {fn(gate.callee)}, "
        f"but {why}: cannot confirm the gated code uses {them}"
    )
    evidence = (*gate_evidence(gate), *_mask_evidence(fa, gate, mask))
    symbol = members[0] if len(members) == 1 else mask
    return hit_at(gate.site, msg, symbol, evidence, severity=Severity.NOTE)
