"""What RP308 compares: the call sites of a patch whose conditions changed,
with helper extraction taken into account, and the conditions as written.

A call that moved into a helper the patch adds runs under the conditions
of the helper's call site plus its own inside the helper.  An error check
that moved into such a helper, whose result the caller now checks
(``ret = foo_map(); if (ret) return ret;`` for ``if (IS_ERR(x)) return
PTR_ERR(x);``), is the same control flow spelled differently.
"""

from __future__ import annotations

__all__ = ["Change", "changes", "condition_source", "describe"]

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from reviewpatch.csource import NEW, OLD, Call, CodeLine, Condition, SeriesCode

_KEYWORD_RE = re.compile(r"\b(?:if|while|switch)\s*\(")
_WORD_RE = re.compile(r"[A-Za-z_]\w*")
_CALLEE_RE = re.compile(r"([A-Za-z_]\w*)\s*\(")


@dataclass(frozen=True)
class Change:
    """A call site whose conditions changed: ``gained`` and ``lost`` are
    the conditions the new call has and the old one had not (and the other
    way round); ``doubtful`` when a helper the patch adds is involved and
    the change may only be its spelling."""

    old: Call
    new: Call
    gained: tuple[Condition, ...]
    lost: tuple[Condition, ...]
    doubtful: bool


def _mask(text: str) -> str:
    return _WORD_RE.sub("I", text)


def _helpers(code: SeriesCode, index: int) -> frozenset[str]:
    """Functions whose definition the patch adds."""
    return frozenset(d.name for d in code.definitions_added(index) if d.kind == "function")


def _sites(
    code: SeriesCode, index: int, helper: str, path: str, function: str | None
) -> tuple[Call, ...]:
    """Added calls of ``helper`` in ``function`` of ``path``."""
    return tuple(
        c
        for c in code.calls(NEW, index)
        if c.callee == helper and c.changed and c.path == path and c.function == function
    )


def _effective(
    code: SeriesCode, index: int, old: Call, new: Call, helpers: frozenset[str]
) -> tuple[Condition, ...]:
    """The conditions ``new`` runs under, seen from the old function: when
    it moved into a new helper called where it used to be, the call site's
    conditions come first."""
    if new.function in helpers and new.function != old.function:
        sites = _sites(code, index, new.function or "", old.path, old.function)
        if len(sites) == 1:
            return sites[0].conditions + new.conditions
    return new.conditions


def _data_words(text: str) -> set[str]:
    """Identifiers of a condition that are not called."""
    called = set(_CALLEE_RE.findall(text))
    return {w for w in _WORD_RE.findall(text) if w not in called}


def _result_vars(code: SeriesCode, index: int, call: Call, helpers: frozenset[str]) -> set[str]:
    """Helpers called in ``call``'s function, and the variables the patch
    assigns their results to."""
    out: set[str] = set()
    for helper in helpers:
        for site in _sites(code, index, helper, call.path, call.function):
            out.add(helper)
            m = re.search(rf"([A-Za-z_][\w.\->]*)\s*=\s*{re.escape(helper)}\s*\(", site.line.text)
            if m:
                out.update(_WORD_RE.findall(m.group(1)))
    return out


def _moved_into(code: SeriesCode, cond: Condition, helpers: frozenset[str]) -> bool:
    """Whether a lost condition's data now lives in a helper the patch adds
    (the check moved there with the code it guards)."""
    if not cond.line.changed:
        return False
    words = _data_words(condition_source(code, cond))
    for helper in helpers:
        body = code.function_body(helper, NEW)
        if body is not None and words and words <= set(body.identifiers):
            return True
    return False


def _respelled(
    code: SeriesCode,
    index: int,
    new: Call,
    gained: Sequence[Condition],
    lost: Sequence[Condition],
    helpers: frozenset[str],
) -> tuple[tuple[Condition, ...], tuple[Condition, ...]]:
    """``gained`` and ``lost`` without the pairs that check a helper's
    result instead of the condition that moved into the helper."""
    results = _result_vars(code, index, new, helpers)
    checks = [g for g in gained if results & set(_WORD_RE.findall(condition_source(code, g)))]
    moved = [c for c in lost if _moved_into(code, c, helpers)]
    if not checks or not moved:
        return tuple(gained), tuple(lost)
    return tuple(g for g in gained if g not in checks), tuple(c for c in lost if c not in moved)


def changes(code: SeriesCode, index: int) -> Iterator[Change]:
    """Each call site of patch ``index`` whose conditions changed, renamed
    conditions and helper extraction aside."""
    pairs = [(g.old, g.new) for g in code.guarded_calls(index)]
    pairs += [(m.removed, m.added) for m in code.moved_calls(index)]
    helpers = _helpers(code, index)
    done = set()
    for old, new in pairs:
        if not (old.context_complete and new.context_complete):
            continue
        key = (new.path, new.line.new_no, new.callee)
        if key in done:
            continue
        done.add(key)
        now = _effective(code, index, old, new, helpers)
        had, has = {c.key for c in old.conditions}, {c.key for c in now}
        gained = tuple(c for c in now if c.key not in had)
        lost = tuple(c for c in old.conditions if c.key not in has)
        gained, lost = _respelled(code, index, new, gained, lost, helpers)
        if sorted(_mask(c.key) for c in gained) == sorted(_mask(c.key) for c in lost):
            continue  # the same conditions, renamed
        doubtful = bool(helpers) and (
            new.function in helpers or bool(_result_vars(code, index, new, helpers))
        )
        yield Change(old, new, gained, lost, doubtful)


def _balanced(text: str, start: int) -> str | None:
    """The text inside the parenthesis opened at ``start - 1``."""
    depth = 1
    for i in range(start, len(text)):
        depth += text[i] == "("
        depth -= text[i] == ")"
        if depth == 0:
            return text[start:i]
    return None


def _lines_from(code: SeriesCode, line: CodeLine) -> str:
    """``line`` and the few lines after it in its view, joined."""
    for fr in (*code.fragments(NEW), *code.fragments(OLD)):
        lines = fr.view.lines
        if line.no <= len(lines) and lines[line.no - 1] == line:
            return " ".join(ln.text.strip() for ln in lines[line.no - 1 : line.no + 5])
    return line.text.strip()


def condition_source(code: SeriesCode, cond: Condition) -> str:
    """The condition as written in the source (``if``/``while`` conditions
    read from the lines), falling back to the analysis' text."""
    if cond.kind in ("if", "else", "early-exit", "loop"):
        text = _lines_from(code, cond.line)
        for m in _KEYWORD_RE.finditer(text):
            inner = _balanced(text, m.end())
            if inner is not None:
                return " ".join(inner.split())
    return cond.text


def describe(code: SeriesCode, cond: Condition, gained: bool) -> str:
    """How a reviewer says that ``cond`` was gained (or lost)."""
    text = condition_source(code, cond)
    if cond.kind == "early-exit":
        where = cond.line.new_no if gained else cond.line.old_no
        at = f" (early exit at line {where})" if where else " (early exit)"
        return (
            f"is now skipped when {text}{at}"
            if gained
            else f"was skipped when {text} before, and no longer is"
        )
    when = f"{text} is false" if cond.negated else text
    return f"now runs only if {when}" if gained else f"no longer runs only if {when}"
