"""Renderers: one module per output format, each from one Report value,
behind one small interface (``Renderer``: a report and ``RenderOptions``
in, text out) and one registry (``formats()``, ``renderer(fmt)``)."""

from __future__ import annotations

__all__ = ["RenderOptions", "Renderer", "formats", "render_report", "renderer"]

from collections.abc import Callable
from dataclasses import dataclass

from reviewpatch.errors import UsageError
from reviewpatch.findings import Report


def _ignore(_msg: str) -> None:
    return None


@dataclass(frozen=True)
class RenderOptions:
    """What a front end asks of every renderer; each reads what concerns
    it.  ``reply`` picks the patches a reply draft answers; ``warn``
    receives one-line warnings (an attachment that could not be made)."""

    color: bool = False
    verbose: bool = False
    quiet: bool = False
    reply: str | None = None
    attach_report: bool = False
    warn: Callable[[str], None] = _ignore


Renderer = Callable[[Report, RenderOptions], str]


def _text(report: Report, options: RenderOptions) -> str:
    from reviewpatch.render.text import TextOptions, render_text

    return render_text(
        report, TextOptions(color=options.color, verbose=options.verbose, quiet=options.quiet)
    )


def _json(report: Report, _options: RenderOptions) -> str:
    from reviewpatch.render.jsonreport import render_json

    return render_json(report)


def _html(report: Report, _options: RenderOptions) -> str:
    from reviewpatch.render.html import render_html

    return render_html(report)


def _reply(report: Report, options: RenderOptions) -> str:
    from reviewpatch.render.reply import render_reply_command

    return render_reply_command(
        report, options.reply or "all", attach_report=options.attach_report, warn=options.warn
    )


def _sarif(report: Report, _options: RenderOptions) -> str:
    from reviewpatch.render.sarif import render_sarif

    return render_sarif(report)


def _patchwork(report: Report, _options: RenderOptions) -> str:
    from reviewpatch.render.patchwork import render_patchwork

    return render_patchwork(report)


def _registry() -> dict[str, Renderer]:
    return {
        "text": _text,
        "json": _json,
        "html": _html,
        "reply": _reply,
        "sarif": _sarif,
        "patchwork": _patchwork,
    }


def formats() -> tuple[str, ...]:
    """The output formats, in the order the help lists them."""
    return tuple(_registry())


def renderer(fmt: str) -> Renderer:
    """The renderer of format ``fmt``; UsageError for an unknown one."""
    found = _registry().get(fmt)
    if found is None:
        raise UsageError(f"unknown output format {fmt!r} (known: {', '.join(formats())})")
    return found


def render_report(
    report: Report,
    fmt: str,
    *,
    color: bool = False,
    verbose: bool = False,
    quiet: bool = False,
    reply: str | None = None,
    attach_report: bool = False,
    warn: Callable[[str], None] = _ignore,
) -> str:
    """Render ``report`` in format ``fmt`` (see ``formats()``)."""
    options = RenderOptions(color, verbose, quiet, reply, attach_report, warn)
    return renderer(fmt)(report, options)
