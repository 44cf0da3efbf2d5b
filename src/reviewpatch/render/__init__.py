"""Renderers: one module per output format, each from one Report value."""

from __future__ import annotations

__all__ = ["render_report"]

from collections.abc import Callable

from reviewpatch.errors import UsageError
from reviewpatch.findings import Report


def render_report(
    report: Report,
    fmt: str,
    *,
    color: bool = False,
    verbose: bool = False,
    quiet: bool = False,
    reply: str | None = None,
    attach_report: bool = False,
    warn: Callable[[str], None] = lambda _msg: None,
) -> str:
    """Render ``report`` in format ``fmt`` (text, json, html, reply, sarif,
    patchwork)."""
    if fmt == "text":
        from reviewpatch.render.text import TextOptions, render_text

        return render_text(report, TextOptions(color=color, verbose=verbose, quiet=quiet))
    if fmt == "json":
        from reviewpatch.render.jsonreport import render_json

        return render_json(report)
    if fmt == "html":
        from reviewpatch.render.html import render_html

        return render_html(report)
    if fmt == "reply":
        from reviewpatch.render.reply import render_reply_command

        return render_reply_command(report, reply or "all", attach_report=attach_report, warn=warn)
    if fmt == "sarif":
        from reviewpatch.render.sarif import render_sarif

        return render_sarif(report)
    if fmt == "patchwork":
        from reviewpatch.render.patchwork import render_patchwork

        return render_patchwork(report)
    raise UsageError(f"unknown output format {fmt!r}")
