"""C condition expressions as formulas.

``Conditions.formula(node)`` turns the syntax tree of a condition into a
``Formula``: ``!``, ``&&``, ``||`` and ``?:`` become its connectives; a bit
test is split per flag (``flags & (A | B)`` is "flags has A" or "flags has
B"; a mask macro stays one flag here and is expanded by the flow engine,
which knows the series' and the tree's definitions); ``== 0``, ``!= 0``,
``== NULL`` and comparisons are brought to one form (``a >= b`` is
``!(a < b)``); ``likely()``, ``unlikely()``, ``WARN_ON()`` and casts are
looked through; ``IS_ENABLED(CONFIG_X)`` is the configuration atom that
``#ifdef CONFIG_X`` also gives.  A local variable assigned once from an
expression stands for that expression (``ret = foo(); if (ret)`` is
``if (foo())``).

Atom keys are the expression's tokens joined by spaces, so that spacing and
line breaks never tell two conditions apart.
"""

from __future__ import annotations

__all__ = ["THREAD_FLAGS", "Conditions", "canonical_tokens", "canonical_var", "config_formula"]

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tree_sitter import Node

from reviewpatch.csource.formula import FALSE, TRUE, AtomKind, Formula, atom, conj, disj, neg
from reviewpatch.csource.prepare import UNSEEN_BLOCK

THREAD_FLAGS = "<thread flags>"
_MAX_DEPTH = 48
_MAX_SUBST = 64
_TRANSPARENT = frozenset(
    {"likely", "unlikely", "WARN_ON", "WARN_ON_ONCE", "WARN", "WARN_ONCE", "WARN_ON_SMP"}
)
_CONFIG_TESTS = frozenset({"IS_ENABLED", "IS_BUILTIN", "IS_MODULE", "IS_REACHABLE"})
_BIT_MACROS = frozenset({"BIT", "BIT_ULL", "_BITUL", "_BITULL", "BIT_MASK"})
_THREAD_VARS = frozenset(
    {
        "read_thread_flags ( )",
        "current_thread_info ( ) -> flags",
        "READ_ONCE ( current_thread_info ( ) -> flags )",
        "read_ti_thread_flags ( current_thread_info ( ) )",
    }
)
_FLAG_NAME_RE = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_CONST_RE = re.compile(r"^(?:_*[A-Z][A-Z0-9_]*|-?(?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*|'.*')$")
_FALSY = frozenset({"0", "NULL", "false", "0UL", "0U", "0L", "0ULL"})
_SWAP = {">": "<", ">=": "<="}


def _text(node: Node) -> str:
    return " ".join((node.text or b"").decode("utf-8", "replace").split())


def _unparen(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _callee(node: Node) -> str:
    fn = node.child_by_field_name("function")
    return _text(fn).replace(" ", "") if fn is not None else ""


def _args(node: Node) -> list[Node]:
    args = node.child_by_field_name("arguments")
    return list(args.named_children) if args is not None else []


def canonical_tokens(node: Node, env: Mapping[str, Node] | None = None) -> str:
    """The tokens of ``node`` joined by single spaces, without comments,
    the outer parentheses dropped; identifiers of ``env`` (locals assigned
    once) replaced by their value's tokens."""
    out: list[str] = []
    budget = _MAX_SUBST
    stack: list[tuple[Node, frozenset[str]]] = [(_unparen(node), frozenset())]
    while stack:
        cur, using = stack.pop()
        if cur.type == "comment":
            continue
        if cur.type == "identifier" and env and budget > 0:
            name = _text(cur)
            value = env.get(name)
            if value is not None and name not in using:
                budget -= 1
                stack.append((_unparen(value), using | {name}))
                continue
        if cur.child_count == 0:
            text = _text(cur)
            if text:
                out.append(text)
            continue
        stack.extend((c, using) for c in reversed(cur.children))
    return " ".join(out)


def canonical_var(key: str) -> str:
    """One name for the ways of reading the current thread's flags."""
    return THREAD_FLAGS if key in _THREAD_VARS else key


def config_formula(name: str) -> Formula:
    """The atom "configuration option ``name`` is enabled"."""
    return atom(AtomKind.CONFIG, name, f"{name} is enabled", name=name)


@dataclass(frozen=True)
class Conditions:
    """Converts condition nodes of one function to formulas.  ``env``
    maps locals assigned once to their value's node."""

    env: Mapping[str, Node]

    def formula(self, node: Node, depth: int = 0) -> Formula:
        """The formula of condition ``node`` (true when the condition is)."""
        node = _unparen(node)
        if depth > _MAX_DEPTH:
            return self._cond(node)
        t = node.type
        if t == "binary_expression":
            return self._binary(node, depth)
        if t == "unary_expression":
            op = node.child_by_field_name("operator")
            arg = node.child_by_field_name("argument")
            if op is not None and arg is not None and _text(op) == "!":
                return neg(self.formula(arg, depth + 1))
        elif t == "conditional_expression":
            c = node.child_by_field_name("condition")
            a = node.child_by_field_name("consequence")
            b = node.child_by_field_name("alternative")
            if c is not None and a is not None and b is not None:
                fc = self.formula(c, depth + 1)
                return disj(
                    conj(fc, self.formula(a, depth + 1)), conj(neg(fc), self.formula(b, depth + 1))
                )
        elif t == "cast_expression":
            value = node.child_by_field_name("value")
            if value is not None:
                return self.formula(value, depth + 1)
        elif t == "call_expression":
            return self._call(node, depth)
        elif t in ("true",):
            return TRUE
        elif t in ("false", "null"):
            return FALSE
        elif t == "number_literal":
            return FALSE if _text(node) in _FALSY else TRUE
        elif t == "identifier":
            name = _text(node)
            if name == "NULL":
                return FALSE
            if name.startswith(UNSEEN_BLOCK):
                # the synthetic ``if (!unseen)`` around a block the fragment
                # starts inside of: whether its condition holds is unseen, so
                # a case that needs the block entered (or not) is unseen code
                return neg(
                    atom(
                        AtomKind.UNSEEN,
                        name,
                        "the block the diff starts inside of is entered",
                        name=name,
                    )
                )
            value = self.env.get(name)
            if value is not None and depth < _MAX_DEPTH // 2:
                sub = Conditions({k: v for k, v in self.env.items() if k != name})
                return sub.formula(value, depth + 1)
        return self._cond(node)

    # -- connectives and comparisons ------------------------------------------

    def _binary(self, node: Node, depth: int) -> Formula:
        op = _operator(node)
        if op in ("&&", "||"):
            parts = [self.formula(p, depth + 1) for p in _flatten(node, op)]
            return conj(*parts) if op == "&&" else disj(*parts)
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return self._cond(node)
        if op in ("==", "!="):
            return self._equality(node, op, left, right, depth)
        if op == "&":
            bits = self._bits(left, right) or self._bits(right, left)
            if bits is not None:
                return bits
        if op in ("<", ">", "<=", ">="):
            return self._compare(op, left, right)
        return self._cond(node)

    def _equality(self, node: Node, op: str, left: Node, right: Node, depth: int) -> Formula:
        lt, rt = _text(_unparen(left)), _text(_unparen(right))
        other = (
            left
            if rt in _FALSY or rt == "true"
            else right
            if lt in _FALSY or lt == "true"
            else None
        )
        if other is not None:
            positive = self.formula(other, depth + 1)
            truthy = "true" in (lt, rt)
            return positive if (op == "!=") != truthy else neg(positive)
        if op == "==" and (masked := self._all_bits(left, right)) is not None:
            return masked
        value, var = (right, left) if _CONST_RE.match(rt) else (left, right)
        if _CONST_RE.match(_text(_unparen(value))) and not _CONST_RE.match(_text(_unparen(var))):
            key_var = canonical_tokens(var, self.env)
            key_val = canonical_tokens(value, self.env)
            f = atom(
                AtomKind.CASE,
                f"{key_var} == {key_val}",
                f"{_text(_unparen(var))} == {_text(_unparen(value))}",
                var=_text(_unparen(var)),
                name=_text(_unparen(value)),
                var_key=key_var,
            )
            return f if op == "==" else neg(f)
        a, b = sorted((canonical_tokens(left, self.env), canonical_tokens(right, self.env)))
        f = atom(AtomKind.COND, f"{a} == {b}", f"{_text(left)} == {_text(right)}")
        return f if op == "==" else neg(f)

    def _all_bits(self, left: Node, right: Node) -> Formula | None:
        """``(flags & M) == M``: every flag of the mask is set."""
        inner = _unparen(left)
        if inner.type != "binary_expression" or _operator(inner) != "&":
            return None
        a, b = inner.child_by_field_name("left"), inner.child_by_field_name("right")
        if a is None or b is None or canonical_tokens(b) != canonical_tokens(right):
            return None
        names = _mask_names(b)
        if not names:
            return None
        return conj(*(self._bit(a, n) for n in names))

    def _compare(self, op: str, left: Node, right: Node) -> Formula:
        a, b = canonical_tokens(left, self.env), canonical_tokens(right, self.env)
        ta, tb = _text(left), _text(right)
        if op in _SWAP:
            op, a, b, ta, tb = _SWAP[op], b, a, tb, ta
        if op == "<":
            return atom(AtomKind.COND, f"{a} < {b}", f"{ta} < {tb}")
        # a <= b is !(b < a)
        return neg(atom(AtomKind.COND, f"{b} < {a}", f"{tb} < {ta}"))

    # -- bit tests --------------------------------------------------------------

    def _bits(self, var: Node, mask: Node) -> Formula | None:
        names = _mask_names(mask)
        if not names or _mask_names(var):
            return None
        return disj(*(self._bit(var, n) for n in names))

    def _bit(self, var: Node | str, name: str) -> Formula:
        if isinstance(var, str):
            key, shown = var, "the thread flags" if var == THREAD_FLAGS else var
        else:
            key, shown = canonical_var(canonical_tokens(var, self.env)), _text(_unparen(var))
        return atom(
            AtomKind.BIT,
            f"{key} & {name}",
            f"{shown} has {name}",
            var=shown,
            name=name,
            var_key=key,
        )

    def _call(self, node: Node, depth: int) -> Formula:
        name = _callee(node)
        args = _args(node)
        if name in _TRANSPARENT and args:
            return self.formula(args[0], depth + 1)
        if name in _CONFIG_TESTS and len(args) == 1:
            return config_formula(_text(args[0]))
        if name in ("PTR_ERR_OR_ZERO", "PTR_ERR") and len(args) == 1:
            # non-zero exactly when the pointer is an error (PTR_ERR is only
            # ever taken of one): the same test as IS_ERR()
            inner = canonical_tokens(args[0], self.env)
            return atom(
                AtomKind.COND,
                f"IS_ERR ( {inner} )",
                f"IS_ERR({_text(args[0])})",
                name="IS_ERR",
                args=(inner,),
            )
        if name in ("test_bit", "test_bit_acquire", "variable_test_bit") and len(args) == 2:
            addr = _unparen(args[1])
            if addr.type == "pointer_expression" and _text(addr).startswith("&"):
                target = addr.child_by_field_name("argument")
                addr = target if target is not None else addr
            return self._bit(addr, _text(args[0]))
        if name == "test_thread_flag" and len(args) == 1:
            return self._bit(THREAD_FLAGS, _text(args[0]))
        if name in ("test_ti_thread_flag", "test_tsk_thread_flag") and len(args) == 2:
            who = canonical_tokens(args[0], self.env)
            if who in ("current", "current_thread_info ( )"):
                return self._bit(THREAD_FLAGS, _text(args[1]))
            return self._bit(f"{who} -> flags", _text(args[1]))
        key = canonical_tokens(node, self.env)
        arg_keys = tuple(canonical_tokens(a, self.env) for a in args)
        return atom(AtomKind.COND, key, _text(node), name=name, args=arg_keys)

    def _cond(self, node: Node) -> Formula:
        key = canonical_tokens(node, self.env)
        return atom(AtomKind.COND, key or "?", _text(node) or "?")


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return _text(op) if op is not None else ""


def _flatten(node: Node, op: str) -> list[Node]:
    """The operands of a chain of ``op`` (left-deep or not), iteratively."""
    out: list[Node] = []
    stack = [node]
    while stack:
        cur = _unparen(stack.pop())
        if cur.type == "binary_expression" and _operator(cur) == op:
            left, right = cur.child_by_field_name("left"), cur.child_by_field_name("right")
            if left is not None and right is not None:
                stack.append(right)
                stack.append(left)
                continue
        out.append(cur)
    return out


def _mask_names(node: Node) -> tuple[str, ...] | None:
    """The flags OR-ed in a mask expression (``A | B``, ``BIT(N)``,
    ``1 << N``, a mask macro's name), or None when it is not one."""
    names: list[str] = []
    for part in _flatten(node, "|"):
        if part.type == "identifier" and _FLAG_NAME_RE.match(_text(part)):
            names.append(_text(part))
        elif part.type == "call_expression" and _callee(part) in _BIT_MACROS:
            args = _args(part)
            if len(args) != 1:
                return None
            names.append(_text(args[0]))
        elif part.type == "binary_expression" and _operator(part) == "<<":
            left, right = part.child_by_field_name("left"), part.child_by_field_name("right")
            if left is None or right is None or _text(left).rstrip("UuLl") != "1":
                return None
            names.append(_text(right))
        else:
            return None
    return tuple(names) or None
