"""``SeriesCode``: the C facts of a whole series and the series-wide
questions rules ask of them (calls removed and added, macro expansion,
function bodies)."""

from __future__ import annotations

__all__ = ["SeriesCode"]

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar, cast

from reviewpatch.csource.model import (
    NEW,
    OLD,
    Call,
    Definition,
    FileCode,
    Fragment,
    Function,
    FunctionBody,
    Include,
    Macro,
    PatchCode,
    View,
)
from reviewpatch.csource.preproc import read_macros
from reviewpatch.errors import ReviewpatchError

if TYPE_CHECKING:
    from reviewpatch.kernel.protocol import KernelTree

_MAX_DEPTH = 16
T = TypeVar("T")


@dataclass(frozen=True)
class SeriesCode:
    """The C analysis of a series.  ``patches`` are in series order;
    ``tree`` is the kernel tree of tree mode (None in hunk mode).  The
    answers to the costlier questions are kept, per series, in one typed
    dict per question (and ``memo`` for analyses built on top)."""

    patches: tuple[PatchCode, ...]
    tree: KernelTree | None = field(default=None, compare=False, repr=False)
    _macros: dict[tuple[str, str], tuple[Macro, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _bodies: dict[tuple[str, str, str | None], FunctionBody | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _here: dict[str, bool] = field(default_factory=dict, init=False, compare=False, repr=False)
    _memo: dict[Hashable, object] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def tree_mode(self) -> bool:
        """True when whole files and definitions come from a kernel tree."""
        return self.tree is not None

    def patch(self, index: int) -> PatchCode | None:
        """The facts of the patch with counter ``index``."""
        for p in self.patches:
            if p.index == index:
                return p
        return None

    def files(self, patch_index: int | None = None) -> Iterator[FileCode]:
        """Every C file of one patch (or of every patch)."""
        for p in self.patches:
            if patch_index is None or p.index == patch_index:
                yield from (f for f in p.files if f.is_c)

    def fragments(self, side: str, patch_index: int | None = None) -> Iterator[Fragment]:
        """Every fragment of ``side`` ("old" or "new")."""
        for f in self.files(patch_index):
            yield from f.fragments(side)

    def calls(self, side: str, patch_index: int | None = None) -> tuple[Call, ...]:
        """Every call seen on ``side``, changed or not."""
        return tuple(c for fr in self.fragments(side, patch_index) for c in fr.calls)

    def calls_removed(self, patch_index: int | None = None) -> tuple[Call, ...]:
        """Calls on removed lines."""
        return tuple(c for c in self.calls(OLD, patch_index) if c.line.kind == "-")

    def calls_added(self, patch_index: int | None = None) -> tuple[Call, ...]:
        """Calls on added lines."""
        return tuple(c for c in self.calls(NEW, patch_index) if c.line.kind == "+")

    def functions(self, side: str, patch_index: int | None = None) -> tuple[Function, ...]:
        """Every function definition seen on ``side``."""
        return tuple(fn for fr in self.fragments(side, patch_index) for fn in fr.functions)

    def includes(self, side: str, patch_index: int | None = None) -> tuple[Include, ...]:
        """Every ``#include`` seen on ``side``."""
        return tuple(i for fr in self.fragments(side, patch_index) for i in fr.includes)

    def definitions_removed(self, patch_index: int | None = None) -> tuple[Definition, ...]:
        """Functions, macros, enum constants and struct members whose
        defining line is removed."""
        return tuple(d for fr in self.fragments(OLD, patch_index) for d in fr.definitions)

    def definitions_added(self, patch_index: int | None = None) -> tuple[Definition, ...]:
        """Definitions whose defining line is added."""
        return tuple(d for fr in self.fragments(NEW, patch_index) for d in fr.definitions)

    def macro_defs(self, name: str, side: str = NEW) -> tuple[Macro, ...]:
        """Definitions of macro ``name`` on ``side``, the most relevant first
        (for "new" the latest patch's; for "old" the earliest's); a
        definition from the tree comes last."""
        key = (name, side)
        if key in self._macros:
            return self._macros[key]
        found = [m for fr in self.fragments(side) for m in fr.macros if m.name == name]
        if side == NEW:
            found.reverse()
        if not found and self.tree is not None:
            found.extend(self._tree_macros(self.tree, name))
        result = tuple(found)
        self._macros[key] = result
        return result

    @staticmethod
    def _tree_macros(tree: KernelTree, name: str) -> tuple[Macro, ...]:
        try:
            hit = tree.find_definition(name)
        except (ReviewpatchError, OSError, UnicodeError):  # best effort
            return ()
        if not hit:
            return ()
        from reviewpatch.csource.prepare import mask_comments
        from reviewpatch.csource.views import text_view

        view = text_view(hit[1], hit[0])
        masked = tuple(mask_comments([ln.text for ln in view.lines]))
        return tuple(m for m in read_macros(view, masked) if m.name == name)

    def macro(self, name: str, side: str = NEW) -> tuple[str, ...] | None:
        """The flags mask macro ``name`` stands for, expanded recursively
        across the series (a mask defined in one patch and used in another);
        None when no definition of ``name`` is known or it is not a mask."""
        defs = self.macro_defs(name, side)
        if not defs or not defs[0].members:
            return None
        return self.expand((name,), side)

    def expand(self, names: tuple[str, ...], side: str = NEW) -> tuple[str, ...]:
        """Expand every mask macro among ``names`` into its leaf flags;
        names without a known mask definition stay as they are."""
        out: dict[str, None] = {}
        self._expand(names, side, out, 0, frozenset())
        return tuple(out)

    def _expand(
        self,
        names: tuple[str, ...],
        side: str,
        out: dict[str, None],
        depth: int,
        seen: frozenset[str],
    ) -> None:
        for name in names:
            defs = self.macro_defs(name, side) if depth < _MAX_DEPTH and name not in seen else ()
            members = defs[0].members if defs else ()
            if members and members != (name,):
                self._expand(members, side, out, depth + 1, seen | {name})
            else:
                out[name] = None

    def function_body(
        self, name: str, side: str = NEW, path: str | None = None
    ) -> FunctionBody | None:
        """What is known of function ``name``'s body on ``side``: a complete
        body from the series if any, else (tree mode) the tree's, else the
        largest partial view the hunks show; None when never seen."""
        key = (name, side, path)
        if key in self._bodies:
            return self._bodies[key]
        bodies = [
            b
            for fr in self.fragments(side)
            for b in fr.bodies
            if b.function.name == name and (path is None or b.function.path == path)
        ]
        if side == NEW:
            bodies.reverse()
        best = max(bodies, key=lambda b: (b.complete, len(b.lines)), default=None)
        if (best is None or not best.complete) and self.tree is not None:
            best = self._tree_body(self.tree, name) or best
        self._bodies[key] = best
        return best

    def memo(self, key: Hashable, factory: Callable[[], T]) -> T:
        """``factory()``, computed once per series for ``key`` (for
        analyses built on top of this one, such as flag gates).  One key
        always stands for one kind of value: the cast is that contract."""
        if key not in self._memo:
            self._memo[key] = factory()
        return cast(T, self._memo[key])

    def prefetch(self, names: tuple[str, ...]) -> None:
        """Tree mode: look up the definitions of ``names`` in one batch
        (``KernelTree.prefetch_definitions``) before they are asked for one
        by one.  Names the series defines completely are left out."""
        tree = self.tree
        if tree is None:
            return
        todo = tuple(n for n in dict.fromkeys(names) if n and not self._known_here(n))
        if not todo:
            return
        try:
            tree.prefetch_definitions(todo)
        except (ReviewpatchError, OSError, UnicodeError):  # best effort: lookups retry one by one
            return

    def _known_here(self, name: str) -> bool:
        """True when the series itself defines macro ``name`` or shows a
        complete body of function ``name`` (no tree lookup needed)."""
        if name not in self._here:
            self._here[name] = any(
                m.name == name for fr in self.fragments(NEW) for m in fr.macros
            ) or any(
                b.complete and b.function.name == name
                for fr in self.fragments(NEW)
                for b in fr.bodies
            )
        return self._here[name]

    @staticmethod
    def _stale(tree: KernelTree, path: str) -> bool:
        """True when a patch that changes ``path`` did not apply, so the
        tree's copy of it is not what the series leaves."""
        if not tree.problems:
            return False
        try:
            return tree.new_file(path) is None
        except (ReviewpatchError, OSError, UnicodeError):  # best effort
            return True

    def _tree_body(self, tree: KernelTree, name: str) -> FunctionBody | None:
        try:
            hit = tree.find_definition(name)
        except (ReviewpatchError, OSError, UnicodeError):  # best effort
            return None
        if not hit or self._stale(tree, hit[0]):
            return None
        from reviewpatch.csource.facts import build_fragment
        from reviewpatch.csource.views import text_view

        fragment = build_fragment(text_view(hit[1], hit[0]))
        for body in fragment.bodies:
            if body.function.name == name:
                return FunctionBody(
                    function=body.function,
                    calls=body.calls,
                    identifiers=body.identifiers,
                    lines=body.lines,
                    complete=body.complete,
                    source="tree",
                )
        return None

    def view_of(self, call: Call) -> View | None:
        """The view a call was found in."""
        for fr in self.fragments(call.side, call.patch_index):
            if (
                fr.view.path == call.path
                and fr.view.hunk_index == call.hunk_index
                and call in fr.calls
            ):
                return fr.view
        return None
