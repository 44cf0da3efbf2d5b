"""Functions as the series shows them, side by side, for one patch.

``Bodies(code, patch_index)`` gathers the flow pieces of every function the
patch's views show, old and new, and links the pieces of one function that
several hunks show: the code between two hunks is not visible, so the second
piece is reached when the first falls through and the gap does (the gap's
atom is assumed to fall through, like the code before a fragment), and a
label in it is reached by the first piece's pending gotos or by a goto in
the gap.  A function the patch does not show comes, unchanged, from the
series' other patches or (tree mode) from the tree, the same on both sides.

``Bodies.masks(name, side)`` reads flag mask macros the same way.
"""

from __future__ import annotations

__all__ = ["Bodies", "FunctionView"]

from dataclasses import dataclass, field

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.facts import build_fragment
from reviewpatch.csource.flowmodel import FlowPiece
from reviewpatch.csource.formula import (
    FALSE,
    Atom,
    AtomKind,
    Formula,
    atom,
    conj,
    disj,
    rename_atoms,
)
from reviewpatch.csource.model import NEW, OLD, Fragment, Macro
from reviewpatch.csource.views import text_view
from reviewpatch.errors import ReviewpatchError


@dataclass(frozen=True)
class FunctionView:
    """A function on one side: its pieces in file order, the formulas that
    replace the entry and label atoms of linked pieces (``links``), which
    pieces hold a changed line (``touched``), and where it came from
    (``source``: "patch", "series" or "tree").  ``key`` is ``name@path``:
    one name may have a definition per architecture."""

    name: str
    pieces: tuple[FlowPiece, ...]
    links: tuple[tuple[str, Formula], ...]
    touched: bool
    source: str

    @property
    def path(self) -> str:
        return self.pieces[0].path if self.pieces else ""

    @property
    def key(self) -> str:
        return f"{self.name}@{self.path}"

    @property
    def params(self) -> tuple[str, ...]:
        return self.pieces[0].params if self.pieces and self.pieces[0].head_visible else ()

    @property
    def head_visible(self) -> bool:
        return bool(self.pieces) and self.pieces[0].head_visible

    @property
    def complete(self) -> bool:
        """Head and closing brace seen, with nothing hidden between."""
        return len(self.pieces) == 1 and self.pieces[0].complete

    @property
    def static(self) -> bool:
        return bool(self.pieces) and self.pieces[0].static


def _name(piece: FlowPiece) -> str:
    return piece.name or f"<{piece.path}:{piece.start.no}>"


def _touched(fragment: Fragment, piece: FlowPiece) -> bool:
    lines = fragment.view.lines[piece.start.no - 1 : piece.end.no]
    return any(ln.changed for ln in lines)


def _complete(code: SeriesCode, index: int, side: str) -> dict[str, FlowPiece]:
    """The first complete body of each function patch ``index`` shows on
    ``side``, by name (computed once per series)."""

    def build() -> dict[str, FlowPiece]:
        out: dict[str, FlowPiece] = {}
        for fr in code.fragments(side, index):
            for fp in fr.flows:
                if fp.function and fp.complete:
                    out.setdefault(fp.function, fp)
        return out

    return code.memo(("flow", "complete", index, side), build)


def _stale(f: Formula, region: str) -> Formula:
    """``f`` with its conditions as written made distinct from the same
    text further on: a local tested before a gap may be assigned anew in
    the gap (``ret``), so the test after the gap is another proposition."""

    def rename(a: Atom) -> Formula | None:
        if a.kind not in (AtomKind.COND, AtomKind.CASE):
            return None
        key = a.key.split(":", 1)[1]
        return atom(a.kind, f"{key} #{region}", a.text, a.var, a.name, a.var_key, a.args)

    return rename_atoms(f, rename)


def _link(name: str, pieces: list[FlowPiece]) -> tuple[tuple[str, Formula], ...]:
    """The atoms of linked pieces: entry = previous fall-through (its
    conditions as they were before the gap) and the gap; a label = pending
    gotos or a goto in the gap."""
    links: list[tuple[str, Formula]] = []
    fall: Formula | None = None
    pending: dict[str, Formula] = {}
    for p in pieces:
        if fall is not None and not p.head_visible:
            gap = atom(
                AtomKind.REACH,
                f"gap {p.region}",
                f"the code of {name}() before line {p.start.no} that the diff does not show",
            )
            links.append((f"reach:{p.region}", conj(_stale(fall, p.region), gap)))
            for label in p.labels:
                via_gap = atom(
                    AtomKind.UNSEEN,
                    f"goto-gap {p.region} {label.name}",
                    f"a goto to {label.name} in code the diff does not show",
                    name=label.name,
                )
                came = disj(_stale(pending.pop(label.name, FALSE), p.region), via_gap)
                links.append((f"unseen:goto-in {p.region} {label.name}", came))
        for label in p.labels:
            pending.pop(label.name, None)
        for name, cond in p.pending:
            pending[name] = disj(pending.get(name, FALSE), cond)
        fall = None if p.end_visible else p.fall
    return tuple(links)


def _after_the_end(
    grouped: dict[tuple[str, str], list[tuple[FlowPiece, bool]]],
) -> dict[tuple[str, str], list[tuple[FlowPiece, bool]]]:
    """Pieces named only by their hunk header that come after a piece of
    the same function whose closing brace is shown are in a later
    function git's header line did not catch (``__visible noinstr long
    foo(...)``): they get a name of their own, as unknown functions do."""
    out: dict[tuple[str, str], list[tuple[FlowPiece, bool]]] = {}
    for (name, path), items in grouped.items():
        items = sorted(
            items, key=lambda it: it[0].start.old_no or it[0].start.new_no or it[0].start.no
        )
        ended = False
        for piece, touched in items:
            if ended and not piece.head_visible and not name.startswith("<"):
                line = piece.start.new_no or piece.start.old_no or piece.start.no
                out.setdefault((f"<{path}:{line}>", path), []).append((piece, touched))
                continue
            out.setdefault((name, path), []).append((piece, touched))
            ended = ended or piece.end_visible
    return out


@dataclass
class Bodies:
    """The functions of patch ``index`` of ``code``, memoised (one per
    review, not shared)."""

    code: SeriesCode
    index: int
    _sides: dict[str, dict[str, FunctionView]] = field(default_factory=dict)
    _outside: dict[str, FunctionView | None] = field(default_factory=dict)
    _named: dict[str, dict[str, list[FunctionView]]] = field(default_factory=dict)
    _masks: dict[tuple[str, str], tuple[str, ...] | None] = field(default_factory=dict)
    _renames: dict[str, str] | None = None
    # what the tree gives for a name, shared by the patches of one review
    tree_bodies: dict[str, FunctionView | None] = field(default_factory=dict)

    def renames(self) -> dict[str, str]:
        """The identifiers this patch renames (old name to new name)."""
        if self._renames is None:
            from reviewpatch.flow.renames import patch_renames

            self._renames = patch_renames(self.code, self.index)
        return self._renames

    def functions(self, side: str) -> dict[str, FunctionView]:
        """Every function patch ``index`` shows on ``side``, by key
        (``name@path``)."""
        got = self._sides.get(side)
        if got is None:
            got = self._gather(side)
            self._sides[side] = got
        return got

    def _gather(self, side: str) -> dict[str, FunctionView]:
        grouped: dict[tuple[str, str], list[tuple[FlowPiece, bool]]] = {}
        for fr in self.code.fragments(side, self.index):
            for p in fr.flows:
                grouped.setdefault((_name(p), p.path), []).append((p, _touched(fr, p)))
        grouped = _after_the_end(grouped)
        out = {}
        for (name, _path), items in grouped.items():
            items.sort(key=lambda it: it[0].start.old_no or it[0].start.new_no or it[0].start.no)
            pieces = [p for p, _ in items]
            fv = FunctionView(
                name, tuple(pieces), _link(name, pieces), any(t for _, t in items), "patch"
            )
            out[fv.key] = fv
        return out

    def named(self, name: str, side: str) -> list[FunctionView]:
        """The patch's own views of function ``name`` on ``side``."""
        got = self._named.get(side)
        if got is None:
            got = {}
            for fv in self.functions(side).values():
                got.setdefault(fv.name, []).append(fv)
            self._named[side] = got
        return got.get(name, [])

    def get(self, name: str, side: str, path: str = "") -> FunctionView | None:
        """Function ``name`` on ``side`` (the one in ``path`` when there is
        one per architecture): the patch's own view, else the unchanged body
        found elsewhere in the series or the tree."""
        here = self.named(name, side)
        if here:
            same = [fv for fv in here if fv.path == path]
            return same[0] if same else here[0] if len(here) == 1 else None
        other = OLD if side == NEW else NEW
        if self.named(name, other):
            return None  # the patch adds or removes it: absent on this side
        if name not in self._outside:
            self._outside[name] = self._elsewhere(name)
        return self._outside[name]

    def _elsewhere(self, name: str) -> FunctionView | None:
        before = [p for p in self.code.patches if p.index < self.index]
        after = [p for p in self.code.patches if p.index > self.index]
        for patch, side in [(p, NEW) for p in reversed(before)] + [(p, OLD) for p in after]:
            found = _complete(self.code, patch.index, side).get(name)
            if found is not None:
                return FunctionView(name, (found,), (), False, "series")
        return self._from_tree(name)

    def _from_tree(self, name: str) -> FunctionView | None:
        if name not in self.tree_bodies:
            self.tree_bodies[name] = self._tree_lookup(name)
        return self.tree_bodies[name]

    def _tree_lookup(self, name: str) -> FunctionView | None:
        tree = self.code.tree
        if tree is None:
            return None
        try:
            hit = tree.find_definition(name)
        except (ReviewpatchError, OSError, UnicodeError):  # best effort
            return None
        if hit is None:
            return None
        fragment = build_fragment(text_view(hit[1], hit[0]))
        for p in fragment.flows:
            if p.function == name and p.complete:
                return FunctionView(name, (p,), (), False, "tree")
        return None

    # -- masks ------------------------------------------------------------------------

    def masks(self, name: str, side: str) -> tuple[str, ...] | None:
        """The members of mask macro ``name`` as ``side`` of the patch
        sees it (not expanded), or None when ``name`` is not a known mask."""
        key = (name, side)
        if key not in self._masks:
            found = self._macro(name, side)
            self._masks[key] = found.members if found is not None and found.members else None
        return self._masks[key]

    def macro(self, name: str, side: str) -> Macro | None:
        """The definition of macro ``name`` as ``side`` of the patch sees it."""
        return self._macro(name, side)

    def _macro(self, name: str, side: str) -> Macro | None:
        order: list[tuple[int, str]] = []
        for p in self.code.patches:
            if p.index < self.index or (p.index == self.index and side == NEW):
                order.append((p.index, NEW))
        order.reverse()
        if side == OLD:
            order.insert(0, (self.index, OLD))
        order += [(p.index, OLD) for p in self.code.patches if p.index > self.index]
        for index, s in order:
            for fr in self.code.fragments(s, index):
                for m in fr.macros:
                    if m.name == name:
                        return m
        defs = self.code.macro_defs(name, NEW) if self.code.tree is not None else ()
        return defs[-1] if defs else None
