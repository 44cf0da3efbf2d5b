"""What the flag-gate rules (RP302, RP303, RP304) say about a gate: the
guard in words, the evidence, and the flag named after a call."""

from __future__ import annotations

__all__ = [
    "covering_flag",
    "gate_evidence",
    "guard_text",
    "named_after",
    "partial_note",
    "words_of",
]

import re

from reviewpatch.csource.flowmodel import Guard
from reviewpatch.findings import EvidenceLine
from reviewpatch.flow.analysis import Gate
from reviewpatch.flow.compare import REST
from reviewpatch.flow.solver import Witness
from reviewpatch.rules.c.common import code_evidence, fn, occurrence_evidence

_GENERIC = frozenset(
    {"tif", "syscall", "flag", "flags", "work", "mask", "bit", "bits", "pf", "sys"}
)


def _new_guards(gate: Gate) -> list[Guard]:
    """The conditions around the gated call that its old site lacked."""
    new = gate.site.site
    if new is None:
        return []
    had = {g.text for o in gate.change.old if o.site is not None for g in o.site.guards}
    return [g for g in new.guards if g.text not in had]


def guard_text(gate: Gate) -> str:
    """The new guard as written."""
    found = _new_guards(gate)
    if not found:
        return " || ".join(gate.flags) or "a new condition"
    return " && ".join(g.text if len(found) == 1 else f"({g.text})" for g in found)


def gate_evidence(gate: Gate) -> tuple[EvidenceLine, ...]:
    """The gated call before and after, and the line of its guard."""
    out = [occurrence_evidence(o, "was called here") for o in gate.change.old if not o.inlined][:1]
    new = gate.site
    out.append(occurrence_evidence(new, "now called here"))
    out += [code_evidence(g.line, new.piece.path, "guard") for g in _new_guards(gate)]
    return tuple(out)


def _words(name: str) -> set[str]:
    return {w for w in name.lower().split("_") if len(w) >= 4 and w not in _GENERIC}


def named_after(callee: str, flag: str, flags: tuple[str, ...]) -> bool:
    """Whether ``callee``'s name has the word that sets ``flag`` apart from
    the other ``flags`` (``audit_syscall_exit`` and _TIF_SYSCALL_AUDIT)."""
    others: set[str] = set()
    for f in flags:
        if f != flag:
            others |= _words(f)
    distinctive = {w for w in _words(flag) if not any(o.startswith(w) for o in others)}
    return bool(distinctive & set(re.split(r"[_\W]+", callee.lower())))


def covering_flag(callee: str, flags: tuple[str, ...]) -> str | None:
    """A flag of ``flags`` the callee is named after."""
    return next((f for f in flags if named_after(callee, f, flags)), None)


def words_of(w: Witness, gate: Gate) -> list[str]:
    """What a message may name to acknowledge a finding: the witness's
    flags and conditions, the gate's flags and masks."""
    words = [lit.atom.name or lit.atom.text for lit in w.literals]
    words += list(gate.flags) + [m for m, _ in gate.masks]
    return words


def partial_note(gate: Gate) -> str | None:
    """Why the gate's callee cannot be judged whole, or None."""
    if gate.body is None:
        return f"the body of {fn(gate.callee)} is not in the diff (--tree would settle it)"
    hidden = any(ch.callee.startswith(REST) for ch in gate.inner)
    if not gate.body.complete or hidden:
        return f"the diff shows only part of {fn(gate.callee)} (--tree would settle it)"
    return None
