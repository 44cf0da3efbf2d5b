"""Every output format behind one interface and one registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.cli import FORMATS
from reviewpatch.errors import UsageError
from reviewpatch.render import RenderOptions, formats, render_report, renderer
from reviewpatch.settings import Settings

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample" / "arm64-exit-work.mbox"


def test_the_cli_offers_exactly_the_registered_formats() -> None:
    assert FORMATS == formats() == ("text", "json", "html", "reply", "sarif", "patchwork")


def test_every_renderer_takes_a_report_and_options() -> None:
    report = review(str(SAMPLE), Settings(offline=True))
    for fmt in formats():
        out = renderer(fmt)(report, RenderOptions(reply="all"))
        assert out and out == render_report(report, fmt, reply="all")


def test_an_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown output format 'pdf'"):
        renderer("pdf")
