"""Setting and clearing operations for RP305 set-clear-asymmetry.

An ``Op`` is what one line does to a flag: a call such as ``set_bit(F, p)``
or ``clear_task_syscall_work(t, F)``, a bit operation ``x |= F`` /
``x &= ~F``, or an operation that clears every bit it does not keep: a
plain assignment ``x = 0``, ``x &= MASK``, ``memset()``, ``bitmap_zero()``,
``*_clear_all()``.  ``pairs`` says whether a clearing operation undoes a
setting one; ``partners`` names the other half of a function pair.
"""

from __future__ import annotations

__all__ = ["CALL_PAIRS", "FUNC_PAIRS", "Op", "bit_ops", "call_op", "pairs", "partners", "wipes"]

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
)
# "get" counts only as a suffix (kref_get, of_node_get), not get_user() & co.
_SUFFIX_ONLY = frozenset({"get", "put"})
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


def call_op(call: Call, on: bool) -> Op | None:
    """The setting (``on``) or clearing operation a call performs, if any:
    ``set_*``/``*_set``, ``enable``, ``register`` (``*_get`` for ``on``) and
    their opposites, and (clearing) the calls that wipe an object."""
    if not plain_name(call.callee):
        return None
    if not on and (wipe := wipes(call)) is not None:
        return wipe
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


def pairs(setter: Op, clearer: Op) -> bool:
    """Whether ``clearer`` undoes ``setter``."""
    if clearer.kind in ("assign", "and", "wipe"):
        return _clears_all(setter, clearer)
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
