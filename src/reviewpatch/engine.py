"""Run the selected rules over a series and turn their hits into findings.

The engine stamps each hit with the rule's id, name, severity (after
overrides) and confidence, marks hits the commit message explains, drops
findings of per-file ignores, and turns a rule that crashes into one
internal-error finding naming the rule and the patch; the other rules still
run.
"""

from __future__ import annotations

__all__ = ["run_rules", "INTERNAL_ERROR_ID", "INTERNAL_ERROR_NAME", "check_codes"]

import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from reviewpatch.errors import ConfigError
from reviewpatch.findings import (
    Confidence,
    EvidenceLine,
    Finding,
    Location,
    Severity,
    sort_findings,
)
from reviewpatch.model import Patch, Series
from reviewpatch.rules.registry import Hit, RuleContext, RuleSpec, Scope
from reviewpatch.selection import RuleSelector, best_match
from reviewpatch.settings import OptionValue

if TYPE_CHECKING:
    from reviewpatch.csource.code import SeriesCode
    from reviewpatch.versions.model import PreviousSearch, VersionReport

INTERNAL_ERROR_ID = "RP000"
INTERNAL_ERROR_NAME = "internal-error"


def check_codes(
    selector: RuleSelector,
    rules: tuple[RuleSpec, ...],
    known_options: Iterable[str],
    option_keys: Iterable[tuple[str, Iterable[tuple[str, OptionValue]]]] = (),
) -> None:
    """Every code in the configuration must name at least one rule, and
    every key of a ``[rules.NAME]`` table must be an option that rule
    declares."""
    for name, pairs in option_keys:
        spec = next((r for r in rules if name in (r.name, r.id)), None)
        if spec is None:
            continue  # reported below, with the other codes
        declared = dict(spec.options)
        for key, value in pairs:
            kind = declared.get(key)
            if kind is None:
                takes = ", ".join(declared) if declared else "no options"
                raise ConfigError(
                    f"rules.{name}: {key!r} is not an option of {spec.id} {spec.name} "
                    f"(it takes {takes})"
                )
            if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
                raise ConfigError(f"rules.{name}.{key}: {value!r} is not a {kind.__name__}")
    ids = [(r.id, r.name) for r in rules] + [(INTERNAL_ERROR_ID, INTERNAL_ERROR_NAME)]
    codes: list[tuple[str, str]] = [(c, "select") for c in selector.select]
    codes += [(c, "ignore") for c in selector.ignore]
    codes += [(c, "extend-select") for c in selector.extend_select]
    codes += [(c, "per-file-ignores") for _, cs in selector.per_file_ignores for c in cs]
    codes += [(c, "severity") for c, _ in selector.severity_overrides]
    codes += [(c, "rules") for c in known_options]
    for code, where in codes:
        if not any(best_match((code,), rid, name) for rid, name in ids):
            raise ConfigError(f"{where}: {code!r} names no rule (see 'reviewpatch rules')")


def _finding(spec: RuleSpec, hit: Hit, patch: Patch | None, selector: RuleSelector) -> Finding:
    severity = hit.severity or selector.severity_for(spec.id, spec.name, spec.severity)
    index = hit.patch_index
    if index is None and patch is not None and not hit.series_wide:
        index = patch.index
    explained = hit.explained
    original = None
    if explained and severity is not Severity.NOTE:
        original, severity = severity, Severity.NOTE
    return Finding(
        rule_id=spec.id,
        rule_name=spec.name,
        severity=severity,
        confidence=hit.confidence or spec.confidence,
        message=hit.message,
        location=Location(
            patch_index=index,
            file=hit.file,
            line=hit.line,
            side=hit.side,
            mail_line=hit.mail_line,
            symbol=hit.symbol,
        ),
        evidence=hit.evidence,
        explained=explained,
        original_severity=original,
    )


def _internal(message: str, patch: Patch | None = None, detail: str = "") -> Finding:
    """An RP000 internal-error finding."""
    return Finding(
        rule_id=INTERNAL_ERROR_ID,
        rule_name=INTERNAL_ERROR_NAME,
        severity=Severity.WARNING,
        confidence=Confidence.HIGH,
        message=message,
        location=Location(patch_index=patch.index if patch is not None else None),
        evidence=(EvidenceLine(text=detail),) if detail else (),
    )


def _crash(spec: RuleSpec, patch: Patch | None, exc: BaseException) -> Finding:
    where = f"patch {patch.index}" if patch is not None else "the series"
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    at = f" ({last.name}, line {last.lineno})" if last else ""
    what = f"{type(exc).__name__}: {exc}"
    message = f"rule {spec.id} {spec.name} crashed on {where}: {what}{at}; its findings are missing"
    return _internal(message, patch, what)


def _run_one(spec: RuleSpec, ctx: RuleContext, selector: RuleSelector) -> list[Finding]:
    try:
        hits = list(spec.run(ctx))
    except Exception as exc:  # noqa: BLE001 - a broken rule must not stop the review
        return [_crash(spec, ctx.patch, exc)]
    out = []
    for hit in hits:
        finding = _finding(spec, hit, ctx.patch, selector)
        if not selector.ignored_in_file(spec.id, spec.name, finding.location.file):
            out.append(finding)
    return _one_per_symbol(out)


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


def _one_per_symbol(findings: list[Finding]) -> list[Finding]:
    """At most one warning or error per rule, patch and symbol: the most
    severe (the first of equals) stays, the others become notes."""
    best: dict[tuple[int | None, str], int] = {}
    for i, f in enumerate(findings):
        sym = f.location.symbol
        if sym is None or f.severity is Severity.NOTE:
            continue
        key = (f.location.patch_index, sym)
        j = best.get(key)
        if j is None or _RANK[f.severity] < _RANK[findings[j].severity]:
            best[key] = i
    out = []
    for i, f in enumerate(findings):
        sym = f.location.symbol
        key = (f.location.patch_index, sym or "")
        if sym is not None and f.severity is not Severity.NOTE and best[key] != i:
            f = replace(f, severity=Severity.NOTE)
        out.append(f)
    return out


def run_rules(
    series: Series,
    rules: tuple[RuleSpec, ...],
    selector: RuleSelector,
    *,
    options: Callable[[str], Mapping[str, OptionValue]],
    code_factory: Callable[[], SeriesCode] | None = None,
    since: VersionReport | None = None,
    history: PreviousSearch | None = None,
) -> tuple[Finding, ...]:
    """Run every selected rule: series-scope rules once, patch-scope rules
    once per patch.  ``code_factory`` builds the C analysis, once, only when
    a selected rule needs it; ``since`` is the comparison with the previous
    version, when there is one; ``history`` how the archive was searched
    for it."""
    selected = [r for r in rules if selector.is_selected(r.id, r.name)]
    code: SeriesCode | None = None
    findings: list[Finding] = []
    if code_factory is not None and any(r.needs_code for r in selected):
        try:
            code = code_factory()
        except Exception as exc:  # noqa: BLE001 - the other rules still run
            findings.append(_analysis_crash(exc))
            selected = [r for r in selected if not r.needs_code]
    for spec in selected:
        ctx_code = code if spec.needs_code else None
        opts = options(spec.name)
        if spec.scope is Scope.SERIES:
            ctx = RuleContext(series, None, opts, ctx_code, since, history)
            findings += _run_one(spec, ctx, selector)
            continue
        for patch in series.patches:
            ctx = RuleContext(series, patch, opts, ctx_code, since, history)
            findings += _run_one(spec, ctx, selector)
    return sort_findings(findings)


def _analysis_crash(exc: BaseException) -> Finding:
    return _internal(
        f"the C analysis crashed: {type(exc).__name__}: {exc}; the C semantic rules did not run"
    )
