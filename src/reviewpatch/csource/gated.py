"""What a flag gate does to the gated callee: the calls it now skips, the
flag tests it makes dead, and the mask members the callee uses.

Built on ``gates.Gate`` and its ``reach`` (the callee's flag tests and
those of the helpers it passes the flags to, see ``helpers``).
"""

from __future__ import annotations

__all__ = [
    "DeadTerm",
    "Skipped",
    "covering_flag",
    "dead_terms",
    "distinctive_words",
    "reached_only_here",
    "runs_when_gated",
    "skipped_calls",
    "still_reached",
    "used_by_name",
    "used_flags",
]

import re
from dataclasses import dataclass

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.gates import Gate, gates, term_leaves, test_leaves
from reviewpatch.csource.helpers import MAX_DEPTH
from reviewpatch.csource.model import Call, Condition, FunctionBody
from reviewpatch.csource.reaching import bits_overlap, call_sites_only

_TREE_HINT = "--tree would settle it"
_GENERIC_WORDS = frozenset(
    {"tif", "syscall", "flag", "flags", "work", "mask", "bit", "bits", "pf", "sys"}
)


@dataclass(frozen=True)
class Skipped:
    """A call that ran on every call of the callee and now runs only when
    the guard holds.  ``via`` is the helper chain from the callee down to
    the function that holds ``call`` (empty: in the callee itself);
    ``covered_by`` a flag the guard lets through that is named after the
    call (``_TIF_SYSCALL_AUDIT`` for ``audit_syscall_exit()``)."""

    call: Call
    via: tuple[str, ...]
    covered_by: str | None


@dataclass(frozen=True)
class DeadTerm:
    """An ``||`` term of a flag test in the callee (or a helper, see
    ``via``) that tests only flags the guard does not let through.
    ``verdict`` names the helper whose result the term is (``step`` from
    ``step = report_single_step(flags)``), if any."""

    condition: Condition
    term: str
    leaves: tuple[str, ...]
    path: str
    via: tuple[str, ...]
    verdict: str | None


def _words(name: str) -> set[str]:
    return {w for w in name.lower().split("_") if len(w) >= 4 and w not in _GENERIC_WORDS}


def distinctive_words(member: str, members: tuple[str, ...]) -> set[str]:
    """The words of flag ``member`` that no other of ``members`` has."""
    others: set[str] = set()
    for m in members:
        if m != member:
            others |= _words(m)
    return _words(member) - others


def _named_after(callee: str, words: set[str]) -> bool:
    return bool(words & set(re.split(r"[_\W]+", callee.lower())))


def covering_flag(flags: tuple[str, ...], callee: str) -> str | None:
    """A flag of ``flags`` whose distinctive word the callee's name has."""
    for flag in flags:
        if _named_after(callee, distinctive_words(flag, flags)):
            return flag
    return None


def runs_when_gated(code: SeriesCode, gate: Gate, call: Call, var: str | None = None) -> bool:
    """True when ``call`` is itself under a test of the flags (so it did not
    simply run on every call of the callee).  ``var`` is the flags' name in
    the function holding ``call`` (default: the callee's parameter)."""
    names = {var} if var is not None else {gate.param_for(v) for v in gate.vars}
    names |= {u.var for u in gate.reach.uses if not u.via}
    for cond in call.conditions:
        if cond.negated:
            continue
        if any(test_leaves(code, cond, v, gate.reach) for v in names):
            return True
    return False


def skipped_calls(code: SeriesCode, gate: Gate) -> tuple[Skipped, ...]:
    """Every call the callee (or a helper it passes the flags to) made
    unconditionally and that the guard now skips when no flag is set.  A
    helper whose body is known is not itself a skipped call: its calls are."""
    if gate.body is None:
        return ()
    out: list[Skipped] = []
    _skipped_in(code, gate, gate.body, None, (), out)
    return tuple(out)


def _skipped_in(
    code: SeriesCode,
    gate: Gate,
    body: FunctionBody,
    var: str | None,
    via: tuple[str, ...],
    out: list[Skipped],
) -> None:
    for call in body.calls:
        if runs_when_gated(code, gate, call, var):
            continue
        helper = gate.reach.helper(call.callee)
        if helper is not None and call.callee not in via and len(via) < MAX_DEPTH:
            _skipped_in(code, gate, helper[0], helper[1], via + (call.callee,), out)
            continue
        out.append(Skipped(call, via, covering_flag(gate.flags, call.callee)))


def dead_terms(code: SeriesCode, gate: Gate) -> tuple[DeadTerm, ...]:
    """The flag tests of the callee and its helpers with a term that can
    no longer be true on its own: it tests only flags the guard does not
    let through.  Tests whose branch only returns (does no work) are left
    out; so is everything when the guard also lets other conditions in."""
    if gate.opaque or gate.body is None:
        return ()
    lets = set(gate.flags)
    out: list[DeadTerm] = []
    for use in gate.reach.uses:
        if use.veto:
            continue
        for d in use.condition.any_of:
            leaves = term_leaves(code, d, use.var, gate.reach)
            if not leaves or lets & set(leaves):
                continue
            verdict = (
                gate.reach.predicate(d.text) if not any(t.var == use.var for t in d.tests) else None
            )
            helper = verdict.helper if verdict is not None else None
            out.append(DeadTerm(use.condition, d.text, leaves, use.path, use.via, helper))
    return tuple(out)


def used_flags(code: SeriesCode, gate: Gate) -> dict[str, str]:
    """Flags the callee or its helpers use, masks expanded: flag -> how
    (the identifier, with the helper that names it)."""
    out: dict[str, str] = {}
    body = gate.body
    named = [(i, "") for i in (body.identifiers if body else ())] + list(gate.reach.identifiers)
    for ident, helper in named:
        if not ident.isupper() and not ident.startswith("_"):
            continue
        for leaf in code.expand((ident,)):
            out.setdefault(leaf, f"{ident} in {helper}()" if helper else ident)
    return out


def used_by_name(
    code: SeriesCode, gate: Gate, member: str, members: tuple[str, ...]
) -> Call | None:
    """A call the gated code makes unconditionally whose name has the
    distinctive word of ``member`` (``audit_syscall_exit()`` for
    ``_TIF_SYSCALL_AUDIT``), or None."""
    words = distinctive_words(member, members)
    if not words or gate.body is None:
        return None
    calls: list[tuple[Call, str | None]] = [(c, None) for c in gate.body.calls]
    calls += [(c, p) for _, b, p in gate.reach.helpers for c in b.calls]
    for call, var in calls:
        if not runs_when_gated(code, gate, call, var) and _named_after(call.callee, words):
            return call
    return None


def reached_only_here(code: SeriesCode, gate: Gate, via: tuple[str, ...]) -> bool | None:
    """Tree mode: True when the tree calls the gated callee only at the
    sites gated like this one, and each helper of ``via`` only from the
    function before it in the chain (so the branch can run in no other
    way); False when some other caller is found; None without a tree."""
    sites = sum(1 for g in gates(code) if g.callee == gate.callee and g.text == gate.text)
    verdict = call_sites_only(code, gate.callee, sites)
    chain = (gate.callee,) + via
    for parent, name in zip(chain, via, strict=False):
        if verdict is not True:
            return verdict
        found = gate.reach.helper(parent) if parent != gate.callee else None
        body = gate.body if parent == gate.callee else (found[0] if found else None)
        known = sum(1 for c in body.calls if c.callee == name) if body is not None else 0
        verdict = call_sites_only(code, name, known)
    return verdict


def still_reached(code: SeriesCode, gate: Gate, dead: DeadTerm) -> str:
    """Why the branch of ``dead`` may still run with its flag set without
    the guard's flags ("" when nothing else reaches it): its flag shares a
    bit with the guard's, or the callee (or a helper on the way) has other
    callers, or they are not known (hunk mode)."""
    if bits_overlap(code, dead.leaves, gate.flags):
        return f"{' | '.join(dead.leaves)} shares a bit with the guard's flags"
    only = reached_only_here(code, gate, dead.via)
    if only is None:
        return f"the other callers of {gate.callee}() are not known here ({_TREE_HINT})"
    if not only:
        chain = ", ".join(f"{n}()" for n in (gate.callee,) + dead.via)
        return f"the tree also reaches {chain} other ways, where the branch may still run"
    return ""
