"""RP301 moved-call-conditional: a call the patch moves now runs in fewer
cases than it did."""

from __future__ import annotations

__all__ = ["moved_call_conditional"]

import re
from collections.abc import Iterator

from reviewpatch.csource.flowmodel import Exit
from reviewpatch.csource.formula import conj
from reviewpatch.csource.model import NEW
from reviewpatch.findings import Confidence, Severity
from reviewpatch.flow.analysis import FlowAnalysis
from reviewpatch.flow.compare import Change, Occurrence
from reviewpatch.flow.describe import unseen_text, when
from reviewpatch.flow.solver import Witness, atom_formula
from reviewpatch.model import DiffLine, LineKind, Patch
from reviewpatch.rules.c.claims import MessageClaim, contradicts, explanation, read_claims
from reviewpatch.rules.c.common import flow, fn, hit_at, occurrence_evidence, reportable
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_TREE_HINT = "--tree would settle it"


def _hunk_lines(patch: Patch, mail_line: int) -> list[DiffLine]:
    """The lines of the hunk that holds mail line ``mail_line``."""
    for fd in patch.files:
        for hunk in fd.hunks:
            if any(ln.mail_line == mail_line for ln in hunk.lines):
                return list(hunk.lines)
    return []


def _rewrapped(patch: Patch, removed: Occurrence, added: Occurrence) -> bool:
    """A call re-written in place (``-foo();`` then ``+if (x)`` ``+foo();``):
    the same function, and no unchanged statement between the two lines."""
    if removed.holder != added.holder or removed.site is None or added.site is None:
        return False
    a, b = removed.site.line.mail_line, added.site.line.mail_line
    if a is None or b is None:
        return False
    lo, hi = sorted((a, b))
    lines = _hunk_lines(patch, lo)
    if not any(ln.mail_line == hi for ln in lines):
        return False
    between = [ln for ln in lines if ln.mail_line is not None and lo < ln.mail_line < hi]
    return not any(
        ln.kind is LineKind.CONTEXT and ln.text.strip() not in ("", "{", "}") for ln in between
    )


def _moved(patch: Patch, ch: Change) -> tuple[Occurrence, Occurrence] | None:
    """(a removed site, an added site) when the callee's call moved (not
    when it was only re-wrapped in place)."""
    removed = [o for o in ch.old if o.site is not None and o.site.line.kind == "-"]
    added = [o for o in ch.new if o.site is not None and o.site.line.kind == "+"]
    for r in removed:
        for a in added:
            if _same_call(r, a) and not _rewrapped(patch, r, a):
                return r, a
    return None


def _same_call(a: Occurrence, b: Occurrence) -> bool:
    """The same call (callee and arguments as written): a move, not a
    call removed here and another of the same function added there."""
    if a.site is None or b.site is None:
        return False
    return [" ".join(x.split()) for x in a.site.args] == [" ".join(x.split()) for x in b.site.args]


def _where(occ: Occurrence) -> str:
    return fn(occ.holder)


@rule(
    id="RP301",
    name="moved-call-conditional",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    family="semantic",
)
def moved_call_conditional(ctx: RuleContext) -> Iterator[Hit]:
    """A call moved to another place now runs in fewer cases than it did.

    What it does
        For each function the patch changes (and its callers in view) it
        computes, for every call, the condition under which the call runs:
        if/else, loops, switch cases, &&, || and ?:, early returns and
        gotos, preprocessor blocks, with the bodies of helpers in view
        inlined and their arguments bound.  When a call is removed at one
        place and added at another, it compares the condition before with
        the condition after with a solver and reports a concrete case in
        which the call ran before the patch and no longer runs.  Moving
        code into a new helper on the same path, moving a call up into the
        caller, or rewriting a condition into an early return is not
        reported: the conditions are equivalent.  A case that depends on
        code the diff does not show (the other callers of a function, the
        code between two hunks) is a note.  A call moved within its own
        function under a new condition is usually the point of the patch:
        it is a warning only when the commit message claims the call still
        runs in every case ("X() runs unconditionally"), else a note to
        check.  A call moved into another function is a warning.

    Why it matters
        Moving a call is often presented as a clean-up; when the call lands
        inside a branch, after an early return or behind a short circuit,
        it silently stops running in some cases.

    Example
        -	rseq_syscall(regs);        /* top of the slow path, always */
        +	if (flags & _TIF_SYSCALL_EXIT_WORK) {
        +		rseq_syscall(regs);
        +		syscall_exit_work(regs, flags);
        +	}
        when flags has none of the mask's flags, rseq_syscall() ran before
        the patch and no longer runs.

    Use instead
        Keep the call where it runs in every case it ran before, or say in
        the commit message why the new condition is enough.
    """
    fa = flow(ctx)
    if fa is None or ctx.patch is None:
        return
    changes = fa.changes(ctx.patch.index)
    claims = read_claims(ctx.patch.message, {c.callee for c in changes})
    done: set[str] = set()
    for ch in changes:
        moved = _moved(ctx.patch, ch)
        lost = ch.comparison.lost
        if moved is None or lost is None or ch.callee in done or not reportable(fa, ch):
            continue
        if ch.secondary or _after_error_exit(fa, ch, moved[1], lost):
            continue
        done.add(ch.callee)
        yield _moved_hit(ctx, ch, moved, claims)


_ERROR_VALUE_RE = re.compile(
    r"^(?:-\s*\w+|(?:PTR_ERR|ERR_PTR|ERR_CAST|dev_err_probe)\b.*|ret|err|error|rc|retval|status)$"
)
_ERROR_LABEL_RE = re.compile(
    r"err|fail|out|free|put|unlock|clean|undo|disable|release|exit|bail|unmap|unreg|abort",
    re.IGNORECASE,
)


def _error_exit(e: Exit) -> bool:
    if e.kind == "goto":
        return bool(_ERROR_LABEL_RE.search(e.label))
    return e.kind == "return" and bool(_ERROR_VALUE_RE.match(" ".join(e.value.split())))


def _after_error_exit(fa: FlowAnalysis, ch: Change, added: Occurrence, lost: Witness) -> bool:
    """Whether the case where the moved call no longer runs is one where
    the function leaves on an error first: the call now simply comes
    after an error check, which is not a change a reviewer needs."""
    bodies = fa.bodies(ch.patch_index)
    fv = bodies.get(ch.root, NEW, added.piece.path)
    if fv is None:
        return False
    binder = fa.binder(ch.patch_index, NEW)
    binder.add_links(fv)
    case = conj(*(atom_formula(lit) for lit in lost.literals))
    for p in fv.pieces:
        for e in p.exits:
            if _error_exit(e) and fa.solver.satisfiable(conj(case, binder.norm(e.cond, {}))):
                return True
    return False


def _moved_hit(
    ctx: RuleContext,
    ch: Change,
    moved: tuple[Occurrence, Occurrence],
    claims: tuple[MessageClaim, ...],
) -> Hit:
    assert ctx.patch is not None
    removed, added = moved
    lost = ch.comparison.lost
    assert lost is not None
    case = when(lost)
    if removed.holder == added.holder:
        old_no = removed.site.line.old_no if removed.site is not None else None
        new_no = added.site.line.new_no if added.site is not None else None
        lines = f" (line {old_no} to line {new_no})" if old_no and new_no else ""
        what = f"{ch.callee}() moved within {_where(added)}{lines}"
    else:
        what = f"{ch.callee}() moved from {_where(removed)} to {_where(added)}"
    evidence = [
        occurrence_evidence(removed, "removed here"),
        occurrence_evidence(added, "added here"),
    ]
    if ch.across:
        msg = (
            f"{what}: {case} it ran at the old place and does not at the new one, if "
            f"{fn(ch.across)} runs whenever {fn(ch.root)} did, which the diff does not show "
            f"({_TREE_HINT})"
        )
        return hit_at(added, msg, ch.callee, evidence, severity=Severity.NOTE)
    doubt = ch.doubt(True)
    if not doubt and added.inlined:
        doubt = (
            f"it now runs inside {fn(added.holder)}, whose own condition decides; calling a "
            "helper that does it only when needed is usually the point of the change"
        )
    if doubt:
        hint = f"{unseen_text(lost)}; {_TREE_HINT}" if not lost.robust else doubt
        msg = f"{what} may no longer run {case} ({hint})"
        return hit_at(added, msg, ch.callee, evidence, severity=Severity.NOTE)
    msg = f"{what}: {case}, {ch.callee}() ran before the patch and no longer runs"
    claim = contradicts(claims, ch.callee)
    if claim is not None:
        msg += f'; the commit message says "{claim.sentence}"'
        return hit_at(added, msg, ch.callee, evidence)
    words = [lit.atom.name or lit.atom.text for lit in lost.literals]
    why = explanation(ctx.patch.message, ch.callee, words)
    if why is not None:
        msg += f' (explained by the commit message: "{why}")'
        return hit_at(added, msg, ch.callee, evidence, explained=True)
    if removed.holder == added.holder:
        # no claim either way, and the call stays in its function: putting
        # it under a new condition there is most often the point of the
        # patch (on real series such warnings were not worth sending), so
        # the case is a note to check
        return hit_at(added, msg, ch.callee, evidence, severity=Severity.NOTE)
    return hit_at(added, msg, ch.callee, evidence)
