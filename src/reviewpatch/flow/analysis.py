"""The flow analysis of a series, computed once and shared by the C rules.

``flow_of(code)`` gives the ``FlowAnalysis`` of a ``SeriesCode``: per patch,
the ``Change`` of every callee whose condition differs (``changes``) and the
flag *gates* among them (``gates``): a call that ran whenever its caller did
and now runs only when some flags are set, with the changes of the code
inlined below it.
"""

from __future__ import annotations

__all__ = ["FlowAnalysis", "Gate", "flow_of"]

from dataclasses import dataclass, field

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.formula import AtomKind, Formula, atoms_of, disj
from reviewpatch.csource.model import NEW
from reviewpatch.flow.bind import Binder
from reviewpatch.flow.bodies import Bodies, FunctionView
from reviewpatch.flow.compare import Change, Occurrence, changes_of_patch, occurrences
from reviewpatch.flow.solver import Solver


@dataclass(frozen=True)
class Gate:
    """Callee ``callee`` of ``root``, newly run only when ``var`` has one
    of ``flags`` (display names, masks expanded); ``masks`` the mask macros
    the guard names with their members; ``inner`` the changes of what runs
    inside it, before and after (a call that moved out is not inner);
    ``body`` its new body as far as it is visible."""

    root: str
    callee: str
    change: Change
    guard: Formula
    var: str
    flags: tuple[str, ...]
    masks: tuple[tuple[str, tuple[str, ...]], ...]
    inner: tuple[Change, ...]
    body: FunctionView | None

    @property
    def site(self) -> Occurrence:
        return self.change.new[0]


@dataclass
class FlowAnalysis:
    """Per patch changes and gates, computed on demand, once."""

    code: SeriesCode
    solver: Solver = field(default_factory=Solver)
    _changes: dict[int, tuple[Change, ...]] = field(default_factory=dict)
    _bodies: dict[int, Bodies] = field(default_factory=dict)
    _occ: dict[tuple[int, str, str], dict[str, list[Occurrence]]] = field(default_factory=dict)
    _binders: dict[tuple[int, str], Binder] = field(default_factory=dict)
    # bodies found in the tree after the series: the same for every patch
    _tree_bodies: dict[str, FunctionView | None] = field(default_factory=dict)

    def bodies(self, index: int) -> Bodies:
        got = self._bodies.get(index)
        if got is None:
            got = Bodies(self.code, index, tree_bodies=self._tree_bodies)
            self._bodies[index] = got
        return got

    def changes(self, index: int) -> tuple[Change, ...]:
        got = self._changes.get(index)
        if got is None:
            got = changes_of_patch(self.code, index, self.solver, self.bodies(index))
            self._changes[index] = got
        return got

    def occurrences(self, index: int, root: str, side: str) -> dict[str, list[Occurrence]]:
        """Every call of ``root`` on ``side`` with its condition."""
        key = (index, root, side)
        got = self._occ.get(key)
        if got is None:
            got = occurrences(self.bodies(index), root, side)
            self._occ[key] = got
        return got

    def binder(self, index: int, side: str) -> Binder:
        key = (index, side)
        got = self._binders.get(key)
        if got is None:
            got = Binder(self.bodies(index), side)
            self._binders[key] = got
        return got

    def flag_key(self, index: int, name: str) -> str:
        """One name for a flag and its bit (``_TIF_X`` and ``TIF_X``)."""
        return self.binder(index, NEW).flag_key(name)

    def gates(self, index: int) -> tuple[Gate, ...]:
        changes = self.changes(index)
        out = []
        for ch in changes:
            gate = _gate(self, ch, changes)
            if gate is not None:
                out.append(gate)
        return tuple(out)


def _gate(fa: FlowAnalysis, ch: Change, changes: tuple[Change, ...]) -> Gate | None:
    """``ch`` as a flag gate: a call directly in its root that ran whenever
    the root did (or under fewer conditions) and now needs a flag."""
    w = ch.comparison.lost
    if ch.across or ch.pseudo or w is None or not w.robust:
        return None
    # the cheap tests first: reading the witness's literals costs solver runs
    direct = [o for o in ch.new if not o.inlined]
    if not direct or any(o.inlined for o in ch.old):
        return None
    if not w.literals:
        return None
    if not all(lit.atom.kind is AtomKind.BIT and not lit.value for lit in w.literals):
        return None
    var_keys = {lit.atom.var_key for lit in w.literals}
    if len(var_keys) != 1:
        return None
    guard = disj(*(o.cond for o in direct))
    var_key = next(iter(var_keys))
    bits = [a for a in atoms_of(guard) if a.kind is AtomKind.BIT and a.var_key == var_key]
    flags = tuple(dict.fromkeys(a.name for a in bits))
    inner = tuple(
        c
        for c in changes
        if c is not ch
        and c.root == ch.root
        and not c.across
        and any(ch.callee in o.chain[1:] for o in c.old)
        and all(ch.callee in o.chain[1:] for o in c.new)
    )
    bodies = fa.bodies(ch.patch_index)
    return Gate(
        root=ch.root,
        callee=ch.callee,
        change=ch,
        guard=guard,
        var=bits[0].var if bits else "",
        flags=flags,
        masks=_masks(fa.binder(ch.patch_index, NEW), bodies, direct[0]),
        inner=inner,
        body=bodies.get(ch.callee, NEW),
    )


def _masks(
    binder: Binder, bodies: Bodies, occ: Occurrence
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The mask macros a guard names (before expansion), with their leaf
    members."""
    site = occ.site
    if site is None:
        return ()
    out: dict[str, tuple[str, ...]] = {}
    for a in atoms_of(site.cond):
        if a.kind is AtomKind.BIT and bodies.masks(a.name, NEW):
            out[a.name] = binder.expand(a.name)
    return tuple(sorted(out.items()))


def flow_of(code: SeriesCode) -> FlowAnalysis:
    """The flow analysis of ``code``, made once per series."""
    return code.memo(("flow-analysis",), lambda: FlowAnalysis(code))
