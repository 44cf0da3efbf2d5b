"""RP311 unbalanced-preprocessor-conditional: a patch that adds more
``#if``/``#ifdef``/``#ifndef`` than ``#endif`` to a file, or the other way
round."""

from __future__ import annotations

__all__ = ["directive", "unbalanced_preprocessor_conditional"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.model import DiffLine, FileDiff, LineKind
from reviewpatch.rules.c.common import diff_evidence
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

# files that go through the C preprocessor
_CPP_SUFFIXES = (".c", ".h", ".S", ".dts", ".dtsi", ".lds", ".inc")
_DIRECTIVE_RE = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$")


def directive(text: str) -> tuple[str, str] | None:
    """(keyword, rest) of a conditional directive line (``#  ifdef X``)."""
    m = _DIRECTIVE_RE.match(text)
    return (m.group(1), m.group(2).strip()) if m else None


@dataclass(frozen=True)
class _Seen:
    line: DiffLine
    word: str
    rest: str


def _directives(fd: FileDiff) -> list[_Seen]:
    out = []
    for hunk in fd.hunks:
        for ln in hunk.lines:
            if ln.kind is LineKind.CONTEXT:
                continue
            got = directive(ln.text)
            if got is not None and got[0] in ("if", "ifdef", "ifndef", "endif"):
                out.append(_Seen(ln, got[0], got[1]))
    return out


def _evidence(path: str, seen: list[_Seen], label: str) -> tuple[EvidenceLine, ...]:
    return tuple(diff_evidence(s.line, path, label) for s in seen)


@rule(
    id="RP311",
    name="unbalanced-preprocessor-conditional",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    scope=Scope.PATCH,
)
def unbalanced_preprocessor_conditional(ctx: RuleContext) -> Iterator[Hit]:
    """The patch opens more preprocessor conditionals in a file than it closes, or closes more than it opens.

    What it does
        For every file that goes through the C preprocessor (``.c``,
        ``.h``, ``.S``, device trees, linker scripts), counts the
        ``#if``/``#ifdef``/``#ifndef`` and ``#endif`` lines the patch adds
        and removes.  A file that was balanced before stays balanced only
        if the opening lines added minus those removed equal the closing
        lines added minus those removed; otherwise some block is left open
        or an ``#endif`` closes a block that is not its own.  The count
        needs no context: it holds for the whole file whatever the diff
        does not show.  ``#else`` and ``#elif`` do not change it.  The
        counts of the earlier patches of the series are carried along: a
        patch that mends what an earlier one left unbalanced is not
        reported, the earlier one is.
    Why it matters
        The file no longer preprocesses ("unterminated #ifdef", "#endif
        without #if"), or, worse, an ``#endif`` now closes an outer block
        and code is compiled in configurations where it was not meant to.
    Example
        +#ifdef CONFIG_FOO_DEBUG
        +        foo_dump(foo);
                 foo_start(foo);
    Use instead
        Add the ``#endif`` that closes the new block (or remove the one
        whose ``#if`` the patch takes away).
    """
    assert ctx.patch is not None
    for fd in ctx.patch.files:
        path = _path(fd)
        if fd.is_binary or not path.endswith(_CPP_SUFFIXES):
            continue
        seen = _directives(fd)
        added = [s for s in seen if s.line.kind is LineKind.ADDED]
        removed = [s for s in seen if s.line.kind is LineKind.REMOVED]
        before = sum(
            _balance(f)
            for p in ctx.series.patches
            if p.index < ctx.patch.index
            for f in p.files
            if _path(f) == path
        )
        more = _balance(fd)
        after = before + more
        if after == 0 or abs(after) <= abs(before):
            continue  # balanced, or mending what an earlier patch of the series left
        yield _hit(path, added, removed, more)


def _path(fd: FileDiff) -> str:
    return fd.new_path if not fd.is_deleted else fd.old_path


def _balance(fd: FileDiff) -> int:
    """Opening conditionals minus ``#endif`` lines that ``fd`` adds (net)."""
    net = 0
    for s in _directives(fd):
        sign = 1 if s.line.kind is LineKind.ADDED else -1
        net += sign if s.word != "endif" else -sign
    return net


def _hit(path: str, added: list[_Seen], removed: list[_Seen], more: int) -> Hit:
    if more > 0:
        what = f"{more} more opening conditional{'s' if more > 1 else ''} than #endif"
        culprits = [s for s in added if s.word != "endif"] or [
            s for s in removed if s.word == "endif"
        ]
    else:
        what = f"{-more} more #endif than opening conditional{'s' if more < -1 else ''}"
        culprits = [s for s in added if s.word == "endif"] or [
            s for s in removed if s.word != "endif"
        ]
    at = culprits[-1]
    shown = f"#{at.word} {at.rest}".strip()
    where = at.line.new_no if at.line.kind is LineKind.ADDED else at.line.old_no
    if at.line.kind is LineKind.ADDED:
        why = f"'{shown}' at line {where} " + (
            "has no #endif" if more > 0 else "has no opening line"
        )
    elif more > 0:
        why = f"the #endif it removes (old line {where}) closed a block that stays open"
    else:
        why = f"the '{shown}' it removes (old line {where}) leaves its #endif behind"
    msg = (
        f"the patch leaves {path} with {what}: it adds {_count(added, False)} and "
        f"{_count(added, True)}, and removes {_count(removed, False)} and "
        f"{_count(removed, True)}; {why}"
    )
    return Hit(
        message=msg,
        file=path,
        line=at.line.new_no if at.line.new_no is not None else at.line.old_no,
        side="new" if at.line.kind is LineKind.ADDED else "old",
        mail_line=at.line.mail_line,
        symbol=shown,
        evidence=_evidence(path, added, "added") + _evidence(path, removed, "removed"),
    )


def _count(seen: list[_Seen], closing: bool) -> str:
    n = sum((s.word == "endif") == closing for s in seen)
    word = "#endif" if closing else "#if/#ifdef/#ifndef"
    return f"{n} {word}"
