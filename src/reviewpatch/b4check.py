"""``reviewpatch b4-check``: a check command for ``b4 review``.

b4's review interface runs each configured per-patch check command with
one patch mail (RFC 2822) on stdin and reads a JSON array from stdout, one
object per result::

    [{"tool": "reviewpatch", "status": "pass" | "warn" | "fail",
      "summary": "one line", "url": "",
      "details": "[{\"status\": \"warn\", \"description\": \"...\"}, ...]"}]

``details`` is itself a JSON list with one entry per finding: b4's review
interface shows such a list as one line per finding with a coloured status
dot (and falls back to plain text for anything else).

Wire it in with git config (the key may be given several times, one check
command each)::

    git config --add b4.review-perpatch-check-cmd 'reviewpatch b4-check'

The patch is reviewed alone, so rules that judge the whole series (missing
patches, cover letter, changelog) are left out.  ``status`` is ``fail`` for
an error, ``warn`` for a warning, ``pass`` otherwise (notes are listed in
the details).  A cover letter or another mail without a diff yields ``[]``
("nothing to report"), as the protocol asks.  The exit code is 0 whenever
the JSON was printed; input that holds no mail at all is a one-line error on
stderr and exit code 4 (b4 shows a failure for a non-zero exit without
output).
"""

from __future__ import annotations

__all__ = ["TOOL", "b4_check_command", "b4_results"]

import io
import json
from collections.abc import Sequence
from typing import BinaryIO, TextIO

from reviewpatch.errors import NoPatchError, UsageError
from reviewpatch.findings import Finding, Report, Severity
from reviewpatch.rules import find_rule
from reviewpatch.rules.registry import Scope
from reviewpatch.settings import Settings

TOOL = "reviewpatch"

_STATUS = {Severity.ERROR: "fail", Severity.WARNING: "warn", Severity.NOTE: "pass"}


def _per_patch(finding: Finding) -> bool:
    """Whether a finding still means something for a patch seen alone."""
    if finding.location.patch_index is None:
        return False
    spec = find_rule(finding.rule_id)
    return spec is None or spec.scope is not Scope.SERIES


def _detail_line(f: Finding) -> str:
    loc = f.location
    where = ""
    if loc.file:
        where = loc.file + (f":{loc.line}" if loc.line is not None else "")
        if loc.side == "old" and loc.line is not None:
            where += " (old)"
        where += ": "
    extra = " (explained in the commit message)" if f.explained else ""
    return f"{where}{f.severity.value}: {f.message}{extra} [{f.rule_id} {f.rule_name}]"


def _summary(findings: list[Finding]) -> str:
    if not findings:
        return "no findings"
    parts = []
    for sev in (Severity.ERROR, Severity.WARNING, Severity.NOTE):
        n = sum(1 for f in findings if f.severity is sev)
        if n:
            parts.append(f"{n} {sev.value}" + ("" if n == 1 else "s"))
    names = ", ".join(dict.fromkeys(f.rule_name for f in findings))
    return f"{', '.join(parts)}: {names}"


def b4_results(report: Report) -> list[dict[str, str]]:
    """The b4 check results for a report of one patch mail."""
    if not any(p.has_diff for p in report.series.patches):
        return []
    findings = sorted(
        (f for f in report.findings if _per_patch(f)),
        key=lambda f: (-f.severity.rank, f.sort_key),
    )
    worst = max((f.severity for f in findings), key=lambda s: s.rank, default=Severity.NOTE)
    return [
        {
            "tool": TOOL,
            "status": _STATUS[worst],
            "summary": _summary(findings),
            "url": "",
            "details": json.dumps(
                [{"status": _STATUS[f.severity], "description": _detail_line(f)} for f in findings]
            ),
        }
    ]


def _looks_like_a_patch(data: bytes) -> bool:
    return b"\ndiff --git " in data or b"\n+++ " in data or b"\n@@ -" in data


def _unreadable(why: str) -> dict[str, str]:
    """The result for a patch mail reviewpatch could not read: a failure,
    never a silent pass."""
    return {
        "tool": TOOL,
        "status": "fail",
        "summary": "could not read the patch",
        "url": "",
        "details": json.dumps([{"status": "fail", "description": " ".join(why.split())}]),
    }


def b4_check_command(args: Sequence[str], stdin: BinaryIO, stdout: TextIO) -> int:
    """Read one patch mail from ``stdin``, print the b4 JSON array."""
    if args:
        raise UsageError("usage: reviewpatch b4-check < patch.eml (takes no arguments)")
    from reviewpatch.api import review
    from reviewpatch.mail import read_mails

    data = stdin.read()
    mails, problems = read_mails(data, "<stdin>") if data.strip() else ((), ())
    if not mails:
        why = problems[0].message if problems else "<stdin>: empty input"
        raise NoPatchError(f"{why}; b4-check reads one patch mail on stdin")
    try:
        report = review("-", Settings(), stdin=io.BytesIO(data))
    except NoPatchError as exc:
        report = None  # a mail without a patch: nothing to report ...
        if _looks_like_a_patch(data):  # ... but a patch we could not read fails
            results = [_unreadable(str(exc))]
            stdout.write(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
            return 0
    results = b4_results(report) if report is not None else []
    stdout.write(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0
