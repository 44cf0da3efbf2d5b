"""Walk one function's syntax tree and give every call the condition it runs
under (a ``Formula``), with its exits, labels and bit operations.

The walk follows the statements in order with the condition of reaching the
current point: ``if``/``else`` (an ``else if`` chain is walked as a loop, not
by recursion), loops (a body runs when the loop condition holds, it is not
assumed to run), ``switch`` (a case is reached by its value or by falling
through), ``&&``/``||``/``?:`` inside expressions, ``return``, ``goto`` (the
code after a label runs when control falls into it or a goto jumps there),
``break`` and ``continue``, preprocessor conditionals (from ``ppcond``),
``for_each``-style macros followed by a block, and calls that never return
(``BUG()``, ``panic()``).  Nesting deeper than ``MAX_NESTING`` is not
followed (the piece says it was truncated).
"""

from __future__ import annotations

__all__ = ["MAX_NESTING", "WalkContext", "Walked", "walk_function"]

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tree_sitter import Node

from reviewpatch.csource.condexpr import Conditions, canonical_tokens
from reviewpatch.csource.flowmodel import BitOp, Exit, Guard, Label, Site, Store
from reviewpatch.csource.formula import FALSE, TRUE, AtomKind, Formula, atom, conj, disj, neg
from reviewpatch.csource.model import CodeLine
from reviewpatch.csource.ppcond import Block

MAX_NESTING = 100
_NORETURN = frozenset(
    {
        "BUG",
        "panic",
        "do_exit",
        "unreachable",
        "__builtin_unreachable",
        "kthread_exit",
        "make_task_dead",
        "do_group_exit",
    }
)
_SKIP = frozenset({"likely", "unlikely", "sizeof", "typeof", "__typeof__", "defined"})
# ``__free(put_x)`` / ``__cleanup(f)`` on a local: released when its scope ends
_SCOPE_CLEANUP_RE = re.compile(r"\s__(?:free|cleanup)\s*\(")
_LAST_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
_LOOP_MACRO_RE = re.compile(r"for_each|foreach|_each\b|^xa_for|^hash_for|^list_for|^llist_for")
_BIT_SET = frozenset({"set_bit", "__set_bit", "set_thread_flag", "set_tsk_thread_flag"})
_BIT_CLEAR = frozenset(
    {"clear_bit", "__clear_bit", "clear_thread_flag", "clear_tsk_thread_flag", "clear_bit_unlock"}
)


def _text(node: Node | None) -> str:
    if node is None:
        return ""
    return " ".join((node.text or b"").decode("utf-8", "replace").split())


@dataclass(frozen=True)
class WalkContext:
    """How to map the parse back to the view: ``line_of`` gives the view
    line of a node, ``in_view`` whether a parse row is a view line,
    ``blocks`` the preprocessor blocks of a parse row."""

    line_of: Callable[[Node], CodeLine]
    in_view: Callable[[int], bool]
    blocks: Callable[[int], tuple[Block, ...]]


@dataclass(frozen=True)
class _Out:
    """How control leaves a statement: falling through, by ``break``, by
    ``continue``, or out of the function (``return``, ``goto``)."""

    fall: Formula
    brk: Formula = FALSE
    cont: Formula = FALSE
    jump: Formula = FALSE


def _merge(outs: list[_Out]) -> _Out:
    return _Out(
        fall=disj(*(o.fall for o in outs)),
        brk=disj(*(o.brk for o in outs)),
        cont=disj(*(o.cont for o in outs)),
        jump=disj(*(o.jump for o in outs)),
    )


@dataclass
class _Walk:
    """The mutable state of one function's walk (never shared)."""

    ctx: WalkContext
    headless: bool
    region: str
    sites: list[Site] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    ops: list[BitOp] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    returns: list[tuple[Formula, Formula | None]] = field(default_factory=list)
    pending: dict[str, Formula] = field(default_factory=dict)
    seen_labels: set[str] = field(default_factory=set)
    env: dict[str, Node] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    locals: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    branch: int = 0
    truncated: bool = False
    guards: list[Guard] = field(default_factory=list)
    # a loop macro that is the unbraced body of an if/while/for, by node
    # id: the statement after it, which is its body (``if (p)
    # for_each_cpu(c, m) per_cpu(x, c) = NULL;``)
    adopted: dict[int, Node] = field(default_factory=dict)

    def guard(self, kind: str, node: Node) -> Guard:
        via = []
        stack = [node]
        while stack:
            cur = stack.pop()
            if cur.type == "identifier":
                value = self.env.get(_text(cur))
                if value is not None and _unparen(value).type == "call_expression":
                    via.append(_callee(_unparen(value)))
                elif _text(cur) in self.origin:
                    via.append(self.origin[_text(cur)])  # the call that last set it
            stack.extend(cur.named_children)
        return Guard(kind, _text(node), self.ctx.line_of(node), tuple(dict.fromkeys(via)))

    # -- conditions -------------------------------------------------------------

    def cond(self, node: Node) -> Formula:
        return Conditions(dict(self.env)).formula(node)

    # -- statements -------------------------------------------------------------

    def stmt(self, node: Node, phi: Formula, depth: int) -> _Out:
        if phi.is_false:
            self.expr(node, phi)
            return _Out(FALSE)
        if depth > MAX_NESTING:
            self.truncated = True
            self.expr(node, phi)
            return _Out(phi)
        t = node.type
        body = self.adopted.get(node.id)
        if body is not None:
            return self.macro_loop(node, body, phi, depth)
        handler = _HANDLERS.get(t)
        if handler is not None:
            return handler(self, node, phi, depth)
        if t == "ERROR" and any(c.type in _STATEMENTS for c in node.named_children):
            # a stretch the parser could not place: walk what it holds in order
            kids = [c for c in node.named_children if c.type != "comment"]
            return self.seq(kids, phi, depth + 1, node.start_point[0])
        self.expr(node, phi)
        return _Out(phi)

    def compound(self, node: Node, phi: Formula, depth: int) -> _Out:
        kids = [c for c in node.named_children if c.type != "comment"]
        return self.seq(kids, phi, depth, node.start_point[0])

    def seq(self, kids: list[Node], phi: Formula, depth: int, scope_row: int) -> _Out:
        """Statements in order; preprocessor blocks opened inside the scope
        gate the statements they hold."""
        outer = self.ctx.blocks(scope_row)
        brk: list[Formula] = []
        cont: list[Formula] = []
        jump: list[Formula] = []
        i = 0
        while i < len(kids):
            kid = kids[i]
            pp = _inner_blocks(self.ctx.blocks(kid.start_point[0]), outer)
            here = conj(phi, pp)
            if kid.type == "labeled_statement":
                here = self.label(kid, here)
            nxt = kids[i + 1] if i + 1 < len(kids) else None
            tail = _dangling_loop_macro(kid) if nxt is not None else None
            if nxt is not None and _loop_macro(kid):
                out = self.macro_loop(kid, nxt, here, depth)
                i += 1
            elif nxt is not None and tail is not None:
                self.adopted[tail.id] = nxt
                out = self.stmt(kid, here, depth + 1)
                i += 1
            elif kid.type == "labeled_statement":
                inner = _label_body(kid)
                out = self.stmt(inner, here, depth + 1) if inner is not None else _Out(here)
            else:
                out = self.stmt(kid, here, depth + 1)
            brk.append(out.brk)
            cont.append(out.cont)
            jump.append(out.jump)
            phi = out.fall if pp.is_true else disj(out.fall, conj(phi, neg(pp)))
            i += 1
        return _Out(phi, disj(*brk), disj(*cont), disj(*jump))

    def label(self, node: Node, phi: Formula) -> Formula:
        name_node = node.child_by_field_name("label") or next(
            (c for c in node.named_children if c.type == "statement_identifier"), None
        )
        name = _text(name_node)
        came = self.pending.pop(name, FALSE)
        extra = FALSE
        if self.headless and self.ctx.line_of(node).kind not in ("+", "-"):
            # a label the patch adds or removes has no unseen goto to it
            extra = atom(
                AtomKind.UNSEEN,
                f"goto-in {self.region} {name}",
                f"a goto to {name} from code the diff does not show",
                name=name,
            )
        reach = disj(phi, came, extra)
        self.seen_labels.add(name)
        self.labels.append(Label(name, self.ctx.line_of(node), reach, phi))
        return reach

    def if_chain(self, node: Node, phi: Formula, depth: int) -> _Out:
        outs: list[_Out] = []
        plain = True
        cur: Node | None = node
        rest = phi
        self.branch += 1
        mark = len(self.guards)
        while cur is not None:
            cond = cur.child_by_field_name("condition")
            then = cur.child_by_field_name("consequence")
            f = TRUE
            if cond is not None:
                self.expr(cond, rest, in_condition=True)
                f = self.cond(cond)
            inside = conj(rest, f)
            if cond is not None:
                self.guards.append(self.guard("if", _unparen(cond)))
            if then is not None:
                out = self.stmt(then, inside, depth + 1)
                plain = plain and out.fall == inside and out.jump.is_false and out.brk.is_false
                outs.append(out)
            rest = conj(rest, neg(f))
            if cond is not None:
                self.guards[-1] = self.guard("else", _unparen(cond))
            alt = cur.child_by_field_name("alternative")
            inner = _else_body(alt)
            cur = None
            if inner is None:
                outs.append(_Out(rest))
            elif inner.type == "if_statement":
                cur = inner
            else:
                out = self.stmt(inner, rest, depth + 1)
                plain = plain and out.fall == rest and out.jump.is_false and out.brk.is_false
                outs.append(out)
        del self.guards[mark:]
        self.branch -= 1
        merged = _merge(outs)
        # branches that all fall through partition phi: the merge is phi
        return _Out(phi, merged.brk, merged.cont, merged.jump) if plain else merged

    def loop(self, node: Node, phi: Formula, depth: int) -> _Out:
        _forget_assigned(node, self.env)
        t = node.type
        body = node.child_by_field_name("body")
        cond = node.child_by_field_name("condition")
        if t == "for_statement":
            init = node.child_by_field_name("initializer")
            if init is not None:
                self.expr(init, phi)
        enter = phi
        if t != "do_statement" and cond is not None:
            self.expr(cond, phi, in_condition=True)
            enter = conj(phi, self.cond(cond))
        self.branch += 1
        mark = len(self.guards)
        if cond is not None and t != "do_statement":
            self.guards.append(self.guard("loop", _unparen(cond)))
        out = self.stmt(body, enter, depth + 1) if body is not None else _Out(enter)
        del self.guards[mark:]
        if t == "for_statement":
            update = node.child_by_field_name("update")
            if update is not None:
                self.expr(update, disj(out.fall, out.cont))
        if t == "do_statement" and cond is not None:
            self.expr(cond, disj(out.fall, out.cont), in_condition=True)
        self.branch -= 1
        return _Out(conj(phi, neg(out.jump)), jump=out.jump)

    def macro_loop(self, head: Node, body: Node, phi: Formula, depth: int) -> _Out:
        call = head.named_children[0] if head.named_children else head
        self.expr(call, phi)
        name = _callee(call)
        if name in ("scoped_guard", "scoped_irqsave_guard"):
            return self.stmt(body, phi, depth + 1)
        if not _LOOP_MACRO_RE.search(name):
            runs = atom(AtomKind.COND, canonical_tokens(call), _text(call), name=name)
            self.branch += 1
            self.guards.append(self.guard("if", call))
            out = self.stmt(body, conj(phi, runs), depth + 1)
            self.guards.pop()
            self.branch -= 1
            return _Out(disj(out.fall, conj(phi, neg(runs))), out.brk, out.cont, out.jump)
        _forget_assigned(body, self.env)
        key = canonical_tokens(call)
        runs = atom(AtomKind.LOOP, key, f"the {name}() loop runs", name=name)
        self.branch += 1
        self.guards.append(self.guard("loop", call))
        out = self.stmt(body, conj(phi, runs), depth + 1)
        self.guards.pop()
        self.branch -= 1
        return _Out(conj(phi, neg(out.jump)), jump=out.jump)

    def switch(self, node: Node, phi: Formula, depth: int) -> _Out:
        cond = node.child_by_field_name("condition")
        body = node.child_by_field_name("body")
        if cond is None or body is None:
            self.expr(node, phi)
            return _Out(phi)
        self.expr(cond, phi, in_condition=True)
        var = cond.named_children[0] if cond.named_children else cond
        key = canonical_tokens(var, self.env)
        cases = [c for c in body.named_children if c.type == "case_statement"]
        lead = [
            c
            for c in body.named_children
            if c.type not in ("case_statement", "comment")
            and (not cases or c.start_byte < cases[0].start_byte)
        ]
        values: list[Formula] = []
        if lead:  # a fragment that starts inside a case whose label it does not show
            values.append(
                atom(AtomKind.CASE, f"{key} == ?", f"{_text(var)} is the case before", var_key=key)
            )
        has_default = False
        for case in cases:
            value = case.child_by_field_name("value")
            if value is None:
                has_default = True
            else:
                values.append(_case_atom(var, key, value, self.env))
        any_case = disj(*values)
        self.branch += 1
        fall = FALSE
        brk: list[Formula] = []
        jump: list[Formula] = []
        vi = 0
        if lead:
            out = self.seq(lead, conj(phi, values[0]), depth + 1, body.start_point[0])
            fall, vi = out.fall, 1
            brk.append(out.brk)
            jump.append(out.jump)
        for case in cases:
            value = case.child_by_field_name("value")
            if value is None:
                hit = conj(phi, neg(any_case))
            else:
                hit = conj(phi, values[vi])
                vi += 1
            kids = [c for c in case.named_children if c != value and c.type != "comment"]
            mark = len(self.guards)
            if value is not None:
                self.guards.append(self.guard("case", value))
            else:
                self.guards.append(Guard("case", "default", self.ctx.line_of(case)))
            out = self.seq(kids, disj(fall, hit), depth + 1, case.start_point[0])
            del self.guards[mark:]
            fall = out.fall
            brk.append(out.brk)
            jump.append(out.jump)
        self.branch -= 1
        jumps = disj(*jump)
        if jumps.is_false:
            # every way through ends after the switch: the cases and the
            # values no case takes partition phi
            return _Out(phi)
        after = disj(fall, *brk, FALSE if has_default else conj(phi, neg(any_case)))
        return _Out(after, jump=jumps)

    def ret(self, node: Node, phi: Formula, depth: int) -> _Out:
        value = node.named_children[0] if node.named_children else None
        if value is not None:
            self.expr(value, phi)
        self.exits.append(
            Exit(
                "return", phi, self.ctx.line_of(node), value=_text(value), guards=tuple(self.guards)
            )
        )
        self.returns.append((phi, self.cond(value) if value is not None else None))
        return _Out(FALSE, jump=phi)

    def goto(self, node: Node, phi: Formula, depth: int) -> _Out:
        label = _text(node.child_by_field_name("label") or node.named_children[-1])
        self.exits.append(
            Exit("goto", phi, self.ctx.line_of(node), label=label, guards=tuple(self.guards))
        )
        if label not in self.seen_labels:
            self.pending[label] = disj(self.pending.get(label, FALSE), phi)
        return _Out(FALSE, jump=phi)

    def brk(self, node: Node, phi: Formula, depth: int) -> _Out:
        self.exits.append(Exit("break", phi, self.ctx.line_of(node)))
        return _Out(FALSE, brk=phi)

    def cont(self, node: Node, phi: Formula, depth: int) -> _Out:
        self.exits.append(Exit("continue", phi, self.ctx.line_of(node)))
        return _Out(FALSE, cont=phi)

    def expression_statement(self, node: Node, phi: Formula, depth: int) -> _Out:
        self.expr(node, phi)
        inner = node.named_children[0] if node.named_children else None
        if inner is None:
            return _Out(phi)
        self.track(inner, phi)
        if inner.type == "call_expression":
            name = _callee(inner)
            if name in _NORETURN:
                return _Out(FALSE)
            if name == "BUG_ON":
                args = _args(inner)
                if args:
                    return _Out(conj(phi, neg(self.cond(args[0]))))
        return _Out(phi)

    def declaration(self, node: Node, phi: Formula, depth: int) -> _Out:
        self.expr(node, phi)
        for child in node.named_children:
            name: str | None = None
            if child.type == "init_declarator":
                name = _declared_name(child.child_by_field_name("declarator"))
                if name:
                    self.assign(name, child.child_by_field_name("value"))
            elif child.type in ("identifier", "pointer_declarator", "array_declarator"):
                name = _declared_name(child)
            cleaned = _scope_cleaned(_text(child))
            if cleaned:
                # the parser may take ``p __free(f)`` for a declarator of
                # ``__free``: the name is the word before the attribute
                name = cleaned
                self.cleaned.append(name)
            if name:
                self.locals.append(name)
        return _Out(phi)

    # -- assignments and bit operations -----------------------------------------

    def assign(self, name: str, value: Node | None) -> None:
        if value is not None and self.branch == 0 and _worth_tracking(value):
            self.env[name] = value
        else:
            self.env.pop(name, None)
        # which call a local's value last came from, in any branch (for words)
        inner = _unparen(value) if value is not None else None
        if inner is not None and inner.type == "call_expression":
            self.origin[name] = _callee(inner)
        else:
            self.origin.pop(name, None)

    def track(self, node: Node, phi: Formula) -> None:
        """Locals assigned, and bits set or cleared, by an expression
        statement."""
        if node.type == "update_expression":
            self.env.pop(_text(node.child_by_field_name("argument")), None)
            return
        if node.type != "assignment_expression":
            return
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        op = _text(node.child_by_field_name("operator"))
        if left is None or right is None:
            return
        if op == "=":
            line = self.ctx.line_of(node)
            self.stores.append(Store(canonical_tokens(left), canonical_tokens(right), phi, line))
        if left.type == "identifier":
            if op == "=":
                self.assign(_text(left), right)
            else:
                self.env.pop(_text(left), None)
        self.bit_assignment(left, op, right, phi, node)

    def bit_assignment(self, left: Node, op: str, right: Node, phi: Formula, node: Node) -> None:
        var = canonical_tokens(left)
        line = self.ctx.line_of(node)
        if op == "|=":
            names = _or_names(right)
            if names:
                self.ops.append(BitOp("set", var, names, phi, line, _text(node)))
        elif op == "&=":
            inner = _unparen(right)
            if inner.type == "unary_expression" and _text(inner).startswith("~"):
                arg = inner.child_by_field_name("argument")
                names = _or_names(arg) if arg is not None else ()
                if names:
                    self.ops.append(BitOp("clear", var, names, phi, line, _text(node)))
            else:
                self.ops.append(BitOp("keep", var, _or_names(right), phi, line, _text(node)))
        elif op == "=" and _text(right) in ("0", "0UL", "0U", "0L"):
            self.ops.append(BitOp("wipe", var, (), phi, line, _text(node)))
        elif op == "=" and (names := _or_names(right)):
            self.ops.append(BitOp("keep", var, names, phi, line, _text(node)))

    # -- expressions --------------------------------------------------------------

    def expr(self, node: Node, phi: Formula, in_condition: bool = False) -> None:
        """Record every call in ``node`` with its condition: ``&&``, ``||``
        and ``?:`` add theirs to their right-hand operands."""
        stack: list[tuple[Node, Formula, tuple[Guard, ...]]] = [(node, phi, ())]
        while stack:
            cur, cond, extra = stack.pop()
            t = cur.type
            if t == "binary_expression" and _operator(cur) in ("&&", "||"):
                self.short_circuit(cur, cond, extra, stack)
                continue
            if t == "conditional_expression":
                c = cur.child_by_field_name("condition")
                a = cur.child_by_field_name("consequence")
                b = cur.child_by_field_name("alternative")
                if c is not None:
                    f = self.cond(c)
                    g = (*extra, self.guard("ternary", c))
                    if b is not None:
                        stack.append((b, conj(cond, neg(f)), g))
                    if a is not None:
                        stack.append((a, conj(cond, f), g))
                    stack.append((c, cond, extra))
                    continue
            if t == "call_expression":
                self.call(cur, cond, in_condition, extra)
                args = cur.child_by_field_name("arguments")
                if args is not None:
                    stack.extend((a, cond, extra) for a in reversed(args.named_children))
                continue
            if t == "pointer_expression" and _text(cur).startswith("&"):
                self.env.pop(_text(cur.child_by_field_name("argument")), None)
            if t == "function_definition":
                continue  # a function of its own the parser placed inside this one
            stack.extend((c, cond, extra) for c in reversed(cur.named_children))

    def short_circuit(
        self,
        node: Node,
        cond: Formula,
        extra: tuple[Guard, ...],
        stack: list[tuple[Node, Formula, tuple[Guard, ...]]],
    ) -> None:
        op = _operator(node)
        parts = _flatten(node, op)
        prefix = cond
        guards = extra
        pushed: list[tuple[Node, Formula, tuple[Guard, ...]]] = []
        for k, part in enumerate(parts):
            pushed.append((part, prefix, guards))
            if k + 1 < len(parts) and _has_call(parts[k + 1 :]):
                f = self.cond(part)
                prefix = conj(prefix, f if op == "&&" else neg(f))
                guards = (*guards, self.guard("and" if op == "&&" else "or", part))
        stack.extend(reversed(pushed))

    def call(
        self, node: Node, cond: Formula, in_condition: bool, extra: tuple[Guard, ...] = ()
    ) -> None:
        name = _callee(node)
        if not name or name in _SKIP or not self.ctx.in_view(node.start_point[0]):
            return
        args = _args(node)
        parent = node.parent
        assigned = ""
        if parent is not None and parent.type == "assignment_expression":
            left = parent.child_by_field_name("left")
            if left is not None and parent.child_by_field_name("right") == node:
                assigned = _text(left)
        elif parent is not None and parent.type == "init_declarator":
            assigned = _declared_name(parent.child_by_field_name("declarator")) or ""
        site = Site(
            callee=name,
            args=tuple(_text(a) for a in args),
            arg_keys=tuple(canonical_tokens(a, self.env) for a in args),
            cond=cond,
            line=self.ctx.line_of(node),
            in_condition=in_condition,
            assigned=assigned,
            guards=(*self.guards, *extra),
        )
        self.sites.append(site)
        if name in _BIT_SET or name in _BIT_CLEAR:
            self.bit_call(site, name)

    def bit_call(self, site: Site, name: str) -> None:
        kind = "set" if name in _BIT_SET else "clear"
        if "thread_flag" in name:
            flag = site.args[-1] if site.args else ""
            var = (
                "<thread flags>"
                if name in ("set_thread_flag", "clear_thread_flag")
                else site.target
            )
        else:
            flag = site.args[0] if site.args else ""
            var = site.arg_keys[1][2:] if len(site.arg_keys) > 1 else ""
            if len(site.arg_keys) > 1 and not site.arg_keys[1].startswith("& "):
                var = site.arg_keys[1]
        if flag:
            self.ops.append(BitOp(kind, var, (flag,), site.cond, site.line, site.line.text.strip()))


_Handler = Callable[[_Walk, Node, Formula, int], _Out]
_HANDLERS: dict[str, _Handler] = {
    "compound_statement": _Walk.compound,
    "if_statement": _Walk.if_chain,
    "while_statement": _Walk.loop,
    "for_statement": _Walk.loop,
    "do_statement": _Walk.loop,
    "switch_statement": _Walk.switch,
    "return_statement": _Walk.ret,
    "goto_statement": _Walk.goto,
    "break_statement": _Walk.brk,
    "continue_statement": _Walk.cont,
    "expression_statement": _Walk.expression_statement,
    "declaration": _Walk.declaration,
}


_STATEMENTS = frozenset(
    {
        "compound_statement",
        "if_statement",
        "while_statement",
        "for_statement",
        "do_statement",
        "switch_statement",
        "return_statement",
        "goto_statement",
        "expression_statement",
        "labeled_statement",
        "declaration",
    }
)


def _unparen(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _operator(node: Node) -> str:
    return _text(node.child_by_field_name("operator"))


def _callee(node: Node) -> str:
    return _text(node.child_by_field_name("function")).replace(" ", "")


def _args(node: Node) -> list[Node]:
    args = node.child_by_field_name("arguments")
    return list(args.named_children) if args is not None else []


def _flatten(node: Node, op: str) -> list[Node]:
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


def _has_call(nodes: list[Node]) -> bool:
    stack = list(nodes)
    while stack:
        cur = stack.pop()
        if cur.type == "call_expression":
            return True
        stack.extend(cur.named_children)
    return False


def _or_names(node: Node) -> tuple[str, ...]:
    parts = _flatten(node, "|")
    names = []
    for p in parts:
        text = _text(p)
        if (
            p.type == "identifier"
            or p.type == "call_expression"
            and _callee(p) in ("BIT", "BIT_ULL")
        ):
            names.append(text)
        else:
            return ()
    return tuple(names)


def _worth_tracking(value: Node) -> bool:
    """A value worth standing for its variable in conditions: one that
    calls or reads something, not a plain constant."""
    stack = [value]
    while stack:
        cur = stack.pop()
        if cur.type in ("call_expression", "identifier", "field_expression"):
            return True
        stack.extend(cur.named_children)
    return False


def _forget_assigned(node: Node, env: dict[str, Node]) -> None:
    """Forget the locals a loop assigns: their value changes between
    iterations."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "assignment_expression":
            env.pop(_text(cur.child_by_field_name("left")), None)
        elif cur.type == "update_expression":
            env.pop(_text(cur.child_by_field_name("argument")), None)
        stack.extend(cur.named_children)


def _declared_name(node: Node | None) -> str | None:
    while node is not None:
        if node.type == "identifier":
            return _text(node)
        inner = node.child_by_field_name("declarator")
        if inner is None:
            return None
        node = inner
    return None


def _case_atom(var: Node, key: str, value: Node, env: dict[str, Node]) -> Formula:
    vkey = canonical_tokens(value, env)
    return atom(
        AtomKind.CASE,
        f"{key} == {vkey}",
        f"{_text(var)} == {_text(value)}",
        var=_text(var),
        name=_text(value),
        var_key=key,
    )


def _else_body(alt: Node | None) -> Node | None:
    if alt is None:
        return None
    if alt.type == "else_clause":
        kids = [c for c in alt.named_children if c.type != "comment"]
        return kids[0] if kids else None
    return alt


def _label_body(node: Node) -> Node | None:
    kids = [c for c in node.named_children if c.type not in ("statement_identifier", "comment")]
    return kids[0] if kids else None


def _loop_macro(node: Node) -> bool:
    """``list_for_each_entry(pos, head, member)`` (or ``scoped_guard(...)``)
    parsed as a call statement without ``;``, its block following."""
    if node.type != "expression_statement" or not node.named_children:
        return False
    call = node.named_children[0]
    if call.type != "call_expression":
        return False
    last = node.children[-1] if node.children else None
    return last is not None and last.is_missing


def _scope_cleaned(text: str) -> str:
    """The name a declarator ``p __free(put_x)`` (or ``__cleanup(f)``)
    declares, else ""."""
    m = _SCOPE_CLEANUP_RE.search(text)
    if m is None:
        return ""
    word = _LAST_WORD_RE.search(text[max(0, m.start() - 128) : m.start()].rstrip())
    return word.group(0) if word else ""


def _dangling_loop_macro(node: Node) -> Node | None:
    """The loop macro (see ``_loop_macro``) that ends ``node`` as the
    unbraced body of an ``if`` (its last branch), ``while`` or ``for``:
    the parser left the macro's own body as the next statement."""
    cur: Node | None = node
    for _ in range(MAX_NESTING):
        if cur is None:
            return None
        t = cur.type
        if t == "if_statement":
            alt = cur.child_by_field_name("alternative")
            if alt is not None:
                kids = [c for c in alt.named_children if c.type != "comment"]
                cur = kids[0] if alt.type == "else_clause" and kids else alt
            else:
                cur = cur.child_by_field_name("consequence")
        elif t in ("while_statement", "for_statement"):
            cur = cur.child_by_field_name("body")
        else:
            return cur if cur is not node and _loop_macro(cur) else None
    return None


def _inner_blocks(blocks: tuple[Block, ...], outer: tuple[Block, ...]) -> Formula:
    """The conjunction of the preprocessor blocks of ``blocks`` that the
    scope's own (``outer``) does not hold."""
    groups = {b.group for b in outer}
    return conj(*(b.cond for b in blocks if b.group not in groups))


@dataclass(frozen=True)
class Walked:
    """What walking one function found (see ``FlowPiece`` for the fields)."""

    sites: tuple[Site, ...]
    exits: tuple[Exit, ...]
    labels: tuple[Label, ...]
    pending: tuple[tuple[str, Formula], ...]
    fall: Formula
    returns: tuple[tuple[Formula, Formula | None], ...]
    ops: tuple[BitOp, ...]
    stores: tuple[Store, ...]
    truncated: bool
    locals: tuple[str, ...] = ()
    cleaned: tuple[str, ...] = ()


def walk_function(
    node: Node,
    ctx: WalkContext,
    entry: Formula,
    headless: bool,
    region: str,
) -> Walked:
    """Walk the body of function definition ``node`` from ``entry``."""
    walk = _Walk(ctx, headless, region)
    body = node.child_by_field_name("body")
    out = walk.stmt(body, entry, 0) if body is not None else _Out(entry)
    return Walked(
        sites=tuple(walk.sites),
        exits=tuple(walk.exits),
        labels=tuple(walk.labels),
        pending=tuple(sorted(walk.pending.items())),
        fall=out.fall,
        returns=tuple(walk.returns),
        ops=tuple(walk.ops),
        stores=tuple(walk.stores),
        truncated=walk.truncated,
        locals=tuple(dict.fromkeys(walk.locals)),
        cleaned=tuple(dict.fromkeys(walk.cleaned)),
    )
