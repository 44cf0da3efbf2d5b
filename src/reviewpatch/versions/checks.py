"""The checks behind a follow-through verdict: did vN do one thing a
request on vN-1 asked?  Each check answers done, not done or unknown, with
the evidence it saw; ``followthrough`` turns the answers into a verdict.

- code, comment: see ``codecheck``.
- message: a sentence new in vN's message holding a specific term the
  reviewer brought up (not one of the quoted lines, not in vN-1's message
  already); without such terms, whether the quoted message lines changed.
- split: a patch of vN other than the successor whose title, files or
  added lines name what the request or the promise named.
- elsewhere: a path or identifier the request named that vN touches and
  vN-1 did not.
"""

from __future__ import annotations

__all__ = ["Check", "CheckState", "Context", "run_check", "sentence_line"]

from collections.abc import Iterable

from reviewpatch.model import Patch
from reviewpatch.versions.checkbase import (
    MAX_EVIDENCE,
    Check,
    CheckState,
    Context,
    added_lines,
    where,
)
from reviewpatch.versions.codecheck import check_code, check_comment
from reviewpatch.versions.mapping import patch_ref
from reviewpatch.versions.model import (
    Evidence,
    EvidenceKind,
    PatchRef,
    QuoteSource,
    Request,
    RequestKind,
)
from reviewpatch.versions.text import contains_term, is_specific, key_terms, sentences, squeeze


def _asked_terms(ctx: Context, request: Request) -> list[str]:
    quoted = " ".join(q.text for q in request.quoted)
    return [
        t for t in request.terms if is_specific(t) and not contains_term(quoted, t) and len(t) <= 60
    ]


def sentence_line(patch: Patch, sentence: str) -> int | None:
    """The mail line of ``patch`` where ``sentence`` of its message starts."""
    head = squeeze(sentence)[:24]
    for offset, line in enumerate(patch.mail.body.split("\n")[patch.message_line - 1 :]):
        key = squeeze(line)
        if key and (head.startswith(key[:24]) or key.find(head[:12]) >= 0):
            return patch.message_line + offset
    return None


def _sentence(
    kind_patch: tuple[PatchRef, Patch], sentence: str, place: str = "message"
) -> Evidence:
    ref, patch = kind_patch
    return Evidence(
        EvidenceKind.SENTENCE,
        sentence,
        where(ref, place),
        patch.msgid,
        sentence_line(patch, sentence),
    )


def _new_sentences(old: str, new: str) -> list[str]:
    before = {squeeze(s) for s in sentences(old)}
    return [s for s in sentences(new) if squeeze(s) not in before]


def _message_by_lines(ctx: Context, request: Request, ref: PatchRef, new: Patch) -> Check:
    quoted = {squeeze(q.text) for q in request.quoted if q.source is QuoteSource.MESSAGE}
    kept = {squeeze(line) for line in new.message.split("\n")}
    fresh = _new_sentences(ctx.old.message, new.message)
    if quoted and not quoted <= kept and fresh:
        ev = tuple(_sentence((ref, new), s) for s in fresh[:MAX_EVIDENCE])
        return Check(
            RequestKind.MESSAGE,
            CheckState.DONE,
            f"the quoted message lines changed in {ref.label}",
            ev,
        )
    if quoted and quoted <= kept:
        return Check(
            RequestKind.MESSAGE,
            CheckState.NOT_DONE,
            f"the quoted message lines are unchanged in {ref.label}",
        )
    return Check(
        RequestKind.MESSAGE,
        CheckState.UNKNOWN,
        "the request names nothing to look for in the message",
    )


def _message_seen(ctx: Context, terms: list[str]) -> Check:
    """No successor: what the vN messages that are there show."""
    evidence: list[Evidence] = []
    for term in terms:
        hits = [p for p in ctx.smap.new.all_patches if contains_term(p.message, term)]
        if not hits:
            evidence.append(
                Evidence(
                    EvidenceKind.ABSENT,
                    f"{term}: in no v{ctx.smap.new.version} message seen",
                    f"v{ctx.smap.new.version}",
                )
            )
        for patch in hits[:2]:
            said = next((s for s in sentences(patch.message) if contains_term(s, term)), term)
            ref = patch_ref(ctx.smap.new, patch)
            evidence.append(_sentence((ref, patch), said, "message (not the successor)"))
    return Check(RequestKind.MESSAGE, CheckState.UNKNOWN, ctx.missing_reason, tuple(evidence))


def _enough(fresh: list[str], hit_fresh: list[str], hit_known: list[str]) -> bool:
    """Whether the new sentences name enough of what was asked: every
    term vN-1's message lacked, or two terms, or (when vN-1 named them
    all already) one of them."""
    if fresh and len(hit_fresh) == len(fresh):
        return True
    return len(hit_fresh) + len(hit_known) >= 2 or (not fresh and bool(hit_known))


def _check_message(ctx: Context, request: Request) -> Check:
    terms = _asked_terms(ctx, request)
    side = ctx.side
    if side is None:
        return _message_seen(ctx, terms)
    new, ref = side
    if not terms:
        return _message_by_lines(ctx, request, ref, new)
    fresh = [t for t in terms if not contains_term(ctx.old.message, t)]
    added = _new_sentences(ctx.old.message, new.message)
    text = "\n".join(added)
    hit_fresh = [t for t in fresh if contains_term(text, t)]
    hit_known = [t for t in terms if t not in fresh and contains_term(text, t)]
    hits = hit_fresh + hit_known
    said = [s for s in added if any(contains_term(s, t) for t in hits)]
    evidence = [_sentence((ref, new), s) for s in said[:MAX_EVIDENCE]]
    missing = [t for t in (fresh or terms) if t not in hits]
    evidence += [
        Evidence(
            EvidenceKind.ABSENT,
            f"{t}: in no new sentence of the message",
            where(ref, "message"),
            new.msgid,
        )
        for t in missing
    ]
    if hits and _enough(fresh, hit_fresh, hit_known):
        return Check(
            RequestKind.MESSAGE,
            CheckState.DONE,
            f"{ref.label}'s message now names {', '.join(hits)}",
            tuple(evidence),
        )
    if hits:
        reason = f"{ref.label}'s message now names {', '.join(hits)}, but not {', '.join(missing)}"
        return Check(RequestKind.MESSAGE, CheckState.UNKNOWN, reason, tuple(evidence))
    reason = f"{ref.label}'s message does not name {', '.join(fresh or terms)}"
    return Check(RequestKind.MESSAGE, CheckState.NOT_DONE, reason, tuple(evidence))


def _names(request: Request, promises: Iterable[str]) -> list[str]:
    out: list[str] = []
    for text in (*promises, request.text):
        out.extend(t for t in key_terms(text) if is_specific(t) and len(t) <= 60)
    return list(dict.fromkeys(out))


def _split_hit(patch: Patch, names: list[str]) -> str | None:
    for name in names:
        if contains_term(patch.subject.title, name):
            return f"its title names {name}"
    for name in (n for n in names if "_" in n or n.endswith("()")):
        bare = name.removesuffix("()")
        for path, line in added_lines(patch):
            if bare in line.text:
                return f"{path} adds {line.text.strip()}"
    return None


def _check_split(ctx: Context, request: Request, promises: Iterable[str]) -> Check:
    names = _names(request, promises)
    successor = ctx.new.msgid if ctx.new else None
    for patch in ctx.smap.new.patches:
        if patch.msgid == successor:
            continue
        hit = _split_hit(patch, names)
        if hit:
            ref = patch_ref(ctx.smap.new, patch)
            ev = Evidence(
                EvidenceKind.PATCH, f"{ref.label} {ref.title}: {hit}", ref.label, patch.msgid
            )
            return Check(
                RequestKind.SPLIT,
                CheckState.DONE,
                f"{ref.label} is a patch of its own for it",
                (ev,),
            )
    what = ", ".join(names) or "what the request names"
    version = ctx.smap.new.version
    absent = Evidence(EvidenceKind.ABSENT, f"no v{version} patch names {what}", f"v{version}")
    if ctx.smap.new.missing:
        return Check(
            RequestKind.SPLIT,
            CheckState.UNKNOWN,
            f"no v{version} patch seen names {what}, but v{version} misses patches",
            (absent,),
        )
    return Check(
        RequestKind.SPLIT, CheckState.NOT_DONE, f"no v{version} patch names {what}", (absent,)
    )


def _check_elsewhere(ctx: Context, request: Request) -> Check:
    quoted = " ".join(q.text for q in request.quoted)
    names = [t for t in request.terms if ("/" in t or "_" in t) and not contains_term(quoted, t)]
    old_paths = {f.path for p in ctx.smap.old.patches for f in p.files}
    version = ctx.smap.new.version
    for patch in ctx.smap.new.patches:
        ref = patch_ref(ctx.smap.new, patch)
        for fdiff in patch.files:
            hit = next(
                (n for n in names if fdiff.path.endswith(n) and fdiff.path not in old_paths), None
            )
            if hit:
                ev = Evidence(
                    EvidenceKind.PATCH,
                    f"{ref.label} touches {fdiff.path}",
                    where(ref, fdiff.path),
                    patch.msgid,
                )
                return Check(
                    RequestKind.ELSEWHERE, CheckState.DONE, f"v{version} touches {hit}", (ev,)
                )
    if not names:
        return Check(RequestKind.ELSEWHERE, CheckState.UNKNOWN, "the request names no other place")
    absent = Evidence(EvidenceKind.ABSENT, "not touched: " + ", ".join(names), f"v{version}")
    state = CheckState.UNKNOWN if ctx.smap.new.missing else CheckState.NOT_DONE
    return Check(
        RequestKind.ELSEWHERE, state, f"v{version} touches none of the places named", (absent,)
    )


def run_check(
    ctx: Context, request: Request, aspect: RequestKind, promises: Iterable[str] = ()
) -> Check:
    """Run the check for ``aspect`` (see the module doc)."""
    if aspect is RequestKind.SPLIT:
        return _check_split(ctx, request, promises)
    if aspect is RequestKind.ELSEWHERE:
        return _check_elsewhere(ctx, request)
    if aspect is RequestKind.COMMENT:
        return check_comment(ctx, request)
    if aspect is RequestKind.MESSAGE:
        return _check_message(ctx, request)
    return check_code(ctx, request)
