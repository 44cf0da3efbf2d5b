"""Bring conditions to one vocabulary before they are compared.

``Binder.norm(formula, binding)`` rewrites a piece's formula as seen from a
root function:

* the entry and label atoms of linked pieces become the formulas
  ``Bodies`` gives them;
* a helper's parameters become the caller's arguments (``binding``), in bit
  tests, cases and conditions as written;
* a flag mask macro becomes its members, recursively (``flags &
  _TIF_SYSCALL_EXIT_WORK`` is "flags has _TIF_SYSCALL_TRACE or ..."), as the
  patch's side defines it; a flag defined as ``BIT(N)`` or ``1 << N`` is
  the bit N (``_TIF_X`` and ``TIF_X`` are one flag);
* a condition that calls a helper whose whole body is visible (``if
  (report_single_step(flags))``) becomes what the helper returns, when it
  is small.
"""

from __future__ import annotations

__all__ = ["Binder", "Binding"]

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from reviewpatch.csource.condexpr import canonical_var
from reviewpatch.csource.formula import (
    FALSE,
    TRUE,
    Atom,
    AtomKind,
    Formula,
    atom,
    conj,
    disj,
    rename_atoms,
    size,
)
from reviewpatch.flow.bodies import Bodies, FunctionView

# param -> (canonical tokens, as written)
Binding = Mapping[str, tuple[str, str]]

_MAX_EXPAND = 8
_MAX_HELPER_DEPTH = 3
_MAX_RETURNS = 16
_MAX_HELPER_SIZE = 200
_MASKED_RE = re.compile(r"^(.+) & (~ )?(?:\( )?(_*[A-Z][A-Z0-9_]*)(?: \))?$")
_CONST_RE = re.compile(r"^(?:_*[A-Z][A-Z0-9_]*|-?\d+[uUlL]*)$")
_BIT_DEF_RE = re.compile(
    r"^\(*\s*(?:BIT(?:_ULL)?\s*\(\s*([A-Za-z_]\w*)\s*\)|_BITULL?\s*\(\s*([A-Za-z_]\w*)\s*\)|"
    r"1U?L{0,2}\s*<<\s*\(?\s*([A-Za-z_]\w*)\s*\)?)\s*\)*$"
)


def _subst_tokens(key: str, binding: Binding) -> str:
    if not binding:
        return key
    return " ".join(binding[t][0] if t in binding else t for t in key.split(" "))


def _subst_text(text: str, binding: Binding) -> str:
    if not binding:
        return text
    return re.sub(
        r"(?<![\w.>])([A-Za-z_]\w*)\b",
        lambda m: binding[m.group(1)][1] if m.group(1) in binding else m.group(1),
        text,
    )


@dataclass
class Binder:
    """Normalises formulas of one side of one patch (memoised)."""

    bodies: Bodies
    side: str
    _links: dict[str, Formula] = field(default_factory=dict)
    _flags: dict[str, str] = field(default_factory=dict)
    _memo: dict[tuple[object, ...], dict[bytes, Formula]] = field(default_factory=dict)

    def add_links(self, fv: FunctionView) -> None:
        for key, f in fv.links:
            if self._links.get(key) != f:
                self._links[key] = f
                self._memo.clear()

    def norm(self, f: Formula, binding: Binding, depth: int = 0) -> Formula:
        """``f`` in the root's vocabulary."""
        key = (depth, *sorted(binding.items()))
        memo = self._memo.setdefault(key, {})
        return rename_atoms(f, lambda a: self._atom(a, binding, depth), memo)

    def _atom(self, a: Atom, binding: Binding, depth: int) -> Formula | None:
        linked = self._links.get(a.key)
        if linked is not None:
            return self.norm(linked, binding, depth)
        if a.kind is AtomKind.BIT:
            return self._bits(a, binding)
        if a.kind is AtomKind.CASE and a.var_key in binding:
            var_key = _subst_tokens(a.var_key, binding)
            value = a.key.split(" == ", 1)[-1]
            if _CONST_RE.match(var_key) and _CONST_RE.match(value):
                return TRUE if var_key == value else FALSE
            return atom(
                AtomKind.CASE,
                f"{var_key} == {value}",
                _subst_text(a.text, binding),
                var=binding[a.var_key][1],
                name=a.name,
                var_key=var_key,
            )
        if a.kind is AtomKind.COND:
            return self._cond(a, binding, depth)
        if a.kind is AtomKind.LOOP and binding:
            key = _subst_tokens(a.key.split(":", 1)[1], binding)
            return atom(AtomKind.LOOP, key, a.text, name=a.name)
        return None

    def _bits(self, a: Atom, binding: Binding) -> Formula:
        var_key = canonical_var(_subst_tokens(a.var_key, binding))
        var = binding[a.var_key][1] if a.var_key in binding else a.var
        leaves = self.expand(a.name)
        bare = var_key[2:-2] if var_key.startswith("( ") and var_key.endswith(" )") else var_key
        masked = _MASKED_RE.match(bare)
        if masked is not None:
            # (flags & ~M) or (flags & M) passed on: the bits of flags, less
            # (or only) those of M
            var_key = canonical_var(masked.group(1))
            var = var.split("&")[0].strip(" (")
            cut = {self.flag_key(x) for x in self.expand(masked.group(3))}
            keep = masked.group(2) != "~ "
            leaves = tuple(x for x in leaves if (self.flag_key(x) in cut) == keep)
        return disj(
            *(
                atom(
                    AtomKind.BIT,
                    f"{var_key} & {self.flag_key(leaf)}",
                    f"{var} has {leaf}",
                    var=var,
                    name=leaf,
                    var_key=var_key,
                )
                for leaf in leaves
            )
        )

    def expand(self, name: str) -> tuple[str, ...]:
        """The leaf flags of mask ``name`` (itself when it is not a mask)."""
        out: dict[str, None] = {}
        stack: list[tuple[str, int, frozenset[str]]] = [(name, 0, frozenset())]
        while stack:
            cur, depth, seen = stack.pop()
            members = (
                self.bodies.masks(cur, self.side)
                if depth < _MAX_EXPAND and cur not in seen
                else None
            )
            if members and members != (cur,):
                stack.extend((m, depth + 1, seen | {cur}) for m in reversed(members))
            else:
                out[cur] = None
        return tuple(out)

    def flag_key(self, name: str) -> str:
        """One name for a flag and its bit number (``_TIF_X`` -> ``TIF_X``)."""
        got = self._flags.get(name)
        if got is not None:
            return got
        key = name
        m = _BIT_DEF_RE.match(name)
        if m:
            key = next(g for g in m.groups() if g)
        elif name.startswith("_"):
            macro = self.bodies.macro(name, self.side)
            body = " ".join(macro.body.split()) if macro is not None else ""
            bm = _BIT_DEF_RE.match(body) if body else None
            if bm:
                key = next(g for g in bm.groups() if g)
            elif name.startswith("_TIF_"):
                key = name[1:]
        self._flags[name] = key
        return key

    def _cond(self, a: Atom, binding: Binding, depth: int) -> Formula | None:
        if a.name and depth < _MAX_HELPER_DEPTH:
            helper = self._predicate(a, binding, depth)
            if helper is not None:
                return helper
        if not binding:
            return None
        key = _subst_tokens(a.key.split(":", 1)[1], binding)
        args = tuple(_subst_tokens(x, binding) for x in a.args)
        return atom(AtomKind.COND, key, _subst_text(a.text, binding), name=a.name, args=args)

    def _predicate(self, a: Atom, binding: Binding, depth: int) -> Formula | None:
        """What a small helper whose whole body is visible returns."""
        fv = self.bodies.get(a.name, self.side)
        if fv is None or not fv.complete or not fv.head_visible:
            return None
        piece = fv.pieces[0]
        if not piece.returns or len(piece.returns) > _MAX_RETURNS:
            return None
        args = [(_subst_tokens(x, binding), _subst_text(x, binding)) for x in a.args]
        if len(args) != len(piece.params):
            return None
        inner: dict[str, tuple[str, str]] = dict(zip(piece.params, args))
        parts = [conj(reach, value) for reach, value in piece.returns if value is not None]
        result = self.norm(disj(*parts) if parts else FALSE, inner, depth + 1)
        return result if size(result) <= _MAX_HELPER_SIZE else None
