"""RP308 nfc-claim-changes-behaviour: the message says "no functional
change" but some call now runs under a different condition."""

from __future__ import annotations

__all__ = ["nfc_claim_changes_behaviour"]

import re
from collections.abc import Iterator
from dataclasses import replace

from reviewpatch.csource.formula import AtomKind
from reviewpatch.findings import Confidence, Severity
from reviewpatch.flow.compare import Change, Occurrence
from reviewpatch.flow.describe import describe, unseen_text, when
from reviewpatch.flow.solver import Verdict, Witness
from reviewpatch.rules.c.claims import MessageClaim, explanation, nfc_claim
from reviewpatch.rules.c.common import (
    flow,
    fn,
    hit_at,
    new_guards,
    occurrence_evidence,
    reportable,
)
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.series import without_changelog

_MAX_NAMED = 3


def _within(claim: MessageClaim, w: Witness) -> bool:
    """A claim narrowed to configuration options ("no functional change
    for CONFIG_X=y") holds where the difference is only about them."""
    named = set(re.findall(r"\bCONFIG_\w+", claim.sentence))
    configs = [lit for lit in w.literals if lit.atom.seen]
    return (
        bool(named)
        and bool(configs)
        and all(lit.atom.kind is AtomKind.CONFIG and lit.atom.name in named for lit in configs)
    )


def _site(ch: Change, lost: bool, patch: int) -> Occurrence:
    """Where to show the finding: a call site of this patch, the new one
    first (a site in another patch's lines only when there is none)."""
    occs = ch.new if not lost or ch.new else ch.old
    direct = [o for o in occs if o.site is not None]
    ranked = sorted(direct or list(occs), key=lambda o: o.piece.patch_index != patch)
    if ranked[0].piece.patch_index != patch:
        other = [o for o in (*ch.new, *ch.old) if o.piece.patch_index == patch]
        if other:
            return other[0]
    return ranked[0]


@rule(
    id="RP308",
    name="nfc-claim-changes-behaviour",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    family="semantic",
)
def nfc_claim_changes_behaviour(ctx: RuleContext) -> Iterator[Hit]:
    """The message claims no functional change, but a call now runs under different conditions.

    What it does
        When the commit message (or the cover letter) says "no functional
        change", "NFC", "no behaviour change", "pure refactor" or "just
        moves code", it compares, for every call of every function the
        patch changes (helpers in view inlined), the condition under which
        it runs before and after with a solver.  The claim holds when every
        condition is equivalent: renamed locals, code moved into a helper,
        a condition turned into an early return stay quiet.  Otherwise it
        reports the calls whose condition changed with a concrete case,
        calls with the same case together.  A case that depends on code the
        diff does not show is a note.

    Why it matters
        "No functional change" tells reviewers they may skim; a call that is
        now gated (or no longer gated) is exactly what they must check.

    Example
        No functional changes intended.
        -	syscall_exit_work(regs, flags);
        +	if (unlikely(flags & _TIF_SYSCALL_EXIT_WORK))
        +		syscall_exit_work(regs, flags);

    Use instead
        Drop the claim and explain why the new condition is equivalent, or
        keep the call unconditional.
    """
    fa = flow(ctx)
    if fa is None or ctx.patch is None:
        return
    claim, where = nfc_claim(without_changelog(ctx.patch.message)), "the commit message"
    cover = ctx.series.cover
    if claim is None and cover is not None:
        claim, where = nfc_claim(without_changelog(cover.message)), "the cover letter"
    if claim is None:
        return
    # a cover letter's claim covers this patch only when it speaks of the
    # whole series ("this series has no functional change"); otherwise it
    # may be about one patch of it, and a finding is a note
    unsure = where == "the cover letter" and _SERIES_RE.search(claim.sentence) is None
    groups: dict[tuple[str, str, bool, bool], list[tuple[Change, Witness]]] = {}
    changes = fa.changes(ctx.patch.index)
    real = [ch for ch in changes if not ch.pseudo and reportable(fa, ch)]
    cut = [ch for ch in real if ch.comparison.verdict is Verdict.CUT]
    if cut:
        yield _cut_hit(claim, where, cut, ctx.patch.index)
    for ch in real or [ch for ch in changes if ch.pseudo]:
        for lost, w in ((True, ch.comparison.lost), (False, ch.comparison.gained)):
            if w is None or _within(claim, w) or _explained(ctx, ch, w):
                continue
            robust = not ch.doubt(lost) and not ch.secondary and not ch.pseudo
            key = (ch.root, describe(w), lost, robust)
            groups.setdefault(key, []).append((ch, w))
            break
    loud = False
    for (_root, _case, lost, robust), items in sorted(
        groups.items(), key=lambda kv: (not kv[0][3], kv[0])
    ):
        hit = _group_hit(ctx, claim, where, lost, robust, items)
        if unsure and hit.severity is None:
            hit = replace(
                hit,
                severity=Severity.NOTE,
                message=hit.message + _COVER_SCOPE,
                confidence=Confidence.LOW,
            )
        if hit.severity is None:
            if loud:  # one claim, one warning: the other cases back it up as notes
                hit = replace(hit, severity=Severity.NOTE)
            loud = True
        yield hit


_SERIES_RE = re.compile(
    r"\b(?:series|patchset|patch set|these patches|all patches|none of)\b", re.I
)
_COVER_SCOPE = " (the cover letter does not say that the claim covers every patch)"


def _cut_hit(claim: MessageClaim, where: str, cut: list[Change], patch: int) -> Hit:
    names = ", ".join(f"{ch.callee}()" for ch in cut[:_MAX_NAMED])
    more = f" and {len(cut) - _MAX_NAMED} more" if len(cut) > _MAX_NAMED else ""
    msg = (
        f'{where} says "{claim.sentence}"; the conditions of {names}{more} changed, and '
        "comparing them was cut short (over the solver's budget): check them by hand"
    )
    occ = _site(cut[0], True, patch)
    evidence = [occurrence_evidence(o, "after") for o in cut[0].new[:1]]
    return hit_at(occ, msg, cut[0].callee, evidence, severity=Severity.NOTE, patch=patch)


def _explained(ctx: RuleContext, ch: Change, w: Witness) -> bool:
    """The message names the call and the condition and gives a reason."""
    assert ctx.patch is not None
    words = [lit.atom.name or lit.atom.text for lit in w.literals]
    return explanation(ctx.patch.message, ch.callee, words) is not None


def _group_hit(
    ctx: RuleContext,
    claim: MessageClaim,
    where: str,
    lost: bool,
    robust: bool,
    items: list[tuple[Change, Witness]],
) -> Hit:
    assert ctx.patch is not None
    real = sorted(
        (ch for ch, _ in items if not ch.pseudo),
        key=lambda c: (min((len(o.chain) for o in (*c.old, *c.new)), default=9), c.callee),
    )
    names = [f"{ch.callee}()" for ch in real][:_MAX_NAMED]
    hidden = [ch for ch, _ in items if ch.pseudo]
    if len(real) > _MAX_NAMED:
        names.append(f"{len(real) - _MAX_NAMED} more calls")
    if hidden:
        names.append(" and ".join(f"the rest of {fn(ch.callee[1:])}" for ch in hidden[:1]))
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    s = "" if len(names) > 1 else "s"
    change = (
        f"ran before the patch and no longer run{s}" if lost else f"now run{s} and did not before"
    )
    first = real[0] if real else items[0][0]
    w = next(wit for ch, wit in items if ch is first)
    msg = f'{where} says "{claim.sentence}", but {when(w)}, {what} {change}'
    guard = new_guards(first)
    if guard:
        msg += f" ({first.callee}() is now under if ({guard}))"
    occ = _site(first, lost, ctx.patch.index)
    evidence = [occurrence_evidence(o, "before") for o in first.old[:1]]
    evidence += [occurrence_evidence(o, "after") for o in first.new[:1]]
    severity = None
    if not robust:
        severity = Severity.NOTE
        doubt = first.doubt(lost)
        if not w.robust or not doubt:
            doubt = f"it depends on {unseen_text(w) or 'code the diff does not show'}"
        msg += f"; {doubt}"
    confidence = None
    if claim.qualified:  # "If X is not defined, no functional change": X's case is out of it
        severity, confidence = Severity.NOTE, Confidence.LOW
        msg += "; the claim is limited to a case, which the diff cannot check"
    symbol = real[0].callee if real else first.callee[1:]
    return hit_at(
        occ,
        msg,
        symbol,
        evidence,
        severity=severity,
        confidence=confidence,
        patch=ctx.patch.index,
    )
