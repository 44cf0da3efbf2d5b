"""Review follow-through: for each request made on vN-1, did vN do it?

The aspects checked are those the author's promises name (a split, the
message, a comment), else the request's own kind; a question or a remark
with no promise is not checked against vN (nothing was asked, or nothing
was agreed) and stays ``unclear``.  The verdict:

- ``addressed``: every aspect checked was done;
- ``partly``: some were done, some not;
- ``declined``: nothing was done and the author declined, or deferred the
  work to another series, in the thread (the sentence is the evidence);
- ``not_addressed``: nothing was done and vN shows it (the quoted lines
  unchanged, the terms absent from the message, no patch of its own);
- ``unclear``: what vN shows does not settle it (the successor patch is not
  in the thread, the change does not hold the words asked for, ...), and
  the reason says why.
"""

from __future__ import annotations

__all__ = ["follow_through", "judge"]

from collections.abc import Sequence

from reviewpatch.versions.checks import Check, CheckState, Context, run_check
from reviewpatch.versions.mapping import patch_ref
from reviewpatch.versions.model import (
    Evidence,
    EvidenceKind,
    FollowThrough,
    QuoteSource,
    Request,
    RequestKind,
    Response,
    SeriesMap,
    Stance,
    Verdict,
)
from reviewpatch.versions.requests import aspects_of, extract_requests, extract_responses
from reviewpatch.versions.text import contains_term, key_terms


def _context(smap: SeriesMap, request: Request) -> Context | None:
    old = smap.old.patch(request.patch.index)
    if old is None:
        return None
    if request.patch.index == 0:
        new = smap.new.cover
        ref = patch_ref(smap.new, new) if new else None
        return Context(smap, old, new, ref, None)
    pair = smap.pair_of_old(request.patch.index)
    new = pair.new if pair else None
    return Context(smap, old, new, patch_ref(smap.new, new) if new else None, pair)


def _aspects(request: Request, promises: Sequence[Response]) -> list[RequestKind]:
    named = [a for p in promises for a in aspects_of(p.text)]
    if named:
        return list(dict.fromkeys(named))
    if request.kind not in (RequestKind.QUESTION, RequestKind.REMARK):
        return [request.kind]
    if not promises:
        return []
    diff = any(q.source is QuoteSource.DIFF for q in request.quoted)
    return [RequestKind.CODE if diff else RequestKind.MESSAGE]


def _author_evidence(responses: Sequence[Response]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(EvidenceKind.AUTHOR, r.sentence, f"reply {r.msgid}", r.msgid, r.line)
        for r in responses
    )


def _unasked(request: Request, responses: Sequence[Response]) -> tuple[Verdict, str]:
    what = "a question" if request.kind is RequestKind.QUESTION else "a remark without an ask"
    if responses:
        return Verdict.UNCLEAR, f"{what}; the author answered it without promising a change"
    return Verdict.UNCLEAR, f"{what}; no answer from the author in the thread"


def _combine(checks: Sequence[Check], refusals: Sequence[Response]) -> tuple[Verdict, str]:
    done = [c for c in checks if c.state is CheckState.DONE]
    not_done = [c for c in checks if c.state is CheckState.NOT_DONE]
    unknown = [c for c in checks if c.state is CheckState.UNKNOWN]
    reasons = "; ".join(c.reason for c in checks)
    if done and not not_done and not unknown:
        return Verdict.ADDRESSED, reasons
    if done and not_done:
        return Verdict.PARTLY, reasons
    if done:
        return Verdict.UNCLEAR, reasons
    if refusals:
        word = "deferred" if refusals[0].stance is Stance.DEFER else "declined"
        return Verdict.DECLINED, f"{word} by the author: {refusals[0].sentence}"
    if not_done and not unknown:
        return Verdict.NOT_ADDRESSED, reasons
    return Verdict.UNCLEAR, reasons or "nothing to check"


def _wording(ctx: Context, promises: Sequence[Response]) -> str:
    """A note when a promise quotes its own wording and vN does not use it."""
    if ctx.new is None or ctx.new_ref is None:
        return ""
    text = (
        ctx.new.message
        + "\n"
        + "\n".join(ln.text for f in ctx.new.files for h in f.hunks for ln in h.lines)
    )
    for promise in promises:
        for term in key_terms(promise.sentence):
            if " " in term and not contains_term(text, term):
                return f"; the promised wording {term!r} is not in {ctx.new_ref.label}"
    return ""


def judge(smap: SeriesMap, request: Request, responses: Sequence[Response]) -> FollowThrough:
    """The follow-through of one request, given the author's responses."""
    ctx = _context(smap, request)
    promises = [r for r in responses if r.stance is Stance.PROMISE]
    refusals = [r for r in responses if r.stance in (Stance.DECLINE, Stance.DEFER)]
    aspects = _aspects(request, promises)
    successor = ctx.new_ref if ctx else None
    if ctx is None or not aspects:
        verdict, reason = _unasked(request, responses)
        if refusals and request.kind not in (RequestKind.QUESTION, RequestKind.REMARK):
            verdict, reason = Verdict.DECLINED, f"declined by the author: {refusals[0].sentence}"
        return FollowThrough(
            request, tuple(responses), verdict, reason, _author_evidence(responses), successor
        )
    said = [p.text for p in promises]
    checks = [run_check(ctx, request, aspect, said) for aspect in aspects]
    verdict, reason = _combine(checks, refusals)
    if verdict in (Verdict.ADDRESSED, Verdict.PARTLY):
        reason += _wording(ctx, promises)
    evidence = tuple(e for c in checks for e in c.evidence)
    if verdict is Verdict.DECLINED:
        evidence = _author_evidence(refusals) + evidence
    return FollowThrough(request, tuple(responses), verdict, reason, evidence, successor)


def follow_through(
    smap: SeriesMap,
    requests: Sequence[Request] | None = None,
    responses: Sequence[Response] | None = None,
) -> tuple[FollowThrough, ...]:
    """The follow-through of every request made on ``smap.old`` (taken from
    its replies unless given), in request order."""
    if requests is None:
        requests = extract_requests(smap.old)
    if responses is None:
        responses = extract_responses(smap.old, requests)
    return tuple(
        judge(smap, request, [r for r in responses if r.request == request.ident])
        for request in requests
    )
