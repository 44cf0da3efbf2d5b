"""Boolean formulas over condition atoms: the path condition of a call.

A ``Formula`` is an immutable node (constant, atom, not, and, or).  Every
node carries a digest of its structure computed from its children's, so
equality and hashing never recurse, whatever the depth; the constructors
``conj``, ``disj`` and ``neg`` flatten, fold constants, drop duplicates,
see ``a`` and ``!a`` side by side and factor the conjuncts that every
disjunct shares (``(p && c) || (p && !c)`` is ``p``), which keeps the
formulas of real functions small.

Atoms are what the analysis cannot split further: a flag bit of a variable
(``flags & (A | B)`` is two of them), a condition as written, a kernel
configuration option, a loop that may run, a switch case, and what is not
visible (code outside the diff).  ``Atom.seen`` tells the last kind apart.
"""

from __future__ import annotations

__all__ = [
    "FALSE",
    "TRUE",
    "Atom",
    "AtomKind",
    "Formula",
    "atom",
    "atoms_of",
    "conj",
    "conj_all",
    "disj",
    "implies_text",
    "neg",
    "rename_atoms",
    "size",
]

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum


class AtomKind(str, Enum):
    """What an atom stands for."""

    BIT = "bit"  # var has flag (a bit test)
    COND = "cond"  # a C condition as written (normalised)
    CONFIG = "config"  # a kernel configuration option is enabled
    LOOP = "loop"  # the body of a loop runs (at least once)
    CASE = "case"  # a switch value or ``x == CONST``
    REACH = "reach"  # unseen code lets control reach a visible place
    UNSEEN = "unseen"  # something outside the diff (a label, a caller...)


@dataclass(frozen=True)
class Atom:
    """One atom.  ``key`` is its identity (two atoms with one key are the
    same proposition); ``var`` and ``name`` are the variable and the flag of
    a bit test or a case (``flags``, ``_TIF_SINGLESTEP``), ``text`` the
    condition as written, for people."""

    kind: AtomKind
    key: str
    text: str
    var: str = ""
    name: str = ""
    var_key: str = ""
    args: tuple[str, ...] = ()

    @property
    def seen(self) -> bool:
        """False for atoms that stand for code the analysis does not see."""
        return self.kind not in (AtomKind.REACH, AtomKind.UNSEEN)

    @property
    def benign(self) -> bool:
        """True for an unseen atom whose true value is what a reviewer
        assumes anyway ("the code before this fragment reaches it")."""
        return self.kind is AtomKind.REACH


def atom(
    kind: AtomKind,
    key: str,
    text: str,
    var: str = "",
    name: str = "",
    var_key: str = "",
    args: tuple[str, ...] = (),
) -> Formula:
    """The formula that is one atom; ``key`` is prefixed with the kind."""
    a = Atom(kind, f"{kind.value}:{key}", text, var, name, var_key, args)
    return Formula("atom", (), a, _digest("atom", a.key.encode("utf-8", "replace")))


def _digest(op: str, payload: bytes) -> bytes:
    return hashlib.blake2b(op.encode() + b"\0" + payload, digest_size=16).digest()


@dataclass(frozen=True, eq=False)
class Formula:
    """A node: ``op`` is "true", "false", "atom", "not", "and" or "or";
    ``kids`` its operands (sorted by digest for "and"/"or"); ``atom`` set
    for an atom.  Compare and hash by ``digest`` only."""

    op: str
    kids: tuple[Formula, ...]
    atom: Atom | None
    digest: bytes = field(repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    @property
    def is_true(self) -> bool:
        return self.op == "true"

    @property
    def is_false(self) -> bool:
        return self.op == "false"

    def __repr__(self) -> str:  # bounded: never walks a huge formula
        return f"Formula({implies_text(self, 200)})"


TRUE = Formula("true", (), None, _digest("true", b""))
FALSE = Formula("false", (), None, _digest("false", b""))


def _node(op: str, kids: tuple[Formula, ...]) -> Formula:
    return Formula(op, kids, None, _digest(op, b"".join(k.digest for k in kids)))


def neg(f: Formula) -> Formula:
    """``!f``, with double negation and constants folded."""
    if f.op == "true":
        return FALSE
    if f.op == "false":
        return TRUE
    if f.op == "not":
        return f.kids[0]
    return _node("not", (f,))


_FLAT_LIMIT = 48


def _gather(op: str, items: Iterable[Formula]) -> list[Formula] | None:
    """The operands of an ``op`` node over ``items`` flattened and
    deduplicated; None when one of them decides the whole (false in an
    "and", true in an "or", or a literal next to its negation).  A large
    operand of the same connective stays whole, so that a chain built one
    operand at a time (an ``else if`` chain) grows linearly, not
    quadratically."""
    absorbing, neutral = ("false", "true") if op == "and" else ("true", "false")
    out: dict[bytes, Formula] = {}
    stack = list(items)
    stack.reverse()
    while stack:
        f = stack.pop()
        if f.op == absorbing:
            return None
        if f.op == neutral:
            continue
        if f.op == op and len(f.kids) <= _FLAT_LIMIT:
            stack.extend(reversed(f.kids))
            continue
        out.setdefault(f.digest, f)
    for f in out.values():
        if f.op == "not" and f.kids[0].digest in out:
            return None
    return list(out.values())


def _make(op: str, kids: list[Formula]) -> Formula:
    if not kids:
        return TRUE if op == "and" else FALSE
    if len(kids) == 1:
        return kids[0]
    kids.sort(key=lambda k: k.digest)
    return _node(op, tuple(kids))


def conj(*items: Formula) -> Formula:
    """``a && b && ...``."""
    kids = _gather("and", items)
    return FALSE if kids is None else _make("and", kids)


def conj_all(items: Iterable[Formula]) -> Formula:
    """``conj`` over an iterable."""
    return conj(*items)


def _parts(f: Formula) -> tuple[Formula, ...]:
    return f.kids if f.op == "and" else (f,)


def disj(*items: Formula) -> Formula:
    """``a || b || ...``; conjuncts common to every operand are factored
    out, so that ``(p && c) || (p && !c)`` becomes ``p``."""
    kids = _gather("or", items)
    if kids is None:
        return TRUE
    if len(kids) < 2:
        return _make("or", kids)
    common = {p.digest for p in _parts(kids[0])}
    for k in kids[1:]:
        common &= {p.digest for p in _parts(k)}
    if not common:
        return _make("or", kids)
    shared = [p for p in _parts(kids[0]) if p.digest in common]
    rest = [conj(*(p for p in _parts(k) if p.digest not in common)) for k in kids]
    return conj(*shared, disj(*rest))


def atoms_of(f: Formula) -> tuple[Atom, ...]:
    """Every atom of ``f``, each once, in a stable order."""
    seen: dict[bytes, None] = {}
    found: dict[str, Atom] = {}
    stack = [f]
    while stack:
        node = stack.pop()
        if node.digest in seen:
            continue
        seen[node.digest] = None
        if node.atom is not None:
            found.setdefault(node.atom.key, node.atom)
        stack.extend(node.kids)
    return tuple(found[k] for k in sorted(found))


def size(f: Formula) -> int:
    """The number of distinct nodes of ``f``."""
    seen: set[bytes] = set()
    stack = [f]
    while stack:
        node = stack.pop()
        if node.digest not in seen:
            seen.add(node.digest)
            stack.extend(node.kids)
    return len(seen)


def _postorder(f: Formula, skip: Mapping[bytes, object] | None = None) -> Iterator[Formula]:
    """Each distinct node of ``f`` after its children, iteratively (nodes
    in ``skip`` and below them are left out)."""
    done: set[bytes] = set()
    stack: list[tuple[Formula, bool]] = [(f, False)]
    while stack:
        node, expanded = stack.pop()
        if node.digest in done or skip is not None and node.digest in skip:
            continue
        if expanded or not node.kids:
            done.add(node.digest)
            yield node
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in node.kids)


def rename_atoms(
    f: Formula,
    mapping: Callable[[Atom], Formula | None],
    memo: dict[bytes, Formula] | None = None,
) -> Formula:
    """``f`` with each atom replaced by ``mapping(atom)`` (kept when it
    returns None); used to bind a helper's parameters to its arguments.
    ``memo`` keeps the results of earlier calls with the same mapping."""
    built: dict[bytes, Formula] = memo if memo is not None else {}
    if f.digest in built:
        return built[f.digest]
    for node in _postorder(f, built):
        if node.atom is not None:
            built[node.digest] = mapping(node.atom) or node
        elif node.op == "not":
            built[node.digest] = neg(built[node.kids[0].digest])
        elif node.op == "and":
            built[node.digest] = conj(*(built[k.digest] for k in node.kids))
        elif node.op == "or":
            built[node.digest] = disj(*(built[k.digest] for k in node.kids))
        else:
            built[node.digest] = node
    return built[f.digest]


def implies_text(f: Formula, limit: int = 400) -> str:
    """A compact C-like rendering of ``f`` for debugging and evidence,
    cut at about ``limit`` characters."""
    out: dict[bytes, str] = {}
    for node in _postorder(f):
        if node.op in ("true", "false"):
            text = node.op
        elif node.atom is not None:
            text = node.atom.text
        elif node.op == "not":
            inner = out[node.kids[0].digest]
            kid = node.kids[0].atom
            simple = kid is not None and " " not in kid.text
            text = "!" + (inner if simple else f"({inner})")
        else:
            glue = " && " if node.op == "and" else " || "
            parts = [
                out[k.digest] if k.op in ("atom", "not") else f"({out[k.digest]})"
                for k in node.kids
            ]
            text = glue.join(parts)
        out[node.digest] = text if len(text) <= limit else text[: limit - 3] + "..."
    return out[f.digest]
