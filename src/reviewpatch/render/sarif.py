"""SARIF 2.1.0 output, for code-scanning front ends.

One run whose ``tool.driver`` lists every rule that ran (id, name, short and
full description, help text, default level) and one result per finding.  A
finding on a diff line gets a physical location (the file path in the diff
and, for the new side, ``region.startLine``); a line on the old side goes in
the result's property bag (``oldLine``), since the region would name a line
of a file that no longer reads that way.  ``partialFingerprints`` hold a
hash of the rule id, the patch title, the file, the symbol and the message,
so a finding keeps its identity across versions of a series and line moves.

Keys are sorted and nothing depends on the clock: the output is
byte-for-byte deterministic.
"""

from __future__ import annotations

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "fingerprint", "render_sarif", "report_to_sarif"]

import hashlib
import json
from urllib.parse import quote

from reviewpatch import __version__
from reviewpatch.findings import Finding, Report, Severity
from reviewpatch.jsontypes import JSONObject
from reviewpatch.model import Series
from reviewpatch.rules import find_rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "reviewpatch/v1"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _rule_entry(rule_id: str, fallback_name: str) -> JSONObject:
    """The reportingDescriptor of one rule, from its documentation."""
    spec = find_rule(rule_id)
    if spec is None:
        return {
            "id": rule_id,
            "name": fallback_name,
            "shortDescription": {"text": fallback_name},
            "defaultConfiguration": {"level": "warning"},
        }
    doc = spec.doc
    help_parts = [doc.why]
    if doc.instead:
        help_parts.append("Use instead:\n" + doc.instead)
    return {
        "id": spec.id,
        "name": spec.name,
        "shortDescription": {"text": doc.summary or spec.name},
        "fullDescription": {"text": doc.what or doc.summary or spec.name},
        "help": {"text": "\n\n".join(p for p in help_parts if p)},
        "defaultConfiguration": {"level": _LEVELS[spec.severity]},
        "properties": {"confidence": spec.confidence.value, "scope": spec.scope.value},
    }


def _patch_title(series: Series, index: int | None) -> str:
    if index is None:
        return series.subject
    patch = series.patch(index)
    return patch.subject.title if patch else ""


def fingerprint(finding: Finding, title: str) -> str:
    """A stable hash of what identifies a finding, line numbers excluded."""
    loc = finding.location
    parts = (finding.rule_id, title, loc.file or "", loc.symbol or "", finding.message)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _locations(finding: Finding, title: str) -> list[JSONObject]:
    loc = finding.location
    logical: list[JSONObject] = []
    if loc.symbol:
        logical.append({"name": loc.symbol})
    if loc.file:
        physical: JSONObject = {"artifactLocation": {"uri": quote(loc.file, safe="/")}}
        if loc.line is not None and loc.side != "old":
            physical["region"] = {"startLine": loc.line}
        entry: JSONObject = {"physicalLocation": physical}
        if logical:
            entry["logicalLocations"] = logical
        return [entry]
    if loc.patch_index is None:
        logical.append({"name": title, "kind": "resource", "fullyQualifiedName": "series"})
    else:
        logical.append(
            {"name": title, "kind": "resource", "fullyQualifiedName": f"patch/{loc.patch_index}"}
        )
    return [{"logicalLocations": logical}]


def _result(finding: Finding, report: Report, rule_index: int) -> JSONObject:
    loc = finding.location
    series = report.series
    title = _patch_title(series, loc.patch_index)
    patch = series.patch(loc.patch_index) if loc.patch_index is not None else None
    props: JSONObject = {
        "patchIndex": loc.patch_index,
        "msgid": patch.msgid if patch else None,
        "confidence": finding.confidence.value,
        "explained": finding.explained,
        "severity": finding.severity.value,
    }
    if finding.original_severity is not None:
        props["originalSeverity"] = finding.original_severity.value
    if loc.line is not None and loc.side == "old":
        props["oldLine"] = loc.line
    if loc.mail_line is not None:
        props["mailLine"] = loc.mail_line
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": _locations(finding, title),
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, title)},
        "properties": props,
    }


def report_to_sarif(report: Report) -> JSONObject:
    """The SARIF log of ``report`` as plain JSON-able data."""
    names = {f.rule_id: f.rule_name for f in report.findings}
    ids = sorted(set(report.rules_run) | set(names))
    rules = [_rule_entry(rule_id, names.get(rule_id, rule_id)) for rule_id in ids]
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    series = report.series
    run_props: JSONObject = {
        "seriesSubject": series.subject,
        "seriesVersion": series.version,
        "patches": len(series.patches),
        "mode": report.meta_value("mode"),
    }
    if series.archive_url:
        run_props["archiveUrl"] = series.archive_url
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "reviewpatch",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, report, index[f.rule_id]) for f in report.findings],
                "properties": run_props,
            }
        ],
    }


def render_sarif(report: Report) -> str:
    """The SARIF document, indented, keys sorted, ending in a newline."""
    return json.dumps(report_to_sarif(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
