"""Per call, the condition it runs under before and after one patch.

The unit of comparison is a *root*: a function the patch changes, or one
that calls a changed function in the code the views show, that no other
such function calls.  Inside a root every callee whose body is visible is
inlined with its arguments bound, so that code moved into a helper on the
same path, or moved up into the caller, is not a move at all, and a call
inside a callee that is now gated inherits the gate.  For each callee the
disjunction of its sites' conditions before is compared with the one after.

A changed function that a root also calls is compared on its own as well
(``secondary``): what changed there matters when it has other callers.  A
call that leaves one root and arrives in another is a move *across* roots:
the two places' conditions are compared as if the roots ran alike, which
the diff cannot show.

Code a piece does not show after its last visible line is a pseudo-call
(``REST``) that runs under the piece's fall-through condition.
"""

from __future__ import annotations

__all__ = ["REST", "Change", "Occurrence", "changes_of_patch", "occurrences"]

from dataclasses import dataclass, field

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.flowmodel import FlowPiece, Site
from reviewpatch.csource.formula import TRUE, Formula, conj, disj
from reviewpatch.csource.model import NEW, OLD
from reviewpatch.flow.bind import Binder, Binding
from reviewpatch.flow.bodies import Bodies, FunctionView
from reviewpatch.flow.solver import Comparison, Solver, Verdict

REST = "\u2026"  # prefix of the pseudo-callee "the rest of F()"
_MAX_INLINE = 4
_MAX_OCCURRENCES = 4000
_CALLER_LEVELS = 2


@dataclass(frozen=True)
class Occurrence:
    """One site of a callee as seen from a root: ``cond`` from the root's
    entry, ``local`` within the function that holds it; ``chain`` the
    functions from the root down to that one; ``piece`` the piece it is in;
    ``site`` None for the pseudo-call of the rest of a function."""

    callee: str
    cond: Formula
    local: Formula
    chain: tuple[str, ...]
    piece: FlowPiece
    site: Site | None

    @property
    def holder(self) -> str:
        return self.chain[-1]

    @property
    def inlined(self) -> bool:
        return len(self.chain) > 1


@dataclass(frozen=True)
class Change:
    """A callee whose condition differs between the old and new code of
    ``root`` (``across``: the root it moved to, for a move across roots;
    ``secondary``: the root is itself called from another root)."""

    patch_index: int
    root: str
    callee: str
    old: tuple[Occurrence, ...]
    new: tuple[Occurrence, ...]
    comparison: Comparison
    secondary: bool = False
    across: str = ""

    @property
    def pseudo(self) -> bool:
        return self.callee.startswith(REST)


@dataclass
class _Collector:
    """Occurrences of every callee in one root on one side."""

    bodies: Bodies
    binder: Binder
    side: str
    found: dict[str, list[Occurrence]] = field(default_factory=dict)
    count: int = 0
    truncated: bool = False

    def add(self, occ: Occurrence) -> None:
        if self.count >= _MAX_OCCURRENCES:
            self.truncated = True
            return
        self.count += 1
        self.found.setdefault(occ.callee, []).append(occ)

    def collect(
        self, fv: FunctionView, cond0: Formula, binding: Binding, chain: tuple[str, ...]
    ) -> None:
        self.binder.add_links(fv)
        for p in fv.pieces:
            for site in p.sites:
                local = self.binder.norm(site.cond, binding)
                cond = conj(cond0, local)
                self.add(Occurrence(site.callee, cond, local, chain, p, site))
                self.inline(site, cond, binding, chain)
            last = p is fv.pieces[-1]
            if not p.end_visible and last:
                local = self.binder.norm(p.fall, binding)
                self.add(Occurrence(REST + fv.name, conj(cond0, local), local, chain, p, None))

    def inline(self, site: Site, cond: Formula, binding: Binding, chain: tuple[str, ...]) -> None:
        if len(chain) > _MAX_INLINE or site.callee in chain or cond.is_false:
            return
        callee = self.bodies.get(site.callee, self.side)
        if callee is None or not callee.head_visible:
            return
        params = callee.params
        args = [
            (" ".join(binding[t][0] if t in binding else t for t in k.split(" ")), a)
            for k, a in zip(site.arg_keys, site.args)
        ]
        inner = dict(zip(params, args))
        self.collect(callee, cond, inner, chain + (site.callee,))


def _callees(fv: FunctionView) -> set[str]:
    return {s.callee for p in fv.pieces for s in p.sites}


def _roots(bodies: Bodies) -> tuple[list[str], list[str]]:
    """(roots, secondary roots) of the patch."""
    old, new = bodies.functions(OLD), bodies.functions(NEW)
    names = set(old) | set(new)
    touched = {n for n in names if (old.get(n) or new.get(n)) and _touched(old, new, n)}
    calls: dict[str, set[str]] = {n: set() for n in names}
    for side in (old, new):
        for n, fv in side.items():
            calls[n] |= _callees(fv) & names
    candidates = set(touched)
    for _ in range(_CALLER_LEVELS):
        candidates |= {n for n in names if calls[n] & candidates}
    called = {c for n in candidates for c in calls[n] if c != n}
    roots = sorted(n for n in candidates if n not in called)
    if not roots:
        roots = sorted(touched)
    secondary = sorted(
        n
        for n in touched
        if n in called and not _private(old.get(n), new.get(n), bodies.code.tree is not None)
    )
    return roots, secondary


def _touched(old: dict[str, FunctionView], new: dict[str, FunctionView], name: str) -> bool:
    return any(fv.touched for fv in (old.get(name), new.get(name)) if fv is not None)


def _private(old: FunctionView | None, new: FunctionView | None, whole: bool) -> bool:
    """A static function seen in a whole file: every caller is in view."""
    return whole and all(fv is None or fv.static for fv in (old, new))


def occurrences(bodies: Bodies, name: str, side: str) -> dict[str, list[Occurrence]]:
    """Every call of root ``name`` on ``side``, helpers in view inlined."""
    return _occurrences(bodies, name, side)[0]


def _occurrences(bodies: Bodies, name: str, side: str) -> tuple[dict[str, list[Occurrence]], bool]:
    fv = bodies.functions(side).get(name)
    col = _Collector(bodies, Binder(bodies, side), side)
    if fv is not None:
        col.collect(fv, TRUE, {}, (name,))
    return col.found, col.truncated


def _compare_root(
    solver: Solver, bodies: Bodies, root: str, secondary: bool
) -> tuple[list[Change], dict[str, list[Occurrence]], dict[str, list[Occurrence]]]:
    old, cut_old = _occurrences(bodies, root, OLD)
    new, cut_new = _occurrences(bodies, root, NEW)
    out: list[Change] = []
    for callee in sorted(set(old) & set(new)):
        a = disj(*(o.cond for o in old[callee]))
        b = disj(*(o.cond for o in new[callee]))
        if a == b:
            continue
        cmp = solver.compare(a, b)
        if cmp.verdict is Verdict.EQUIVALENT:
            continue
        out.append(
            Change(bodies.index, root, callee, tuple(old[callee]), tuple(new[callee]), cmp, secondary)
        )
    gone = {c: old[c] for c in old if c not in new}
    came = {c: new[c] for c in new if c not in old}
    return out, gone, came


def changes_of_patch(
    code: SeriesCode, index: int, solver: Solver, bodies: Bodies | None = None
) -> tuple[Change, ...]:
    """Every callee whose condition the patch changes, root by root, and
    the calls that move from one root to another."""
    bodies = bodies or Bodies(code, index)
    roots, secondary = _roots(bodies)
    out: list[Change] = []
    gone: dict[str, list[tuple[str, list[Occurrence]]]] = {}
    came: dict[str, list[tuple[str, list[Occurrence]]]] = {}
    for root in roots + [s for s in secondary if s not in roots]:
        is_secondary = root not in roots
        found, lost, added = _compare_root(solver, bodies, root, is_secondary)
        out.extend(found)
        if is_secondary:
            continue
        for callee, occ in lost.items():
            gone.setdefault(callee, []).append((root, occ))
        for callee, occ in added.items():
            came.setdefault(callee, []).append((root, occ))
    for callee in sorted(set(gone) & set(came)):
        if callee.startswith(REST):
            continue
        for src, old in gone[callee]:
            for dst, new in came[callee]:
                a = disj(*(o.cond for o in old))
                b = disj(*(o.cond for o in new))
                cmp = solver.compare(a, b)
                if cmp.verdict is not Verdict.EQUIVALENT:
                    out.append(Change(index, src, callee, tuple(old), tuple(new), cmp, False, dst))
    return tuple(out)
