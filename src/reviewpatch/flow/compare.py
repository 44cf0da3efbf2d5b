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

__all__ = ["REST", "Change", "Occurrence", "changes_of_patch", "doubtful", "occurrences"]

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.flowmodel import FlowPiece, Site
from reviewpatch.csource.formula import (
    TRUE,
    Atom,
    AtomKind,
    Formula,
    atom,
    atoms_of,
    conj,
    disj,
    rename_atoms,
)
from reviewpatch.csource.model import NEW, OLD
from reviewpatch.csource.prepare import UNSEEN_BLOCK
from reviewpatch.flow.bind import Binder, Binding
from reviewpatch.flow.bodies import Bodies, FunctionView
from reviewpatch.flow.solver import Comparison, Solver, Verdict, Witness, atom_formula

REST = "\u2026"  # prefix of the pseudo-callee "the rest of F()"
_MAX_INLINE = 4
# how deep bodies only the tree shows are inlined (a kernel function's
# callees fan out fast; what decides a call's condition is near the root)
_MAX_TREE_INLINE = 2
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
    before: Formula = TRUE
    after: Formula = TRUE
    opaque: frozenset[str] = frozenset()
    dropped: frozenset[str] = frozenset()  # callees the root no longer calls itself
    built: frozenset[str] = frozenset()  # options of the root's own #if, when it changed
    instead: str = ""  # a new call that gives the value in the case it no longer runs
    fresh: frozenset[str] = frozenset()  # flags (macros, enum values) the series adds
    stubs: frozenset[str] = frozenset()  # old callees whose every shown body is empty
    swapped: str = ""  # a new call on the same argument, made in the case it no longer runs
    handoff: str = ""  # a call the root dropped that the callee now makes itself

    @property
    def pseudo(self) -> bool:
        return self.callee.startswith(REST)

    def doubt(self, lost: bool) -> str:
        """Why the witness of one direction is not to be trusted as a
        finding ("" when it is): it relies on unseen code, on a condition
        rewritten in other words, on two conditions written alike taken as
        different, or on a configuration option together with conditions
        it may decide."""
        w = self.comparison.lost if lost else self.comparison.gained
        if w is None:
            return "no case"
        if not w.robust:
            return "it depends on code the diff does not show"
        if self.across:
            return f"it assumes {self.across}() runs whenever {self.root}() did"
        if lost and self.instead:
            return (
                f"in that case the patch computes the value with {self.instead}() instead; "
                "replacing one way of doing it with another is usually the point"
            )

        return (
            _unseen_switch(w)
            or _clock_read(self.callee, self.old if lost else self.new)
            or _predicate(self.callee, self.old if lost else self.new)
            or (_stub(self.old, self.stubs) if lost else "")
            or _new_flag(w, self.fresh)
            or _new_value(w, self.fresh)
            or (_swap_text(self.swapped) if lost else "")
            or (_handoff_text(self.callee, self.handoff) if not lost else "")
            or _config_swap(w, self.before, self.after)
            or _built(w, self.root, self.built)
            or (_gone_cause(self.old, self.dropped) if lost else "")
            or _rewrite(w, self.before, self.after, self.new)
            or _local_state(w, self.before, self.new)
            or _null_only(w, self.old if lost else self.new)
            or _opaque(w, self.opaque)
            or _alias(w)
            or _config(w)
            or _empty_loop(w)
        )


def _valued(site: Site | None) -> bool:
    """A call whose result is the point: returned or stored."""
    return site is not None and (
        bool(site.assigned) or site.line.text.lstrip().startswith("return")
    )


def _added_in_case(
    solver: Solver,
    lost: Witness | None,
    new: dict[str, list[Occurrence]],
    old: dict[str, list[Occurrence]],
    fits: Callable[[Site], bool],
    *,
    branches_of: tuple[Occurrence, ...] = (),
) -> str:
    """The first callee (by name) that the patch adds, with a site that
    ``fits`` and can run in the case where the compared call no longer
    runs.  A callee the old code also called counts only for a call the
    patch adds in the other branch of a test that now picks between it and
    one of ``branches_of`` (the compared call's new sites): ``if (mc->slab)
    kmem_cache_free(...); else free_page(...);``."""
    if lost is None:
        return ""
    case: Formula | None = None  # the witness is made only when a site fits
    for callee in sorted(new):
        if callee.startswith(REST):
            continue
        for o in new[callee]:
            if o.site is None or o.site.line.kind != "+" or not fits(o.site):
                continue
            if callee in old and not any(
                b.holder == o.holder
                and b.site is not None
                and b.site.callee != callee
                and solver.satisfiable(conj(b.local, o.local)) is False
                for b in branches_of
            ):
                continue
            if case is None:
                case = conj(*(atom_formula(lit) for lit in lost.literals))
            if solver.satisfiable(conj(case, o.cond)):
                return callee
    return ""


def _instead(
    solver: Solver,
    lost: Witness | None,
    occs: list[Occurrence],
    new: dict[str, list[Occurrence]],
    old: dict[str, list[Occurrence]],
) -> str:
    """A call the patch adds that, in the case where ``occs``' callee no
    longer runs, produces the value it produced (``return module_alloc()``
    giving way to ``return __vmalloc_node_range()``), or a new way out of
    the function that returns a new call's value there (``if (shadow)
    return pte_mkwrite_shstk(pte);`` before the code that no longer runs)."""
    valued = all(_valued(o.site) for o in occs)

    def fits(site: Site) -> bool:
        # a value computed in its place, or a new way out that returns one
        returns = site.line.text.lstrip().startswith("return")
        return _valued(site) and (valued or returns)

    return _added_in_case(solver, lost, new, old, fits)


def _handoff_text(callee: str, handoff: str) -> str:
    if not handoff:
        return ""
    return (
        f"{callee}() now calls {handoff}() itself, which the caller called in its place "
        "before: the choice moved into the callee"
    )


def _handoff(bodies: Bodies, callee: str, dropped: frozenset[str]) -> str:
    """A call the root no longer makes that ``callee``'s new body makes
    (``if (flags & TI) return foo_ti(...);`` moved from the caller into
    ``foo()``)."""
    if not dropped:
        return ""
    fv = bodies.get(callee, NEW)
    if fv is None or not fv.complete:
        return ""
    sites = [site for p in fv.pieces for site in p.sites if site.callee in dropped]
    # a call it returns through first: that is the hand-off
    sites.sort(key=lambda x: (not x.line.text.lstrip().startswith("return"), x.line.no))
    return sites[0].callee if sites else ""


def _swap_text(swapped: str) -> str:
    if not swapped:
        return ""
    return (
        f"in that case the patch calls {swapped}() on the same argument instead; "
        "replacing one way of doing it with another is usually the point"
    )


def _local_state(w: Witness, before: Formula, sites: tuple[Occurrence, ...]) -> str:
    """A case that rests on a new test of a local variable the new code
    sets on some paths (``list = NULL;`` in one branch, ``if (!list)
    return;`` later): which paths set it is not followed, so the case may
    be one no path produces."""
    old = {a.key for a in atoms_of(before)}
    locals_: set[str] = set()
    stored: set[str] = set()
    for o in sites:
        locals_.update(o.piece.locals)
        stored.update(st.lhs.strip() for st in o.piece.stores if st.line.kind == "+")
    for lit in w.literals:
        a = lit.atom
        name = a.text.strip()
        if a.kind is AtomKind.COND and a.key not in old and name in locals_ and name in stored:
            return (
                f"it takes {'!' if not lit.value else ''}{name} as given, but {name} is a local "
                "the new code sets on some paths, which the solver does not follow"
            )
    return ""


_TRIVIAL_ARGS = frozenset({"", "0", "1", "NULL", "true", "false", "-1"})


# a leading cast: ``(unsigned long)x``, ``(void *)p``, ``(struct foo *)q``
_CAST_RE = re.compile(
    r"\(\s*(?:(?:const|volatile|struct|union|enum|unsigned|signed)\s+)*\w+\s*\**\s*\)"
)


def _arg_keys(site: Site | None) -> set[str]:
    """The arguments of a call as keys to compare with another call's: no
    blanks, no leading ``&``, no leading cast (``free_page((unsigned long)
    p)`` works on the ``p`` that ``kmem_cache_free(c, p)`` does)."""
    if site is None:
        return set()
    keys = set()
    for arg in site.args:
        arg = arg.strip()
        m = _CAST_RE.match(arg)
        if m is not None and m.end() < len(arg):
            arg = arg[m.end() :]
        keys.add("".join(arg.split()).lstrip("&"))
    return {k for k in keys if k not in _TRIVIAL_ARGS and not k.isdigit()}


def _swapped(
    solver: Solver,
    lost: Witness | None,
    occs: list[Occurrence],
    new: dict[str, list[Occurrence]],
    old: dict[str, list[Occurrence]],
) -> str:
    """A call the patch adds, on an argument of the call that no longer
    runs, made in the case where it no longer runs: ``if (flags & SHUTDOWN)
    irq_shutdown(desc); else __disable_irq(desc);`` — one way of doing it
    swapped for another in that case.  A value for a test (in a condition,
    or stored) is not work done in its place."""
    args = set().union(*(_arg_keys(o.site) for o in occs)) if occs else set()
    if not args:
        return ""

    def fits(site: Site) -> bool:
        return not site.in_condition and not _valued(site) and bool(args & _arg_keys(site))

    # the other call may be one the old code made elsewhere: two helpers
    # folded into one that picks kmem_cache_free() or free_page() by a test
    name = occs[0].site.callee if occs and occs[0].site is not None else ""
    return _added_in_case(solver, lost, new, old, fits, branches_of=tuple(new.get(name, ())))


def _built(w: Witness, root: str, options: frozenset[str]) -> str:
    """A case about the ``#if`` around the root's own definition: whether
    the function runs in that configuration is its callers' to say (they
    are built under the same condition, or call a stub)."""
    for lit in w.literals:
        if lit.atom.kind is AtomKind.CONFIG and lit.atom.name in options:
            return (
                f"the patch changes the #if that {root}() is built under, so it assumes "
                f"{root}() is called when {lit.atom.name} is "
                f"{'enabled' if lit.value else 'disabled'}, which its callers decide"
            )
    return ""


def _entry_configs(old: FunctionView | None, new: FunctionView | None) -> frozenset[str]:
    if not _entry_changed(old, new):
        return frozenset()
    assert old is not None and new is not None
    entries = (old.pieces[0].entry, new.pieces[0].entry)
    return frozenset(a.name for f in entries for a in atoms_of(f) if a.kind is AtomKind.CONFIG)


def _gone_cause(occs: tuple[Occurrence, ...], dropped: frozenset[str]) -> str:
    """A call that ran on the failure of another call the patch no longer
    makes (``err = set_direct_map_invalid_noflush(); if (err) return
    vmf_error(err);``): the error path went away with its cause."""
    for o in occs:
        if o.site is None or o.site.line.kind != "-":
            continue
        for g in o.site.guards:
            gone = [v for v in g.via if v in dropped]
            if gone:
                return (
                    f"where it ran, it ran on the result of {gone[0]}(), which "
                    f"{o.chain[0]}() no longer calls itself"
                )
    return ""


_CLOCK_RE = re.compile(r"(?:^|_)(?:clock|ktime_get|get_cycles|rdtsc|jiffies)(?:_|$)")


_PREDICATE_RE = re.compile(
    r"^(?:is|has|can|should|check|cpu_has|needs?)_|_(?:p|valid|enabled|supported|support|"
    r"present|available|capable)$"
)
_SIDE_EFFECT_RE = re.compile(r"test_and_|_and_test|try|lock|get|put|inc|dec|set|clear|alloc")


def _predicate(callee: str, occs: tuple[Occurrence, ...]) -> str:
    """A test function (``check_amd_hwpstate_cpu()``, ``psci_has_osi_
    support()``) called only inside conditions: running it does nothing
    but decide, and what it decides is compared call by call."""
    sites = [o.site for o in occs if o.site is not None]
    if not sites or not all(s.in_condition for s in sites):
        return ""
    if not _PREDICATE_RE.search(callee) or _SIDE_EFFECT_RE.search(callee):
        return ""
    return (
        f"{callee}() is a test called only in conditions; the calls it decides are "
        "compared on their own"
    )


def _clock_read(callee: str, occs: tuple[Occurrence, ...]) -> str:
    """A clock or time read whose value is used at every site of the side
    that runs it more (``time_start = local_clock();``, a test of it):
    reading the clock does nothing else, so running it only where its
    value is needed changes nothing that runs."""
    sites = [o.site for o in occs if o.site is not None]
    if sites and _CLOCK_RE.search(callee) and not any(_bare(s) for s in sites):
        return f"{callee}() only reads the time, for a value used later"
    return ""


def _bare(site: Site) -> bool:
    """A call made as a statement of its own, its result dropped."""
    text = "".join(site.line.text.split())
    return not site.assigned and not site.in_condition and text.startswith(site.callee + "(")


def _stub(occs: tuple[Occurrence, ...], stubs: frozenset[str]) -> str:
    """What no longer runs was a call of an empty function (``static inline
    void foo(int irq) {}``, the stub the patch shows): it did nothing."""
    names = {o.site.callee for o in occs if o.site is not None}
    if names and names <= stubs:
        return f"{sorted(names)[0]}() has an empty body where the diff shows it: it did nothing"
    return ""


def _empty_bodies(bodies: Bodies, names: set[str]) -> frozenset[str]:
    """The names among ``names`` whose every body the patch shows (old
    side) is complete and does nothing: no call, exit, store or bit op."""
    out = set()
    for name in names:
        views = bodies.named(name, OLD)
        if views and all(
            fv.complete and not any(p.sites or p.exits or p.stores or p.ops for p in fv.pieces)
            for fv in views
        ):
            out.add(name)
    return frozenset(out)


def _new_flag(w: Witness, fresh: frozenset[str]) -> str:
    """A case that needs a flag the series itself adds: only code that
    opts in to the new flag sees the difference; what ran for everyone
    else is unchanged."""
    for lit in w.literals:
        a = lit.atom
        if a.kind is AtomKind.BIT and lit.value and a.name in fresh:
            return (
                f"it needs {a.var} to have {a.name}, a flag the series adds: only what sets the "
                "new flag behaves differently"
            )
    return ""


_ORDER_RE = re.compile(r"^(.+?)\s*(<=?|>=?)\s*([A-Z][A-Z0-9_]*)$")


def _new_value(w: Witness, fresh: frozenset[str]) -> str:
    """A case that needs a value compared below or above an enum constant
    (``tsens_version(priv) < VER_0_1``) while the series adds a value of
    that family (``VER_0``): only the new value gets there; what existed
    behaves as before."""
    for lit in w.literals:
        m = _ORDER_RE.match(lit.atom.text)
        if m is None or lit.atom.kind is not AtomKind.COND or not lit.value:
            continue
        name = m.group(3)
        family = name.split("_", 1)[0] + "_"
        new = sorted(f for f in fresh if f != name and f.startswith(family) and f.isupper())
        if new and len(family) > 2:
            return (
                f"it needs {m.group(1)} on the other side of {name}, where only {new[0]}, which "
                "the series adds, may be: what existed before behaves as it did"
            )
    return ""


def _config_swap(w: Witness, before: Formula, after: Formula) -> str:
    """One configuration option tested in place of another (``CONFIG_X86``
    before, ``CONFIG_ARCH_HAS_EDID_INFO`` after): whether they can differ
    is Kconfig's to say (``select``, ``depends on``), which no diff of C
    shows."""
    old = {a.name for a in atoms_of(before) if a.kind is AtomKind.CONFIG}
    new = {a.name for a in atoms_of(after) if a.kind is AtomKind.CONFIG}
    gone, came = sorted(old - new), sorted(new - old)
    used = {lit.atom.name for lit in w.literals if lit.atom.kind is AtomKind.CONFIG}
    if gone and came and used & {*gone, *came}:
        return (
            f"it assumes {came[0]} can differ from {gone[0]}, which the patch tests in its "
            "place; Kconfig decides that (select, depends on)"
        )
    return ""


def _rewrite(
    w: Witness, before: Formula, after: Formula, sites: tuple[Occurrence, ...] = ()
) -> str:
    old = {a.key for a in atoms_of(before)}
    new = {a.key for a in atoms_of(after)}
    gone = [lit.atom.text for lit in w.literals if lit.atom.seen and lit.atom.key not in new]
    came = [lit.atom.text for lit in w.literals if lit.atom.seen and lit.atom.key not in old]
    if gone and not came:
        # the case rests on a test that is gone, and the new code tests
        # something it did not: one condition written in other words?
        came = sorted(
            {
                a.text
                for f in (after, *(o.local for o in sites))
                for a in atoms_of(f)
                if a.seen and a.key not in old and a.kind not in (AtomKind.REACH, AtomKind.UNSEEN)
            }
        )
    if gone and came:
        return (
            f"the condition was rewritten ({gone[0]} before, {came[0]} after) and the solver "
            "cannot tell whether they mean the same"
        )
    return ""


_IDENT_RE = re.compile(r"\b[A-Za-z_]\w*\b")


def _shape(text: str) -> str:
    return _IDENT_RE.sub("x", text)


def _alias(w: Witness) -> str:
    seen: dict[str, tuple[str, bool]] = {}
    for lit in w.literals:
        if not lit.atom.seen or lit.atom.kind in (AtomKind.BIT, AtomKind.CONFIG):
            continue
        shape = _shape(lit.atom.text)
        prior = seen.get(shape)
        if prior is not None and prior[1] != lit.value and _one_name_apart(prior[0], lit.atom.text):
            return f"it takes {prior[0]} and {lit.atom.text} to differ"
        seen.setdefault(shape, (lit.atom.text, lit.value))
    return ""


def _one_name_apart(a: str, b: str) -> bool:
    """Two expressions of one shape that differ in a single name
    (``dev->flags`` and ``pdev->flags``): perhaps one value under two
    names. ``tz_dbg->nr_trips`` and ``tz->debugfs`` are two values."""
    x, y = _IDENT_RE.findall(a), _IDENT_RE.findall(b)
    return len(x) == len(y) and sum(p != q for p, q in zip(x, y, strict=True)) <= 1


def _null_only(w: Witness, occs: tuple[Occurrence, ...]) -> str:
    """A case that only needs an argument of the call to be NULL (a NULL
    check added or dropped around it): calls such as kfree() do nothing
    then."""
    args = {"".join(a.split()).lstrip("&") for o in occs if o.site is not None for a in o.site.args}
    seen = [lit for lit in w.literals if lit.atom.seen]
    if seen and all(not lit.value and "".join(lit.atom.text.split()) in args for lit in seen):
        return f"it only needs {seen[0].atom.text} to be NULL, where the call usually does nothing"
    return ""


def doubtful(w: Witness) -> str:
    """Why a witness found outside a comparison is not to be trusted as a
    finding ("" when it is): a switch whose head is unseen, names taken as
    different, a configuration option mixed with conditions it may decide,
    an empty loop."""
    return _unseen_switch(w) or _alias(w) or _config(w) or _empty_loop(w)


def _unseen_switch(w: Witness) -> str:
    """Cases of a switch whose head lies above the hunk: which value it
    tests, and whether two hunks' cases are of one switch, is unseen."""
    for lit in w.literals:
        a = lit.atom
        if a.kind is AtomKind.CASE and (a.var or a.text).startswith(UNSEEN_BLOCK):
            return "it depends on the cases of a switch whose head the diff does not show"
    return ""


def _opaque(w: Witness, names: frozenset[str]) -> str:
    for lit in w.literals:
        if lit.atom.seen and lit.atom.name in names:
            return (
                f"it depends on what {lit.atom.name}(), which the patch newly calls, returns; "
                "its body is not in the diff"
            )
    return ""


def _empty_loop(w: Witness) -> str:
    for lit in w.literals:
        if lit.atom.kind is AtomKind.LOOP and not lit.value:
            return f"it assumes {lit.atom.text.replace(' runs', '')} runs zero times"
    return ""


def _config(w: Witness) -> str:
    seen = [lit for lit in w.literals if lit.atom.seen]
    configs = [lit.atom.name for lit in seen if lit.atom.kind is AtomKind.CONFIG]
    if configs and len(configs) < len(seen):
        return f"it assumes {configs[0]} does not decide the other conditions"
    return ""


@dataclass
class _Collector:
    """Occurrences of every callee in one root on one side."""

    bodies: Bodies
    binder: Binder
    side: str
    path: str = ""
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
        callee = self.bodies.get(site.callee, self.side, self.path)
        if callee is None or not callee.head_visible:
            return
        if callee.source == "tree" and len(chain) > _MAX_TREE_INLINE:
            return  # the tree's bodies: the root's callees and theirs, not deeper
        params = callee.params
        args = [
            (" ".join(binding[t][0] if t in binding else t for t in k.split(" ")), a)
            for k, a in zip(site.arg_keys, site.args)
        ]
        inner = dict(zip(params, args))
        self.collect(callee, cond, inner, chain + (site.callee,))


def _callees(fv: FunctionView) -> set[str]:
    return {s.callee for p in fv.pieces for s in p.sites}


@dataclass(frozen=True)
class _Root:
    """A root: its function on each side (None where the patch adds or
    removes it), and whether it is secondary."""

    name: str
    old: FunctionView | None
    new: FunctionView | None
    secondary: bool = False


def _pairs(bodies: Bodies) -> list[tuple[FunctionView | None, FunctionView | None]]:
    """Each function of the patch with itself on the other side: by name
    and file, else by name when each side has one definition of it (a
    function the patch renames goes by its new name)."""
    old, new = bodies.functions(OLD), bodies.functions(NEW)
    renames = bodies.renames()
    out: list[tuple[FunctionView | None, FunctionView | None]] = []
    left = dict(new)
    for _key, fv in sorted(old.items()):
        name = renames.get(fv.name, fv.name)
        match = left.pop(f"{name}@{fv.path}", None)
        if match is None:
            same = [k for k, v in left.items() if v.name == name]
            others = [k for k, v in old.items() if v.name == fv.name]
            if len(same) == 1 and len(others) == 1:
                match = left.pop(same[0])
        out.append((fv, match))
    out.extend((None, fv) for _, fv in sorted(left.items()))
    return out


def _roots(bodies: Bodies) -> list[_Root]:
    """The roots of the patch, then the secondary ones."""
    pairs = _pairs(bodies)
    names = {fv.name for pair in pairs for fv in pair if fv is not None}
    calls: dict[str, set[str]] = {n: set() for n in names}
    touched: set[str] = set()
    for pair in pairs:
        for fv in pair:
            if fv is not None:
                calls[fv.name] |= _callees(fv) & names
                if fv.touched:
                    touched.add(fv.name)
        if _entry_changed(*pair):
            touched.add((pair[0] or pair[1]).name)  # type: ignore[union-attr]
    candidates = set(touched)
    for _ in range(_CALLER_LEVELS):
        candidates |= {n for n in names if calls[n] & candidates}
    called = {c for n in candidates for c in calls[n] if c != n}
    top = {n for n in candidates if n not in called} or touched
    whole = bodies.code.tree is not None
    out = []
    for old, new in pairs:
        name = (old or new).name  # type: ignore[union-attr]
        if name in top:
            out.append(_Root(name, old, new))
        elif name in touched and name in called and not _private(old, new, whole):
            out.append(_Root(name, old, new, secondary=True))
    out.sort(key=lambda r: (r.secondary, r.name))
    return out


def _entry_changed(old: FunctionView | None, new: FunctionView | None) -> bool:
    """The ``#if`` around a function's definition changed, its body not."""
    if old is None or new is None or not old.pieces or not new.pieces:
        return False
    return old.pieces[0].entry != new.pieces[0].entry


def _private(old: FunctionView | None, new: FunctionView | None, whole: bool) -> bool:
    """A static function seen in a whole file: every caller is in view."""
    return whole and all(fv is None or fv.static for fv in (old, new))


def _occurrences(
    bodies: Bodies, fv: FunctionView | None, side: str, binding: Binding
) -> tuple[dict[str, list[Occurrence]], bool]:
    col = _Collector(bodies, Binder(bodies, side), side, fv.path if fv is not None else "")
    if fv is not None:
        col.collect(fv, TRUE, binding, (fv.name,))
    return col.found, col.truncated


def occurrences(bodies: Bodies, name: str, side: str) -> dict[str, list[Occurrence]]:
    """Every call of root ``name`` on ``side``, helpers in view inlined."""
    for old, new in _pairs(bodies):
        fv = old if side == OLD else new
        if fv is not None and fv.name == name:
            return _occurrences(bodies, fv, side, {})[0]
    return {}


def _renamed_params(root: _Root) -> Binding:
    """The new root's parameters named as the old root's, by position."""
    if root.old is None or root.new is None:
        return {}
    a, b = root.old.params, root.new.params
    if len(a) != len(b) or a == b:
        return {}
    return {n: (o, o) for n, o in zip(b, a) if n != o}


def _region(a: Atom) -> str:
    """The region a condition tested before a gap is tied to (``_stale``
    in bodies.py marks it ``key #region``), or ""."""
    _, mark, region = a.key.rpartition(" #")
    return region if mark else ""


def _aligner(old: dict[str, list[Occurrence]]) -> tuple[dict[tuple[str, str], Atom], set[str]]:
    """Old conditions by their text as written and region (COND and CASE
    atoms), and the keys of all of them."""
    by_text: dict[tuple[str, str], Atom] = {}
    keys: set[str] = set()
    for occs in old.values():
        for o in occs:
            for a in atoms_of(o.cond):
                if a.kind in (AtomKind.COND, AtomKind.CASE):
                    by_text.setdefault((a.text, _region(a)), a)
                    keys.add(a.key)
    return by_text, keys


def _align(
    f: Formula,
    by_text: dict[tuple[str, str], Atom],
    old_keys: set[str],
    memo: dict[bytes, Formula],
) -> Formula:
    """``f`` with each condition written like an old one taken as that one
    (a local whose value is computed differently, the same test); a test
    tied to the region after a gap only matches one tied to the same."""

    def same(a: Atom) -> Formula | None:
        if a.kind not in (AtomKind.COND, AtomKind.CASE) or a.key in old_keys:
            return None
        twin = by_text.get((a.text, _region(a)))
        if twin is None:
            return None
        return atom(
            twin.kind,
            twin.key.split(":", 1)[1],
            twin.text,
            twin.var,
            twin.name,
            twin.var_key,
            twin.args,
        )

    return rename_atoms(f, same, memo)


def _opaque_calls(bodies: Bodies, new: dict[str, list[Occurrence]]) -> frozenset[str]:
    """Calls the patch adds whose body is not in view: what they return
    (when a condition tests it) is unseen."""
    out = set()
    for callee, occs in new.items():
        for o in occs:
            s = o.site
            if s is not None and s.line.kind == "+":
                fv = bodies.get(callee, NEW, o.piece.path)
                if fv is None or not fv.complete:
                    out.add(callee)
    return frozenset(out)


def _renamed_old(
    old: dict[str, list[Occurrence]], renames: dict[str, str]
) -> dict[str, list[Occurrence]]:
    """The old occurrences in the new names of what the patch renames."""
    if not renames:
        return old
    memo: dict[bytes, Formula] = {}

    def tokens(text: str) -> str:
        return " ".join(renames.get(t, t) for t in text.split(" "))

    def rename(a: Atom) -> Formula | None:
        if a.kind in (AtomKind.REACH, AtomKind.UNSEEN, AtomKind.CONFIG):
            return None
        key = tokens(a.key.split(":", 1)[1])
        name = renames.get(a.name, a.name)
        if key == a.key.split(":", 1)[1] and name == a.name:
            return None
        return atom(a.kind, key, a.text, a.var, name, tokens(a.var_key), a.args)

    out: dict[str, list[Occurrence]] = {}
    for callee, occs in old.items():
        moved = [replace(o, cond=rename_atoms(o.cond, rename, memo)) for o in occs]
        out.setdefault(renames.get(callee, callee), []).extend(moved)
    return out


def _compare_root(
    solver: Solver, bodies: Bodies, root: _Root, fresh: frozenset[str] = frozenset()
) -> tuple[list[Change], dict[str, list[Occurrence]], dict[str, list[Occurrence]]]:
    old, _ = _occurrences(bodies, root.old, OLD, {})
    old = _renamed_old(old, bodies.renames())
    new, _ = _occurrences(bodies, root.new, NEW, _renamed_params(root))
    by_text, old_keys = _aligner(old)
    opaque = _opaque_calls(bodies, new)
    built = _entry_configs(root.old, root.new)
    stubs = _empty_bodies(
        bodies, {o.site.callee for occs in old.values() for o in occs if o.site is not None}
    )
    direct = {c for c, occs in new.items() if any(not o.inlined for o in occs)}
    dropped = frozenset(c for c, occs in old.items() if c not in direct)
    memo: dict[bytes, Formula] = {}
    out: list[Change] = []
    for callee in sorted(set(old) & set(new)):
        a = disj(*(o.cond for o in old[callee]))
        b = _align(disj(*(o.cond for o in new[callee])), by_text, old_keys, memo)
        if a == b:
            continue
        cmp = solver.compare(a, b)
        if cmp.verdict is Verdict.EQUIVALENT:
            continue
        out.append(
            Change(
                bodies.index,
                root.name,
                callee,
                tuple(old[callee]),
                tuple(new[callee]),
                cmp,
                root.secondary,
                before=a,
                after=b,
                opaque=opaque,
                dropped=dropped,
                handoff=_handoff(bodies, callee, dropped) if cmp.gained is not None else "",
                built=built,
                instead=_instead(solver, cmp.lost, old[callee], new, old),
                swapped=_swapped(solver, cmp.lost, old[callee], new, old),
                fresh=fresh,
                stubs=stubs,
            )
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
    out: list[Change] = []
    gone: dict[str, list[tuple[str, list[Occurrence]]]] = {}
    came: dict[str, list[tuple[str, list[Occurrence]]]] = {}
    fresh = _fresh_flags(code, index)
    for root in _roots(bodies):
        found, lost, added = _compare_root(solver, bodies, root, fresh)
        out.extend(found)
        if root.secondary:
            continue
        for callee, occ in lost.items():
            gone.setdefault(callee, []).append((root.name, occ))
        for callee, occ in added.items():
            came.setdefault(callee, []).append((root.name, occ))
    for callee in sorted(set(gone) & set(came)):
        if callee.startswith(REST):
            continue
        for src, old in gone[callee]:
            for dst, new in came[callee]:
                a = disj(*(o.cond for o in old))
                b = disj(*(o.cond for o in new))
                cmp = solver.compare(a, b)
                if cmp.verdict is not Verdict.EQUIVALENT:
                    out.append(
                        Change(
                            index,
                            src,
                            callee,
                            tuple(old),
                            tuple(new),
                            cmp,
                            False,
                            dst,
                            a,
                            b,
                            fresh=fresh,
                        )
                    )
    return tuple(out)


def _fresh_flags(code: SeriesCode, index: int) -> frozenset[str]:
    """Macros and enum values that the series adds up to patch ``index``
    and that no patch removes: flags nothing could have set before."""
    added: set[str] = set()
    removed: set[str] = set()
    for pc in code.patches:
        if pc.index > index:
            continue
        for fc in pc.files:
            for side in (OLD, NEW):
                for frag in fc.fragments(side):
                    for d in frag.definitions:
                        if d.kind in ("macro", "enum"):
                            (added if d.side == NEW else removed).add(d.name)
    return frozenset(added - removed)
