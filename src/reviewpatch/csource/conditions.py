"""Conditions: normalised text and flag tests of a condition expression, and
the chain of conditions a node of the syntax tree runs under."""

from __future__ import annotations

__all__ = ["condition_chain", "disjuncts", "jumps_out", "normalise", "unwrap"]

import re
from collections.abc import Callable

from tree_sitter import Node

from reviewpatch.csource.model import CodeLine, Condition, Disjunct, FlagTest
from reviewpatch.csource.preproc import strip_parens

_WRAPPERS = ("likely", "unlikely")
_WRAP_RE = re.compile(r"\b(?:un)?likely\s*\(")
_UPPER_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_LOOPS = ("while_statement", "for_statement", "do_statement")
_JUMPS = ("return_statement", "goto_statement")

LineOf = Callable[[Node], CodeLine]


def normalise(text: str) -> str:
    """Fold spaces, drop ``likely()``/``unlikely()`` and outer parentheses."""
    text = " ".join(text.split())
    while True:
        m = _WRAP_RE.search(text)
        if not m:
            break
        depth, end = 1, m.end()
        while end < len(text) and depth:
            depth += text[end] == "("
            depth -= text[end] == ")"
            end += 1
        inner = text[m.end() : end - 1] if depth == 0 else text[m.end() :]
        text = text[: m.start()] + "(" + inner + ")" + text[end:]
    text = strip_parens(text)
    # "(x)" and "(p->x)" lose their parentheses, but not a call's "f(x)"
    text = re.sub(r"(?<![\w)\]])\(\s*([A-Za-z_]\w*(?:\s*(?:->|\.)\s*\w+)*)\s*\)", r"\1", text)
    return text


def unwrap(node: Node) -> Node:
    """Look through parentheses, ``likely()``/``unlikely()`` and ``!!``."""
    while True:
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_children[0]
        elif node.type == "call_expression" and _callee_text(node) in _WRAPPERS:
            args = node.child_by_field_name("arguments")
            if args is None or args.named_child_count != 1:
                return node
            node = args.named_children[0]
        elif node.type == "unary_expression" and _text(node).replace(" ", "").startswith("!!"):
            inner = node.child_by_field_name("argument")
            if inner is None or inner.type != "unary_expression":
                return node
            arg = inner.child_by_field_name("argument")
            if arg is None:
                return node
            node = arg
        else:
            return node


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _callee_text(node: Node) -> str:
    fn = node.child_by_field_name("function")
    return _text(fn) if fn is not None else ""


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return _text(op) if op is not None else ""


def _flatten(node: Node, op: str) -> list[Node]:
    node = unwrap(node)
    if node.type == "binary_expression" and _operator(node) == op:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None:
            return _flatten(left, op) + _flatten(right, op)
    return [node]


def _mask_names(node: Node) -> tuple[str, ...] | None:
    """The identifiers OR-ed in a mask expression, or None if it is not one."""
    parts = _flatten(node, "|")
    names: list[str] = []
    for part in parts:
        if part.type == "identifier" and _UPPER_RE.match(_text(part)):
            names.append(_text(part))
        elif part.type == "call_expression" and _callee_text(part) in ("BIT", "BIT_ULL", "_BITUL"):
            names.append(" ".join(_text(part).split()))
        else:
            return None
    return tuple(names)


def _flag_test(node: Node) -> FlagTest | None:
    node = unwrap(node)
    if node.type == "binary_expression" and _operator(node) == "!=":
        right = node.child_by_field_name("right")
        if right is not None and _text(right) == "0":
            left = node.child_by_field_name("left")
            node = unwrap(left) if left is not None else node
    if node.type != "binary_expression" or _operator(node) != "&":
        return None
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None:
        return None
    for var, mask in ((left, right), (right, left)):
        names = _mask_names(mask)
        if names:
            return FlagTest(
                var=" ".join(_text(var).split()), mask=normalise(_text(mask)), names=names
            )
    return None


def disjuncts(node: Node) -> tuple[Disjunct, ...]:
    """Split a condition into its ``||`` terms, each with its flag tests."""
    out = []
    for term in _flatten(node, "||"):
        tests: list[FlagTest] = []
        opaque = False
        for factor in _flatten(term, "&&"):
            test = _flag_test(factor)
            if test is None:
                opaque = True
            else:
                tests.append(test)
        out.append(Disjunct(tests=tuple(tests), opaque=opaque, text=normalise(_text(term))))
    return tuple(out)


def _make(kind: str, cond: Node, negated: bool, line_of: LineOf) -> Condition:
    return Condition(
        kind=kind,
        text=normalise(_text(cond)),
        negated=negated,
        line=line_of(cond),
        any_of=() if negated else disjuncts(cond),
    )


def _inside(node: Node, ancestor: Node | None) -> bool:
    return (
        ancestor is not None
        and ancestor.start_byte <= node.start_byte
        and node.end_byte <= ancestor.end_byte
    )


def jumps_out(stmt: Node, loop_ok: bool = True) -> bool:
    """True when ``stmt`` contains a return/goto, or a break/continue that
    leaves the statement (not one of a loop or switch nested inside it)."""
    if stmt.type in _JUMPS:
        return True
    if stmt.type in ("break_statement", "continue_statement"):
        return loop_ok
    if stmt.type in ("function_definition",):
        return False
    nested = stmt.type in _LOOPS + ("switch_statement",)
    return any(jumps_out(c, loop_ok and not nested) for c in stmt.named_children)


def _early_exits(child: Node, block: Node, line_of: LineOf) -> list[Condition]:
    out: list[Condition] = []
    sib = child.prev_named_sibling
    while sib is not None:
        if sib.type == "labeled_statement":
            break
        if sib.type == "if_statement" and sib.child_by_field_name("alternative") is None:
            cons, cond = (
                sib.child_by_field_name("consequence"),
                sib.child_by_field_name("condition"),
            )
            if cons is not None and cond is not None and jumps_out(cons):
                out.append(_make("early-exit", cond, True, line_of))
        sib = sib.prev_named_sibling
    out.reverse()
    return out


def _step(node: Node, parent: Node, line_of: LineOf) -> list[Condition]:
    """Conditions that ``parent`` puts on its child ``node``."""
    t = parent.type
    cond = parent.child_by_field_name("condition")
    if t == "if_statement" and cond is not None:
        if _inside(node, parent.child_by_field_name("consequence")):
            return [_make("if", cond, False, line_of)]
        if _inside(node, parent.child_by_field_name("alternative")):
            return [_make("else", cond, True, line_of)]
    elif t in _LOOPS and cond is not None and _inside(node, parent.child_by_field_name("body")):
        return [_make("loop", cond, False, line_of)]
    elif t == "case_statement":
        value = parent.child_by_field_name("value")
        if value is not None and _inside(node, value):
            return []
        label = [_make("case", value, False, line_of)] if value is not None else []
        return label + _early_exits(node, parent, line_of)
    elif t == "conditional_expression" and cond is not None:
        if _inside(node, parent.child_by_field_name("consequence")):
            return [_make("ternary", cond, False, line_of)]
        if _inside(node, parent.child_by_field_name("alternative")):
            return [_make("ternary-else", cond, True, line_of)]
    elif t == "binary_expression" and _operator(parent) in ("&&", "||"):
        left, right = parent.child_by_field_name("left"), parent.child_by_field_name("right")
        if left is not None and _inside(node, right):
            if _operator(parent) == "&&":
                return [_make("and", left, False, line_of)]
            return [_make("or", left, True, line_of)]
    elif t == "compound_statement":
        return _early_exits(node, parent, line_of)
    return []


def condition_chain(node: Node, line_of: LineOf) -> tuple[Condition, ...]:
    """The conditions ``node`` runs under within its function, outermost
    first."""
    chain: list[Condition] = []
    child, parent = node, node.parent
    while parent is not None and parent.type != "function_definition":
        chain[:0] = _step(child, parent, line_of)
        child, parent = parent, parent.parent
    return tuple(chain)
