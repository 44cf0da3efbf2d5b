"""Terminal text report: the series header, then per patch its trailers (own
and collected from replies) and its findings, then summary counts.

Colour only when asked (the CLI asks when stdout is a terminal).  Mail
content is stripped of control characters so a hostile subject cannot drive
the terminal.
"""

from __future__ import annotations

__all__ = ["render_text", "TextOptions", "clean"]

import re
from dataclasses import dataclass

from reviewpatch.findings import Finding, Report, Severity
from reviewpatch.model import Patch, Series, Trailer
from reviewpatch.render.sinceview import PatchSince, RequestView, SinceView, since_view

# C0 controls but tab and newline, DEL, every C1 control (CSI, OSC, DCS,
# ...), and the bidi overrides that reorder what a terminal shows
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_COLOURS = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[33m",
    "note": "\x1b[36m",
    "head": "\x1b[1m",
    "dim": "\x1b[2m",
    "ok": "\x1b[32m",
}
_RESET = "\x1b[0m"


@dataclass(frozen=True)
class TextOptions:
    """``color``: use ANSI colours; ``verbose``: show evidence and
    trailers; ``quiet``: only findings and the summary line."""

    color: bool = False
    verbose: bool = False
    quiet: bool = False


def clean(text: str) -> str:
    """Mail text made safe for a terminal: no escape or control bytes."""
    return _CONTROL.sub("?", text)


class _Out:
    def __init__(self, options: TextOptions) -> None:
        self.options = options
        self.lines: list[str] = []

    def style(self, kind: str, text: str) -> str:
        if not self.options.color:
            return text
        return f"{_COLOURS[kind]}{text}{_RESET}"

    def add(self, text: str = "") -> None:
        self.lines.append(text)


def _header(out: _Out, series: Series, report: Report) -> None:
    out.add(out.style("head", clean(series.subject)))
    author = clean(str(series.author)) if series.author else "unknown"
    versions = ", ".join(f"v{v}" for v in series.versions) or f"v{series.version}"
    out.add(f"  version:  v{series.version} (seen: {versions})")
    out.add(f"  author:   {author}")
    cover = "yes" if series.cover else "no"
    out.add(f"  patches:  {len(series.patches)} of {series.total}, cover letter: {cover}")
    if series.missing:
        out.add(f"  missing:  {', '.join(str(n) for n in series.missing)}")
    if series.base_commit:
        out.add(f"  base:     {clean(series.base_commit)}")
    since = since_view(report)
    if since is not None:
        out.add(f"  since:    {clean(since.summary)}")
    for other in series.others:
        out.add(
            f"  also in this thread (not reviewed): <{clean(other.msgid)}> "
            f"{clean(other.subject)} ({other.mails} patch mail{'s' if other.mails > 1 else ''})"
        )
    mode = report.meta_value("mode")
    if mode:
        out.add(f"  mode:     {mode}")
    for problem in series.problems:
        out.add(
            out.style("warning", f"  unreadable: {clean(problem.origin)}: {clean(problem.message)}")
        )


def _trailer_line(t: Trailer, followup: bool) -> str:
    text = f"{t.name}: {clean(t.value)}"
    if followup:
        by = clean(str(t.given_by)) if t.given_by else "?"
        text += f"   (from a reply by {by}, <{clean(t.origin_msgid)}>)"
    return text


def _finding(out: _Out, f: Finding) -> None:
    loc = f.location
    where = ""
    if loc.file:
        where = clean(loc.file) + (f":{loc.line}" if loc.line else "")
        if loc.side == "old" and loc.line:
            where += " (old)"
        where += ": "
    tag = out.style(f.severity.value, f.severity.value)
    extra = " (explained in the commit message)" if f.explained else ""
    out.add(f"    {where}{tag} {f.rule_id} {f.rule_name}: {clean(f.message)}{extra}")
    if out.options.verbose:
        for ev in f.evidence:
            num = ev.new_no if ev.new_no is not None else ev.old_no
            prefix = f"{ev.kind or ' '}{num if num is not None else '':>6} "
            out.add(out.style("dim", f"        {prefix}{clean(ev.text)}"))


def _since(out: _Out, since: PatchSince | None, requests: tuple[RequestView, ...] = ()) -> None:
    """The patch against the previous version: its status, the trailers it
    inherits, and the follow-through of each review request (the interdiff
    itself with -v)."""
    if since is not None:
        where = f" {since.old_label}" if since.old_label else ""
        out.add(f"    since{where}: {since.status} ({clean(since.reason)})")
        for text in since.carried:
            out.add(out.style("ok", f"    + {clean(text)}   (carried: the patch is unchanged)"))
        requests = since.requests + requests
        if out.options.verbose:
            for line in since.interdiff:
                out.add(out.style("dim", f"        {clean(line)}"))
            if since.truncated:
                out.add(out.style("dim", "        [interdiff cut short]"))
    for r in requests:
        out.add(
            f"    review by {clean(r.reviewer)}: {r.verdict.replace('_', ' ')} ({clean(r.reason)})"
        )


def _patch(
    out: _Out,
    patch: Patch,
    findings: tuple[Finding, ...],
    since: SinceView | None = None,
    first: bool = False,
) -> None:
    """One patch; the requests on no patch of the previous version (its
    cover letter) go with the ``first`` one shown (the cover letter, else
    patch 1)."""
    label = "cover" if patch.index == 0 else f"{patch.index}/{patch.subject.total}"
    out.add(out.style("head", f"[{label}] {clean(patch.subject.title)}"))
    if not out.options.quiet:
        out.add(f"    author: {clean(str(patch.author))}")
        for t in patch.trailers:
            out.add(f"    {_trailer_line(t, False)}")
        for t in patch.followup_trailers:
            out.add(out.style("ok", f"    + {_trailer_line(t, True)}"))
        if since is not None:
            general = since.general if first else ()
            if patch.index == 0:
                _since(out, None, general)
            else:
                _since(out, since.of(patch.index), general)
    if not findings and not out.options.quiet:
        out.add(out.style("ok", "    no findings"))
    for f in findings:
        _finding(out, f)


def render_text(report: Report, options: TextOptions = TextOptions()) -> str:
    """The whole text report, ending in a newline."""
    out = _Out(options)
    series = report.series
    if not options.quiet:
        _header(out, series, report)
        out.add()
    general = report.for_patch(None)
    if general:
        out.add(out.style("head", "[series]"))
        for f in general:
            _finding(out, f)
        out.add()
    since = since_view(report)
    for n, patch in enumerate(series.all_patches):
        found = report.for_patch(patch.index)
        if options.quiet and not found:
            continue
        _patch(out, patch, found, since, first=n == 0)
        out.add()
    if since is not None and not options.quiet:
        for gone in since.dropped:
            out.add(out.style("head", f"[{gone.old_label}] {gone.status} since v{since.version}"))
            _since(out, gone)
            out.add()
    counts = ", ".join(f"{report.count(s)} {s.value}(s)" for s in reversed(Severity))
    out.add(f"{len(report.findings)} finding(s): {counts}")
    return "\n".join(out.lines) + "\n"
