"""``--format patchwork``: one patchwork check record per patch.

The output is a JSON list, one object per patch of the series (the cover
letter gets none: patchwork keeps checks on patches)::

    [{"msgid": "...", "patch_index": 1,
      "state": "success" | "warning" | "fail",
      "context": "reviewpatch",
      "description": "2 warnings, 1 note: bad-fixes-tag, no-changelog",
      "target_url": "https://lore.kernel.org/all/<msgid>/" | null,
      "counts": {"error": 0, "warning": 2, "note": 1}}]

``state`` is ``fail`` when an error concerns the patch, ``warning`` when a
warning does, else ``success``.  Series-wide findings count for every patch.
``description`` stays within patchwork's 255 characters.  ``target_url`` is
the archive page of the patch when the series was fetched from an archive.

``state``, ``context``, ``description`` and ``target_url`` are the fields of
patchwork's check API, the same that ``pwclient check-create`` takes.  To
post them, look each patch up by Message-ID and create its check, e.g.::

    reviewpatch "$MSGID" --format patchwork -o checks.json
    jq -c '.[]' checks.json | while read -r check; do
        msgid=$(jq -r .msgid <<<"$check")
        id=$(curl -s "$PW/api/patches/?project=$PROJECT&msgid=$msgid" | jq '.[0].id')
        jq '{state, context, description}
            + (if .target_url then {target_url} else {} end)' <<<"$check" |
        curl -s -H "Authorization: Token $PW_TOKEN" \\
             -H 'Content-Type: application/json' -d @- \\
             "$PW/api/patches/$id/checks/"
    done

or, with pwclient, ``pwclient check-create -c reviewpatch -s "$state"
-d "$description" -u "$target_url" "$id"`` for each record.
"""

from __future__ import annotations

__all__ = ["CONTEXT", "MAX_DESCRIPTION", "check_records", "render_patchwork"]

import json

from reviewpatch.errors import ReviewpatchError
from reviewpatch.findings import Finding, Report, Severity
from reviewpatch.jsontypes import JSONObject
from reviewpatch.model import Patch

MAX_DESCRIPTION = 255
CONTEXT = "reviewpatch"

_STATES = {Severity.ERROR: "fail", Severity.WARNING: "warning"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _description(findings: tuple[Finding, ...], counts: dict[str, int]) -> str:
    """``2 warnings, 1 note: rule-a, rule-b`` within MAX_DESCRIPTION."""
    if not findings:
        return "no findings"
    parts = [_plural(counts[s.value], s.value) for s in reversed(Severity) if counts[s.value]]
    ranked = sorted(findings, key=lambda f: (-f.severity.rank, f.rule_id))
    names = list(dict.fromkeys(f.rule_name for f in ranked))
    text = ", ".join(parts) + ": "
    for i, name in enumerate(names):
        piece = name if i == 0 else ", " + name
        if len(text) + len(piece) + len(", ...") > MAX_DESCRIPTION:
            return text + ", ..."
        text += piece
    return text[:MAX_DESCRIPTION]


def _target_url(report: Report, patch: Patch) -> str | None:
    url = report.series.archive_url
    if not url:
        return None
    from reviewpatch.fetch import message_url
    from reviewpatch.source import parse_archive_url

    try:
        base, _msgid = parse_archive_url(url)
    except ReviewpatchError:
        return None
    return message_url(base, patch.msgid)


def _record(report: Report, patch: Patch, series_wide: tuple[Finding, ...]) -> JSONObject:
    findings = series_wide + report.for_patch(patch.index)
    counts = {s.value: sum(1 for f in findings if f.severity is s) for s in Severity}
    worst = max((f.severity for f in findings), key=lambda s: s.rank, default=Severity.NOTE)
    return {
        "msgid": patch.msgid,
        "patch_index": patch.index,
        "state": _STATES.get(worst, "success"),
        "context": CONTEXT,
        "description": _description(findings, counts),
        "target_url": _target_url(report, patch),
        "counts": counts,
    }


def check_records(report: Report) -> list[JSONObject]:
    """The check record of every patch of the series, in series order."""
    series_wide = report.for_patch(None)
    return [_record(report, p, series_wide) for p in report.series.patches]


def render_patchwork(report: Report) -> str:
    """The records as an indented JSON list, keys sorted."""
    return json.dumps(check_records(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
