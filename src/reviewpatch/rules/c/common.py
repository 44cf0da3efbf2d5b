"""What the C rules share: the flow analysis of the context, finding
locations and evidence from code lines, and which callees are worth a
warning."""

from __future__ import annotations

__all__ = [
    "QUIET_CALLEES",
    "code_evidence",
    "diff_evidence",
    "flow",
    "fn",
    "hit_at",
    "new_guards",
    "occurrence_evidence",
    "ordered",
    "reportable",
    "worth_reporting",
]

import re
from collections.abc import Iterable

from reviewpatch.csource.model import NEW, OLD, CodeLine
from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.flow.analysis import FlowAnalysis, flow_of
from reviewpatch.flow.compare import REST, Change, Occurrence
from reviewpatch.model import DiffLine
from reviewpatch.rules.registry import Hit, RuleContext

# Calls that do nothing a reviewer would miss when they stop running:
# function-like macros that compute a value, and pure accessors.
QUIET_CALLEES = frozenset(
    {
        "ARRAY_SIZE",
        "BIT",
        "BIT_ULL",
        "GENMASK",
        "GENMASK_ULL",
        "FIELD_GET",
        "FIELD_PREP",
        "READ_ONCE",
        "container_of",
        "min",
        "max",
        "min_t",
        "max_t",
        "clamp",
        "clamp_t",
        "IS_ERR",
        "IS_ERR_OR_NULL",
        "PTR_ERR",
        "ERR_PTR",
        "ERR_CAST",
        "PTR_ERR_OR_ZERO",
        "likely",
        "unlikely",
        "WARN_ON",
        "WARN_ON_ONCE",
        "WARN",
        "WARN_ONCE",
        "BUILD_BUG_ON",
        "offsetof",
        "sizeof",
        "dev_name",
        "current_thread_info",
        "read_thread_flags",
        "smp_processor_id",
        "raw_smp_processor_id",
        "in_interrupt",
        "in_task",
        "irqs_disabled",
        "lower_32_bits",
        "upper_32_bits",
        "cpu_to_le32",
        "le32_to_cpu",
        "cpu_to_le16",
        "le16_to_cpu",
        "cpu_to_be32",
        "be32_to_cpu",
        "test_bit",
        "test_thread_flag",
        "IS_ENABLED",
        "ALIGN",
        "DIV_ROUND_UP",
        "roundup",
        "rounddown",
    }
)
_LOG_RE = re.compile(
    r"^(?:pr_\w+|dev_(?:err|warn|info|dbg|notice|crit|alert|emerg|printk)\w*|printk\w*|"
    r"netdev_(?:err|warn|info|dbg)\w*|\w+_(?:err|warn|info|dbg|debug)(?:_ratelimited|_once)?|"
    r"trace_\w+|WARN\w*|drm_(?:err|warn|info|dbg)\w*)$"
)
_ACCESSOR_RE = re.compile(r"^(?:to_\w+|\w+_to_\w+|get_\w+_(?:ptr|data)|\w+_get_drvdata)$")
_PREDICATE_RE = re.compile(
    r"^(?:is|has|can|should|want|need|may|must|in|are|was|does)_\w+|\w+_(?:enabled|disabled|"
    r"possible|allowed|active|valid|needed|required|pending|empty|supported|present|locked|"
    r"none|dirty|young|ready|full|busy|online|offline|exists|equal|same|match|matches|zero)$"
)


def flow(ctx: RuleContext) -> FlowAnalysis | None:
    """The flow analysis of the context's series (None without C code)."""
    return flow_of(ctx.code) if ctx.code is not None and ctx.patch is not None else None


_LOOP_RE = re.compile(r"for_each|foreach|_each(?:_|$)")


def worth_reporting(callee: str) -> bool:
    """Whether a call that stops (or starts) running is worth a warning:
    not a value-computing macro, a loop macro, an accessor or a log line."""
    if callee.startswith(REST) or callee in QUIET_CALLEES or _LOOP_RE.search(callee):
        return False
    if _LOG_RE.match(callee) or _ACCESSOR_RE.match(callee):
        return False
    return "->" not in callee or callee.count("->") <= 2


def reportable(fa: FlowAnalysis, ch: Change) -> bool:
    """``worth_reporting`` for a change's callee, and not a predicate: a
    call whose result only feeds a condition, or whose body, when visible,
    computes a value and calls and sets nothing."""
    if not worth_reporting(ch.callee):
        return False
    sites = [o.site for o in (*ch.old, *ch.new) if o.site is not None]
    if ch.callee.isupper():
        return False  # a macro: an accessor, a predicate or an emitter
    as_value = bool(sites) and all(s.in_condition or s.assigned for s in sites)
    if as_value and _PREDICATE_RE.match(ch.callee):
        return False
    bodies = fa.bodies(ch.patch_index)
    for side in (NEW, OLD):
        fv = bodies.get(ch.callee, side)
        if fv is not None and fv.complete:
            # a stub with an empty body may stand for real work elsewhere
            computes = any(v is not None for p in fv.pieces for _, v in p.returns)
            return not computes or any(p.sites or p.ops for p in fv.pieces)
    return True


def new_guards(ch: Change) -> str:
    """The conditions around a changed call's new site that its old sites
    lacked, as written ("" when none)."""
    had = {g.text for o in ch.old if o.site is not None for g in o.site.guards}
    for o in ch.new:
        if o.site is not None and not o.inlined:
            found = [g.text for g in o.site.guards if g.text not in had]
            if found:
                return " && ".join(found if len(found) == 1 else [f"({t})" for t in found])
    return ""


def fn(name: str) -> str:
    """A function name for a message."""
    if name.startswith("<"):
        return "the code at " + name.strip("<>")
    return f"{name}()"


def code_evidence(line: CodeLine, path: str, label: str = "", in_mail: bool = True) -> EvidenceLine:
    """One code line of ``path`` as evidence, with its numbers; ``in_mail``
    False for a line of another patch's mail."""
    return EvidenceLine(
        text=line.text,
        kind=line.kind,
        file=path,
        old_no=line.old_no,
        new_no=line.new_no,
        mail_line=line.mail_line if in_mail else None,
        label=label,
    )


def diff_evidence(line: DiffLine, path: str, label: str = "", in_mail: bool = True) -> EvidenceLine:
    """One diff line of ``path`` as evidence; ``in_mail`` False for a line
    of another patch's mail (its mail line would point into this one)."""
    return EvidenceLine(
        text=line.text,
        kind=line.kind.value,
        file=path,
        old_no=line.old_no,
        new_no=line.new_no,
        mail_line=line.mail_line if in_mail else None,
        label=label,
    )


def occurrence_evidence(occ: Occurrence, label: str) -> EvidenceLine:
    """The line of a call site (or of the last visible line of a function
    whose rest is not shown)."""
    line = occ.site.line if occ.site is not None else occ.piece.end
    return code_evidence(line, occ.piece.path, label)


def ordered(lines: Iterable[EvidenceLine]) -> tuple[EvidenceLine, ...]:
    """Evidence grouped by file (in order of first appearance), in file
    order within a file, each line once."""
    first: dict[str, int] = {}
    unique: dict[tuple[object, ...], EvidenceLine] = {}
    for ev in lines:
        first.setdefault(ev.file or "", len(first))
        unique.setdefault((ev.file, ev.kind, ev.old_no, ev.new_no, ev.text), ev)

    def key(ev: EvidenceLine) -> tuple[int, int, int]:
        if ev.mail_line is not None:
            return (first[ev.file or ""], 0, ev.mail_line)
        no = ev.old_no if ev.kind == "-" or ev.new_no is None else ev.new_no
        return (first[ev.file or ""], 1, no or 0)

    return tuple(sorted(unique.values(), key=key))


def hit_at(
    occ: Occurrence,
    message: str,
    symbol: str,
    evidence: Iterable[EvidenceLine],
    *,
    severity: Severity | None = None,
    confidence: Confidence | None = None,
    explained: bool = False,
    patch: int | None = None,
) -> Hit:
    """A finding at the line of ``occ`` (its new-side line, or old-side for
    an occurrence of the old code).  When ``patch`` is given and ``occ``
    lies in another patch of the series (a helper an earlier patch added,
    inlined into this patch's code), the finding is about ``patch`` as a
    whole: it must not be shown under another patch's lines."""
    if patch is not None and occ.piece.patch_index != patch:
        return Hit(
            message=message,
            patch_index=patch,
            symbol=symbol,
            evidence=ordered(evidence),
            severity=severity,
            confidence=confidence,
            explained=explained,
        )
    line = occ.site.line if occ.site is not None else occ.piece.end
    side = "old" if occ.piece.side == "old" else "new"
    return Hit(
        message=message,
        patch_index=occ.piece.patch_index,
        file=occ.piece.path,
        line=line.old_no if side == "old" else line.new_no,
        side=side,
        mail_line=line.mail_line,
        symbol=symbol,
        evidence=ordered(evidence),
        severity=severity,
        confidence=confidence,
        explained=explained,
    )
