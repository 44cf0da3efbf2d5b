"""Parse one view with tree-sitter-c and extract its facts: functions,
calls with their condition chains, tests, definitions, macros, includes
and identifiers."""

from __future__ import annotations

__all__ = ["build_fragment", "parse_c", "text_includes"]

import re
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Tree

from reviewpatch.ckeywords import C_KEYWORDS
from reviewpatch.csource.flowmodel import FlowPiece
from reviewpatch.csource.flowwalk import WalkContext, walk_function
from reviewpatch.csource.formula import TRUE, AtomKind, Formula, atom, atoms_of, conj
from reviewpatch.csource.model import (
    Call,
    CodeLine,
    Definition,
    Fragment,
    Function,
    FunctionBody,
    Include,
    View,
)
from reviewpatch.csource.ppcond import Block, line_conditions
from reviewpatch.csource.prepare import (
    SYNTHETIC_NAME,
    Prepared,
    header_function,
    mask_comments,
    prepare,
)
from reviewpatch.csource.preproc import identifiers, line_identifiers, read_includes, read_macros
from reviewpatch.csource.views import text_view

_SKIP_CALLEES = frozenset({"likely", "unlikely"})


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_c.language()))


def parse_c(text: str) -> Tree:
    """Parse C text with tree-sitter-c."""
    return _parser().parse(text.encode("utf-8", "replace"))


@dataclass(frozen=True)
class _Ctx:
    view: View
    prep: Prepared
    pp: tuple[tuple[Block, ...], ...] = ()

    def blocks(self, row: int) -> tuple[Block, ...]:
        no = row - self.prep.offset
        return self.pp[no] if 0 <= no < len(self.pp) else ()

    def line_of_row(self, row: int) -> CodeLine:
        no = row - self.prep.offset + 1
        no = max(1, min(no, len(self.view.lines)))
        return self.view.lines[no - 1]

    def line_of(self, node: Node) -> CodeLine:
        return self.line_of_row(node.start_point[0])

    def in_view(self, row: int) -> bool:
        return 0 <= row - self.prep.offset < len(self.view.lines)


def _text(node: Node | None) -> str:
    return " ".join(
        ((node.text or b"") if node is not None else b"").decode("utf-8", "replace").split()
    )


def _declarator_name(node: Node | None) -> str | None:
    """The identifier a declarator declares."""
    while node is not None:
        if node.type in ("identifier", "field_identifier", "type_identifier"):
            return _text(node)
        inner = node.child_by_field_name("declarator")
        if inner is None:
            named = [
                c for c in node.named_children if "declarator" in c.type or c.type == "identifier"
            ]
            inner = named[0] if named else None
        node = inner
    return None


def _function_declarator(node: Node) -> Node | None:
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    return decl


def _function(node: Node, ctx: _Ctx) -> Function | None:
    fdecl = _function_declarator(node)
    if fdecl is None:
        return None
    name = _declarator_name(fdecl.child_by_field_name("declarator"))
    if name in C_KEYWORDS:
        return None  # a fragment's ``else if (x) {`` read as a definition
    synthetic = name == SYNTHETIC_NAME
    params: list[str] = []
    plist = fdecl.child_by_field_name("parameters")
    for p in plist.named_children if plist is not None else ():
        pname = _declarator_name(p.child_by_field_name("declarator"))
        if pname:
            params.append(pname)
    body = node.child_by_field_name("body")
    last = body.children[-1] if body is not None and body.children else None
    closing = (
        last is not None
        and last.type == "}"
        and not last.is_missing
        and ctx.in_view(last.start_point[0])
    )
    start_row = node.start_point[0] if not synthetic else ctx.prep.offset
    return Function(
        name=None if synthetic else name,
        path=ctx.view.path,
        side=ctx.view.side,
        patch_index=ctx.view.patch_index,
        start=ctx.line_of_row(max(start_row, fdecl.start_point[0]) if not synthetic else start_row),
        end=ctx.line_of_row(node.end_point[0]),
        opening_visible=not synthetic,
        closing_visible=closing,
        params=tuple(params),
        signature="" if synthetic else _text(fdecl),
    )


def _call(node: Node, fn: Function | None, ctx: _Ctx) -> Call | None:
    callee_node = node.child_by_field_name("function")
    callee = _text(callee_node).replace(" ", "")
    if not callee or callee in _SKIP_CALLEES or not ctx.in_view(node.start_point[0]):
        return None
    args_node = node.child_by_field_name("arguments")
    args = tuple(_text(a) for a in args_node.named_children) if args_node is not None else ()
    view = ctx.view
    return Call(
        callee=callee,
        args=args,
        function=fn.name if fn is not None else None,
        line=ctx.line_of(node),
        path=view.path,
        side=view.side,
        patch_index=view.patch_index,
        hunk_index=view.hunk_index,
        context_complete=fn is not None and fn.opening_visible,
        statement=_text(node),
    )


_DEFINITION_KINDS = {
    "enumerator": "enum",
    "field_declaration": "member",
    "struct_specifier": "type",
    "union_specifier": "type",
    "type_definition": "type",
    "declaration": "variable",  # at file scope only: ``extern struct x y;``, ``int y = 1;``
}


def _definition(node: Node, fn: Function | None, ctx: _Ctx) -> Definition | None:
    kind = _DEFINITION_KINDS.get(node.type)
    if kind is None or not ctx.in_view(node.start_point[0]):
        return None
    line = ctx.line_of(node)
    if not line.changed:
        return None
    if node.type == "declaration":
        if fn is not None or node.parent is None or node.parent.type != "translation_unit":
            return None  # a local, or a prototype's parameters
        decl = node.child_by_field_name("declarator")
        inner = decl.child_by_field_name("declarator") if decl is not None else None
        if decl is None or "function_declarator" in (decl.type, inner.type if inner else ""):
            return None  # a prototype declares, it does not define
        name = _declarator_name(decl) or ""
    elif node.type in ("struct_specifier", "union_specifier"):
        if node.child_by_field_name("body") is None:
            return None  # ``struct x *p``: a use of the tag
        name = _text(node.child_by_field_name("name"))
    elif kind == "enum":
        name = _text(node.child_by_field_name("name"))
    else:
        name = _declarator_name(node.child_by_field_name("declarator")) or ""
    if not name:
        return None
    v = ctx.view
    valued = kind == "enum" and node.child_by_field_name("value") is not None
    return Definition(kind, name, line, v.path, v.side, v.patch_index, valued)


@dataclass
class _Acc:
    """Mutable accumulator local to one walk."""

    functions: list[tuple[Function, Node]]
    calls: list[tuple[Call, Node | None]]
    definitions: list[Definition]


def _walk(root: Node, ctx: _Ctx) -> _Acc:
    acc = _Acc([], [], [])
    stack: list[tuple[Node, Function | None, Node | None]] = [(root, None, None)]
    while stack:
        node, fn, fn_node = stack.pop()
        t = node.type
        if t == "function_definition":
            made = _function(node, ctx)
            if made is not None:
                fn, fn_node = made, node
                acc.functions.append((made, node))
        elif t == "call_expression":
            call = _call(node, fn, ctx)
            if call is not None:
                acc.calls.append((call, fn_node))
        elif t in _DEFINITION_KINDS:
            d = _definition(node, fn, ctx)
            if d is not None:
                acc.definitions.append(d)
        for child in reversed(node.children):
            stack.append((child, fn, fn_node))
    return acc


def _bodies(acc: _Acc, ctx: _Ctx, source: str) -> tuple[FunctionBody, ...]:
    out = []
    for fn, node in acc.functions:
        if fn.name is None:
            continue
        first = fn.start.no
        last = fn.end.no
        lines = ctx.view.lines[first - 1 : last]
        out.append(
            FunctionBody(
                function=fn,
                calls=tuple(c for c, n in acc.calls if n is node),
                identifiers=line_identifiers(lines),
                lines=lines,
                complete=fn.complete,
                source=source,
            )
        )
    return tuple(out)


def _function_definitions(acc: _Acc, ctx: _Ctx) -> list[Definition]:
    out = []
    for fn, _node in acc.functions:
        if fn.name and fn.opening_visible and fn.start.changed:
            v = ctx.view
            out.append(Definition("function", fn.name, fn.start, v.path, v.side, v.patch_index))
    return out


_NAME_RE = re.compile(r"([A-Za-z_]\w*)\s*\(")


def _section_name(section: str) -> str:
    """The function a hunk header names, when it looks like a head."""
    head = header_function(section)
    if head is None:
        return ""
    m = _NAME_RE.search(head)
    return m.group(1) if m and m.group(1) not in ("if", "while", "for", "switch") else ""


def _is_static(node: Node) -> bool:
    return any(
        c.type == "storage_class_specifier" and _text(c) == "static" for c in node.named_children
    )


def _upper_names(
    ids: tuple[tuple[int, tuple[str, ...]], ...], first: int, last: int
) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for no, names in ids:
        if first <= no <= last:
            for n in names:
                if n.lstrip("_")[:1].isupper() and n.upper() == n:
                    found[n] = None
    return tuple(found)


def _config_entry(blocks: tuple[Block, ...]) -> Formula:
    """The configurations a function exists in: the ``#if`` blocks around
    its definition that test configuration options only (an include guard
    or ``#ifndef __ASSEMBLY__`` decides nothing about what runs)."""
    conds = [
        b.cond
        for b in blocks
        if (names := atoms_of(b.cond)) and all(a.kind is AtomKind.CONFIG for a in names)
    ]
    return conj(*conds)


def _flows(
    acc: _Acc, ctx: _Ctx, section: str, ids: tuple[tuple[int, tuple[str, ...]], ...]
) -> tuple[FlowPiece, ...]:
    v = ctx.view
    region = f"p{v.patch_index}h{v.hunk_index}:{v.path.rsplit('/', 1)[-1]}"
    walk_ctx = WalkContext(ctx.line_of, ctx.in_view, ctx.blocks)
    out = []
    for fn, node in acc.functions:
        head = fn.opening_visible
        # a function defined inside ``#ifdef CONFIG_X`` runs only when it is
        entry = _config_entry(ctx.blocks(node.start_point[0])) if head else TRUE
        if not head:
            entry = atom(
                AtomKind.REACH,
                region,
                f"the code before line {fn.start.new_no or fn.start.old_no or fn.start.no}"
                " reaches it",
                name=region,
            )
        w = walk_function(node, walk_ctx, entry, not head, region)
        out.append(
            FlowPiece(
                function=fn.name,
                section="" if head else _section_name(section),
                path=v.path,
                side=v.side,
                patch_index=v.patch_index,
                hunk_index=v.hunk_index,
                head_visible=head,
                end_visible=fn.closing_visible,
                static=head and _is_static(node),
                params=fn.params,
                entry=entry,
                sites=w.sites,
                exits=w.exits,
                labels=w.labels,
                pending=w.pending,
                fall=w.fall,
                returns=w.returns,
                ops=w.ops,
                start=fn.start,
                end=fn.end,
                region=region,
                names=_upper_names(ids, fn.start.no, fn.end.no),
                stores=w.stores,
                truncated=w.truncated,
                locals=w.locals,
                cleaned=w.cleaned,
            )
        )
    return tuple(out)


def text_includes(text: str, path: str) -> tuple[Include, ...]:
    """The ``#include`` lines of a whole file from outside the series (a
    header of the kernel tree), outside comments; no parse."""
    view = text_view(text, path)
    return read_includes(view, tuple(mask_comments([ln.text for ln in view.lines])))


def build_fragment(view: View, section: str = "") -> Fragment:
    """Parse ``view`` and extract its facts.  ``section`` is the hunk
    header's text, used only as the head of a fragment that begins with a
    function body's ``{`` at column 0."""
    tag = re.sub(
        r"\W", "_", f"p{view.patch_index}h{view.hunk_index}_{view.path.rsplit('/', 1)[-1]}"
    )
    prep = prepare([ln.text for ln in view.lines], section, whole=view.complete, tag=tag)
    ctx = _Ctx(view, prep, line_conditions(list(prep.masked)))
    tree = parse_c(prep.text)
    acc = _walk(tree.root_node, ctx)
    ids = identifiers(prep.masked)
    macros = read_macros(view, prep.masked)
    macro_defs = [
        Definition("macro", m.name, m.line, m.path, m.side, m.patch_index)
        for m in macros
        if m.line.changed
    ]
    return Fragment(
        view=view,
        functions=tuple(f for f, _ in acc.functions),
        calls=tuple(c for c, _ in acc.calls),
        macros=macros,
        includes=read_includes(view, prep.masked),
        definitions=tuple(_function_definitions(acc, ctx) + macro_defs + acc.definitions),
        identifiers=ids,
        bodies=_bodies(acc, ctx, "file" if view.complete else "hunk"),
        flows=_flows(acc, ctx, section, ids),
    )
