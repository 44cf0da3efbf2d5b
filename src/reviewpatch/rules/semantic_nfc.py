"""What RP308 compares: the call sites of a patch whose conditions changed,
with helper extraction taken into account, and the conditions as written.

A call that moved into a helper the patch adds runs under the conditions
of the helper's call site plus its own inside the helper.  An error check
that moved into such a helper, whose result the caller now checks
(``ret = foo_map(); if (ret) return ret;`` for ``if (IS_ERR(x)) return
PTR_ERR(x);``), is the same control flow spelled differently.
"""

from __future__ import annotations

__all__ = [
    "Change",
    "Exit",
    "changes",
    "condition_source",
    "describe",
    "visible_exits",
]

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from reviewpatch.csource import NEW, OLD, Call, CodeLine, Condition, SeriesCode
from reviewpatch.model import DiffLine, LineKind, Patch

_KEYWORD_RE = re.compile(r"\b(?:if|while|switch)\s*\(")
_WORD_RE = re.compile(r"[A-Za-z_]\w*")
_CALLEE_RE = re.compile(r"([A-Za-z_]\w*)\s*\(")
_IF_RE = re.compile(r"^(\s*)if\s*\((.*)\)\s*(.*)$")
_EXIT_RE = re.compile(r"^\s*(?:return\b[^;]*|goto\s+(\w+)|break|continue)\s*;")
_LABEL_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*:(?!:)")
_NOT_CALLS = frozenset(
    ["if", "while", "for", "switch", "return", "sizeof", "typeof", "defined", "likely", "unlikely"]
)


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
        key = (new.path, new.line.new_no, new.callee)
        if not old.context_complete or key in done:
            continue
        done.add(key)
        now = _effective(code, index, old, new, helpers)
        had, has = {c.key for c in old.conditions}, {c.key for c in now}
        gained = tuple(c for c in now if c.key not in had and not _jumps_past(code, c, new))
        lost = tuple(c for c in old.conditions if c.key not in has)
        if not new.context_complete:  # only what the visible new lines add
            gained, lost = tuple(c for c in gained if c.line.changed and c.kind != "else"), ()
        gained, lost = _respelled(code, index, new, gained, lost, helpers)
        if not gained and not lost:
            continue
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


def _view_lines(code: SeriesCode, line: CodeLine) -> tuple[CodeLine, ...]:
    """The lines of the view that holds ``line``."""
    for fr in (*code.fragments(NEW), *code.fragments(OLD)):
        lines = fr.view.lines
        if line.no <= len(lines) and lines[line.no - 1] == line:
            return tuple(lines)
    return ()


def _jumps_past(code: SeriesCode, cond: Condition, call: Call) -> bool:
    """Whether ``cond`` is a ``goto`` whose label comes before ``call``:
    the jump skips only what lies between it and its label."""
    if cond.kind != "early-exit":
        return False
    lines = _view_lines(code, cond.line)
    after = lines[cond.line.no - 1 : call.line.no - 1] if lines else ()
    target = next((m.group(1) for ln in after[:3] if (m := _EXIT_RE.match(ln.text))), None)
    return bool(target) and any(
        (m := _LABEL_RE.match(ln.text)) and m.group(1) == target for ln in after
    )


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


@dataclass(frozen=True)
class Exit:
    """A new early exit the diff shows (``if (cond)`` and ``return``,
    ``goto``, ``break`` or ``continue`` on added lines) and the unchanged
    calls after it, within the visible lines, that it can now skip."""

    path: str
    condition: str
    line: DiffLine
    skipped: tuple[tuple[str, DiffLine], ...]


def _indent(text: str) -> int:
    return len(text.expandtabs(8)) - len(text.expandtabs(8).lstrip())


def _exit_at(lines: list[DiffLine], i: int) -> tuple[str, str | None, int] | None:
    """(condition, goto label, index of the exit line) for an added
    ``if (c) exit;`` at ``i`` (on one line or two), else None."""
    m = _IF_RE.match(lines[i].text)
    if m is None or lines[i].kind is not LineKind.ADDED:
        return None
    rest, j = m.group(3), i
    if not rest and i + 1 < len(lines) and lines[i + 1].kind is LineKind.ADDED:
        rest, j = lines[i + 1].text, i + 1
    ex = _EXIT_RE.match(rest)
    return (" ".join(m.group(2).split()), ex.group(1), j) if ex else None


def _skipped(
    lines: list[DiffLine], start: int, indent: int, label: str | None
) -> Iterator[tuple[str, DiffLine]]:
    for ln in lines[start:]:
        if not ln.text.strip():
            continue
        lab = _LABEL_RE.match(ln.text)
        if lab and (label is None or lab.group(1) == label) or _indent(ln.text) < indent:
            return
        if ln.kind is LineKind.CONTEXT and not ln.text.lstrip().startswith(("*", "/", "#")):
            for name in _CALLEE_RE.findall(ln.text):
                if name not in _NOT_CALLS:
                    yield name, ln
                    break


def _checks_new_result(lines: list[DiffLine], cond: str) -> bool:
    """Whether ``cond`` tests a variable an added line assigns (the error
    check of new code, or of code that moved into a helper)."""
    words = set(_WORD_RE.findall(cond))
    for ln in lines:
        m = re.match(r"^\s*([A-Za-z_][\w.\->]*)\s*=[^=]", ln.text)
        if ln.kind is LineKind.ADDED and m and words & set(_WORD_RE.findall(m.group(1))):
            return True
    return False


def visible_exits(patch: Patch) -> Iterator[Exit]:
    """Each new early exit of ``patch`` with unchanged calls after it that
    it may now skip, read from the hunks alone (C files)."""
    for fd in patch.files:
        if not fd.path.endswith((".c", ".h")):
            continue
        for hunk in fd.hunks:
            lines = [ln for ln in hunk.lines if ln.kind is not LineKind.REMOVED]
            for i in range(len(lines)):
                found = _exit_at(lines, i)
                if found is None:
                    continue
                cond, label, j = found
                skipped = tuple(_skipped(lines, j + 1, _indent(lines[i].text), label))
                if skipped and not _checks_new_result(lines, cond):
                    yield Exit(fd.path, cond, lines[i], skipped)
