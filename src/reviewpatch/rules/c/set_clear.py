"""RP305 set-clear-asymmetry: a flag the patch sets in one function of a
pair (enable/disable, start/stop, ...) that the other never clears."""

from __future__ import annotations

__all__ = ["set_clear_asymmetry"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewpatch.csource.flowmodel import FlowPiece
from reviewpatch.csource.model import NEW, OLD, CodeLine
from reviewpatch.findings import Confidence, Severity
from reviewpatch.flow.analysis import FlowAnalysis
from reviewpatch.flow.bodies import FunctionView
from reviewpatch.model import LineKind, Series
from reviewpatch.rules.c.common import code_evidence, flow, fn, ordered
from reviewpatch.rules.c.pairs import by_result, known_pair, releases
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

# on-word -> off-words of function pairs whose object outlives the pair
PAIRS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("enable", ("disable",)),
    ("probe", ("remove",)),
    ("init", ("exit", "deinit", "fini", "cleanup", "uninit")),
    ("open", ("close", "release")),
    ("set", ("clear", "unset")),
    ("start", ("stop",)),
    ("register", ("unregister",)),
    ("attach", ("detach",)),
    ("install", ("uninstall",)),
    ("on", ("off",)),
    ("arm", ("disarm",)),
    ("activate", ("deactivate",)),
    ("suspend", ("resume",)),
    ("prepare", ("unprepare",)),
)
_LIFETIME = frozenset({"probe", "init", "open"})
_FLAG_RE = re.compile(r"^_*[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_HELPER_DEPTH = 2
_WIPES = frozenset({"memset", "memzero_explicit", "bitmap_zero", "bitmap_clear"})
_UNDO_WORDS = frozenset(
    {"enable", "start", "register", "set", "prepare", "get", "attach", "install", "request"}
)


@dataclass(frozen=True)
class _Op:
    """A flag set or cleared: ``word`` the object (the variable, or the
    call's name without its set/clear word), ``flag`` as written."""

    kind: str  # "set", "clear", "wipe", "call" (an undoable call), "undo"
    word: str
    flag: str
    line: CodeLine
    path: str
    text: str
    callee: str = ""
    text_flags: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()


# a device's firmware node members: a node stored there is the device's,
# put when the device is released (platform_device_release)
_DEVICE_NODES = frozenset({"of_node", "fwnode"})


_ZERO = frozenset({"0", "false", "NULL", "0UL", "0U"})
_ANY = "*"  # any value: the flag of a setter called with 0


def _tokens(name: str) -> list[str]:
    return [t for t in name.lstrip("_").split("_") if t]


def _object(args: tuple[str, ...]) -> str:
    """The last member of a call's first argument (``&qd->clk`` -> ``clk``)."""
    first = args[0] if args else ""
    return re.split(r"->|\.", first.lstrip("&*( ").rstrip(") "))[-1].strip()


def _call_ops(piece: FlowPiece) -> list[_Op]:
    """Calls that set or clear a flag argument (``set_task_syscall_work(t,
    FLAG)``, ``assign_bit(F, p, false)``), wipe a word (``memset(x, 0,
    ...)``, ``WRITE_ONCE(x, 0)``, ``*_clear_all()``), or can be undone by a
    call of their pair (``pm_runtime_enable()``)."""
    out = []
    for s in piece.sites:
        text = s.line.text.strip()
        if "__free(" in text or re.match(r"^(?:scoped_)?guard\b", text):
            continue  # released when the scope ends
        if s.assigned in piece.cleaned:
            continue  # kept in a local declared __free(...): released with its scope
        name = s.callee.lstrip("_")
        tokens = _tokens(s.callee)
        if (
            name in _WIPES
            or name.endswith("_clear_all")
            or (name == "WRITE_ONCE" and s.args[1:2] == ("0",))
        ):
            out.append(_Op("wipe", _object(s.args), "", s.line, piece.path, text))
            continue
        if name == "assign_bit" and len(s.args) == 3:
            kind = "set" if s.args[2] in ("true", "1") else "clear"
            out.append(_Op(kind, _object(s.args[1:]), s.args[0], s.line, piece.path, text))
            continue
        if name in (
            "set_bit",
            "clear_bit",
            "clear_bit_unlock",
            "set_thread_flag",
            "clear_thread_flag",
        ):
            continue  # bit operations of the walk
        kind = "set" if "set" in tokens else "clear" if {"clear", "unset"} & set(tokens) else ""
        flags = [a for a in s.args if _FLAG_RE.match(a)]
        if kind and flags and tokens[0] != "test":
            rest = "_".join(t for t in tokens if t not in ("set", "clear", "unset"))
            out += [_Op(kind, rest, f, s.line, piece.path, text) for f in flags]
        elif kind == "set" and any(a in _ZERO for a in s.args[1:]):
            # a setter given 0 puts back what a non-zero value set
            # (dev_pm_genpd_set_performance_state(dev, 0))
            rest = "_".join(t for t in tokens if t != "set")
            out.append(_Op("clear", rest, _ANY, s.line, piece.path, text))
        else:
            if by_result(s.callee) and s.assigned in piece.locals:
                continue  # a local's reference: the function's own to drop (RP310)
            if by_result(s.callee) and _object((s.assigned,)) in _DEVICE_NODES:
                continue  # given to the device: its release drops the node
            kind = "call" if _undoable(s.callee) else "undo"
            objects = tuple(o for a in s.args if (o := _object((a,))))
            # what ioremap() or kmalloc() take is the value they return
            word = _object((s.assigned,)) if s.assigned and by_result(s.callee) else ""
            out.append(
                _Op(
                    kind,
                    word or _object(s.args),
                    "",
                    s.line,
                    piece.path,
                    text,
                    s.callee,
                    objects=objects,
                )
            )
    return out


def _ops(piece: FlowPiece) -> list[_Op]:
    out = [
        _Op("keep", op.var, "", op.line, piece.path, op.text, text_flags=op.flags)
        for op in piece.ops
        if op.kind == "keep"
    ]
    out += [
        _Op(op.kind, op.var, flag, op.line, piece.path, op.text)
        for op in piece.ops
        if op.kind != "keep"
        for flag in (op.flags or ("",))
    ]
    return out + _call_ops(piece)


_INNER = frozenset({"enable", "start", "register"})
_OFF_WORDS = frozenset(
    {"disable", "stop", "unregister", "remove", "del", "free", "put", "release", "clear", "unset"}
)


def _undoable(callee: str) -> bool:
    """A call that a call of its pair undoes, where forgetting the undo
    is a bug: a kernel pair known by name (``pm_runtime_enable``,
    ``enable_irq_wake``, ``clk_prepare_enable``, ``request_irq``,
    ``pm_runtime_get``).  Devres calls (``devm_*``) undo themselves."""
    tokens = _tokens(callee)
    if not tokens or set(tokens) & _OFF_WORDS or callee.startswith("devm_"):
        return False
    return known_pair(callee)


def partners(name: str, on: bool = True) -> tuple[str, ...]:
    """The names of the other half of function ``name`` (its ``disable``
    for an ``enable``; with ``on`` False, the other way round)."""
    tokens = name.split("_")
    out = []
    for i, tok in enumerate(tokens):
        for first, offs in PAIRS:
            swaps = offs if on and tok == first else (first,) if not on and tok in offs else ()
            out += ["_".join(tokens[:i] + [w] + tokens[i + 1 :]) for w in swaps]
    return tuple(dict.fromkeys(out))


def _lifetime(name: str) -> bool:
    """A pair that creates and destroys its object (probe/remove): the
    object's own flags die with it."""
    return bool(set(name.split("_")) & _LIFETIME)


@dataclass
class _Judge:
    """What one patch's functions set and clear (local to one rule run)."""

    fa: FlowAnalysis
    index: int
    series: Series

    def key(self, flag: str) -> str:
        return self.fa.flag_key(self.index, flag)

    def undoes(self, op: _Op, other: _Op) -> bool:
        """Whether ``other`` clears the flag ``op`` sets or undoes its call."""
        if op.kind == "call":
            return (
                other.kind in ("call", "undo")
                and other.word == op.word
                and releases(op.callee, other.callee)
            )
        if other.kind == "wipe":
            return True
        if other.kind == "keep":
            return self.key(op.flag) not in {self.key(f) for f in other.text_flags}
        if other.kind == "clear" and other.flag == _ANY:
            return other.word == op.word
        return other.kind == "clear" and self.key(other.flag) == self.key(op.flag)

    def clears(self, fv: FunctionView, op: _Op, depth: int = 0) -> bool:
        """Whether ``fv`` (or a helper it calls whose body is visible)
        undoes ``op``."""
        bodies = self.fa.bodies(self.index)
        for p in fv.pieces:
            if any(self.undoes(op, other) for other in _ops(p)):
                return True
            if depth < _HELPER_DEPTH:
                for s in p.sites:
                    helper = bodies.get(s.callee, NEW, p.path)
                    if (
                        helper is not None
                        and helper.name != fv.name
                        and self.clears(helper, op, depth + 1)
                    ):
                        return True
        return False

    def cleared_elsewhere(self, op: _Op, skip: str) -> bool:
        """Whether another function the patch shows undoes ``op``."""
        for fv in self.fa.bodies(self.index).functions(NEW).values():
            if fv.name != skip and self.clears(fv, op, _HELPER_DEPTH):
                return True
        return False


def _removed(series: Series) -> frozenset[str]:
    return frozenset(
        " ".join(ln.text.split())
        for p in series.patches
        for fd in p.files
        for h in fd.hunks
        for ln in h.lines
        if ln.kind is LineKind.REMOVED
    )


def _moved(text: str, removed: frozenset[str]) -> bool:
    """Whether the series removes ``text`` elsewhere, as it is or with the
    called function renamed (``clk_enable(x)`` for ``clk_prepare_enable(x)``)."""
    flat = " ".join(text.split())
    if flat in removed:
        return True
    m = re.search(r"\b([A-Za-z_]\w*)\s*\(", flat)
    if m is None:
        return False
    pattern = re.compile(
        re.escape(flat[: m.start()]) + r"[A-Za-z_]\w*" + re.escape(flat[m.end(1) :])
    )
    return any(pattern.fullmatch(r) for r in removed)


@rule(
    id="RP305",
    name="set-clear-asymmetry",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    family="semantic",
)
def set_clear_asymmetry(ctx: RuleContext) -> Iterator[Hit]:
    """A flag set in one function of a pair is not cleared in its partner.

    What it does
        For each flag the patch newly sets (``x |= FLAG``, ``set_bit()``,
        ``set_thread_flag()``, ``set_task_syscall_work(t, FLAG)`` and other
        ``set_*(..., FLAG)`` calls) in a function named as one half of a
        pair (enable/disable, set/clear, start/stop, register/unregister,
        attach/detach, install/uninstall, on/off, suspend/resume ...), it
        reads the partner function, whole (from the series, or from the
        tree with --tree), and the helpers it calls, for a clear of the same
        flag (``x &= ~FLAG``, ``clear_bit()``, ``clear_*(..., FLAG)``) or a
        wholesale reset of the word (``x = 0``).  Calls of kernel pairs
        known by name (``pm_runtime_enable()``, ``enable_irq_wake()``,
        ``clk_prepare_enable()``, ``request_irq()``) are held to their
        undo on the same object the same way; devres calls undo
        themselves.  A set the series moved from elsewhere is not new; a
        flag the setter clears again, or that another function of the
        patch clears, is left alone.  It also reports a clear the patch
        removes from the partner while the set stays.  Without the
        partner's whole body it says nothing.

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
    fa = flow(ctx)
    if fa is None or ctx.patch is None or ctx.code is None:
        return
    judge = _Judge(fa, ctx.patch.index, ctx.series)
    series = ctx.series
    removed = ctx.code.memo(("RP305", "removed"), lambda: _removed(series))
    bodies = fa.bodies(ctx.patch.index)
    seen: set[str] = set()
    for fv in bodies.functions(NEW).values():
        for name in partners(fv.name):
            partner = bodies.get(name, NEW, fv.path)
            if partner is None or not partner.complete:
                continue
            for hit in _sets(judge, fv, partner, removed):
                if hit.symbol not in seen:
                    seen.add(hit.symbol or "")
                    yield hit
            break
    for fv in bodies.functions(OLD).values():
        for hit in _removed_clears(judge, fv):
            if hit.symbol not in seen:
                seen.add(hit.symbol or "")
                yield hit


def _sets(
    judge: _Judge, fv: FunctionView, partner: FunctionView, removed: frozenset[str]
) -> Iterator[Hit]:
    for p in fv.pieces:
        for op in _ops(p):
            if op.line.kind != "+" or not (op.kind == "set" and op.flag or op.kind == "call"):
                continue
            if op.kind == "set" and _lifetime(fv.name):
                continue  # a flag of the object the partner destroys
            if _moved(op.line.text, removed):
                continue  # moved within the series: not new
            if judge.clears(partner, op) or judge.cleared_elsewhere(op, partner.name):
                continue
            if op.kind == "set" and judge.clears(fv, op):
                continue
            yield _set_hit(fv, partner, op)


def _set_hit(fv: FunctionView, partner: FunctionView, op: _Op) -> Hit:
    whole_file = partner.source == "tree" or partner.pieces[0].hunk_index is None
    where = "whose whole body is in the " + ("tree" if whole_file else "diff")
    if op.kind == "call":
        msg = (
            f"{fn(fv.name)} now calls {op.text.rstrip(';')}, but {fn(partner.name)}, {where}, "
            "never undoes it"
        )
    else:
        msg = (
            f"{fn(fv.name)} now sets {op.flag} ({op.text.rstrip(';')}), but "
            f"{fn(partner.name)}, {where}, never clears it"
        )
    ev = [code_evidence(op.line, op.path, "set")]
    head = partner.pieces[0].start
    if head.mail_line is not None:
        ev.append(code_evidence(head, partner.path, "partner"))
    return Hit(
        message=msg,
        file=op.path,
        line=op.line.new_no,
        side="new",
        mail_line=op.line.mail_line,
        symbol=op.flag or op.callee,
        evidence=ordered(ev),
    )


def _removed_clears(judge: _Judge, old: FunctionView) -> Iterator[Hit]:
    """A clear the patch removes from a function whose partner sets it."""
    bodies = judge.fa.bodies(judge.index)
    now = bodies.get(old.name, NEW, old.path)
    if now is None or not now.complete:
        return
    for p in old.pieces:
        for op in _ops(p):
            if op.kind != "clear" or not op.flag or op.line.kind != "-":
                continue
            if judge.clears(now, _Op("set", op.word, op.flag, op.line, op.path, op.text)):
                continue
            for name in partners(old.name, on=False):
                setter = bodies.get(name, NEW, old.path)
                if setter is None:
                    continue
                sets = [
                    s
                    for sp in setter.pieces
                    for s in _ops(sp)
                    if s.kind == "set" and judge.key(s.flag) == judge.key(op.flag)
                ]
                if sets:
                    yield _clear_hit(old, setter, op, sets[0])
                break


def _clear_hit(fv: FunctionView, setter: FunctionView, op: _Op, set_op: _Op) -> Hit:
    msg = (
        f"the patch removes the clearing of {op.flag} from {fn(fv.name)}, but {fn(setter.name)} "
        f"still sets it ({set_op.text.rstrip(';')})"
    )
    ev = [code_evidence(op.line, op.path, "clear removed")]
    if set_op.line.mail_line is not None:
        ev.append(code_evidence(set_op.line, set_op.path, "set"))
    return Hit(
        message=msg,
        file=op.path,
        line=op.line.old_no,
        side="old",
        mail_line=op.line.mail_line,
        symbol=op.flag,
        evidence=ordered(ev),
    )
