"""Golden reports: text, JSON, reply and SARIF for a few fixture series,
compared with the files under tests/golden/<format>/.

To refresh every golden file after an intended change, run

    REVIEWPATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

and review the diff before committing.  On a mismatch the test writes the
actual output beside the golden file as ``<file>.actual`` (these are not
meant to be committed) and fails with a short diff.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.findings import Report
from reviewpatch.render.jsonreport import render_json
from reviewpatch.render.reply import message_text, render_reply
from reviewpatch.render.sarif import render_sarif
from reviewpatch.render.text import TextOptions, render_text
from reviewpatch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("REVIEWPATCH_UPDATE_GOLDEN") == "1"
DIFF_LINES = 40

# name -> (fixture path relative to the repository, patch answered by the reply)
SERIES = {
    "arm64-exit-work": ("fixtures/sample/arm64-exit-work.mbox", 3),
    "cover-3": ("fixtures/threads/cover-3.mbox", 1),
    "seed-v15-review": ("fixtures/threads/seed-v15-review.mbox", 10),
    "v1-v2-replies": ("fixtures/threads/v1-v2-replies.mbox", 2),
}


def _reply(report: Report, index: int) -> str:
    return message_text(render_reply(report, index))


FORMATS: dict[str, tuple[str, Callable[[Report, int], str]]] = {
    "text": ("txt", lambda r, _i: render_text(r, TextOptions(color=False, verbose=True))),
    "json": ("json", lambda r, _i: render_json(r)),
    "reply": ("eml", _reply),
    "sarif": ("sarif", lambda r, _i: render_sarif(r)),
}

_REPORTS: dict[str, Report] = {}


def _report(name: str) -> Report:
    if name not in _REPORTS:
        path = ROOT / SERIES[name][0]
        if not path.exists():
            pytest.skip(f"fixture {SERIES[name][0]} is absent")
        _REPORTS[name] = review(str(path), Settings())
    return _REPORTS[name]


def _compare(golden: Path, actual: str) -> None:
    """Pass when ``actual`` equals the golden file; else save it and fail."""
    spare = golden.with_name(golden.name + ".actual")
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8", newline="\n")
        spare.unlink(missing_ok=True)
        return
    if not golden.exists():
        spare.parent.mkdir(parents=True, exist_ok=True)
        spare.write_text(actual, encoding="utf-8", newline="\n")
        pytest.fail(
            f"no golden file {golden.relative_to(ROOT)}; wrote {spare.name}; "
            "run with REVIEWPATCH_UPDATE_GOLDEN=1 to create it"
        )
    expected = golden.read_text(encoding="utf-8")
    if expected == actual:
        spare.unlink(missing_ok=True)
        return
    spare.write_text(actual, encoding="utf-8", newline="\n")
    diff = list(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "golden", "actual", lineterm="", n=1
        )
    )
    shown = "\n".join(diff[:DIFF_LINES]) + ("\n..." if len(diff) > DIFF_LINES else "")
    pytest.fail(
        f"{golden.relative_to(ROOT)} differs (actual saved as {spare.name}; "
        f"REVIEWPATCH_UPDATE_GOLDEN=1 refreshes):\n{shown}",
        pytrace=False,
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(SERIES))
def test_golden(name: str, fmt: str) -> None:
    ext, render = FORMATS[fmt]
    actual = render(_report(name), SERIES[name][1])
    assert str(ROOT) not in actual, "output names an absolute path of this machine"
    _compare(GOLDEN / fmt / f"{name}.{ext}", actual)
