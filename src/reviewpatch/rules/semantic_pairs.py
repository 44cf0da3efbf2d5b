"""RP305 set-clear-asymmetry: a flag set in one function of a pair
(enable/disable, start/stop, ...) that its partner does not clear.

Only judged where the partner's whole body is in view: in the patch's hunks
or, in tree mode, in the file after the series.
"""

from __future__ import annotations

__all__ = ["set_clear_asymmetry", "Op", "line_ops", "partners"]

import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from reviewpatch.findings import Confidence, Severity
from reviewpatch.model import DiffLine, FileDiff, Hunk, LineKind, Patch
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.semantic_defs import tree_of
from reviewpatch.rules.semantic_text import (
    SideLine,
    c_files,
    calls_in,
    enclosing_functions,
    evidence,
    function_body,
    side_lines,
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
_FLAG_RE = re.compile(r"\b_*[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b")
_OR_RE = re.compile(r"^\s*([\w.\->\[\]]+)\s*\|=\s*(.+)$")
_AND_NOT_RE = re.compile(r"^\s*([\w.\->\[\]]+)\s*&=\s*~(.+)$")
_ASSIGN_RE = re.compile(r"^\s*([\w.\->\[\]]+)\s*=[^=](.*)$")


@dataclass(frozen=True)
class Op:
    """A setting (or clearing) operation on one line: a call such as
    ``set_bit(F, p)`` (``kind`` "call", ``word`` "set") or a bit operation
    ``x |= F`` / ``x &= ~F`` (``kind`` "bits"), or a plain assignment
    (``kind`` "assign", which clears whatever ``lhs`` held)."""

    kind: str
    word: str
    tokens: tuple[str, ...]
    flags: tuple[str, ...]
    lhs: str = ""
    label: str = ""


def _call_op(name: str, args: str, on: bool) -> Op | None:
    base = name.lstrip("_")
    if base.startswith("test_and_"):
        base = base[len("test_and_"):]
    tokens = tuple(t for t in base.split("_") if t)
    table = CALL_PAIRS if on else tuple((off, (on_w,)) for on_w, offs in CALL_PAIRS for off in offs)
    for word, _ in table:
        if tokens and word in (tokens[0], tokens[-1]):
            flags = tuple(dict.fromkeys(_FLAG_RE.findall(args)))
            return Op("call", word, tokens, flags, label=f"{name}({args.strip()})")
    return None


def line_ops(code: str, on: bool) -> tuple[Op, ...]:
    """The setting (``on``) or clearing operations on one line of code."""
    out = [op for n, a, _ in calls_in(code) if (op := _call_op(n, a, on)) is not None]
    m = (_OR_RE if on else _AND_NOT_RE).match(code)
    if m:
        flags = tuple(dict.fromkeys(_FLAG_RE.findall(m.group(2))))
        if flags:
            out.append(Op("bits", "|=" if on else "&=~", (), flags, m.group(1), code.strip()))
    elif not on and (m := _ASSIGN_RE.match(code)):
        out.append(Op("assign", "=", (), (), m.group(1), code.strip()))
    return tuple(out)


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


def _whole_file(text: str) -> tuple[Hunk, tuple[SideLine, ...]]:
    lines = tuple(
        DiffLine(LineKind.CONTEXT, t, n, n, 0) for n, t in enumerate(text.splitlines(), 1)
    )
    hunk = Hunk(1, len(lines), 1, len(lines), "", lines, 0)
    return hunk, side_lines(hunk, "new")


def _body(patch: Patch, fd: FileDiff, name: str, side: str, tree: Any) -> tuple[tuple[SideLine, ...], str] | None:
    """The whole body of ``name`` on ``side`` ("new" may come from the
    tree): (lines, where) or None when it is not in view."""
    for other in [fd] + [f for f in c_files(patch.files) if f is not fd]:
        for hunk in other.hunks:
            body = function_body(hunk, side_lines(hunk, side), name)
            if body is not None:
                return body, "diff"
    if side == "new" and tree is not None:
        text = tree.new_file(fd.new_path)
        if text:
            hunk, lines = _whole_file(text)
            body = function_body(hunk, lines, name)
            if body is not None:
                return body, "tree"
    return None


def _seen(fd: FileDiff, name: str) -> tuple[tuple[SideLine, ...], str] | None:
    """The lines of ``name`` shown on the new side of ``fd``'s hunks (the
    body may be partial), or None when none are shown."""
    out: list[SideLine] = []
    for hunk in fd.hunks:
        lines = side_lines(hunk, "new")
        out += [sl for sl, o in zip(lines, enclosing_functions(hunk, lines)) if o == name]
    return (tuple(out), "diff") if out else None


def _has(lines: Sequence[SideLine], op: Op, on: bool) -> bool:
    for sl in lines:
        for other in line_ops(sl.code, on):
            if (pairs(other, op) if on else pairs(op, other)):
                return True
    return False


def _still_clears(lines: Sequence[SideLine], op: Op) -> bool:
    """Whether ``lines`` hold a clear equivalent to ``op``."""
    for sl in lines:
        for other in line_ops(sl.code, False):
            if other.label == op.label or set(other.flags) & set(op.flags):
                return True
            if not op.flags and other.kind == op.kind == "call" and other.tokens == op.tokens:
                return True
    return False


def _owned(hunk: Hunk, side: str) -> Iterator[tuple[SideLine, str, tuple[SideLine, ...]]]:
    """Changed lines of ``side`` with their (known) function and the lines
    of that function in view."""
    lines = side_lines(hunk, side)
    owners = enclosing_functions(hunk, lines)
    for sl, owner in zip(lines, owners):
        if owner and sl.changed:
            yield sl, owner, tuple(x for x, o in zip(lines, owners) if o == owner)


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
        attach/detach, install/uninstall, on/off), with ``set_*``/``*_set``,
        ``enable_*``, ``get``, ``register`` calls or ``x |= FLAG``, it
        looks for the matching clear (``clear_*``, ``disable``, ``put``,
        ``unregister``, ``x &= ~FLAG``) in the partner function.  It also
        reports a clear the patch removes from the partner while the set
        stays.  It judges only when the partner's whole body is in the diff
        or, in tree mode, in the tree.
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
    tree = tree_of(ctx.code)
    for fd in c_files(ctx.patch.files):
        for hunk in fd.hunks:
            yield from _added_sets(ctx.patch, fd, hunk, tree)
            yield from _removed_clears(ctx.patch, fd, hunk, tree)


def _added_sets(patch: Patch, fd: FileDiff, hunk: Hunk, tree: Any) -> Iterator[Hit]:
    old_text = hunk.old_text
    for sl, owner, own_lines in _owned(hunk, "new"):
        for op in line_ops(sl.code, True):
            if op.label and op.label in old_text or _has(own_lines, op, False):
                continue
            for partner in partners(owner, True):
                found = _body(patch, fd, partner, "new", tree)
                if found is None:
                    continue
                body, where = found
                if not _has(body, op, False):
                    yield _hit(fd, sl, op, owner, partner, body, where, "new")
                break


def _removed_clears(patch: Patch, fd: FileDiff, hunk: Hunk, tree: Any) -> Iterator[Hit]:
    for sl, owner, _own in _owned(hunk, "old"):
        for op in line_ops(sl.code, False):
            if op.kind == "assign":
                continue
            new_self = _body(patch, fd, owner, "new", tree)
            if new_self is None or _still_clears(new_self[0], op):
                continue
            for partner in partners(owner, False):
                found = _body(patch, fd, partner, "new", tree) or _seen(fd, partner)
                if found is None:
                    continue
                setters = [s for x in found[0] for s in line_ops(x.code, True) if pairs(s, op)]
                if setters:
                    yield _hit(fd, sl, setters[0], partner, owner, found[0], found[1], "old")
                break


def _hit(
    fd: FileDiff, sl: SideLine, op: Op, owner: str, partner: str,
    body: Sequence[SideLine], where: str, side: str,
) -> Hit:
    flag = op.flags[0] if op.flags else op.label.split("(")[0]
    place = "in the diff" if where == "diff" else "in the tree after the series"
    if side == "new":
        msg = (f"{owner}() now sets {flag} ({op.label}), but {partner}(), "
               f"whose whole body is {place}, never clears it")
        path = fd.new_path
    else:
        msg = (f"the patch removes the clearing of {flag} from {partner}(), "
               f"but {owner}() still sets it ({op.label})")
        path = fd.old_path
    ev = evidence(path, (sl.line,), "set" if side == "new" else "clear removed")
    if body and where == "diff":
        ev += evidence(fd.new_path, (body[0].line,), "partner")
    line = sl.line.new_no if side == "new" else sl.line.old_no
    return Hit(msg, file=path, line=line, side=side, mail_line=sl.line.mail_line,
               symbol=flag, evidence=ev)
