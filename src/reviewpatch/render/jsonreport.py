"""JSON report for bots: a versioned document with the series and a flat list
of findings.  Keys are sorted and the output is byte-for-byte deterministic.

Format (``format_version`` 1)::

    {"format_version": 1, "tool": "reviewpatch 0.1.0", "meta": {...},
     "series": {"subject", "version", "total", "versions", "author",
                "base_commit", "archive_url",
                "cover": {patch} | null, "missing": [int],
                "patches": [{"index", "msgid", "subject", "author", "date",
                             "trailers": [{"name", "value", "email",
                                           "origin_msgid", "given_by",
                                           "followup"}],
                             "files": [{"path", "old_path", "added",
                                        "removed", "status"}],
                             "replies": int}],
                "duplicates": [msgid],
                "others": [{"msgid", "subject", "version", "mails"}],
                "problems": [{"origin", "msgid", "message"}]},
     "since": null | {"version", "summary", "changelog": [str],
               "patches": [{"index", "previous", "previous_msgid", "status",
                            "reason", "interdiff": [str],
                            "interdiff_truncated", "carried_trailers": [str],
                            "requests": [{request}]}],
               "requests": [{request}]},
     "summary": {"error": n, "warning": n, "note": n, "total": n},
     "rules_run": ["RP101", ...],
     "findings": [{"rule_id", "rule_name", "severity", "confidence",
                   "message", "patch_index", "file", "line", "side",
                   "mail_line", "symbol", "explained", "original_severity",
                   "evidence": [{"text", "kind", "file", "old_no", "new_no",
                                 "mail_line", "label"}]}]}

A ``{request}`` (a review request on the previous version and its
follow-through; the top-level ``since.requests`` are those on the cover
letter or on no patch of this version)::

    {"reviewer", "request_msgid", "file": str | null, "quoted": [str],
     "request", "answer", "promise_msgid": str | null, "verdict", "reason",
     "evidence": [str]}

``request_msgid`` is the reply that asked, ``file`` the path of the diff
lines it quotes, ``quoted`` the lines it sits under (a diff line with its
``+``, ``-`` or space marker), ``promise_msgid`` the author's reply that
promised it, ``verdict`` one of addressed, not_addressed, partly, declined
and unclear.
"""

from __future__ import annotations

__all__ = ["render_json", "report_to_dict", "FORMAT_VERSION"]

import json

from reviewpatch.findings import Finding, Report, Severity
from reviewpatch.jsontypes import JSONObject
from reviewpatch.model import FileDiff, Patch, Person, Trailer
from reviewpatch.render.sinceview import RequestView, since_view

FORMAT_VERSION = 1


def _person(person: Person | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {"name": person.name, "email": person.email}


def _trailer(trailer: Trailer, followup: bool) -> JSONObject:
    return {
        "name": trailer.name,
        "value": trailer.value,
        "email": trailer.person.email if trailer.person else None,
        "origin_msgid": trailer.origin_msgid,
        "given_by": _person(trailer.given_by),
        "followup": followup,
    }


def _status(fd: FileDiff) -> str:
    if fd.is_new:
        return "added"
    if fd.is_deleted:
        return "deleted"
    if fd.is_rename:
        return "renamed"
    return "modified"


def _file(fd: FileDiff) -> JSONObject:
    return {
        "path": fd.path,
        "old_path": fd.old_path,
        "added": fd.added,
        "removed": fd.removed,
        "status": _status(fd),
        "binary": fd.is_binary,
    }


def _patch(patch: Patch) -> JSONObject:
    own = [_trailer(t, False) for t in patch.trailers]
    collected = [_trailer(t, True) for t in patch.followup_trailers]
    return {
        "index": patch.index,
        "msgid": patch.msgid,
        "subject": patch.subject.raw,
        "title": patch.subject.title,
        "author": _person(patch.author),
        "date": patch.mail.date,
        "trailers": own + collected,
        "files": [_file(f) for f in patch.files],
        "replies": len(patch.replies),
    }


def _finding(f: Finding) -> JSONObject:
    loc = f.location
    return {
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "severity": f.severity.value,
        "confidence": f.confidence.value,
        "message": f.message,
        "patch_index": loc.patch_index,
        "file": loc.file,
        "line": loc.line,
        "side": loc.side,
        "mail_line": loc.mail_line,
        "symbol": loc.symbol,
        "explained": f.explained,
        "original_severity": f.original_severity.value if f.original_severity else None,
        "evidence": [
            {
                "text": e.text,
                "kind": e.kind,
                "file": e.file,
                "old_no": e.old_no,
                "new_no": e.new_no,
                "mail_line": e.mail_line,
                "label": e.label,
            }
            for e in f.evidence
        ],
    }


def report_to_dict(report: Report) -> JSONObject:
    """The report as plain JSON-able data."""
    s = report.series
    summary = {sev.value: report.count(sev) for sev in Severity}
    summary["total"] = len(report.findings)
    return {
        "format_version": FORMAT_VERSION,
        "tool": report.meta_value("tool") or "reviewpatch",
        "meta": dict(report.meta),
        "series": {
            "subject": s.subject,
            "version": s.version,
            "total": s.total,
            "versions": list(s.versions),
            "author": _person(s.author),
            "base_commit": s.base_commit,
            "archive_url": s.archive_url,
            "cover": _patch(s.cover) if s.cover else None,
            "missing": list(s.missing),
            "patches": [_patch(p) for p in s.patches],
            "duplicates": [m.msgid for m in s.duplicates],
            "others": [
                {"msgid": o.msgid, "subject": o.subject, "version": o.version, "mails": o.mails}
                for o in s.others
            ],
            "problems": [
                {"origin": p.origin, "msgid": p.msgid, "message": p.message} for p in s.problems
            ],
        },
        "since": _since(report),
        "summary": summary,
        "rules_run": list(report.rules_run),
        "findings": [_finding(f) for f in report.findings],
    }


def _since(report: Report) -> JSONObject | None:
    """The comparison with the previous version (see render/sinceview.py)."""
    view = since_view(report)
    if view is None:
        return None
    return {
        "version": view.version,
        "summary": view.summary,
        "changelog": list(view.changelog),
        "patches": [
            {
                "index": p.index,
                "previous": p.old_label,
                "previous_msgid": p.old_msgid,
                "status": p.status,
                "reason": p.reason,
                "interdiff": list(p.interdiff),
                "interdiff_truncated": p.truncated,
                "carried_trailers": list(p.carried),
                "requests": [_request(r) for r in p.requests],
            }
            for p in view.patches
        ],
        "requests": [_request(r) for r in view.general],
    }


def _request(r: RequestView) -> JSONObject:
    return {
        "reviewer": r.reviewer,
        "request_msgid": r.request_msgid,
        "file": r.file,
        "quoted": list(r.quoted),
        "request": r.request,
        "answer": r.answer,
        "promise_msgid": r.promise_msgid,
        "verdict": r.verdict,
        "reason": r.reason,
        "evidence": list(r.evidence),
    }


def render_json(report: Report) -> str:
    """The JSON document, indented, keys sorted, ending in a newline."""
    return json.dumps(report_to_dict(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
