"""RP305 set-clear-asymmetry: a flag set in one function of a pair
(enable/disable, start/stop, ...) that its partner does not clear.

Functions, calls and bodies come from the C analysis (``reviewpatch.csource``);
the setting and clearing operations are in ``semantic_ops``.  The partner is
judged where its body is in view up to its end: in the series' hunks or, in
tree mode, in the file as the patch leaves it.
"""

from __future__ import annotations

__all__ = [
    "CALL_PAIRS",
    "FUNC_PAIRS",
    "Op",
    "bit_ops",
    "call_op",
    "pairs",
    "partners",
    "set_clear_asymmetry",
]

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from reviewpatch.csource import NEW, OLD, CodeLine, FileCode, FunctionBody, SeriesCode
from reviewpatch.findings import Confidence, Severity
from reviewpatch.model import Patch
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.semantic_ops import (
    CALL_PAIRS,
    FUNC_PAIRS,
    Op,
    bit_ops,
    call_op,
    pairs,
    partners,
)
from reviewpatch.rules.semantic_text import (
    Scan,
    evidence,
    hunk_section,
    masked_lines,
    moved_line,
    ordered,
    removed_lines,
    scan,
)

_LIFETIME = (("probe", "remove"), ("alloc", "free"), ("create", "destroy"))

# -- reading the analysis -------------------------------------------------------


def _scans(patch: Patch, fc: FileCode, side: str) -> tuple[Scan, ...]:
    out = []
    for fr in fc.fragments(side):
        out.append(scan(fr, hunk_section(patch, fr.view.path, fr.view.hunk_index)))
    return tuple(out)


def _ops_at(sc: Scan, index: int, on: bool) -> tuple[Op, ...]:
    """The operations on line ``index`` of a scanned fragment."""
    line = sc.lines[index]
    calls = (c for c in sc.fragment.calls if c.line.no == line.no)
    found = [op for c in calls if (op := call_op(c, on)) is not None]
    return tuple(found) + bit_ops(sc.masked[index], on, line)


def _function_ops(scans: Sequence[Scan], name: str, on: bool) -> tuple[Op, ...] | None:
    """The operations on the lines of function ``name`` in view; None when
    no line of it is in view."""
    out: list[Op] = []
    seen = False
    for sc in scans:
        for i in sc.owned(name):
            seen = True
            out.extend(_ops_at(sc, i, on))
    return tuple(out) if seen else None


def _body_ops(body: FunctionBody, on: bool) -> tuple[Op, ...]:
    found = [op for c in body.calls if (op := call_op(c, on)) is not None]
    for line, code in zip(body.lines, masked_lines(body.lines)):
        found.extend(bit_ops(code, on, line))
    return tuple(found)


def _whole_body(code: SeriesCode, patch: Patch, path: str, name: str) -> FunctionBody | None:
    """The complete new body of ``name`` in ``path`` or another C file of
    the patch (from the hunks or, in tree mode, the whole file)."""
    paths = [path] + [f.path for f in code.files(patch.index) if f.path != path]
    for where in dict.fromkeys(paths):
        body = code.function_body(name, NEW, where)
        if body is not None and body.complete and body.function.path == where:
            return body
    return None


def _still_clears(ops: Sequence[Op], op: Op) -> bool:
    """Whether ``ops`` hold a clear equivalent to ``op``, or one that
    clears the whole word or object (``x = 0``, ``memset()``)."""
    as_set = replace(op, kind="bits") if op.kind == "bits" else replace(op, word="set")
    for other in ops:
        if other.label == op.label or set(other.flags) & set(op.flags):
            return True
        if other.kind in ("assign", "and", "wipe") and pairs(as_set, other):
            return True
        if not op.flags and other.kind == op.kind == "call" and other.tokens == op.tokens:
            return True
    return False


@rule(
    id="RP305",
    name="set-clear-asymmetry",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=True,
)
def set_clear_asymmetry(ctx: RuleContext) -> Iterator[Hit]:
    """A flag set in one function of a pair is not cleared in its partner.

    What it does
        For each flag or work bit the patch sets in a function named like
        one half of a pair (enable/disable, set/clear, start/stop,
        init/exit, register/unregister, alloc/free, get/put, add/del,
        attach/detach, install/uninstall, on/off, probe/remove), with
        ``set_*``/``*_set``, ``enable``, ``*_get``, ``register`` calls or
        ``x |= FLAG``, it looks for the matching clear (``clear_*``,
        ``disable``, ``*_put``, ``unregister``, ``x &= ~FLAG``) in the
        partner function, flag by flag (only the flags the patch adds).
        Flags of an object that the partner destroys (probe/remove,
        alloc/free, create/destroy) are left alone.  It also reports a
        clear the patch removes from the partner while the set stays.  A
        plain assignment (``x = 0``), ``x &= MASK`` without the bit,
        ``memset()``, ``bitmap_zero()`` and ``*_clear_all()`` clear it too.
        It judges when the partner's body is in the diff up to its closing
        brace (its head may be only in the ``@@`` line) or, in tree mode,
        in the file as the patch leaves it; when the partner is not in the
        diff at all it gives one note per setter function.  Kernel
        acquire/release pairs are known by name (clk_prepare_enable and
        clk_disable_unprepare, request_irq and free_irq, pm_runtime_get and
        pm_runtime_put, regulator_enable and regulator_disable, ...), and a
        release counts only on the same object; a set that the series moved
        from elsewhere is not new.
    Why it matters
        A bit set on enable and never cleared on disable outlives its
        reason: the work keeps running (a trap on every syscall exit, a
        stale interrupt enable) after the feature is turned off.
    Example
        void user_enable_single_step(struct task_struct *task)
        +	set_task_syscall_work(task, SYSCALL_EXIT_TRAP);
        void user_disable_single_step(struct task_struct *task)
                clear_ti_thread_flag(task_thread_info(task), TIF_SINGLESTEP);
    Use instead
        Clear the same flag in the partner:
        +	clear_task_syscall_work(task, SYSCALL_EXIT_TRAP);
    """
    assert ctx.patch is not None
    code = ctx.code
    if not isinstance(code, SeriesCode):
        return
    every = tuple(sc for fc in code.files(ctx.patch.index) for sc in _scans(ctx.patch, fc, NEW))
    seen = _Seen(every, set(), removed_lines(ctx.series))
    for fc in code.files(ctx.patch.index):
        new, old = _scans(ctx.patch, fc, NEW), _scans(ctx.patch, fc, OLD)
        yield from _added_sets(code, ctx.patch, new, old, seen)
        yield from _removed_clears(code, ctx.patch, fc.path, new, old)


@dataclass(frozen=True)
class _Seen:
    """The new-side scans of every file of the patch, the setter functions
    already given a "partner not in view" note, and the code of every line
    the series removes (a set found there moved, it is not new)."""

    scans: tuple[Scan, ...]
    noted: set[str]
    removed: frozenset[str]


@dataclass(frozen=True)
class _Partner:
    """What is in view of a partner function: its clearing operations, where
    its body was seen (``place``: a clause for the message), and a line to
    quote."""

    name: str
    ops: tuple[Op, ...]
    place: str
    path: str
    line: CodeLine | None


def _partial(scans: Sequence[Scan], name: str) -> _Partner | None:
    """A partner whose head is only in a hunk's section header but whose
    body shows up to its closing brace."""
    for sc in scans:
        owned = sc.owned(name)
        if not owned or not any(
            fn.closing_visible and fn.end.no - 1 in owned for fn in sc.fragment.functions
        ):
            continue
        ops = tuple(op for i in owned for op in _ops_at(sc, i, False))
        first = sc.lines[owned[0]]
        place = f"whose body the diff shows from line {first.new_no} to its end"
        return _Partner(name, ops, place, sc.fragment.view.path, first)
    return None


def _partner(code: SeriesCode, patch: Patch, path: str, name: str, seen: _Seen) -> _Partner | None:
    body = _whole_body(code, patch, path, name)
    if body is not None:
        line = (
            body.function.start
            if body.lines and body.function.start.mail_line is not None
            else None
        )
        place = "whose whole body is in the " + ("diff" if body.source == "hunk" else "tree")
        return _Partner(name, _body_ops(body, False), place, body.function.path, line)
    return None if code.tree_mode else _partial(seen.scans, name)


def _added_sets(
    code: SeriesCode, patch: Patch, new: Sequence[Scan], old: Sequence[Scan], seen: _Seen
) -> Iterator[Hit]:
    for sc in new:
        for i, line in enumerate(sc.lines):
            owner = sc.owners[i]
            ops = _ops_at(sc, i, True) if owner and line.kind == "+" else ()
            if not ops or owner is None:
                continue
            if moved_line(line.text, seen.removed):
                continue  # moved or renamed within the series: not new
            before = _function_ops(old, owner, True) or ()
            clears = _function_ops(new, owner, False) or ()
            for op in ops:
                fresh = _fresh(op, before)
                if fresh is None or any(pairs(fresh, c) for c in clears):
                    continue
                if fresh.word == "scoped" and not _scoped_open(code, patch, sc, owner, fresh):
                    continue
                yield from _judge(code, patch, sc.fragment.view.path, owner, fresh, seen)


def _scoped_open(code: SeriesCode, patch: Patch, sc: Scan, owner: str, op: Op) -> bool:
    """Whether a lock taken in ``owner`` stays held when it returns: its
    whole body is in view and releases nothing ``op`` took."""
    body = _whole_body(code, patch, sc.fragment.view.path, owner)
    return body is not None and not any(pairs(op, c) for c in _body_ops(body, False))


def _judge(
    code: SeriesCode, patch: Patch, path: str, owner: str, fresh: Op, seen: _Seen
) -> Iterator[Hit]:
    """Hold one new setting operation of ``owner`` against its partner."""
    names = partners(owner, True)
    if not names or (_lifetime(owner, names[0]) and (fresh.kind == "bits" or fresh.word == "set")):
        return  # a flag of an object that the partner frees
    for name in names:
        partner = _partner(code, patch, path, name, seen)
        if partner is None:
            continue
        missing = _not_cleared(fresh, partner.ops)
        if missing is not None:
            yield _set_hit(path, missing, owner, partner)
        return
    if code.tree_mode or owner in seen.noted:
        return
    shown = [n for n in names if any(sc.owned(n) for sc in seen.scans)]
    if shown and _not_cleared(fresh, _function_ops(seen.scans, shown[0], False) or ()) is None:
        return  # the part in view clears it
    seen.noted.add(owner)
    yield _unseen_hit(path, fresh, owner, shown or names, partly=bool(shown))


def _lifetime(owner: str, partner: str) -> bool:
    """Whether the pair creates and destroys an object (probe/remove,
    alloc/free, create/destroy): flags kept in it die with it."""
    pair = set(owner.split("_")) ^ set(partner.split("_"))
    return any(pair == {on, off} for on, off in _LIFETIME)


def _fresh(op: Op, before: Sequence[Op]) -> Op | None:
    """``op`` reduced to what the function did not set before the patch
    (the flags it adds), or None when it sets nothing new."""
    if any(b.label == op.label for b in before):
        return None
    if not op.flags:
        return op
    had = {f for b in before for f in b.flags}
    flags = tuple(f for f in op.flags if f not in had)
    return replace(op, flags=flags) if flags else None


def _not_cleared(op: Op, clears: Sequence[Op]) -> Op | None:
    """``op`` reduced to the flags no operation of ``clears`` undoes, or
    None when it is undone entirely."""
    if not op.flags:
        return None if any(pairs(op, c) for c in clears) else op
    left = tuple(f for f in op.flags if not any(pairs(replace(op, flags=(f,)), c) for c in clears))
    return replace(op, flags=left) if left else None


def _removed_clears(
    code: SeriesCode, patch: Patch, path: str, new: Sequence[Scan], old: Sequence[Scan]
) -> Iterator[Hit]:
    for sc in old:
        for i, line in enumerate(sc.lines):
            owner = sc.owners[i]
            if owner is None or line.kind != "-":
                continue
            for op in _ops_at(sc, i, False):
                if op.kind in ("assign", "and", "wipe"):
                    continue
                now = _whole_body(code, patch, path, owner)
                if now is None or _still_clears(_body_ops(now, False), op):
                    continue
                for partner in partners(owner, False):
                    body = _whole_body(code, patch, path, partner)
                    sets = (
                        _body_ops(body, True)
                        if body is not None
                        else _function_ops(new, partner, True)
                    )
                    if sets is None:
                        continue
                    setters = [s for s in sets if pairs(s, op)]
                    if setters:
                        yield _clear_hit(sc.fragment.view.path, op, owner, partner, setters[0])
                    break


def _set_hit(path: str, op: Op, owner: str, partner: _Partner) -> Hit:
    assert op.line is not None
    flag = op.flags[0] if op.flags else op.label.split("(")[0]
    named = " | ".join(op.flags) if len(op.flags) > 1 else flag
    if op.flags:
        msg = f"{owner}() now sets {named} ({op.label}), but {partner.name}(), {partner.place}, never clears it"
    else:
        msg = f"{owner}() now calls {op.label}, but {partner.name}(), {partner.place}, never undoes it"
    ev = evidence(path, (op.line,), "set")
    if partner.line is not None:
        ev += evidence(partner.path, (partner.line,), "partner")
    return Hit(
        msg,
        file=path,
        line=op.line.new_no,
        side="new",
        mail_line=op.line.mail_line,
        symbol=flag,
        evidence=ordered(ev),
    )


def _unseen_hit(path: str, op: Op, owner: str, names: Sequence[str], partly: bool) -> Hit:
    assert op.line is not None
    flag = op.flags[0] if op.flags else op.label.split("(")[0]
    named = " or ".join(f"{n}()" for n in names[:2])
    shown = (
        "shows only in part in the diff and clears nothing of it there"
        if partly
        else "is not in the diff"
    )
    msg = (
        f"{owner}() now sets {flag} ({op.label}); {named} {shown}, so whether "
        "it is cleared there cannot be seen (--tree would settle it)"
    )
    return Hit(
        msg,
        file=path,
        line=op.line.new_no,
        side="new",
        mail_line=op.line.mail_line,
        symbol=flag,
        evidence=evidence(path, (op.line,), "set"),
        severity=Severity.NOTE,
        confidence=Confidence.LOW,
    )


def _clear_hit(path: str, op: Op, owner: str, partner: str, setter: Op) -> Hit:
    assert op.line is not None
    flag = op.flags[0] if op.flags else op.label.split("(")[0]
    msg = (
        f"the patch removes the clearing of {flag} from {owner}(), "
        f"but {partner}() still sets it ({setter.label})"
    )
    ev = evidence(path, (op.line,), "clear removed")
    if setter.line is not None and setter.line.mail_line is not None:
        ev += evidence(path, (setter.line,), "set")
    return Hit(
        msg,
        file=path,
        line=op.line.old_no,
        side="old",
        mail_line=op.line.mail_line,
        symbol=flag,
        evidence=ev,
    )
