"""RP305 set-clear-asymmetry: a flag set in one function of a pair
(enable/disable, start/stop, ...) that its partner does not clear.

Functions, calls and bodies come from the C analysis (``reviewpatch.csource``);
only the bit operations (``x |= F``, ``x &= ~F``) are read from the masked
line text.  The partner is judged only where its whole body is in view: in
the series' hunks or, in tree mode, in the file as the patch leaves it.
"""

from __future__ import annotations

__all__ = ["CALL_PAIRS", "FUNC_PAIRS", "Op", "bit_ops", "call_op", "pairs", "partners", "set_clear_asymmetry"]

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from reviewpatch.csource import NEW, OLD, Call, CodeLine, FileCode, FunctionBody, SeriesCode
from reviewpatch.findings import Confidence, Severity
from reviewpatch.model import Patch
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.semantic_text import (
    Scan,
    evidence,
    hunk_section,
    masked_lines,
    plain_name,
    scan,
)

FUNC_PAIRS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("enable", ("disable",)),
    ("set", ("clear", "unset")),
    ("start", ("stop",)),
    ("init", ("exit", "deinit", "fini", "cleanup")),
    ("register", ("unregister",)),
    ("alloc", ("free",)),
    ("get", ("put",)),
    ("lock", ("unlock",)),
    ("add", ("del", "remove")),
    ("attach", ("detach",)),
    ("install", ("uninstall",)),
    ("on", ("off",)),
    ("probe", ("remove",)),
    ("create", ("destroy",)),
)
CALL_PAIRS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("set", ("clear", "unset")),
    ("enable", ("disable",)),
    ("get", ("put",)),
    ("register", ("unregister",)),
)
_LIFETIME = (("probe", "remove"), ("alloc", "free"), ("create", "destroy"))
# "get" counts only as a suffix (kref_get, of_node_get), not get_user() & co.
_SUFFIX_ONLY = frozenset({"get", "put"})
_FLAG_RE = re.compile(r"\b_*[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b")
_OR_RE = re.compile(r"^\s*([\w.\->\[\]]+)\s*\|=\s*(.+)$")
_AND_NOT_RE = re.compile(r"^\s*([\w.\->\[\]]+)\s*&=\s*~(.+)$")
_ASSIGN_RE = re.compile(r"^\s*([\w.\->\[\]]+)\s*=[^=](.*)$")


@dataclass(frozen=True)
class Op:
    """A setting (or clearing) operation: a call such as ``set_bit(F, p)``
    (``kind`` "call", ``word`` "set") or a bit operation ``x |= F`` /
    ``x &= ~F`` (``kind`` "bits"), or a plain assignment (``kind``
    "assign", which clears whatever ``lhs`` held).  ``line`` is where it
    was seen."""

    kind: str
    word: str
    tokens: tuple[str, ...]
    flags: tuple[str, ...]
    lhs: str = ""
    label: str = ""
    line: CodeLine | None = field(default=None, compare=False)


def _flags(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_FLAG_RE.findall(text)))


def call_op(call: Call, on: bool) -> Op | None:
    """The setting (``on``) or clearing operation a call performs, if any:
    ``set_*``/``*_set``, ``enable``, ``register`` (``*_get`` for ``on``) and
    their opposites."""
    if not plain_name(call.callee):
        return None
    base = call.callee.lstrip("_")
    base = base.removeprefix("test_and_")
    tokens = tuple(t for t in base.split("_") if t)
    table = CALL_PAIRS if on else tuple((off, (on_w,)) for on_w, offs in CALL_PAIRS for off in offs)
    for word, _ in table:
        if not tokens or word not in (tokens[0], tokens[-1]):
            continue
        if word in _SUFFIX_ONLY and tokens[-1] != word:
            continue
        label = call.statement or f"{call.callee}({call.arg_text})"
        return Op("call", word, tokens, _flags(call.arg_text), label=label, line=call.line)
    return None


def bit_ops(code: str, on: bool, line: CodeLine | None = None) -> tuple[Op, ...]:
    """The bit operations on one masked line: ``x |= FLAG`` (``on``), or
    ``x &= ~FLAG`` and plain assignments."""
    m = (_OR_RE if on else _AND_NOT_RE).match(code)
    if m:
        flags = _flags(m.group(2))
        if flags:
            word = "|=" if on else "&=~"
            return (Op("bits", word, (), flags, m.group(1), " ".join(code.split()), line),)
    elif not on and (m := _ASSIGN_RE.match(code)):
        return (Op("assign", "=", (), (), m.group(1), " ".join(code.split()), line),)
    return ()


def _off_words(word: str) -> tuple[str, ...]:
    for on, offs in CALL_PAIRS:
        if on == word:
            return offs
    return ()


def pairs(setter: Op, clearer: Op) -> bool:
    """Whether ``clearer`` undoes ``setter``."""
    if clearer.kind == "assign":
        return setter.kind == "bits" and clearer.lhs == setter.lhs
    if setter.flags and not set(setter.flags) & set(clearer.flags):
        return False
    if "bits" in (setter.kind, clearer.kind):
        return bool(setter.flags)
    if clearer.word not in _off_words(setter.word):
        return False
    others = [t for t in setter.tokens if t != setter.word]
    have = set(clearer.tokens) | {t[2:] for t in clearer.tokens if t.startswith("un")}
    return sum(t in have for t in others) * 2 >= len(others)


def partners(func: str, on: bool) -> tuple[str, ...]:
    """Names of the partner functions of ``func`` (its ``disable`` for an
    ``enable``; with ``on`` False, the other way round)."""
    tokens = func.split("_")
    out = []
    for i, tok in enumerate(tokens):
        for on_w, offs in FUNC_PAIRS:
            swaps = offs if on and tok == on_w else ((on_w,) if not on and tok in offs else ())
            for other in swaps:
                out.append("_".join(tokens[:i] + [other] + tokens[i + 1 :]))
    return tuple(dict.fromkeys(out))


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
    """Whether ``ops`` hold a clear equivalent to ``op``."""
    for other in ops:
        if other.label == op.label or set(other.flags) & set(op.flags):
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
        clear the patch removes from the partner while the set stays.  It
        judges only when the partner's whole body is in the diff or, in
        tree mode, in the file as the patch leaves it.
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
    for fc in code.files(ctx.patch.index):
        new, old = _scans(ctx.patch, fc, NEW), _scans(ctx.patch, fc, OLD)
        yield from _added_sets(code, ctx.patch, new, old)
        yield from _removed_clears(code, ctx.patch, fc.path, new, old)


def _added_sets(code: SeriesCode, patch: Patch, new: Sequence[Scan], old: Sequence[Scan]) -> Iterator[Hit]:
    for sc in new:
        for i, line in enumerate(sc.lines):
            owner = sc.owners[i]
            ops = _ops_at(sc, i, True) if owner and line.kind == "+" else ()
            if not ops or owner is None:
                continue
            before = _function_ops(old, owner, True) or ()
            clears = _function_ops(new, owner, False) or ()
            for op in ops:
                fresh = _fresh(op, before)
                if fresh is None or any(pairs(fresh, c) for c in clears):
                    continue
                for partner in partners(owner, True):
                    body = _whole_body(code, patch, sc.fragment.view.path, partner)
                    if body is None:
                        continue
                    if _lifetime(owner, partner) and (fresh.kind == "bits" or fresh.word == "set"):
                        break  # a flag of an object that the partner frees
                    missing = _not_cleared(fresh, _body_ops(body, False))
                    if missing is not None:
                        yield _set_hit(sc.fragment.view.path, missing, owner, partner, body)
                    break


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
                if op.kind == "assign":
                    continue
                now = _whole_body(code, patch, path, owner)
                if now is None or _still_clears(_body_ops(now, False), op):
                    continue
                for partner in partners(owner, False):
                    body = _whole_body(code, patch, path, partner)
                    sets = _body_ops(body, True) if body is not None else _function_ops(new, partner, True)
                    if sets is None:
                        continue
                    setters = [s for s in sets if pairs(s, op)]
                    if setters:
                        yield _clear_hit(sc.fragment.view.path, op, owner, partner, setters[0])
                    break


def _set_hit(path: str, op: Op, owner: str, partner: str, body: FunctionBody) -> Hit:
    assert op.line is not None
    flag = op.flags[0] if op.flags else op.label.split("(")[0]
    named = " | ".join(op.flags) if len(op.flags) > 1 else flag
    place = "in the diff" if body.source == "hunk" else "in the tree"
    if op.flags:
        msg = (f"{owner}() now sets {named} ({op.label}), but {partner}(), "
               f"whose whole body is {place}, never clears it")
    else:
        msg = (f"{owner}() now calls {op.label}, but {partner}(), "
               f"whose whole body is {place}, never undoes it")
    ev = evidence(path, (op.line,), "set")
    if body.lines and body.function.start.mail_line is not None:
        ev += evidence(body.function.path, (body.function.start,), "partner")
    return Hit(msg, file=path, line=op.line.new_no, side="new", mail_line=op.line.mail_line,
               symbol=flag, evidence=ev)


def _clear_hit(path: str, op: Op, owner: str, partner: str, setter: Op) -> Hit:
    assert op.line is not None
    flag = op.flags[0] if op.flags else op.label.split("(")[0]
    msg = (f"the patch removes the clearing of {flag} from {owner}(), "
           f"but {partner}() still sets it ({setter.label})")
    ev = evidence(path, (op.line,), "clear removed")
    if setter.line is not None and setter.line.mail_line is not None:
        ev += evidence(path, (setter.line,), "set")
    return Hit(msg, file=path, line=op.line.old_no, side="old", mail_line=op.line.mail_line,
               symbol=flag, evidence=ev)
