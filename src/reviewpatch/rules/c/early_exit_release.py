"""RP310 early-exit-skips-release: a return or goto the patch adds leaves a
lock held, a reference taken or memory allocated, which the normal path of
the function releases."""

from __future__ import annotations

__all__ = ["early_exit_skips_release"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewpatch.csource.flowmodel import Exit, Site
from reviewpatch.csource.formula import Formula, atoms_of, conj, disj, neg
from reviewpatch.csource.model import NEW, CodeLine
from reviewpatch.findings import Confidence, Severity
from reviewpatch.flow.analysis import FlowAnalysis
from reviewpatch.flow.bodies import FunctionView
from reviewpatch.flow.describe import unseen_text, when
from reviewpatch.rules.c.common import code_evidence, flow, fn
from reviewpatch.rules.c.pairs import by_result, is_acquire, releases
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule


@dataclass(frozen=True)
class _Call:
    site: Site
    cond: Formula
    pos: int
    path: str


@dataclass(frozen=True)
class _Leave:
    exit: Exit
    cond: Formula
    pos: int
    path: str


def _pos(line: CodeLine) -> int:
    return line.new_no if line.new_no is not None else line.no


def _facts(fa: FlowAnalysis, fv: FunctionView) -> tuple[list[_Call], list[_Leave], dict[str, int]]:
    binder = fa.binder(fv.pieces[0].patch_index, NEW)
    binder.add_links(fv)
    calls: list[_Call] = []
    leaves: list[_Leave] = []
    labels: dict[str, int] = {}
    for p in fv.pieces:
        for s in p.sites:
            calls.append(_Call(s, binder.norm(s.cond, {}), _pos(s.line), p.path))
        for e in p.exits:
            if e.kind in ("return", "goto"):
                leaves.append(_Leave(e, binder.norm(e.cond, {}), _pos(e.line), p.path))
        for lab in p.labels:
            labels[lab.name] = _pos(lab.line)
    return calls, leaves, labels


def _object(acquire: Site) -> str:
    """What an acquisition takes: its result, or its first argument."""
    return acquire.assigned if by_result(acquire.callee) else acquire.target


def _shown(acquire: Site) -> str:
    """The object as written."""
    if by_result(acquire.callee):
        return acquire.assigned
    first = acquire.args[0] if acquire.args else ""
    return first[1:].strip() if first.startswith("&") else first


def _mentions(text: str, word: str) -> bool:
    return bool(word) and re.search(rf"(?<![\w>.]){re.escape(word)}(?!\w)", text) is not None


def _conditional(acq: _Call, leave: _Leave) -> bool:
    """Whether the exit tests the acquisition's own outcome (a trylock or
    an allocation that failed): then nothing was taken."""
    for a in atoms_of(leave.cond):
        text = f"{a.key} {a.text}"
        if acq.site.callee in text or _mentions(a.text, acq.site.assigned):
            return True
    return False


@rule(
    id="RP310",
    name="early-exit-skips-release",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    family="semantic",
)
def early_exit_skips_release(ctx: RuleContext) -> Iterator[Hit]:
    """A new return or goto leaves something taken that the normal path of the function releases.

    What it does
        In every function the patch changes, pairs each acquisition (a lock,
        a reference, an allocation, an enable: mutex_lock() and
        mutex_unlock(), kzalloc() and kfree(), of_find_node_by_name() and
        of_node_put(), foo_get() and foo_put() ...) with the releases of the
        same object later in the function.  For each return or goto after
        the acquisition, where the exit or the acquisition is new, it asks
        the solver for a case that reaches the exit with the object taken
        and no release on the way (a goto's label counts when its code
        releases it).  Exits that test the acquisition's own outcome (a
        trylock, a failed allocation), that return the object, or that hand
        it to another function or structure first are left alone.

    Why it matters
        An error path added in a hurry is where locks stay held, references
        leak and memory is lost; the normal path works, so tests pass.

    Example
                mutex_lock(&data->lock);
        +	if (!data->ready)
        +		return -EAGAIN;      /* data->lock stays held */
                ...
                mutex_unlock(&data->lock);

    Use instead
        Release on the new path too (jump to the label that does it, or add
        the release before the return).
    """
    fa = flow(ctx)
    if fa is None or ctx.patch is None:
        return
    seen: set[str] = set()
    for fv in fa.bodies(ctx.patch.index).functions(NEW).values():
        if not fv.touched:
            continue
        for hit in _in_function(fa, fv):
            if hit.symbol not in seen:
                seen.add(hit.symbol or "")
                yield hit


def _in_function(fa: FlowAnalysis, fv: FunctionView) -> Iterator[Hit]:
    calls, leaves, labels = _facts(fa, fv)
    for acq in calls:
        if not is_acquire(acq.site.callee):
            continue
        obj = _object(acq.site)
        if by_result(acq.site.callee) and not obj:
            continue
        rels = [
            c
            for c in calls
            if c.pos > acq.pos
            and releases(acq.site.callee, c.site.callee)
            and (c.site.target == obj or (not obj and not c.site.arg_keys))
        ]
        if not rels:
            continue
        for leave in leaves:
            hit = _judge(fa, fv, acq, obj, rels, leave, calls, labels)
            if hit is not None:
                yield hit


def _handed(calls: list[_Call], acq: _Call, leave: _Leave, obj: str) -> list[_Call]:
    """Calls between the acquisition and the exit that take the object."""
    if not obj:
        return []
    return [
        c
        for c in calls
        if acq.pos < c.pos < leave.pos
        and c is not acq
        and any(_mentions(k, obj) for k in c.site.arg_keys)
    ]


def _judge(
    fa: FlowAnalysis,
    fv: FunctionView,
    acq: _Call,
    obj: str,
    rels: list[_Call],
    leave: _Leave,
    calls: list[_Call],
    labels: dict[str, int],
) -> Hit | None:
    e = leave.exit
    if leave.pos <= acq.pos or not (e.line.kind == "+" or acq.site.line.kind == "+"):
        return None
    if leave.pos > max(r.pos for r in rels):
        return None  # after the last release: the normal path is done with it
    if _conditional(acq, leave) or _mentions(e.value, obj):
        return None
    if e.kind == "goto":
        at = labels.get(e.label)
        if at is None or any(r.pos > at for r in rels):
            return None  # the label is not in view, or its code releases
    between = [r.cond for r in rels if acq.pos < r.pos < leave.pos]
    handed = [c.cond for c in _handed(calls, acq, leave, obj)]
    stores = [
        s.cond
        for p in fv.pieces
        for s in p.stores
        if obj and s.rhs == obj and acq.pos < _pos(s.line) < leave.pos
    ]
    path = conj(leave.cond, acq.cond, neg(disj(*between, *handed, *stores)))
    atoms = atoms_of(path)
    w = fa.solver.witness(path, atoms) if atoms or not path.is_false else None
    if w is None or path.is_false:
        return None
    return _hit(fv, acq, obj, rels, leave, when(w), "" if w.robust else unseen_text(w))


def _hit(
    fv: FunctionView,
    acq: _Call,
    obj: str,
    rels: list[_Call],
    leave: _Leave,
    when: str,
    unseen: str,
) -> Hit:
    e = leave.exit
    rel = rels[-1]
    what = f"the {'return' if e.kind == 'return' else f'goto {e.label}'} at line {_pos(e.line)}"
    taken = f"{_shown(acq.site)} " if obj else ""
    msg = (
        f"{what} in {fn(fv.name)} leaves {taken}taken by {acq.site.callee}() at line "
        f"{acq.pos}: {when}, it exits without {rel.site.callee}({rel.site.args[0] if rel.site.args else ''}), which the normal path "
        f"does at line {rel.pos}"
    )
    if e.kind == "goto":
        msg += f" (the code after {e.label}: does not)"
    severity = None
    if unseen:
        msg += f" (if {unseen})"
        severity = Severity.NOTE
    evidence = (
        code_evidence(acq.site.line, acq.path, "taken here"),
        code_evidence(e.line, leave.path, "exit"),
        code_evidence(rel.site.line, rel.path, "released here"),
    )
    at = e.line if e.line.kind == "+" else acq.site.line
    return Hit(
        message=msg,
        patch_index=fv.pieces[0].patch_index,
        file=leave.path if at is e.line else acq.path,
        line=at.new_no,
        side="new",
        mail_line=at.mail_line,
        symbol=rel.site.callee,
        evidence=tuple(sorted(evidence, key=lambda ev: ev.new_no or 0)),
        severity=severity,
    )
