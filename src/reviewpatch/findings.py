"""Findings and the report: what the rules say about a series."""

from __future__ import annotations

__all__ = [
    "Severity",
    "Confidence",
    "Location",
    "EvidenceLine",
    "Finding",
    "Report",
    "sort_findings",
]

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from reviewpatch.model import Series

if TYPE_CHECKING:
    from reviewpatch.versions.model import VersionReport


class Severity(str, Enum):
    """How bad a finding is.  Ordered: ERROR > WARNING > NOTE."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self.value]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of {names})") from None


_SEVERITY_RANK = {"note": 0, "warning": 1, "error": 2}


class Confidence(str, Enum):
    """How sure a heuristic rule is of a finding."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Location:
    """Where a finding points.  ``patch_index`` is the patch counter (0 for
    the cover letter, None for the whole series); ``file``/``line`` a path in
    the diff and a line number on ``side`` ("new" or "old"); ``mail_line``
    the 1-based line in the patch mail's body, for quoting in a reply."""

    patch_index: int | None = None
    file: str | None = None
    line: int | None = None
    side: str = "new"
    mail_line: int | None = None
    symbol: str | None = None


@dataclass(frozen=True)
class EvidenceLine:
    """A line of code (or mail) that made a rule fire.  ``kind`` is "+",
    "-", " " for diff lines, "" for plain text; line numbers are old/new
    file line numbers where known."""

    text: str
    kind: str = ""
    file: str | None = None
    old_no: int | None = None
    new_no: int | None = None
    mail_line: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Finding:
    """One finding.  Never put codes inside ``message``: every fact has its
    own field.  ``explained`` marks a finding that the commit message
    already addresses; its severity is then NOTE and ``original_severity``
    keeps the rule's own."""

    rule_id: str
    rule_name: str
    severity: Severity
    confidence: Confidence
    message: str
    location: Location = Location()
    evidence: tuple[EvidenceLine, ...] = ()
    explained: bool = False
    original_severity: Severity | None = None
    doc_url: str | None = None

    @property
    def sort_key(self) -> tuple[object, ...]:
        loc = self.location
        return (
            -1 if loc.patch_index is None else loc.patch_index,
            loc.file or "",
            loc.line or 0,
            self.rule_id,
            -self.severity.rank,
            loc.symbol or "",
            self.message,
        )


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings in their one deterministic order: series-wide first, then
    by patch, file, line, rule id."""
    return tuple(sorted(findings, key=lambda f: f.sort_key))


@dataclass(frozen=True)
class Report:
    """Everything a renderer needs: the series, the findings (sorted), the
    ids of the rules that ran, metadata (tool version, source, mode), and
    ``since``: the series against its previous version, when one was found."""

    series: Series
    findings: tuple[Finding, ...]
    rules_run: tuple[str, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    since: VersionReport | None = None

    def for_patch(self, index: int | None) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.location.patch_index == index)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def meta_value(self, key: str) -> str | None:
        for k, v in self.meta:
            if k == key:
                return v
        return None
