"""RP310 early-exit-skips-release: a return or goto the patch adds leaves a
lock held, a reference taken or memory allocated, which the normal path of
the function releases."""

from __future__ import annotations

__all__ = ["early_exit_skips_release"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewpatch.csource.flowmodel import Exit, Site
from reviewpatch.csource.formula import (
    Atom,
    AtomKind,
    Formula,
    atom,
    atoms_of,
    conj,
    disj,
    neg,
    rename_atoms,
)
from reviewpatch.csource.model import NEW, OLD, CodeLine
from reviewpatch.csource.prepare import UNSEEN_BLOCK
from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.flow.analysis import FlowAnalysis
from reviewpatch.flow.bodies import FunctionView
from reviewpatch.flow.compare import doubtful
from reviewpatch.flow.describe import unseen_text, when
from reviewpatch.flow.solver import Witness
from reviewpatch.rules.c.common import code_evidence, flow, fn
from reviewpatch.rules.c.pairs import by_result, is_acquire, is_lock, lock_of, releases
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_CAST_RE = re.compile(r"^\((?:struct\s+)?[\w\s]+\*?\)")


@dataclass(frozen=True)
class _Call:
    site: Site
    cond: Formula
    pos: int
    path: str
    piece: int = 0


@dataclass(frozen=True)
class _Leave:
    exit: Exit
    cond: Formula
    pos: int
    path: str
    hunk: int | None = None
    piece: int = 0


@dataclass(frozen=True)
class _Function:
    """One function's calls, exits and labels (positions are file lines)."""

    view: FunctionView
    calls: tuple[_Call, ...]
    leaves: tuple[_Leave, ...]
    labels: dict[str, int]
    error_labels: tuple[int, ...] = ()


def _pos(line: CodeLine) -> int:
    return line.new_no if line.new_no is not None else line.old_no or line.no


def _facts(fa: FlowAnalysis, fv: FunctionView, side: str = NEW) -> _Function:
    binder = fa.binder(fv.pieces[0].patch_index, side)
    binder.add_links(fv)
    calls: list[_Call] = []
    leaves: list[_Leave] = []
    labels: dict[str, int] = {}
    errors: list[int] = []
    for k, p in enumerate(fv.pieces):
        for s in p.sites:
            calls.append(_Call(s, binder.norm(s.cond, {}), _pos(s.line), p.path, k))
        for e in p.exits:
            if e.kind in ("return", "goto"):
                leaves.append(
                    _Leave(e, binder.norm(e.cond, {}), _pos(e.line), p.path, p.hunk_index, k)
                )
        for lab in p.labels:
            labels[lab.name] = _pos(lab.line)
            if lab.fall.is_false:
                errors.append(_pos(lab.line))
    return _Function(fv, tuple(calls), tuple(leaves), labels, tuple(errors))


def _norm(text: str) -> str:
    """An object as written, without spaces, ``&``, casts or outer
    parentheses: ``&data->lock`` and ``data->lock`` are one object."""
    text = "".join(text.split())
    text = _CAST_RE.sub("", text).lstrip("&*")
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].lstrip("&*")
    return text


def _object(acquire: Site) -> str:
    """What an acquisition takes: its result, or its first argument.  An
    allocator whose result is kept (``new = pud_alloc(mm, p4d, addr)``)
    takes its result, whatever its first argument is."""
    if by_result(acquire.callee) or acquire.assigned and "alloc" in acquire.callee.split("_"):
        return _norm(acquire.assigned)
    return _norm(acquire.args[0]) if acquire.args else ""


def _released(release: Site) -> str:
    return _norm(release.args[0]) if release.args else ""


def _mentions(text: str, word: str) -> bool:
    if not word:
        return False
    return re.search(rf"(?<![\w>.]){re.escape(word)}(?![\w(])", "".join(text.split())) is not None


def _conditional(acq: _Call, leave: _Leave) -> bool:
    """Whether the exit is taken on the acquisition's own outcome (a
    trylock, an allocation that failed): its innermost condition tests the
    result.  Then nothing was taken."""
    guards = leave.exit.guards
    if not guards:
        return False
    test = guards[-1]
    if acq.site.callee in test.text or acq.site.callee in test.via:
        return True
    if "trylock" in acq.site.callee and any(acq.site.callee in g.text for g in guards):
        return True  # inside the branch of a failed trylock: nothing taken there
    result = _norm(acq.site.assigned)
    return bool(result) and _mentions(test.text, result)


def _releases_of(fun: _Function, acq: _Call, obj: str) -> list[_Call]:
    return [
        c
        for c in fun.calls
        if c.pos > acq.pos
        and releases(acq.site.callee, c.site.callee)
        and (
            (_released(c.site) == obj or any(_norm(a) == obj for a in c.site.args))
            if obj
            else not c.site.args
        )
    ]


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
        same object later in the function (a lock taken in a function that
        is not itself a lock helper is released in it even when the diff
        does not show where).  For each return or goto after the
        acquisition, where the exit or the acquisition is new, it asks the
        solver for a case that reaches the exit with the object taken and
        no release on the way.  A goto counts as releasing when its label's
        code does; when the label is not in the diff, other gotos to it that
        release the object first show that it does not.  A return that
        replaces a goto to a label that releases is reported too, and so
        is an exit taken because a lookup found its object (``if (np)
        return -ENODEV;`` after ``of_find_matching_node()``) in a function,
        shown whole, that never releases, passes on or returns it.  Two
        checks need no acquisition in view: a new error return just above
        an unchanged ``goto label`` whose code releases an object that
        nothing between the two takes (``return -ENOMEM;`` above ``goto
        free_pd;`` whose label does ``kfree(pd)``), and a new return just
        above an unchanged unlock of a lock that nothing between them takes
        (the lock is held there, taken above the hunk).  Exits
        that test the acquisition's own outcome (a trylock, a failed
        allocation), that return the object, or that hand it to another
        function or structure first are left alone.

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
    bodies = fa.bodies(ctx.patch.index)
    for fv in bodies.functions(NEW).values():
        if not fv.touched or fv.name.startswith("<"):
            continue  # a function the diff does not name: its bounds are guesses
        fun = _facts(fa, fv)
        old = bodies.functions(OLD).get(fv.key)
        before = _facts(fa, old, OLD) if old is not None else None
        if before is None and _moved_unchanged(fa, fun, bodies.functions(OLD)):
            continue  # the same function, moved from another file of the patch
        hits = list(_held(fa, fun, before))
        hits += _skipped_label(fa, fun, before)
        hits += _unlocked_below(fa, fun, before)
        if before is not None:
            hits += _replaced_gotos(fun, before)
        for hit in hits:
            if hit.symbol not in seen:
                seen.add(hit.symbol or "")
                yield hit


def _shape(fun: _Function) -> tuple[tuple[str, ...], ...]:
    """What a function does, line numbers aside: its calls with their
    arguments, and its exits, in order."""
    calls = tuple((c.site.callee, *c.site.args) for c in fun.calls)
    leaves = tuple((lv.exit.kind, " ".join(lv.exit.line.text.split())) for lv in fun.leaves)
    return calls + leaves


def _moved_unchanged(fa: FlowAnalysis, fun: _Function, old: dict[str, FunctionView]) -> bool:
    """Whether the patch removes a function of the same name and the same
    calls and exits from another file (a file merged into another, code
    moved to a new file): nothing in it is new."""
    if not fun.view.complete:
        return False
    return any(
        fv.name == fun.view.name
        and fv.path != fun.view.path
        and fv.complete
        and _shape(_facts(fa, fv, OLD)) == _shape(fun)
        for fv in old.values()
    )


def _held(fa: FlowAnalysis, fun: _Function, before: _Function | None = None) -> Iterator[Hit]:
    """Exits after an acquisition that leave without its release (an
    exit that only rewrites a return that was there, after an unchanged
    acquisition, is not the patch's doing)."""
    fv = fun.view
    for acq in fun.calls:
        if not is_acquire(acq.site.callee) or _status(acq.site):
            continue
        obj = _object(acq.site)
        if by_result(acq.site.callee) and not obj:
            continue
        rels = _releases_of(fun, acq, obj)
        if is_lock(acq.site.callee) and _dropped_before(fun, acq, obj):
            continue  # unlock, then lock again: the function is entered holding it
        assumed = not rels and is_lock(acq.site.callee) and _releases_later(fv)
        if not rels and not assumed:
            yield from _dropped(fa, fun, acq, obj)
            continue
        for leave in fun.leaves:
            if acq.site.line.kind != "+" and _rewritten(leave, before):
                continue
            hit = _judge(fa, fun, acq, obj, rels, leave)
            if hit is not None:
                yield hit


_STATUS_NAMES = frozenset({"ret", "err", "rc", "error", "status", "rv"})


def _status(site: Site) -> bool:
    """A call whose result is kept as a status code (``ret = of_get_dram_
    timings(dmc);``): a driver's own function that happens to be named like
    a kernel lookup, not a reference taken."""
    return by_result(site.callee) and _norm(site.assigned) in _STATUS_NAMES


def _dropped(fa: FlowAnalysis, fun: _Function, acq: _Call, obj: str) -> Iterator[Hit]:
    """A reference or allocation kept in a local that the whole function
    never releases, passes on, stores or returns, and an exit taken because
    it was found (``np = of_find_matching_node(...); if (np) return
    -ENODEV;``): the reference is lost."""
    fv = fun.view
    if not by_result(acq.site.callee) or not fv.complete or not obj or "->" in obj or "." in obj:
        return
    if not any(acq.site.assigned in p.locals for p in fv.pieces):
        return
    if any(acq.site.assigned in p.cleaned for p in fv.pieces):
        return  # declared __free(...): released when its scope ends
    for c in fun.calls:
        if c is not acq and any(_mentions(a, obj) for a in c.site.args):
            return  # handed to a call, which may keep or release it
    for p in fv.pieces:
        for st in p.stores:
            if _mentions(st.rhs.replace(" ", ""), obj):
                return
    for leave in fun.leaves:
        e = leave.exit
        if leave.pos <= acq.pos or not (e.line.kind == "+" or acq.site.line.kind == "+"):
            continue
        if _mentions(e.value, obj) or not _found(leave, obj):
            continue
        path = _inside_blocks(conj(leave.cond, acq.cond))
        w = fa.solver.witness(path, atoms_of(path))
        if w is None:
            continue
        msg = (
            f"{_what(e, leave.pos)} in {fn(fv.name)} is taken when {acq.site.callee}() at line "
            f"{acq.pos} found {acq.site.assigned}, which holds a reference now; nothing in "
            f"{fn(fv.name)} releases it, so it is lost ({when(w)})"
        )
        evidence = [
            code_evidence(acq.site.line, acq.path, "taken here"),
            code_evidence(e.line, leave.path, "exit"),
        ]
        doubt = unseen_text(w) if not w.robust else ""
        yield _located(
            fv,
            leave if e.line.kind == "+" else acq,
            msg + (f" (if {doubt})" if doubt else ""),
            acq.site.callee,
            evidence,
            Severity.NOTE if doubt else None,
        )
        return


def _found(leave: _Leave, obj: str) -> bool:
    """The exit's innermost condition says ``obj`` was found (non-NULL)."""
    guards = leave.exit.guards
    if not guards:
        return False
    g = guards[-1]
    text = "".join(g.text.split())
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    if text.startswith(("likely(", "unlikely(")) and text.endswith(")"):
        text = text[text.index("(") + 1 : -1]
    yes = {obj, f"{obj}!=NULL", f"NULL!={obj}"}
    no = {f"!{obj}", f"{obj}==NULL", f"NULL=={obj}"}
    return g.kind == "if" and text in yes or g.kind == "else" and text in no


def _dropped_before(fun: _Function, acq: _Call, obj: str) -> bool:
    """The lock is released earlier in the function than this acquisition
    (``mutex_unlock(&l); request_module(); mutex_lock(&l);``): the caller
    holds it, and the function gives it back as it got it."""
    return any(
        c.pos < acq.pos
        and releases(acq.site.callee, c.site.callee)
        and (_released(c.site) == obj if obj else not c.site.args)
        for c in fun.calls
    )


def _releases_later(fv: FunctionView) -> bool:
    """A lock taken here is released in the unseen rest of the function:
    the function is not itself a lock helper and its end is not shown."""
    last = fv.pieces[-1]
    return not last.end_visible and "lock" not in fv.name.split("_")


_TAKES_RE = re.compile(
    r"(?:^|_)(?:add|register|attach|set|insert|enqueue|queue|store|assign|transfer|put|free|"
    r"release|destroy|consume|give|hand|own|link|install)(?:_|$)"
)


def _handed(fun: _Function, acq: _Call, leave: _Leave, obj: str) -> list[_Call]:
    """Calls between the acquisition and the exit that may take the object
    over (or release it under another name): ``list_add(&obj->node, ..)``,
    ``foo_register(obj)``, ``bar_put(obj)``."""
    if not obj:
        return []
    return [
        c
        for c in fun.calls
        if acq.pos < c.pos < leave.pos
        and c is not acq
        and (
            _TAKES_RE.search(c.site.callee)
            and any(_mentions(a, obj) or _mentions(a, _base(obj)) for a in c.site.args)
            or _lock_passed(acq, c)
            and any(_mentions(a, obj) for a in c.site.args)
            or _drops_lock(acq.site.callee, c.site.callee)
        )
    ]


def _base(obj: str) -> str:
    """The structure an object hangs off (``drv`` for ``drv->opp_tables``):
    handing the structure over hands the object over with it; "" for a
    plain name."""
    base = re.split(r"->|\.|\[", obj, maxsplit=1)[0]
    return base if base != obj else ""


def _lock_passed(acq: _Call, call: _Call) -> bool:
    """A held lock handed to another function, which may drop it
    (``migration_entry_wait_on_locked(entry, ptl)``); assertions and the
    lock calls themselves aside."""
    name = call.site.callee
    return (
        is_lock(acq.site.callee)
        and not name.startswith(("lockdep_", "assert_", "WARN", "BUG"))
        and not releases(acq.site.callee, name)
        and not is_acquire(name)
    )


def _drops_lock(acquire: str, call: str) -> bool:
    """Kernel calls that may return with a lock their caller took already
    released: ``handle_mm_fault()`` drops the mmap lock when it answers
    VM_FAULT_RETRY or VM_FAULT_COMPLETED (every arch's fault handler)."""
    return acquire.startswith("mmap_") and call == "handle_mm_fault"


_SHORT_GAP = 20


def _split(fun: _Function, acq: _Call, rels: list[_Call], leave: _Leave) -> bool:
    """Whether unseen code between the acquisition and the exit may have
    released the object: they are in different pieces, no release shows
    after the exit, and it is not a lock taken just before a short gap."""
    if leave.piece == acq.piece or any(r.pos > leave.pos for r in rels):
        return False
    return not (is_lock(acq.site.callee) and _gap(fun, acq.piece, leave.piece) <= _SHORT_GAP)


def _gap(fun: _Function, first: int, last: int) -> int:
    """How many lines the diff does not show between two pieces."""
    pieces = fun.view.pieces
    hidden = 0
    for k in range(first, last):
        end, start = pieces[k].end, pieces[k + 1].start
        if end.new_no is None or start.new_no is None:
            return 10**6
        hidden += max(0, start.new_no - end.new_no - 1)
    return hidden


def _inside_blocks(f: Formula) -> Formula:
    """``f`` with the conditions of the blocks a fragment starts inside of
    taken as ordinary unknown conditions: the exit is in such a block, so
    its condition can hold; which one it is does not matter here."""

    def seen(a: Atom) -> Formula | None:
        if a.kind is AtomKind.UNSEEN and a.name.startswith(UNSEEN_BLOCK):
            return atom(AtomKind.COND, a.name, "the condition of the block around it")
        return None

    return rename_atoms(f, seen)


def _normal(fun: _Function, leave: _Leave, rel: _Call) -> bool:
    """Whether ``rel`` lies on the normal path from the exit's place: no
    label between them that only gotos reach (an error path)."""
    return rel.pos > leave.pos and not any(leave.pos < at < rel.pos for at in fun.error_labels)


def _peer(fun: _Function, acq: _Call, rels: list[_Call], leave: _Leave) -> bool:
    """Another exit after the acquisition jumps to a label whose code
    releases the object, while this one (a goto elsewhere) does not: the
    function releases on its error paths, and this error path forgets."""
    if leave.exit.kind != "goto":
        return False
    for other in fun.leaves:
        if other is leave or other.exit.kind != "goto" or other.pos <= acq.pos:
            continue
        if other.exit.label != leave.exit.label and _label_releases(fun, other.exit.label, rels):
            return True
    return False


def _already(fun: _Function, acq: _Call, rels: list[_Call], new: _Leave) -> bool:
    """An unchanged exit like the new one (a goto to the same label, or an
    error return) after the unchanged acquisition, not on its own failure,
    that releases nothing on its way: the function already leaves like
    this (on purpose, or the leak predates the patch).  It is in the
    acquisition's piece, or in the new exit's: then whatever the hidden
    lines between them do, they do for both exits."""
    for leave in fun.leaves:
        e = leave.exit
        if leave is new or e.line.kind != " " or leave.piece not in (acq.piece, new.piece):
            continue
        if leave.pos <= acq.pos or (rels and leave.pos > max(r.pos for r in rels)):
            continue
        if _conditional(acq, leave) or e.kind == "return" and e.value.strip() in ("", "0"):
            continue
        if e.kind != new.exit.kind or e.kind == "goto" and e.label != new.exit.label:
            continue
        if not any(acq.pos < r.pos < leave.pos for r in rels):
            return True
    return False


def _retaken(fun: _Function, acq: _Call, obj: str, rels: list[_Call]) -> bool:
    """The object is taken again after its last release (``ptrace_stop()``
    drops the siglock to sleep and retakes it): the function is meant to
    return with it held, so an exit that keeps it follows suit."""
    if not rels or not obj:
        return False
    last = max(r.pos for r in rels)
    return any(
        c.pos > last and c.site.callee == acq.site.callee and _object(c.site) == obj
        for c in fun.calls
    )


_CONSTANTS = frozenset({"true", "false", "0", "1", "NULL"})


def _told_by_value(fun: _Function, acq: _Call, rels: list[_Call], leave: _Leave) -> bool:
    """The function tells its caller by its return value whether it still
    holds the object: the exits that release it just before returning
    return one constant (``false``), this one another (``true``)."""
    mine = leave.exit.value.strip()
    if mine not in _CONSTANTS:
        return False
    for other in fun.leaves:
        value = other.exit.value.strip()
        if other is leave or other.exit.kind != "return" or other.pos <= acq.pos:
            continue
        if value in _CONSTANTS and value != mine and any(0 < other.pos - r.pos <= 3 for r in rels):
            return True
    return False


def _label_code_unseen(fun: _Function, at: int) -> bool:
    """The label at file line ``at`` is followed by no call and no exit in
    a shown piece whose end is not the function's: the code after it is
    not in the diff."""
    for p in fun.view.pieces:
        if _pos(p.start) <= at <= _pos(p.end):
            after = any(_pos(s.line) > at for s in p.sites) or any(
                _pos(e.line) > at for e in p.exits
            )
            return not after and not p.end_visible
    return False


def _label_releases(fun: _Function, label: str, rels: list[_Call]) -> bool | None:
    """Whether the code after ``label`` releases: True or False when the
    label is in view; when it is not, False if another goto to it releases
    the object just before jumping (so the label does not), else None."""
    at = fun.labels.get(label)
    if at is not None:
        if any(r.pos > at for r in rels):
            return True
        return None if _label_code_unseen(fun, at) else False
    for other in fun.leaves:
        if other.exit.kind == "goto" and other.exit.label == label:
            before = [r for r in rels if r.pos < other.pos and other.pos - r.pos <= 3]
            if before:
                return False
    return None


def _judge(
    fa: FlowAnalysis,
    fun: _Function,
    acq: _Call,
    obj: str,
    rels: list[_Call],
    leave: _Leave,
) -> Hit | None:
    e = leave.exit
    if leave.pos <= acq.pos or not (e.line.kind == "+" or acq.site.line.kind == "+"):
        return None
    if rels and leave.pos > max(r.pos for r in rels):
        return None  # after the last release: the normal path is done with it
    if _retaken(fun, acq, obj, rels):
        return None  # the function drops it and takes it again: it returns holding it
    if is_lock(acq.site.callee) and "lock" in fun.view.name.split("_"):
        return None  # set_or_lock_x(), x_lock(): a lock helper may return holding it
    if _told_by_value(fun, acq, rels, leave):
        return None  # it returns one value holding the lock, another without
    if rels and not any(_normal(fun, leave, r) for r in rels) and not _peer(fun, acq, rels, leave):
        return None  # only error paths release, and no other error exit shows this one should
    if _split(fun, acq, rels, leave):
        return None  # unseen code between them may have released it
    if acq.site.line.kind != "+" and _already(fun, acq, rels, leave):
        return None  # the function already leaves like this: not the patch's doing
    if _conditional(acq, leave) or _mentions(e.value, obj):
        return None
    if e.kind == "goto" and _label_releases(fun, e.label, rels) is not False:
        return None  # the label releases, or nothing shows it does not
    between = [r.cond for r in rels if acq.pos < r.pos < leave.pos]
    handed = [c.cond for c in _handed(fun, acq, leave, obj)]
    stores = [
        s.cond
        for p in fun.view.pieces
        for s in p.stores
        if obj and _norm(s.rhs.replace(" ", "")) == obj and acq.pos < _pos(s.line) < leave.pos
    ]
    path = _inside_blocks(conj(leave.cond, acq.cond, neg(disj(*between, *handed, *stores))))
    if path.is_false:
        return None
    w = fa.solver.witness(path, atoms_of(path))
    if w is None:
        return None
    doubt = unseen_text(w) if not w.robust else doubtful(w)
    normal = not rels or any(_normal(fun, leave, r) for r in rels)
    return _hit(fun.view, acq, rels, leave, when(w), doubt, normal)


_NEAR = 15


def _rewritten(leave: _Leave, before: _Function | None) -> bool:
    """The new return replaces a removed one just above it (``-return
    NULL;`` ``+return 0;``): the exit was there before."""
    at = leave.exit.line.mail_line
    if before is None or at is None:
        return False
    for old in before.leaves:
        g = old.exit
        mail = g.line.mail_line
        removed = g.kind == "return" and g.line.kind == "-" and mail is not None
        if removed and old.hunk == leave.hunk and 0 < at - (mail or 0) <= 3:
            return True
    return False


def _skipped_label(fa: FlowAnalysis, fun: _Function, before: _Function | None) -> Iterator[Hit]:
    """A new error return just above an unchanged ``goto label`` whose code
    releases an object that the goto's path holds, where nothing between
    the two takes that object: the return leaves it taken too (``return
    -ENOMEM;`` placed before ``goto free_pd;``, whose label does
    ``kfree(pd)``).  Works without the acquisition in view."""
    for leave in fun.leaves:
        e = leave.exit
        if e.kind != "return" or e.line.kind != "+" or e.value.strip() in ("", "0", "true"):
            continue
        if _rewritten(leave, before):
            continue
        goto = _next_goto(fun, leave)
        if goto is None:
            continue
        at = fun.labels[goto.exit.label]
        for rel in _label_code(fun, at):
            obj = _released(rel.site)
            if not obj or _mentions(e.value, obj) or _tests(leave, obj) or _tests(goto, obj):
                continue
            if _taken_between(fun, obj, leave.pos, goto.pos):
                continue
            if _bare_before(fun, leave, obj):
                continue  # an unchanged exit above already leaves it so
            near = [
                c.cond
                for c in fun.calls
                if leave.pos - _NEAR < c.pos < leave.pos and _released(c.site) == obj
            ]
            found = _case(fa, leave, near)
            if found is None:
                continue
            w, doubt = found
            msg = (
                f"{_what(e, leave.pos)} in {fn(fun.view.name)} leaves {obj} taken: the goto "
                f"{goto.exit.label} at line {goto.pos} just below releases it with "
                f"{rel.site.callee}() at line {rel.pos}, and nothing between them takes it; "
                f"{when(w)}, it exits without {rel.site.callee}({rel.site.args[0]})"
            )
            evidence = [
                code_evidence(e.line, leave.path, "exit"),
                code_evidence(goto.exit.line, goto.path, "the error path below"),
                code_evidence(rel.site.line, rel.path, "released here"),
            ]
            yield _exit_hit(fun, leave, msg, doubt, rel.site.callee, evidence)
            break


def _unlocked_below(fa: FlowAnalysis, fun: _Function, before: _Function | None) -> Iterator[Hit]:
    """A new return above an unchanged unlock, in one stretch of shown code
    with no lock of that object between them: the lock is held where the
    return leaves (it was taken above the hunk), and the return keeps it.
    The unlock must be as unconditional as the return's surroundings, and
    the object not locked again further down (a function that drops the
    lock and retakes it returns with it held)."""
    for leave in fun.leaves:
        e = leave.exit
        if e.kind != "return" or e.line.kind != "+" or _rewritten(leave, before):
            continue
        if fun.view.pieces[leave.piece].head_visible:
            continue  # nothing above the shown code takes it: the caller holds it
        unlock = _first_unlock(fun, leave)
        if unlock is None:
            continue
        obj = _released(unlock.site)
        if any(
            releases(c.site.callee, unlock.site.callee) and _object(c.site) == obj
            for c in fun.calls
            if c.pos < unlock.pos and c is not unlock and c.piece == leave.piece
        ):
            continue  # taken in view (a trylock too): the acquisition's own check judges it
        if any(
            c.pos > unlock.pos and is_lock(c.site.callee) and _object(c.site) == obj
            for c in fun.calls
        ) or _mentions(e.value, obj):
            continue
        near = [
            c.cond
            for c in fun.calls
            if c.piece == leave.piece
            and c.pos < leave.pos
            and c.site.callee == unlock.site.callee
            and _released(c.site) == obj
        ]
        found = _case(fa, leave, near)
        if found is None:
            continue
        w, doubt = found
        name = f"{unlock.site.callee}({unlock.site.args[0] if unlock.site.args else ''})"
        msg = (
            f"{_what(e, leave.pos)} in {fn(fun.view.name)} leaves {obj or 'the lock'} held: "
            f"the code below releases it with {name} at line {unlock.pos} without taking it "
            f"again, so it is held here; {when(w)}, it exits without {name}"
        )
        evidence = [
            code_evidence(e.line, leave.path, "exit"),
            code_evidence(unlock.site.line, unlock.path, "released here"),
        ]
        yield _exit_hit(fun, leave, msg, doubt, unlock.site.callee, evidence)


def _first_unlock(fun: _Function, leave: _Leave) -> _Call | None:
    """The first lock release below the exit, close by in the same piece,
    before any other exit or label (code after a label is another path),
    at the level of the exit's enclosing blocks."""
    stop = min(
        [x.pos for x in fun.leaves if x.pos > leave.pos and x.piece == leave.piece]
        + [at for at in fun.labels.values() if at > leave.pos],
        default=10**9,
    )
    outer = {g.line.no for g in leave.exit.guards}
    for c in sorted(fun.calls, key=lambda x: x.pos):
        if c.piece != leave.piece or c.pos <= leave.pos or c.pos >= stop:
            continue
        if c.pos - leave.pos > _NEAR:
            return None
        if lock_of(c.site.callee) is None:
            continue
        if not c.site.args and c.site.callee not in ("rcu_read_unlock", "preempt_enable"):
            return None
        if all(g.line.no in outer for g in c.site.guards):
            return c
        return None
    return None


def _case(fa: FlowAnalysis, leave: _Leave, spared: list[Formula]) -> tuple[Witness, str] | None:
    """A case that reaches the exit with none of ``spared`` (the releases
    on the way) taken, and what it rests on that is in doubt."""
    path = _inside_blocks(conj(leave.cond, neg(disj(*spared))))
    w = fa.solver.witness(path, atoms_of(path))
    if w is None:
        return None
    return w, unseen_text(w) if not w.robust else doubtful(w)


def _exit_hit(
    fun: _Function, leave: _Leave, msg: str, doubt: str, symbol: str, evidence: list[EvidenceLine]
) -> Hit:
    """A finding at a new exit: a note when the case is in doubt."""
    return _located(
        fun.view,
        leave,
        msg + (f" (if {doubt})" if doubt else ""),
        symbol,
        evidence,
        Severity.NOTE if doubt else None,
    )


def _next_goto(fun: _Function, leave: _Leave) -> _Leave | None:
    """The first unchanged goto below the exit, in the same piece, close
    by, to a label whose code the diff shows."""
    for other in sorted(fun.leaves, key=lambda x: x.pos):
        if other.pos <= leave.pos or other.piece != leave.piece:
            continue
        if other.pos - leave.pos > _NEAR:
            return None
        if any(leave.pos < at < other.pos for at in fun.labels.values()):
            return None  # past a label: another path
        if other.exit.kind == "return" and other.exit.line.kind == " ":
            return None  # an unchanged return comes first: that is the model
        if other.exit.kind == "goto" and other.exit.line.kind == " ":
            return other if other.exit.label in fun.labels else None
    return None


def _label_code(fun: _Function, at: int) -> list[_Call]:
    """The releases after a label, up to the first return below it."""
    ends = [x.pos for x in fun.leaves if x.exit.kind == "return" and x.pos > at]
    end = min(ends) if ends else 10**9
    return [c for c in fun.calls if at < c.pos < end and _is_release(c.site) and c.site.args]


def _tests(leave: _Leave, obj: str) -> bool:
    return any(_mentions(g.text, obj) for g in leave.exit.guards[-1:])


def _taken_between(fun: _Function, obj: str, first: int, last: int) -> bool:
    """Whether code between two lines assigns the object (or what it hangs
    off) or hands out its address: it may be taken there."""
    base = re.split(r"->|\.|\[", obj, maxsplit=1)[0]
    names = {obj, base}
    for c in fun.calls:
        if first < c.pos < last:
            if _norm(c.site.assigned) in names:
                return True
            if any(a.strip().startswith("&") and _norm(a) in names for a in c.site.args):
                return True
    for p in fun.view.pieces:
        for st in p.stores:
            if first < _pos(st.line) < last and _norm(st.lhs) in names:
                return True
    return False


def _bare_before(fun: _Function, new: _Leave, obj: str) -> bool:
    """An unchanged error return above the new one, with nothing taking
    the object between them."""
    for leave in fun.leaves:
        e = leave.exit
        if e.kind != "return" or e.line.kind != " " or leave.piece != new.piece:
            continue
        if leave.pos >= new.pos or e.value.strip() in ("", "0", "true"):
            continue
        if not _taken_between(fun, obj, leave.pos, new.pos) and not _tests(leave, obj):
            return True
    return False


def _shown(acquire: Site) -> str:
    """The object as written."""
    if by_result(acquire.callee) or acquire.assigned and "alloc" in acquire.callee.split("_"):
        return acquire.assigned
    first = acquire.args[0] if acquire.args else ""
    return first[1:].strip() if first.startswith("&") else first


def _what(e: Exit, pos: int) -> str:
    return f"the {'return' if e.kind == 'return' else f'goto {e.label}'} at line {pos}"


def _hit(
    fv: FunctionView,
    acq: _Call,
    rels: list[_Call],
    leave: _Leave,
    case: str,
    unseen: str,
    normal: bool = True,
) -> Hit:
    e = leave.exit
    shown = _shown(acq.site) if acq.site.args or acq.site.assigned else ""
    if shown:
        msg = f"{_what(e, leave.pos)} in {fn(fv.name)} leaves {shown} taken by {acq.site.callee}() at line {acq.pos}: {case}, it exits without "
    else:  # preempt_disable(), local_irq_disable(): nothing named is taken
        msg = f"{_what(e, leave.pos)} in {fn(fv.name)} comes after {acq.site.callee}() at line {acq.pos}: {case}, it exits without "
    evidence = [
        code_evidence(acq.site.line, acq.path, "taken here"),
        code_evidence(e.line, leave.path, "exit"),
    ]
    if rels:
        rel = rels[-1]
        path = "the normal path does" if normal else "the function's other error paths do"
        msg += f"{rel.site.callee}({rel.site.args[0] if rel.site.args else ''}), which {path} at line {rel.pos}"
        evidence.append(code_evidence(rel.site.line, rel.path, "released here"))
        symbol = rel.site.callee
    else:
        msg += "releasing it, which the rest of the function (not in the diff) must do"
        symbol = acq.site.callee
    if e.kind == "goto":
        msg += f" (the code after {e.label}: does not)"
    severity = None
    if unseen:
        msg += f" (if {unseen})"
        severity = Severity.NOTE
    return _located(fv, leave if e.line.kind == "+" else acq, msg, symbol, evidence, severity)


def _located(
    fv: FunctionView,
    at: _Call | _Leave,
    msg: str,
    symbol: str,
    evidence: list[EvidenceLine],
    severity: Severity | None,
) -> Hit:
    line = at.exit.line if isinstance(at, _Leave) else at.site.line
    return Hit(
        message=msg,
        patch_index=fv.pieces[0].patch_index,
        file=at.path,
        line=line.new_no,
        side="new",
        mail_line=line.mail_line,
        symbol=symbol,
        evidence=tuple(sorted(evidence, key=lambda ev: ev.new_no or ev.old_no or 0)),
        severity=severity,
    )


def _replaced_gotos(new: _Function, old: _Function) -> Iterator[Hit]:
    """A ``return`` that replaces a ``goto label`` whose code releases
    something: the error path now skips that release."""
    for leave in new.leaves:
        e = leave.exit
        if e.kind != "return" or e.line.kind != "+" or e.line.mail_line is None:
            continue
        for gone in old.leaves:
            g = gone.exit
            if g.kind != "goto" or g.line.kind != "-" or g.line.mail_line is None:
                continue
            if gone.hunk != leave.hunk or not 0 < e.line.mail_line - g.line.mail_line <= 8:
                continue
            if _nearer(new, leave, g.line.mail_line):
                continue  # another new return follows the goto first: that one replaces it
            at = new.labels.get(g.label)
            if at is None or _moved_below(new, old, leave, gone) or _tests_acquire(leave):
                continue
            frees = [c for c in new.calls if c.pos > at and _is_release(c.site)]
            if frees:
                yield _replaced_hit(new.view, leave, gone, frees[0])


def _tests_acquire(leave: _Leave) -> bool:
    """The return is taken on the outcome of an acquisition in its own
    condition (``if (clk_pm_runtime_get_if_active(core)) return false;``):
    when it leaves, nothing was taken."""
    guards = leave.exit.guards
    if not guards:
        return False
    names = re.findall(r"([A-Za-z_]\w*)\s*\(", guards[-1].text)
    return any(is_acquire(n) for n in names)


def _nearer(new: _Function, leave: _Leave, after: int) -> bool:
    """A new return between mail line ``after`` and this one."""
    at = leave.exit.line.mail_line or 0
    return any(
        x.exit.kind == "return"
        and x.exit.line.kind == "+"
        and after < (x.exit.line.mail_line or 0) < at
        for x in new.leaves
    )


def _moved_below(new: _Function, old: _Function, leave: _Leave, gone: _Leave) -> bool:
    """A call the patch takes away above the replaced goto comes back below
    the new return (``exynos_bus_parse_of()`` moved after the allocation):
    the code was reordered, and what the label releases is not taken yet
    where the return leaves."""
    above = {c.site.callee for c in old.calls if c.site.line.kind == "-" and c.pos < gone.pos}
    return any(
        c.site.line.kind == "+" and c.pos > leave.pos and c.site.callee in above for c in new.calls
    )


def _is_release(site: Site) -> bool:
    name = site.callee
    return any(
        releases(a, name)
        for a in ("kzalloc", "mutex_lock", "spin_lock", "get_device", "of_node_get", "clk_get")
    ) or bool(re.search(r"(?:^|_)(?:free|put|unlock|release|destroy|unregister|disable)$", name))


def _replaced_hit(fv: FunctionView, leave: _Leave, gone: _Leave, free: _Call) -> Hit:
    e, g = leave.exit, gone.exit
    msg = (
        f"{_what(e, leave.pos)} in {fn(fv.name)} replaces goto {g.label}, whose code does "
        f"{free.site.callee}({free.site.args[0] if free.site.args else ''}) at line "
        f"{free.pos}: that error path no longer releases it"
    )
    evidence = [
        code_evidence(g.line, gone.path, "was"),
        code_evidence(e.line, leave.path, "now"),
        code_evidence(free.site.line, free.path, f"after {g.label}:"),
    ]
    return _located(fv, leave, msg, free.site.callee, evidence, None)
