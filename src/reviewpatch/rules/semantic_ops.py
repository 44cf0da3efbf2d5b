"""Setting and clearing operations for RP305 set-clear-asymmetry.

An ``Op`` is what one line does to a flag: a call such as ``set_bit(F, p)``
or ``clear_task_syscall_work(t, F)``, a bit operation ``x |= F`` /
``x &= ~F``, or an operation that clears every bit it does not keep: a
plain assignment ``x = 0``, ``x &= MASK``, ``memset()``, ``bitmap_zero()``,
``*_clear_all()``.  ``pairs`` says whether a clearing operation undoes a
setting one; ``partners`` names the other half of a function pair.
"""

from __future__ import annotations

__all__ = [
    "CALL_PAIRS",
    "FUNC_PAIRS",
    "KNOWN_PAIRS",
    "Op",
    "SCOPED_PAIRS",
    "bit_ops",
    "call_op",
    "pairs",
    "partners",
    "wipes",
]

import re
from dataclasses import dataclass, field

from reviewpatch.csource import Call, CodeLine
from reviewpatch.rules.semantic_text import plain_name

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
    ("start", ("stop",)),
)
# Calls whose pair word is not the first or last token, or whose halves are
# spelled apart: (prefixes of the acquiring calls, of the releasing ones).
KNOWN_PAIRS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("clk_prepare_enable",), ("clk_disable_unprepare",)),
    (("clk_bulk_prepare_enable",), ("clk_bulk_disable_unprepare",)),
    (("request_irq", "request_threaded_irq", "request_any_context_irq"), ("free_irq",)),
    (("request_percpu_irq",), ("free_percpu_irq",)),
    (("pm_runtime_get", "pm_runtime_resume_and_get"), ("pm_runtime_put",)),
    (("get_device",), ("put_device",)),
    (("try_module_get", "__module_get"), ("module_put",)),
    (("netif_carrier_on",), ("netif_carrier_off",)),
)
# Pairs normally taken and released in one function (locks): ``word``
# "scoped"; a setter function that does not release them itself is judged
# only when its whole body is in view.
SCOPED_PAIRS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("spin_lock", "spin_trylock"), ("spin_unlock",)),
    (("raw_spin_lock", "raw_spin_trylock"), ("raw_spin_unlock",)),
    (("mutex_lock", "mutex_trylock"), ("mutex_unlock",)),
    (("read_lock",), ("read_unlock",)),
    (("write_lock",), ("write_unlock",)),
    (("rcu_read_lock",), ("rcu_read_unlock",)),
    (("down_read",), ("up_read",)),
    (("down_write",), ("up_write",)),
    (("local_irq_save",), ("local_irq_restore",)),
    (("preempt_disable",), ("preempt_enable",)),
    (("local_bh_disable",), ("local_bh_enable",)),
)
# Pair words that may stand inside a callee's name (netif_start_queue).
_INNER = frozenset({"enable", "disable", "start", "stop", "register", "unregister"})
# "get" counts only as a suffix (kref_get, of_node_get), not get_user() & co.
_SUFFIX_ONLY = frozenset({"get", "put"})
_TRUE_RE = re.compile(r"^\s*(?:true|1)\s*$")
_FLAG_RE = re.compile(r"\b_*[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b")
_LHS = r"([\w.\->\[\]]+)"
_OR_RE = re.compile(rf"^\s*{_LHS}\s*\|=\s*(.+)$")
_AND_NOT_RE = re.compile(rf"^\s*{_LHS}\s*&=\s*~(.+)$")
_AND_RE = re.compile(rf"^\s*{_LHS}\s*&=\s*(?!\s*~)(.+)$")
_ASSIGN_RE = re.compile(rf"^\s*{_LHS}\s*=[^=](.*)$")
_WIPE_CALLS = frozenset({"memset", "memzero_explicit", "bitmap_zero", "bitmap_clear"})
_CAST_RE = re.compile(r"^\(\s*[\w\s]+\*?\s*\)\s*")


@dataclass(frozen=True)
class Op:
    """A setting or clearing operation.  ``kind`` is "call" (``word`` the
    pair word: "set", "clear"...), "bits" (``x |= F`` or ``x &= ~F``),
    "assign" (``x = V``) or "and" (``x &= M``), which clear every bit of
    ``lhs`` but the ``flags`` they keep, or "wipe" (``memset(p, 0, ..)``,
    ``bitmap_zero(p, n)``, ``*_clear_all(p)``), which clears everything
    under ``lhs``.  ``args`` are a call's arguments; ``line`` is where the
    operation was seen."""

    kind: str
    word: str
    tokens: tuple[str, ...]
    flags: tuple[str, ...]
    lhs: str = ""
    label: str = ""
    line: CodeLine | None = field(default=None, compare=False)
    args: tuple[str, ...] = ()


def _flags(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_FLAG_RE.findall(text)))


def _target(arg: str) -> str:
    """An argument as an object path: ``&fd->ctrl`` -> ``fd->ctrl``."""
    text = _CAST_RE.sub("", "".join(arg.split()))
    return text.lstrip("&*").strip("()")


def wipes(call: Call) -> Op | None:
    """The operation of a call that clears a whole object or bitmap."""
    name = call.callee
    if not plain_name(name) or not call.args:
        return None
    if name == "memset" and (len(call.args) < 2 or call.args[1].strip() != "0"):
        return None
    if name in _WIPE_CALLS or name.endswith("_clear_all"):
        label = call.statement or f"{name}({call.arg_text})"
        return Op("wipe", name, (), (), _target(call.args[0]), label, call.line, call.args)
    return None


def _known(call: Call, on: bool) -> Op | None:
    """The operation of a call of ``KNOWN_PAIRS``: ``word`` "pair", the
    pair's first acquiring name as the only token."""
    name = call.callee
    for word, table in (("pair", KNOWN_PAIRS), ("scoped", SCOPED_PAIRS)):
        for ons, offs in table:
            names = ons if on else offs
            if any(name.startswith(n) for n in names) and not name.endswith("_init"):
                label = call.statement or f"{name}({call.arg_text})"
                return Op("call", word, (ons[0],), (), label=label, line=call.line, args=call.args)
    return None


def _bit_assign(call: Call, on: bool) -> Op | None:
    """``assign_bit(F, p, v)`` sets F when ``v`` is true and clears it
    when ``v`` is false (or anything else: it may be); ``WRITE_ONCE(x, 0)``
    clears ``x``."""
    name, args = call.callee.lstrip("_"), call.args
    label = call.statement or f"{call.callee}({call.arg_text})"
    if name == "assign_bit" and len(args) == 3:
        if on != bool(_TRUE_RE.match(args[2])):
            return None
        word = "set" if on else "clear"
        return Op(
            "call", word, (word, "bit"), _flags(args[0]), label=label, line=call.line, args=args
        )
    if name == "WRITE_ONCE" and len(args) == 2 and not on:
        flags = _flags(args[1])
        return Op("assign", "=", (), flags, _target(args[0]), label, call.line, args)
    return None


def call_op(call: Call, on: bool) -> Op | None:
    """The setting (``on``) or clearing operation a call performs, if any:
    ``set_*``/``*_set``, ``enable``, ``register``, ``start`` (``*_get`` for
    ``on``) and their opposites, the pairs of ``KNOWN_PAIRS``,
    ``assign_bit()`` and (clearing) the calls that wipe an object."""
    if not plain_name(call.callee):
        return None
    if not on and (wipe := wipes(call)) is not None:
        return wipe
    if (known := _known(call, on) or _bit_assign(call, on)) is not None:
        return known
    base = call.callee.lstrip("_")
    base = base.removeprefix("test_and_")
    tokens = tuple(t for t in base.split("_") if t)
    table = CALL_PAIRS if on else tuple((off, (on_w,)) for on_w, offs in CALL_PAIRS for off in offs)
    for word, _ in table:
        if not tokens or word not in tokens:
            continue
        if word not in (tokens[0], tokens[-1]) and word not in _INNER:
            continue
        if word in _SUFFIX_ONLY and tokens[-1] != word:
            continue
        label = call.statement or f"{call.callee}({call.arg_text})"
        return Op(
            "call", word, tokens, _flags(call.arg_text), label=label, line=call.line, args=call.args
        )
    return None


def bit_ops(code: str, on: bool, line: CodeLine | None = None) -> tuple[Op, ...]:
    """The bit operations on one masked line: ``x |= FLAG`` (``on``), or
    ``x &= ~FLAG``, ``x &= MASK`` and plain assignments."""
    label = " ".join(code.split())
    m = (_OR_RE if on else _AND_NOT_RE).match(code)
    if m:
        flags = _flags(m.group(2))
        if flags:
            return (Op("bits", "|=" if on else "&=~", (), flags, m.group(1), label, line),)
        return ()
    if on:
        return ()
    if m := _AND_RE.match(code):
        return (Op("and", "&=", (), _flags(m.group(2)), m.group(1), label, line),)
    if m := _ASSIGN_RE.match(code):
        return (Op("assign", "=", (), _flags(m.group(2)), m.group(1), label, line),)
    return ()


def _off_words(word: str) -> tuple[str, ...]:
    for on, offs in CALL_PAIRS:
        if on == word:
            return offs
    return ()


def _targets(op: Op) -> tuple[str, ...]:
    """The objects a setting operation writes to."""
    if op.kind == "bits":
        return (op.lhs,)
    return tuple(_target(a) for a in op.args)


def _under(path: str, root: str) -> bool:
    return bool(root) and (path == root or path.startswith((root + "->", root + ".", root + "[")))


def _clears_all(setter: Op, clearer: Op) -> bool:
    """Whether an assignment, ``&= MASK`` or wipe clears what ``setter``
    set (all its flags outside what the clearer keeps)."""
    targets = _targets(setter)
    if clearer.kind == "wipe":
        return any(_under(t, clearer.lhs) for t in targets)
    if setter.kind == "call" and setter.word != "set":
        return False
    if clearer.lhs not in targets:
        return False
    return not setter.flags or not set(setter.flags) <= set(clearer.flags)


def _same_object(setter: Op, clearer: Op) -> bool:
    """Whether two calls act on the same object, judged by the last member
    of their first arguments (``qd->clk`` and ``clk`` match, ``qd->pclk``
    and ``qd->clk`` do not); True when either has no argument."""
    if not setter.args or not clearer.args:
        return True
    last = [re.split(r"->|\.", _target(op.args[0]))[-1] for op in (setter, clearer)]
    return last[0] == last[1]


def pairs(setter: Op, clearer: Op) -> bool:
    """Whether ``clearer`` undoes ``setter``."""
    if clearer.kind in ("assign", "and", "wipe"):
        return _clears_all(setter, clearer)
    if setter.flags and not set(setter.flags) & set(clearer.flags):
        return False
    if "bits" in (setter.kind, clearer.kind):
        return bool(setter.flags)
    if {"pair", "scoped"} & {setter.word, clearer.word}:
        return setter.tokens == clearer.tokens and _same_object(setter, clearer)
    if clearer.word not in _off_words(setter.word):
        return False
    if setter.flags:
        return True  # the same flag set and cleared
    key = [
        tuple("*" if t in (op.word, "un" + op.word) else t for t in op.tokens)
        for op in (setter, clearer)
    ]
    return key[0] == key[1] and _same_object(setter, clearer)


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
