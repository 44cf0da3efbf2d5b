"""View model of a Report: plain frozen values, ready to show, built in
Python so that templates hold nothing but loops and conditionals.

Every string here is still raw mail content: the renderer escapes it.  The
HTML report uses this; other renderers may reuse it.  The C syntax colouring
and the diff and finding views live in ``reviewpatch.render.diffview``.
"""

from __future__ import annotations

__all__ = [
    "Span",
    "EvidenceView",
    "FindingView",
    "LineView",
    "HunkView",
    "FileView",
    "TrailerView",
    "PatchView",
    "CountView",
    "RuleRow",
    "RuleDocView",
    "ProblemView",
    "OtherView",
    "ReportView",
    "build_view",
    "default_rule_docs",
    "archive_link",
    "safe_url",
    "REVIEW_TRAILERS",
]

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from reviewpatch.findings import Finding, Report, Severity
from reviewpatch.model import Patch, Series, Trailer
from reviewpatch.render.diffview import (
    EvidenceView,
    FileView,
    FindingView,
    HunkView,
    LineView,
    Span,
    build_files,
    finding_view,
    safe_url,
)
from reviewpatch.rules.registry import RuleDoc
from reviewpatch.vocabulary import vouching

REVIEW_TRAILERS = vouching()

_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.NOTE)
_STATUS = {Severity.ERROR: "errors", Severity.WARNING: "warnings", Severity.NOTE: "notes"}


@dataclass(frozen=True)
class CountView:
    """A count of findings of one severity: ``key`` is the severity value,
    ``label`` its plural (errors, warnings, notes), ``text`` the count in
    words ("1 error", "2 notes")."""

    key: str
    label: str
    count: int
    text: str


@dataclass(frozen=True)
class RuleRow:
    """One row of the summary by rule.  ``anchor`` is "" when the rule's
    documentation is unknown."""

    rule_id: str
    rule_name: str
    anchor: str
    errors: int
    warnings: int
    notes: int
    total: int


@dataclass(frozen=True)
class RuleDocView:
    """A rule's documentation, shown once in the appendix."""

    anchor: str
    rule_id: str
    rule_name: str
    summary: str
    sections: tuple[tuple[str, tuple[tuple[bool, str], ...]], ...]


@dataclass(frozen=True)
class TrailerView:
    """One trailer; ``followup`` when it was given in a reply."""

    name: str
    value: str
    given_by: str
    origin_msgid: str
    origin_url: str
    followup: bool


@dataclass(frozen=True)
class PatchView:
    """One patch (index 0 is the cover letter) with its findings placed:
    ``findings`` are those with no line shown in the diff."""

    index: int
    anchor: str
    label: str
    title: str
    raw_subject: str
    author: str
    date: str
    msgid: str
    url: str
    is_cover: bool
    message: str
    notes: str
    trailers: tuple[TrailerView, ...]
    followups: tuple[TrailerView, ...]
    files: tuple[FileView, ...]
    findings: tuple[FindingView, ...]
    status: str
    counts: tuple[CountView, ...]
    finding_total: int
    review_count: int
    reply_count: int


@dataclass(frozen=True)
class ProblemView:
    """A mail or file that could not be used."""

    origin: str
    message: str


@dataclass(frozen=True)
class OtherView:
    """Another series of the thread, not reviewed: its first mail."""

    subject: str
    url: str
    mails: int


@dataclass(frozen=True)
class ReportView:
    """The whole page."""

    subject: str
    version: int
    versions: str
    author: str
    date: str
    base_commit: str
    cover_url: str
    archive_url: str
    patch_count: int
    total: int
    missing: str
    meta: tuple[tuple[str, str], ...]
    status: str
    finding_total: int
    severity_counts: tuple[CountView, ...]
    rule_rows: tuple[RuleRow, ...]
    series_findings: tuple[FindingView, ...]
    patches: tuple[PatchView, ...]
    rule_docs: tuple[RuleDocView, ...]
    problems: tuple[ProblemView, ...]
    others: tuple[OtherView, ...] = ()


def archive_link(base: str | None, msgid: str | None) -> str:
    """``<base>/<msgid>/`` (the Message-ID percent-quoted) or "" when the
    archive URL is not a safe http(s) URL or there is no Message-ID."""
    root = safe_url(base)
    mid = (msgid or "").strip().strip("<>")
    if not root or not mid:
        return ""
    return f"{root.rstrip('/')}/{quote(mid, safe='@!$&()*+,;=:~._-')}/"


def default_rule_docs() -> dict[str, RuleDoc]:
    """The docs of every declared rule by id; empty when the rule set
    cannot be loaded (rules are optional for rendering)."""
    try:
        from reviewpatch.rules import all_rules

        return {spec.id: spec.doc for spec in all_rules()}
    except (ImportError, ValueError):
        return {}


def _status(findings: tuple[Finding, ...]) -> str:
    for sev in _SEVERITIES:
        if any(f.severity is sev for f in findings):
            return _STATUS[sev]
    return "clean"


def _counts(findings: tuple[Finding, ...]) -> tuple[CountView, ...]:
    tally = Counter(f.severity for f in findings)
    return tuple(
        CountView(
            s.value, _STATUS[s], tally[s], f"{tally[s]} {s.value if tally[s] == 1 else _STATUS[s]}"
        )
        for s in _SEVERITIES
    )


def _trailer_view(t: Trailer, base: str | None, followup: bool) -> TrailerView:
    return TrailerView(
        name=t.name,
        value=t.value,
        given_by=str(t.given_by) if t.given_by else "",
        origin_msgid=t.origin_msgid,
        origin_url=archive_link(base, t.origin_msgid) if followup else "",
        followup=followup,
    )


def _review_count(patch: Patch) -> int:
    seen = {
        (t.name.lower(), t.person.key if t.person else t.value.strip().lower())
        for t in patch.trailers + patch.followup_trailers
        if t.name.lower() in REVIEW_TRAILERS
    }
    return len(seen)


def _patch_views(
    series: Series, pairs: tuple[tuple[Finding, FindingView], ...]
) -> tuple[PatchView, ...]:
    """One view per patch.  Should two patches share a counter, the second
    gets a distinct anchor and no findings, so each finding shows once."""
    seen: set[int] = set()
    views = []
    for n, patch in enumerate(series.all_patches):
        if patch.index in seen:
            views.append(_patch_view(patch, series, (), f"patch-{patch.index}-{n}"))
            continue
        seen.add(patch.index)
        placed = tuple(pv for pv in pairs if pv[0].location.patch_index == patch.index)
        views.append(_patch_view(patch, series, placed, f"patch-{patch.index}"))
    return tuple(views)


def _patch_view(
    patch: Patch,
    series: Series,
    placed: tuple[tuple[Finding, FindingView], ...],
    anchor: str,
) -> PatchView:
    found = tuple(f for f, _ in placed)
    files, rest = build_files(patch.files, placed, anchor)
    total = series.total or len(series.patches)
    base = series.archive_url
    return PatchView(
        index=patch.index,
        anchor=anchor,
        label="cover" if patch.index == 0 else f"{patch.index}/{total}",
        title=patch.subject.title or patch.mail.subject,
        raw_subject=patch.mail.subject,
        author=str(patch.author) or "(unknown author)",
        date=patch.mail.date,
        msgid=patch.msgid,
        url=archive_link(base, patch.msgid),
        is_cover=patch.index == 0,
        message=patch.message,
        notes=patch.notes,
        trailers=tuple(_trailer_view(t, base, False) for t in patch.trailers),
        followups=tuple(_trailer_view(t, base, True) for t in patch.followup_trailers),
        files=files,
        findings=rest,
        status=_status(found),
        counts=_counts(found),
        finding_total=len(found),
        review_count=_review_count(patch),
        reply_count=len(patch.replies),
    )


def _rule_rows(findings: tuple[Finding, ...], docs: Mapping[str, RuleDoc]) -> tuple[RuleRow, ...]:
    names: dict[str, str] = {}
    tally: Counter[tuple[str, Severity]] = Counter()
    for f in findings:
        names.setdefault(f.rule_id, f.rule_name)
        tally[(f.rule_id, f.severity)] += 1
    return tuple(
        RuleRow(
            rule_id=rid,
            rule_name=names[rid],
            anchor=f"rule-{rid}" if rid in docs else "",
            errors=tally[(rid, Severity.ERROR)],
            warnings=tally[(rid, Severity.WARNING)],
            notes=tally[(rid, Severity.NOTE)],
            total=sum(tally[(rid, s)] for s in _SEVERITIES),
        )
        for rid in sorted(names)
    )


_META_LABELS = {
    "tool": "Tool",
    "mode": "Mode",
    "source": "Source",
    "kind": "Input",
    "msgid": "Message-ID",
}


def _meta(meta: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Report metadata with readable labels (unknown keys are left out)."""
    return tuple((_META_LABELS[k], v) for k, v in meta if k in _META_LABELS)


def _code_spans(text: str) -> tuple[tuple[bool, str], ...]:
    """Doc text split into (is_code, text) runs at ``double`` or `single`
    backticks, so code shows as code and no backtick is left over."""
    parts = re.split(r"``(.+?)``|`([^`\n]+)`", text)
    out: list[tuple[bool, str]] = []
    for i in range(0, len(parts), 3):
        if parts[i]:
            out.append((False, parts[i]))
        if i + 2 < len(parts):
            code = parts[i + 1] if parts[i + 1] is not None else parts[i + 2]
            out.append((True, code))
    return tuple(out)


def _rule_docs(
    findings: tuple[Finding, ...], docs: Mapping[str, RuleDoc]
) -> tuple[RuleDocView, ...]:
    names: dict[str, str] = {}
    for f in findings:
        names.setdefault(f.rule_id, f.rule_name)
    views = []
    for rid in sorted(names):
        doc = docs.get(rid)
        if doc is None:
            continue
        sections = (
            ("What it does", doc.what),
            ("Why it matters", doc.why),
            ("Example", doc.example),
            ("Use instead", doc.instead),
            ("Options", doc.options),
        )
        views.append(
            RuleDocView(
                anchor=f"rule-{rid}",
                rule_id=rid,
                rule_name=names[rid],
                summary=doc.summary,
                sections=tuple((title, _code_spans(body)) for title, body in sections if body),
            )
        )
    return tuple(views)


def _series_date(series: Series) -> str:
    for patch in series.all_patches:
        if patch.mail.date:
            return patch.mail.date
    return ""


def build_view(report: Report, docs: Mapping[str, RuleDoc] | None = None) -> ReportView:
    """The view of ``report``.  ``docs`` maps rule ids to their docs
    (default: the declared rules).  Every finding is placed exactly once:
    under its diff line, at the top of its file or patch, or series-wide."""
    docs = default_rule_docs() if docs is None else docs
    series = report.series
    indexes = {p.index for p in series.all_patches}
    views = tuple(finding_view(n, f, docs) for n, f in enumerate(report.findings, 1))
    pairs = tuple(zip(report.findings, views))
    patches = _patch_views(series, pairs)
    general = tuple(v for f, v in pairs if f.location.patch_index not in indexes)
    versions = ", ".join(f"v{v}" for v in series.versions) or f"v{series.version}"
    return ReportView(
        subject=series.subject,
        version=series.version,
        versions=versions,
        author=str(series.author) if series.author else "",
        date=_series_date(series),
        base_commit=series.base_commit or "",
        cover_url=archive_link(series.archive_url, series.cover.msgid) if series.cover else "",
        archive_url=safe_url(series.archive_url),
        patch_count=len(series.patches),
        total=series.total,
        missing=", ".join(str(n) for n in series.missing),
        meta=_meta(report.meta),
        status=_status(report.findings),
        finding_total=len(report.findings),
        severity_counts=_counts(report.findings),
        rule_rows=_rule_rows(report.findings, docs),
        series_findings=general,
        patches=patches,
        rule_docs=_rule_docs(report.findings, docs),
        problems=tuple(ProblemView(p.origin, p.message) for p in series.problems),
        others=tuple(
            OtherView(o.subject, archive_link(series.archive_url, o.msgid), o.mails)
            for o in series.others
        ),
    )
