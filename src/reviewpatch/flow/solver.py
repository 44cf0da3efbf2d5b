"""The differential queries, answered by z3.

``Solver.compare(old, new)`` tells whether two path conditions are
equivalent and, when they are not, gives for each direction (ran before and
no longer runs; runs now and did not before) a ``Witness``: the fewest atom
values that make the difference hold.  A witness is *robust* when it holds
whatever the code the diff does not show does (universally quantified over
the unseen atoms, with "the code before this fragment reaches it" taken as
true); otherwise it says which unseen atoms it needs.

Switch cases and ``x == CONST`` tests of one variable exclude each other.
Every query has a budget: at most ``max_atoms`` atoms, and a z3 resource
limit (deterministic, unlike a time-out); past it the answer is
``Verdict.CUT``.
"""

from __future__ import annotations

__all__ = ["Comparison", "Literal", "Solver", "Verdict", "Witness", "atom_formula"]

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

import z3

from reviewpatch.csource.formula import (
    TRUE,
    Atom,
    AtomKind,
    Formula,
    atom,
    atoms_of,
    conj,
    neg,
    rename_atoms,
)

MAX_ATOMS = 1500
RLIMIT = 4_000_000
_MINIMISE_LIMIT = 64


class Verdict(str, Enum):
    EQUIVALENT = "equivalent"
    DIFFERENT = "different"
    CUT = "cut"  # over budget: no answer


@dataclass(frozen=True)
class Literal:
    """One atom with the value a witness gives it."""

    atom: Atom
    value: bool


_INT = r"(-\s?)?(0x[0-9a-fA-F]+|\d+)[uUlL]*"
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_TEST_RE = re.compile(rf"^(.+?) (<=|>=|==|!=|<|>) {_INT}$")
_TEST_REV_RE = re.compile(rf"^{_INT} (<=|>=|==|!=|<|>) (.+)$")


def _number(sign: str | None, digits: str) -> int:
    value = int(digits, 16) if digits.lower().startswith("0x") else int(digits)
    return -value if sign else value


def _int_test(a: Atom) -> tuple[str, str, int] | None:
    """(expression, operator, number) for an atom that compares an
    expression with a whole number; a bare expression is ``!= 0``."""
    if a.kind is AtomKind.CASE and a.var_key:
        m = re.fullmatch(_INT, a.name.strip())
        return (a.var_key, "==", _number(m.group(1), m.group(2))) if m else None
    if a.kind is not AtomKind.COND or not a.key.startswith("cond:"):
        return None
    text = a.key[5:]
    m = _TEST_RE.match(text)
    if m and _plain(m.group(1)):
        return m.group(1), m.group(2), _number(m.group(3), m.group(4))
    m = _TEST_REV_RE.match(text)
    if m and _plain(m.group(4)):
        return m.group(4), _FLIP[m.group(3)], _number(m.group(1), m.group(2))
    if _plain(text):
        return text, "!=", 0
    return None


def _plain(expr: str) -> bool:
    """An expression without operators (member access and calls allowed)."""
    return not any(ch in expr.replace("->", ".") for ch in "<>=!&|?:+-*/%^~,")


def _compare(x: z3.ArithRef, op: str, k: int) -> z3.BoolRef:
    if op == "<":
        return x < k
    if op == "<=":
        return x <= k
    if op == ">":
        return x > k
    if op == ">=":
        return x >= k
    if op == "==":
        return x == k
    return x != k


def atom_formula(lit: Literal) -> Formula:
    """A literal as a formula (its atom, negated when false)."""
    a = lit.atom
    f = atom(a.kind, a.key.split(":", 1)[1], a.text, a.var, a.name, a.var_key, a.args)
    return f if lit.value else neg(f)


class Witness:
    """A case where a difference holds: ``literals`` (sorted by atom key);
    ``robust`` when it holds whatever the unseen code does; ``unseen`` the
    unseen atoms it relies on otherwise.

    The solver makes the literals only when they are first read (``later``):
    most differences end as no finding, and reducing a case to its smallest
    set of literals is the costly part of a comparison.  Read-only."""

    __slots__ = ("robust", "_literals", "_make", "_unseen")

    def __init__(
        self, literals: tuple[Literal, ...], robust: bool, unseen: tuple[Atom, ...] = ()
    ) -> None:
        self.robust = robust
        self._literals: tuple[Literal, ...] | None = literals
        self._make: Callable[[], tuple[Literal, ...]] | None = None
        self._unseen: tuple[Atom, ...] | None = unseen

    @classmethod
    def later(cls, make: Callable[[], tuple[Literal, ...]], robust: bool) -> Witness:
        """A witness whose literals ``make`` gives when first read; when
        not robust, its unseen atoms are those among the literals."""
        w = cls((), robust)
        w._literals = None
        w._unseen = () if robust else None
        w._make = make
        return w

    @property
    def literals(self) -> tuple[Literal, ...]:
        if self._literals is None:
            assert self._make is not None
            self._literals = self._make()
            self._make = None
        return self._literals

    @property
    def unseen(self) -> tuple[Atom, ...]:
        if self._unseen is None:
            self._unseen = tuple(lit.atom for lit in self.literals if not lit.atom.seen)
        return self._unseen

    def __repr__(self) -> str:
        return f"Witness({self.literals!r}, {self.robust!r}, {self.unseen!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Witness):
            return NotImplemented
        return (self.literals, self.robust, self.unseen) == (
            other.literals,
            other.robust,
            other.unseen,
        )

    def __hash__(self) -> int:
        return hash((self.literals, self.robust, self.unseen))


@dataclass(frozen=True)
class Comparison:
    """Old against new: ``lost`` is a case where it ran before and no
    longer runs, ``gained`` one where it runs now and did not before."""

    verdict: Verdict
    lost: Witness | None = None
    gained: Witness | None = None


@dataclass
class Solver:
    """z3 with its own context, for one review (not shared)."""

    max_atoms: int = MAX_ATOMS
    rlimit: int = RLIMIT
    ctx: z3.Context = field(default_factory=z3.Context)
    _vars: dict[str, z3.BoolRef] = field(default_factory=dict)
    _built: dict[bytes, z3.BoolRef] = field(default_factory=dict)
    _z3: z3.Solver | None = None

    # -- formulas to z3 -----------------------------------------------------------

    def var(self, a: Atom) -> z3.BoolRef:
        got = self._vars.get(a.key)
        if got is None:
            got = z3.Bool(a.key, self.ctx)
            self._vars[a.key] = got
        return got

    def expr(self, f: Formula) -> z3.BoolRef:
        """``f`` as a z3 expression (iteratively, memoised by digest)."""
        stack: list[tuple[Formula, bool]] = [(f, False)]
        while stack:
            node, ready = stack.pop()
            if node.digest in self._built:
                continue
            if not ready and node.kids:
                stack.append((node, True))
                stack.extend((k, False) for k in node.kids)
                continue
            self._built[node.digest] = self._one(node)
        return self._built[f.digest]

    def _one(self, node: Formula) -> z3.BoolRef:
        if node.op == "true":
            return z3.BoolVal(True, self.ctx)
        if node.op == "false":
            return z3.BoolVal(False, self.ctx)
        if node.atom is not None:
            return self.var(node.atom)
        kids = [self._built[k.digest] for k in node.kids]
        if node.op == "not":
            return z3.Not(kids[0], self.ctx)
        if node.op == "and":
            return z3.And(*kids, self.ctx)
        return z3.Or(*kids, self.ctx)

    def constraints(self, atoms: Iterable[Atom]) -> list[z3.BoolRef]:
        """Background facts: the cases of one variable exclude each other."""
        groups: dict[str, list[Atom]] = {}
        for a in atoms:
            if a.kind is AtomKind.CASE and a.var_key:
                groups.setdefault(a.var_key, []).append(a)
        out = []
        for members in groups.values():
            if len(members) > 1:
                out.append(z3.AtMost(*(self.var(a) for a in members), 1))
        return out + self._arithmetic(atoms)

    def _arithmetic(self, atoms: Iterable[Atom]) -> list[z3.BoolRef]:
        """Tests of one expression against whole numbers (``ret``, ``ret <
        0``, ``ret == -EINVAL`` aside, ``n == 3``) tied to one integer, so
        that ``!ret and ret < 0`` is no case."""
        tests: dict[str, list[tuple[Atom, str, int]]] = {}
        for a in atoms:
            got = _int_test(a)
            if got is not None:
                tests.setdefault(got[0], []).append((a, got[1], got[2]))
        out: list[z3.BoolRef] = []
        for subject, group in sorted(tests.items()):
            if len(group) < 2:
                continue
            x = z3.Int(f"int:{subject}", self.ctx)
            for a, op, k in group:
                out.append(self.var(a) == _compare(x, op, k))
        return out

    def _solver(self) -> z3.Solver:
        """The one z3 solver of this review, empty: every query pushes a
        scope and pops it (making a solver per query costs more than most
        queries)."""
        if self._z3 is None:
            self._z3 = z3.Solver(ctx=self.ctx)
            self._z3.set("rlimit", self.rlimit)
        return self._z3

    # -- queries --------------------------------------------------------------------

    def compare(self, old: Formula, new: Formula) -> Comparison:
        """Compare two path conditions."""
        if old == new:
            return Comparison(Verdict.EQUIVALENT)
        known = {a.key: a for a in (*atoms_of(old), *atoms_of(new))}
        atoms = tuple(known[k] for k in sorted(known))
        if len(atoms) > self.max_atoms:
            return Comparison(Verdict.CUT)
        try:
            lost = self.witness(conj(old, neg(new)), atoms)
            gained = self.witness(conj(new, neg(old)), atoms)
        except _OverBudget:
            return Comparison(Verdict.CUT)
        if lost is None and gained is None:
            return Comparison(Verdict.EQUIVALENT)
        return Comparison(Verdict.DIFFERENT, lost, gained)

    def satisfiable(self, f: Formula) -> bool | None:
        """Whether ``f`` can hold (None: over budget)."""
        atoms = atoms_of(f)
        if len(atoms) > self.max_atoms:
            return None
        s = self._solver()
        s.push()
        try:
            s.add(self.expr(f), *self.constraints(atoms))
            got = s.check()
        finally:
            s.pop()
        return None if got == z3.unknown else got == z3.sat

    def witness(self, diff: Formula, atoms: tuple[Atom, ...]) -> Witness | None:
        """The smallest case where ``diff`` holds, robust if there is one."""
        unseen = [a for a in atoms if not a.seen and not a.benign]
        benign = {a.key for a in atoms if a.benign}
        assumed = rename_atoms(diff, lambda a: TRUE if a.key in benign else None)
        background = self.constraints(atoms)
        body = self.expr(assumed)
        if unseen:
            body = z3.ForAll([self.var(a) for a in unseen], body)
        model = self._model([body, *background])
        if model is not None:
            keep = [a for a in atoms if a.seen and a.key not in benign]
            robust = model
            return Witness.later(lambda: self._minimise(assumed, robust, keep, background), True)
        model = self._model([self.expr(diff), *background])
        if model is None:
            return None
        found = model
        return Witness.later(lambda: self._minimise(diff, found, list(atoms), background), False)

    def _model(self, facts: list[z3.BoolRef]) -> z3.ModelRef | None:
        s = self._solver()
        s.push()
        try:
            s.add(*facts)
            got = s.check()
            if got == z3.unknown:
                raise _OverBudget
            return s.model() if got == z3.sat else None
        finally:
            s.pop()

    def _minimise(
        self,
        diff: Formula,
        model: z3.ModelRef,
        atoms: list[Atom],
        background: list[z3.BoolRef],
    ) -> tuple[Literal, ...]:
        """The literals of ``model`` over ``atoms``, reduced (in a stable
        order, unseen atoms dropped first) to a set that still forces
        ``diff``."""
        lits: list[Literal] = []
        for a in atoms:
            value = model.eval(self.var(a), model_completion=True)
            lits.append(Literal(a, z3.is_true(value)))
        lits.sort(key=lambda lit: (lit.atom.seen, lit.atom.kind is AtomKind.BIT, lit.atom.key))
        s = self._solver()
        s.push()
        try:
            s.add(z3.Not(self.expr(diff), self.ctx), *background)
            # one indicator per literal: the unsat core of the whole model
            # narrows the candidates before the stable one-by-one deletion
            marks = [z3.Bool(f"__lit{i}", self.ctx) for i in range(len(lits))]
            s.add(*(z3.Implies(m, self._lit(lit)) for m, lit in zip(marks, lits)))
            keep = list(range(len(lits)))
            if s.check(*marks) == z3.unsat:
                keep = self._core(s, marks, keep)
            for i in list(keep)[:_MINIMISE_LIMIT]:
                if i not in keep:
                    continue
                trial = [j for j in keep if j != i]
                got = s.check(*(marks[j] for j in trial))
                if got == z3.unsat:
                    keep = self._core(s, marks, trial)
                elif got == z3.unknown:
                    break
        finally:
            s.pop()
        kept = [lits[i] for i in keep]
        return tuple(sorted(kept, key=lambda lit: lit.atom.key))

    @staticmethod
    def _core(s: z3.Solver, marks: list[z3.BoolRef], among: list[int]) -> list[int]:
        """The indicators of ``among`` in the unsat core of the last check."""
        core = {m.get_id() for m in s.unsat_core()}
        return [i for i in among if marks[i].get_id() in core]

    def _lit(self, lit: Literal) -> z3.BoolRef:
        v = self.var(lit.atom)
        return v if lit.value else z3.Not(v, self.ctx)


class _OverBudget(Exception):
    """A query ran past its z3 resource limit."""
