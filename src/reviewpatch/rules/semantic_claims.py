"""C semantic rules that hold the commit message to what the diff does.

RP308 nfc-claim-changes-behaviour: "no functional change" while a call
gains or loses a condition.  RP309 claimed-change-missing: "remove foo()"
while the diff does not remove foo.
"""

from __future__ import annotations

__all__ = ["Claim", "claimed_change_missing", "claims", "nfc_claim", "nfc_claim_changes_behaviour"]

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from reviewpatch.csource import NEW, SeriesCode
from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.model import LineKind, Patch
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.semantic_nfc import (
    Change,
    Exit,
    changes,
    condition_source,
    describe,
    visible_exits,
)
from reviewpatch.rules.semantic_text import (
    Claim,
    claims,
    code_evidence,
    nfc_claim,
    nfc_sentence,
    ordered,
    word_re,
)

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
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=False,
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
        adding", "commit ... removed") are skipped.
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


# -- RP308 ---------------------------------------------------------------------


def _callees(group: list[Change]) -> str:
    names = list(dict.fromkeys(f"{c.new.callee}()" for c in group))
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return f"{', '.join(names[:2])} and {len(names) - 2} more calls"


def _group_hit(code: SeriesCode, phrase: str, group: list[Change]) -> Hit:
    first = group[0]
    parts = [describe(code, c, True) for c in first.gained]
    parts += [describe(code, c, False) for c in first.lost]
    verb = "" if len(group) == 1 else " each"
    msg = f'the message says "{phrase}", but {_callees(group)}{verb} ' + "; and ".join(parts)
    ev = [
        code_evidence(c.line, first.new.path, "condition")
        for c in first.gained
        if c.line != first.new.line
    ]
    ev += [
        code_evidence(c.line, first.old.path, "condition before")
        for c in first.lost
        if c.line != first.old.line
    ]
    for ch in group[:3]:
        ev += [
            code_evidence(ch.old.line, ch.old.path, "before"),
            code_evidence(ch.new.line, ch.new.path, "after"),
        ]
    return Hit(
        msg,
        file=first.new.path,
        line=first.new.line.new_no,
        mail_line=first.new.line.mail_line,
        symbol=first.new.callee,
        evidence=ordered(ev),
    )


def _doubt_hit(phrase: str, group: list[Change]) -> Hit:
    first = group[0]
    names = _callees(group)
    verb = "runs" if names.count("()") == 1 and "more calls" not in names else "run"
    msg = (
        f'the message says "{phrase}"; {names} now {verb} under different conditions, which may '
        "only be an error check that moved into the new helper: worth a look"
    )
    ev = [
        code_evidence(first.old.line, first.old.path, "before"),
        code_evidence(first.new.line, first.new.path, "after"),
    ]
    return Hit(
        msg,
        file=first.new.path,
        line=first.new.line.new_no,
        mail_line=first.new.line.mail_line,
        symbol=first.new.callee,
        evidence=ordered(ev),
        severity=Severity.NOTE,
        confidence=Confidence.LOW,
    )


@rule(
    id="RP308",
    name="nfc-claim-changes-behaviour",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=True,
)
def nfc_claim_changes_behaviour(ctx: RuleContext) -> Iterator[Hit]:
    """The message claims no functional change, but a call now runs under
    different conditions.

    What it does
        When the commit message says "no functional change", "NFC", "no
        behaviour change", "pure refactor" or "just moves code", it looks
        for calls that gained or lost a condition: a new ``if``, early
        ``return``/``goto``, ``&&``/``||`` around an existing call, or a
        call moved into or out of a conditional block.  Calls that gained
        the same conditions are reported together.  Renamed conditions,
        plain code motion and helper extraction (code and its error check
        moved into a new function whose result the caller checks) stay
        quiet; where a new helper is involved and it cannot tell, it gives
        at most one note per patch.
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
    assert ctx.patch is not None
    found = nfc_sentence(ctx.patch.message)
    if found is None or not isinstance(ctx.code, SeriesCode):
        return
    quote, _, qualified = found
    conf = Confidence.LOW if qualified else None
    groups: dict[tuple[object, ...], list[Change]] = {}
    doubts: list[Change] = []
    for ch in changes(ctx.code, ctx.patch.index):
        if _within_claim(ctx.code, quote, ch):
            continue
        if ch.doubtful:
            doubts.append(ch)
            continue
        key = (
            ch.new.path,
            ch.new.function,
            tuple(c.key for c in ch.gained),
            tuple(c.key for c in ch.lost),
        )
        groups.setdefault(key, []).append(ch)
    for group in groups.values():
        yield replace(_group_hit(ctx.code, quote, group), confidence=conf)
    exits = {(c.new.path, g.line.new_no) for grp in groups.values() for c in grp for g in c.gained}
    for ex in visible_exits(ctx.patch):
        if (ex.path, ex.line.new_no) not in exits and not _within(quote, ex.condition):
            yield replace(_exit_hit(quote, ex), confidence=conf)
            exits.add((ex.path, ex.line.new_no))
    if doubts and not groups:
        yield _doubt_hit(quote, doubts)


def _within(quote: str, condition: str) -> bool:
    """Whether the claim's own qualifier names a ``CONFIG_`` option the
    condition tests ("no functional change for CONFIG_FOO=y" and a new
    ``IS_ENABLED(CONFIG_FOO)``): the claim holds where it says it does."""
    named = set(re.findall(r"\bCONFIG_\w+", quote))
    tested = set(re.findall(r"\bCONFIG_\w+", condition))
    return bool(tested) and tested <= named


def _within_claim(code: SeriesCode, quote: str, ch: Change) -> bool:
    conds = (*ch.gained, *ch.lost)
    return bool(conds) and all(_within(quote, condition_source(code, c)) for c in conds)


def _exit_hit(quote: str, ex: Exit) -> Hit:
    names = list(dict.fromkeys(f"{name}()" for name, _ in ex.skipped))
    calls = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    msg = (
        f'the message says "{quote}", but a new early exit at line {ex.line.new_no} '
        f"now skips {calls} when {ex.condition}"
    )
    ev = [EvidenceLine(ex.line.text, "+", ex.path, None, ex.line.new_no, ex.line.mail_line, "exit")]
    ev += [
        EvidenceLine(ln.text, " ", ex.path, ln.old_no, ln.new_no, ln.mail_line, "skipped")
        for _, ln in ex.skipped[:3]
    ]
    first = ex.skipped[0][1]
    return Hit(
        msg,
        file=ex.path,
        line=first.new_no,
        mail_line=first.mail_line,
        symbol=ex.skipped[0][0],
        evidence=ordered(ev),
    )
