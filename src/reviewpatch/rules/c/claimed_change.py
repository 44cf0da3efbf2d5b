"""RP309 claimed-change-missing: the message says "remove foo()" while the
diff does not remove foo."""

from __future__ import annotations

__all__ = ["claimed_change_missing"]

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from reviewpatch.csource import NEW, SeriesCode
from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.model import LineKind, Patch
from reviewpatch.rules.c.change_claims import Claim, claims
from reviewpatch.rules.c.text import word_re
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_CALL_ONLY_RE = re.compile(
    r"\b(?:calls?|invocations?|uses?|usages?|users?|callers?)\s+(?:to|of)\s+(?:the\s+)?\x00|"
    r"\x00\s+(?:calls?|invocations?|usages?|uses?|checks?|callers?|users?)\b",
    re.IGNORECASE,
)


def _seen(patch: Patch, name: str, kind: LineKind) -> bool:
    """Whether ``name`` appears on a line of ``kind`` (or in the path of a
    file deleted or created) anywhere in the patch."""
    names = [name] + ([name[7:]] if name.startswith("CONFIG_") else [])
    pats = [word_re(n) for n in names]
    loose = name.islower()  # snake_case words may be part of longer names
    for fd in patch.files:
        gone = fd.is_deleted if kind is LineKind.REMOVED else fd.is_new
        if gone and name in fd.path:
            return True
        for hunk in fd.hunks:
            for ln in hunk.lines:
                if ln.kind is kind and (
                    any(p.search(ln.text) for p in pats) or loose and name in ln.text
                ):
                    return True
    return False


@dataclass(frozen=True)
class _Unmet:
    """A part of a claim the diff does not carry out: the ``name`` it
    concerns, ``why`` (what the diff does instead) and the lines that show
    it beyond the claim itself."""

    name: str
    why: str
    evidence: tuple[EvidenceLine, ...] = ()


def _missing(patch: Patch, claim: Claim) -> Iterator[_Unmet]:
    """What the diff does not do, for each unmet part of ``claim``."""
    need = {
        "add": (LineKind.ADDED,),
        "remove": (LineKind.REMOVED,),
        "move": (LineKind.REMOVED, LineKind.ADDED),
        "rename": (LineKind.REMOVED,),
        "replace": (LineKind.REMOVED,),
    }[claim.action]
    for name in claim.names:
        for kind in need:
            if not _seen(patch, name, kind):
                word = "adds" if kind is LineKind.ADDED else "removes"
                yield _Unmet(name, f"the diff never {word} a line with {name}")
                break
    if claim.target and not _seen(patch, claim.target, LineKind.ADDED):
        yield _Unmet(claim.target, f"the diff never adds a line with {claim.target}")


def _mail_line(patch: Patch, text: str) -> int | None:
    """The 1-based line of the mail body where ``text`` (line breaks
    folded) begins, or None."""
    words = text.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words[:12])
    m = re.search(pattern, patch.mail.body)
    return patch.mail.body.count("\n", 0, m.start()) + 1 if m else None


@rule(
    id="RP309",
    name="claimed-change-missing",
    severity=Severity.NOTE,
    confidence=Confidence.LOW,
    scope=Scope.PATCH,
    needs_code=True,
)
def claimed_change_missing(ctx: RuleContext) -> Iterator[Hit]:
    """The commit message says it adds, removes or moves a symbol the diff
    does not touch that way.

    What it does
        Reads the subject and message for clauses such as "remove foo()",
        "introduce the FOO mask", "move bar() to ...", "rename a to b",
        "replace x with y", where the verb is directly followed by an
        identifier (``foo()``, ``FOO_BAR``, ``CONFIG_FOO``, a backticked or
        snake_case name), and checks that the diff removes (adds, or both)
        a line naming it.  Hedged clauses ("will remove", "instead of
        adding", "commit ... removed") are skipped.  A claim the diff does
        not match is a note (words of a message are often shorthand); a
        claimed removal whose definition the diff shows kept is a warning.
    Why it matters
        A message that describes a change the diff does not make is either
        stale (the code changed between versions) or hides a missing part
        of the patch; reviewers read the message first.
    Example
        Remove the now unused rd_load_disk() helper.
        (the diff does not remove any line naming rd_load_disk)
    Use instead
        Make the message describe the diff, or add the missing change.
    """
    assert ctx.patch is not None
    if not ctx.patch.files:
        return
    seen: set[str] = set()
    title = ctx.patch.subject.title
    found = [(c, "the commit message") for c in claims(ctx.patch.message)]
    found += [(replace(c, text=title), "the subject") for c in claims(title)]
    for claim, where in found:
        for unmet in _unmet(ctx, claim):
            if unmet.name not in seen:
                seen.add(unmet.name)
                yield _claim_hit(ctx.patch, claim, where, unmet)


def _unmet(ctx: RuleContext, claim: Claim) -> list[_Unmet]:
    """Each part of ``claim`` the diff misses."""
    assert ctx.patch is not None
    found = list(_missing(ctx.patch, claim))
    if claim.action == "remove" and isinstance(ctx.code, SeriesCode):
        found += [
            m
            for n in claim.names
            if not any(f.name == n for f in found)
            if (m := _half_removed(ctx.code, ctx.patch.index, n, claim.text)) is not None
        ]
    return found


def _claim_hit(patch: Patch, claim: Claim, where: str, unmet: _Unmet) -> Hit:
    """The finding for one unmet claim, quoting it as written; a claim of
    the body points at its line in the mail, one of the subject at none."""
    line = _mail_line(patch, claim.text) if where != "the subject" else None
    quote = claim.text if len(claim.text) <= 160 else claim.text[:157] + "..."
    return Hit(
        message=f'{where} says "{quote}", but {unmet.why}',
        mail_line=line,
        symbol=unmet.name,
        evidence=(EvidenceLine(text=claim.text, label="claim", mail_line=line), *unmet.evidence),
        # a definition the diff shows kept is evidence; a word of the
        # message that no line names may be shorthand ("add _SET_MARKER")
        severity=Severity.WARNING if unmet.evidence else None,
    )


def _half_removed(code: SeriesCode, index: int, name: str, sentence: str) -> _Unmet | None:
    """What is unmet when the patch removes calls of function
    ``name`` but its definition stays, visibly (context lines or tree)."""
    if _CALL_ONLY_RE.search(
        sentence.replace(f"`{name}`", name).replace(f"{name}()", name).replace(name, "\0")
    ):
        return None  # "remove the call to foo()": only calls were meant
    calls = [c for c in code.calls_removed(index) if c.callee == name]
    if not calls or any(
        d.name == name and d.kind == "function" for d in code.definitions_removed()
    ):
        return None
    body = code.function_body(name, NEW)
    if body is None or not body.function.opening_visible:
        return None
    fn = body.function
    where = f"{fn.path}:{fn.start.new_no}" if fn.start.new_no else fn.path
    why = f"the diff only removes calls of {name}(); its definition stays ({where})"
    ev = EvidenceLine(
        text=fn.start.text,
        kind=fn.start.kind,
        file=fn.path,
        new_no=fn.start.new_no,
        old_no=fn.start.old_no,
        mail_line=fn.start.mail_line,
        label="definition kept",
    )
    return _Unmet(name, why, (ev,))
