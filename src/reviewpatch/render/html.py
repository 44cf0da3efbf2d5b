"""The self-contained HTML report: one file with inline CSS, JavaScript only
as progressive enhancement, and no request to any other host.

The page is rendered with jinja2 (autoescape on everywhere) from the view
model of ``reviewpatch.render.viewmodel``; the templates hold only loops and
conditionals.  A Content-Security-Policy allows no fetch at all and only the
report's own script (by hash), so even markup that slipped through escaping
could neither run nor load anything.
"""

from __future__ import annotations

__all__ = ["render_html", "template_environment", "TemplateError", "CSP_TEMPLATE"]

import base64
import hashlib
from collections.abc import Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reviewpatch.errors import ReviewpatchError
from reviewpatch.findings import Report
from reviewpatch.render.sinceview import since_view
from reviewpatch.render.viewmodel import build_view
from reviewpatch.rules.registry import RuleDoc

CSP_TEMPLATE = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
)

_TEMPLATE = "report.html.j2"
_ASSETS = ("report.css", "report.js")


class TemplateError(ReviewpatchError):
    """A shipped template or asset is missing or unusable."""

    slug = "template"


def template_environment() -> Environment:
    """The jinja2 environment of the shipped templates (package
    ``reviewpatch.templates``), autoescaping every template."""
    return Environment(
        loader=PackageLoader("reviewpatch.templates", ""),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _asset(env: Environment, name: str) -> str:
    """The text of a shipped CSS or JS file, checked not to close its
    element early."""
    loader = env.loader
    if loader is None:
        raise TemplateError(f"no template loader for {name}")
    text = loader.get_source(env, name)[0]
    if "</" in text:
        raise TemplateError(f"asset {name} must not contain '</'")
    return text.strip()


def render_html(report: Report, *, docs: Mapping[str, RuleDoc] | None = None) -> str:
    """The whole report as one HTML document.  ``docs`` maps rule ids to
    their documentation (default: the declared rules; a rule without docs
    is shown without an explanation)."""
    env = template_environment()
    css, js = (_asset(env, name) for name in _ASSETS)
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    page = env.get_template(_TEMPLATE).render(
        view=build_view(report, docs),
        since=since_view(report),
        css=Markup(css),
        js=Markup(js),
        csp=CSP_TEMPLATE.format(digest=digest),
    )
    return page
