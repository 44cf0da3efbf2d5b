"""SARIF 2.1.0 output: structure, levels, locations, fingerprints,
determinism."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from reviewpatch import __version__
from reviewpatch.api import review
from reviewpatch.findings import Confidence, Finding, Location, Report, Severity
from reviewpatch.render.sarif import SARIF_SCHEMA, fingerprint, render_sarif
from reviewpatch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "arm64-exit-work.mbox"

# The parts of the SARIF 2.1.0 schema this output relies on (a hand-written
# subset: the full schema is not shipped and tests stay offline).
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
_SUBSET = {
    "type": "object",
    "required": ["version", "runs", "$schema"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": [
                                                "id",
                                                "shortDescription",
                                                "defaultConfiguration",
                                            ],
                                            "properties": {
                                                "shortDescription": _MESSAGE,
                                                "fullDescription": _MESSAGE,
                                                "help": _MESSAGE,
                                                "defaultConfiguration": {
                                                    "properties": {
                                                        "level": {
                                                            "enum": [
                                                                "none",
                                                                "note",
                                                                "warning",
                                                                "error",
                                                            ]
                                                        }
                                                    }
                                                },
                                            },
                                        },
                                    }
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "ruleIndex", "level", "message"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "message": _MESSAGE,
                                "partialFingerprints": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "locations": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def report() -> Report:
    base = review(str(SAMPLE), Settings())
    extra = (
        Finding(
            "RP105",
            "bad-fixes-tag",
            Severity.ERROR,
            Confidence.HIGH,
            "new side",
            Location(
                patch_index=3,
                file="arch/arm64/kernel/ptrace.c",
                line=2457,
                symbol="syscall_exit_work",
            ),
        ),
        Finding(
            "RP105",
            "bad-fixes-tag",
            Severity.NOTE,
            Confidence.LOW,
            "old side",
            Location(patch_index=3, file="arch/arm64/kernel/ptrace.c", line=2458, side="old"),
            explained=True,
            original_severity=Severity.WARNING,
        ),
        Finding("RP201", "missing-patches", Severity.WARNING, Confidence.HIGH, "series wide"),
    )
    return replace(base, findings=base.findings + extra)


def _doc(report: Report) -> dict:
    return json.loads(render_sarif(report))


def test_matches_the_schema_subset(report: Report) -> None:
    doc = _doc(report)
    jsonschema.validate(doc, _SUBSET)
    assert doc["$schema"] == SARIF_SCHEMA
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "reviewpatch" and driver["version"] == __version__


def test_rule_index_points_at_the_rule(report: Report) -> None:
    run = _doc(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report.findings)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(set(ids)) and set(report.rules_run) <= set(ids)


def test_levels_and_locations(report: Report) -> None:
    results = {r["message"]["text"]: r for r in _doc(report)["runs"][0]["results"]}
    new = results["new side"]
    assert new["level"] == "error"
    phys = new["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "arch/arm64/kernel/ptrace.c"
    assert phys["region"]["startLine"] == 2457
    assert new["locations"][0]["logicalLocations"] == [{"name": "syscall_exit_work"}]
    assert new["properties"]["patchIndex"] == 3
    assert new["properties"]["msgid"] == report.series.patch(3).msgid  # type: ignore[union-attr]
    old = results["old side"]
    assert old["level"] == "note"
    assert "region" not in old["locations"][0]["physicalLocation"]
    assert old["properties"]["oldLine"] == 2458
    assert old["properties"]["explained"] is True
    assert old["properties"]["originalSeverity"] == "warning"
    wide = results["series wide"]
    assert wide["level"] == "warning" and wide["properties"]["patchIndex"] is None
    assert "physicalLocation" not in wide["locations"][0]


def test_fingerprints_are_stable_and_ignore_lines(report: Report) -> None:
    finding = report.findings[-3]
    moved = replace(finding, location=replace(finding.location, line=99))
    assert fingerprint(finding, "t") == fingerprint(moved, "t")
    assert fingerprint(finding, "t") != fingerprint(finding, "other title")
    assert fingerprint(finding, "t") != fingerprint(replace(finding, message="x"), "t")
    prints = [
        r["partialFingerprints"]["reviewpatch/v1"] for r in _doc(report)["runs"][0]["results"]
    ]
    assert len(set(prints)) == len(prints)


def test_output_is_deterministic(report: Report) -> None:
    assert render_sarif(report) == render_sarif(report)
    assert render_sarif(report).endswith("}\n")
