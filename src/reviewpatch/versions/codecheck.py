"""The code and comment checks of the follow-through.

Code: the quoted diff lines are gone from vN's diff of the patch, or the
hunk holding them changed its added or removed lines (done, with the new
lines as evidence); they are all there in a hunk whose changes are the
same (not done, with the unchanged lines).  Without quoted diff lines, a
code term of the request (``'if (ret)'``) that vN's added lines hold and
vN-1's did not.  Comment: the same on the quoted comment lines; done only
when the new comment holds some of the words the reviewer asked for.
"""

from __future__ import annotations

__all__ = ["check_code", "check_comment"]

from collections.abc import Iterable

from reviewpatch.model import DiffLine, FileDiff, Hunk, LineKind
from reviewpatch.versions.checkbase import (
    MAX_EVIDENCE,
    Check,
    CheckState,
    Context,
    Side,
    added_lines,
    file_of,
    where,
)
from reviewpatch.versions.mapping import patch_ref
from reviewpatch.versions.model import (
    Evidence,
    EvidenceKind,
    PatchRef,
    QuotedLine,
    QuoteSource,
    Request,
    RequestKind,
)
from reviewpatch.versions.text import contains_term, squeeze

_COMMENT_START = ("/*", "*", "//", "#")
_CODE_CHARS = "()[]=<>&|;{}_"
_NEAR = 2
_STOP = frozenset(
    {"that", "this", "with", "from", "have", "been", "will", "would", "should", "there"}
    | {"their", "which", "when", "what", "does", "into", "than", "then", "also", "only"}
    | {"some", "such", "here"}
)


def _key(line: DiffLine | QuotedLine) -> str:
    sign = "" if line.kind in (None, LineKind.CONTEXT) else str(line.kind.value)
    return sign + squeeze(line.text)


def _hunks_with(fdiff: FileDiff, keys: set[str]) -> list[Hunk]:
    return [h for h in fdiff.hunks if any(_key(line) in keys for line in h.lines)]


def _changes(hunks: Iterable[Hunk]) -> set[str]:
    return {_key(ln) for h in hunks for ln in h.lines if ln.kind is not LineKind.CONTEXT}


def _lines(
    ref: PatchRef, path: str, lines: Iterable[DiffLine], kind: EvidenceKind, msgid: str
) -> list[Evidence]:
    out = [
        Evidence(kind, ln.kind.value + ln.text, where(ref, path), msgid, ln.mail_line)
        for ln in lines
    ]
    return out[:MAX_EVIDENCE]


def _fresh_near(
    hunks: list[Hunk], keys: set[str], before: set[str], *, all_present: bool
) -> list[DiffLine]:
    """The added or removed lines of ``hunks`` that vN-1 did not have; when
    every quoted line is still there, only those within ``_NEAR`` lines of
    one (a change further away answers another comment)."""
    out: list[DiffLine] = []
    for hunk in hunks:
        spots = [i for i, ln in enumerate(hunk.lines) if _key(ln) in keys]
        for i, line in enumerate(hunk.lines):
            if line.kind is LineKind.CONTEXT or _key(line) in before:
                continue
            if not all_present or any(abs(i - spot) <= _NEAR for spot in spots):
                out.append(line)
    return out


def _one_file(
    ctx: Context, side: Side, path: str, keys: set[str]
) -> tuple[list[Evidence], list[Evidence]]:
    """(evidence of a change, evidence of no change) for one quoted file."""
    new, ref = side
    old_file, new_file = file_of(ctx.old, path), file_of(new, path)
    if new_file is None:
        gone = Evidence(
            EvidenceKind.ABSENT, f"{path} is no longer touched", where(ref, path), new.msgid
        )
        return [gone], []
    old_hunks = _hunks_with(old_file, keys) if old_file else []
    new_hunks = _hunks_with(new_file, keys)
    present = {_key(ln) for h in new_file.hunks for ln in h.lines} & keys
    before = _changes(old_hunks)
    if present == keys and before == _changes(new_hunks):
        same = [ln for h in new_hunks for ln in h.lines if _key(ln) in keys]
        return [], _lines(ref, path, same, EvidenceKind.UNCHANGED_LINE, new.msgid)
    near = new_hunks or list(new_file.hunks)
    fresh = _fresh_near(near, keys, before, all_present=present == keys)
    if fresh:
        return _lines(ref, path, fresh, EvidenceKind.NEW_LINE, new.msgid), []
    if present == keys:
        same = [ln for h in new_hunks for ln in h.lines if _key(ln) in keys]
        return [], _lines(ref, path, same, EvidenceKind.UNCHANGED_LINE, new.msgid)
    gone_line = sorted(keys - present)[0]
    return [
        Evidence(EvidenceKind.ABSENT, f"quoted line gone: {gone_line}", where(ref, path), new.msgid)
    ], []


def _by_lines(ctx: Context, side: Side, quoted: list[QuotedLine], aspect: RequestKind) -> Check:
    changed: list[Evidence] = []
    same: list[Evidence] = []
    for path in dict.fromkeys(q.path for q in quoted if q.path):
        yes, no = _one_file(ctx, side, path, {_key(q) for q in quoted if q.path == path})
        changed += yes
        same += no
    label = side[1].label
    if changed:
        return Check(aspect, CheckState.DONE, f"the quoted code changed in {label}", tuple(changed))
    elsewhere = _elsewhere(ctx, side, quoted)
    if elsewhere:
        reason = (
            f"the quoted code is unchanged in {label}, but another v{ctx.smap.new.version} "
            "patch changes the same file: the change may be there"
        )
        return Check(aspect, CheckState.UNKNOWN, reason, tuple(same) + elsewhere)
    return Check(
        aspect, CheckState.NOT_DONE, f"the quoted code is unchanged in {label}", tuple(same)
    )


def _elsewhere(ctx: Context, side: Side, quoted: list[QuotedLine]) -> tuple[Evidence, ...]:
    """Other patches of vN that change a file the quoted lines are in (a
    fix posted as its own patch: "Make the tests safe for klitmus")."""
    out: list[Evidence] = []
    for path in dict.fromkeys(q.path for q in quoted if q.path):
        for patch in ctx.smap.new.patches:
            if patch.msgid == side[0].msgid or file_of(patch, path) is None:
                continue
            ref = patch_ref(ctx.smap.new, patch)
            text = f"{ref.label} {ref.title} also changes {path}"
            out.append(Evidence(EvidenceKind.PATCH, text, where(ref, path), patch.msgid))
            break
    return tuple(out)


def _by_terms(ctx: Context, side: Side, request: Request) -> Check:
    new, ref = side
    terms = [t for t in request.terms if any(c in t for c in _CODE_CHARS)]
    if not terms:
        reason = "the request quotes no diff line and names no code"
        return Check(RequestKind.CODE, CheckState.UNKNOWN, reason)
    before = "\n".join(ln.text for _, ln in added_lines(ctx.old))
    for term in (t for t in terms if t not in before):
        for path, line in added_lines(new):
            if term in line.text:
                ev = Evidence(
                    EvidenceKind.NEW_LINE,
                    "+" + line.text,
                    where(ref, path),
                    new.msgid,
                    line.mail_line,
                )
                return Check(RequestKind.CODE, CheckState.DONE, f"{ref.label} adds {term}", (ev,))
    named = ", ".join(terms)
    absent = Evidence(
        EvidenceKind.ABSENT, f"no added line holds {named}", where(ref, "diff"), new.msgid
    )
    return Check(
        RequestKind.CODE, CheckState.NOT_DONE, f"{ref.label} adds none of {named}", (absent,)
    )


def _files_seen(ctx: Context, request: Request, aspect: RequestKind) -> Check:
    """No successor: which vN patches seen touch the quoted files."""
    version = ctx.smap.new.version
    evidence: list[Evidence] = []
    for path in dict.fromkeys(q.path for q in request.quoted if q.path):
        touching = [p for p in ctx.smap.new.patches if file_of(p, path) is not None]
        for patch in touching[:2]:
            ref = patch_ref(ctx.smap.new, patch)
            text = f"{ref.label} {ref.title} touches {path} (not the successor)"
            evidence.append(Evidence(EvidenceKind.PATCH, text, where(ref, path), patch.msgid))
        if not touching:
            text = f"{path}: touched by no v{version} patch seen"
            evidence.append(Evidence(EvidenceKind.ABSENT, text, f"v{version}"))
    return Check(aspect, CheckState.UNKNOWN, ctx.missing_reason, tuple(evidence))


def check_code(ctx: Context, request: Request) -> Check:
    """Did the quoted code (or the code the request names) change?"""
    side = ctx.side
    if side is None:
        return _files_seen(ctx, request, RequestKind.CODE)
    quoted = [q for q in request.quoted if q.source is QuoteSource.DIFF]
    if not quoted:
        return _by_terms(ctx, side, request)
    found = _by_lines(ctx, side, quoted, RequestKind.CODE)
    return _named_code(ctx, side, request, found)


def _named_code(ctx: Context, side: Side, request: Request, found: Check) -> Check:
    """A request naming code that vN-1 did not have (``use foo_setup()``):
    a change of the quoted lines counts only when vN adds that code."""
    new, ref = side
    seen = "\n".join(
        [q.text for q in request.quoted]
        + [ln.text for f in ctx.old.files for h in f.hunks for ln in h.lines]
    )
    names = [t.removesuffix("()") for t in request.terms if "_" in t or t.endswith("()")]
    names = [n for n in names if n and n not in seen]
    if not names or found.state is not CheckState.DONE:
        return found
    for path, line in added_lines(new):
        if any(n in line.text for n in names):
            ev = Evidence(
                EvidenceKind.NEW_LINE, "+" + line.text, where(ref, path), new.msgid, line.mail_line
            )
            return Check(found.aspect, CheckState.DONE, found.reason, (*found.evidence, ev))
    reason = f"the quoted code changed in {ref.label}, but it adds none of {', '.join(names)}"
    return Check(found.aspect, CheckState.UNKNOWN, reason, found.evidence)


def _is_comment(text: str) -> bool:
    return text.strip().startswith(_COMMENT_START) or text.strip().endswith("*/")


def _asked_words(request: Request) -> list[str]:
    """Terms and two-word phrases of what the reviewer asked for."""
    out = list(request.terms)
    for term in request.terms:
        words = [w for w in term.replace("[...]", " ").split() if w.isalpha() and len(w) > 3]
        pairs = zip(words, words[1:])
        out.extend(
            f"{a} {b}" for a, b in pairs if a.lower() not in _STOP and b.lower() not in _STOP
        )
    return out


def check_comment(ctx: Context, request: Request) -> Check:
    """Did the quoted comment change, saying what was asked?"""
    side = ctx.side
    if side is None:
        return _files_seen(ctx, request, RequestKind.COMMENT)
    quoted = [q for q in request.quoted if q.source is QuoteSource.DIFF]
    comments = [q for q in quoted if _is_comment(q.text)] or quoted
    if not comments:
        return Check(RequestKind.COMMENT, CheckState.UNKNOWN, "the request quotes no comment")
    found = _by_lines(ctx, side, comments, RequestKind.COMMENT)
    if found.state is not CheckState.DONE:
        return found
    text = " ".join(e.text.lstrip("+") for e in found.evidence)
    hits = [w for w in _asked_words(request) if contains_term(text, w)]
    if hits:
        reason = f"the comment changed and names {hits[0]!r}"
        return Check(RequestKind.COMMENT, CheckState.DONE, reason, found.evidence)
    reason = "the comment changed, but holds none of the words asked for"
    return Check(RequestKind.COMMENT, CheckState.UNKNOWN, reason, found.evidence)
