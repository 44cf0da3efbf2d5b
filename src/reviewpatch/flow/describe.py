"""One way to say a condition or a witness in words, for every rule.

``describe(witness)`` gives "flags has _TIF_SINGLESTEP but none of
_TIF_SYSCALL_TRACE, _TIF_SYSCALL_AUDIT", "ret < 0", "CONFIG_X is disabled";
``condition_text(formula)`` a C-like rendering of a condition.
"""

from __future__ import annotations

__all__ = [
    "condition_text",
    "describe",
    "describe_literals",
    "negate_text",
    "unseen_text",
    "when",
]

import re
from collections.abc import Sequence

from reviewpatch.csource.formula import Atom, AtomKind, Formula, implies_text
from reviewpatch.csource.prepare import UNSEEN_BLOCK
from reviewpatch.flow.solver import Literal, Witness

_COMPARE_RE = re.compile(r"^([^&|?]+?) (<=|>=|==|!=|<|>) ([^&|?]+)$")
_FLIP = {"<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}
_SIMPLE_RE = re.compile(r"^[\w.\->\[\]()]+$")


def negate_text(text: str) -> str:
    """``!(text)`` said plainly: a comparison flips, a name gets ``!``."""
    m = _COMPARE_RE.match(text)
    if m and "(" not in m.group(2):
        return f"{m.group(1).strip()} {_FLIP[m.group(2)]} {m.group(3).strip()}"
    if text.startswith("!") and _SIMPLE_RE.match(text[1:]):
        return text[1:]
    return f"!{text}" if _SIMPLE_RE.match(text) else f"!({text})"


_MAX_NAMES = 8


def _names(items: Sequence[str]) -> str:
    if len(items) > _MAX_NAMES:
        shown = ", ".join(items[: _MAX_NAMES - 2])
        return f"{shown} and {len(items) - _MAX_NAMES + 2} more"
    return ", ".join(items)


def _bits(var: str, on: list[str], off: list[str]) -> str:
    if on and off:
        return f"{var} has {' and '.join(on)} but none of {_names(off)}"
    if on:
        return f"{var} has {' and '.join(on)}"
    if len(off) == 1:
        return f"{var} lacks {off[0]}"
    return f"{var} has none of {_names(off)}"


def _one(a: Atom, value: bool) -> str:
    if a.kind is AtomKind.CONFIG:
        return f"{a.name} is {'enabled' if value else 'disabled'}"
    if a.kind is AtomKind.CASE:
        var = a.var or a.text.split(" is the case before")[0]
        if var.startswith(UNSEEN_BLOCK):
            var = "the value of the switch above the hunk"
        if not a.name:
            return f"{var} {'falls' if value else 'does not fall'} through from the case before"
        return f"{var} {'==' if value else '!='} {a.name}"
    if a.kind is AtomKind.LOOP:
        return a.text if value else a.text.replace(" runs", " does not run")
    if a.kind in (AtomKind.REACH, AtomKind.UNSEEN):
        return a.text if value else f"not: {a.text}"
    return a.text if value else negate_text(a.text)


def describe_literals(literals: Sequence[Literal]) -> str:
    """The literals of a witness in words, bit tests grouped by variable."""
    parts: list[str] = []
    groups: dict[str, tuple[list[str], list[str]]] = {}
    order: list[str] = []
    shown: set[tuple[str, bool]] = set()
    for lit in literals:
        said = (lit.atom.text, lit.value)
        if said in shown:
            continue  # the same words for two propositions (before and after a gap)
        shown.add(said)
        a = lit.atom
        if a.kind is AtomKind.BIT:
            if a.var not in groups:
                groups[a.var] = ([], [])
                order.append(a.var)
            groups[a.var][0 if lit.value else 1].append(a.name)
            continue
        if a.kind is AtomKind.REACH and lit.value:
            continue  # "the code is reached" goes without saying
        parts.append(_one(a, lit.value))
    bits = [_bits(v, *groups[v]) for v in order]
    return " and ".join(bits + parts)


def describe(witness: Witness) -> str:
    """A witness in words (its seen part; see ``unseen_text``)."""
    seen = [lit for lit in witness.literals if lit.atom.seen]
    return describe_literals(seen)


def when(witness: Witness) -> str:
    """ "when <case>", or "in every case" for a witness without conditions."""
    text = describe(witness)
    return f"when {text}" if text else "in every case"


def unseen_text(witness: Witness) -> str:
    """What a witness that is not robust relies on, in words."""
    items = [
        _one(lit.atom, lit.value)
        for lit in witness.literals
        if not lit.atom.seen and not (lit.atom.kind is AtomKind.REACH and lit.value)
    ]
    return "; ".join(dict.fromkeys(items))


def condition_text(f: Formula, limit: int = 160) -> str:
    """A condition as C-like text."""
    return implies_text(f, limit)
