"""``reviewpatch b4-check``: the JSON array b4 review's check protocol
reads, for one patch mail on stdin."""

from __future__ import annotations

import io
import json
import mailbox
from pathlib import Path

import pytest

from reviewpatch.b4check import b4_check_command
from reviewpatch.cli import Environment, main
from reviewpatch.errors import ExitCode, UsageError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "arm64-exit-work.mbox"
MISSING_SIGNOFF = ROOT / "fixtures" / "rules" / "missing-signoff" / "bad-no-signoff.mbox"


def _mails(path: Path) -> list[bytes]:
    box = mailbox.mbox(str(path))
    try:
        return [m.as_bytes() for m in box]
    finally:
        box.close()


def _subject_index(mails: list[bytes], needle: bytes) -> bytes:
    return next(m for m in mails if needle in m.split(b"\n\n", 1)[0])


def _check(data: bytes) -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = b4_check_command([], io.BytesIO(data), out)
    return code, json.loads(out.getvalue())


def test_patch_with_a_warning() -> None:
    patch = _subject_index(_mails(SAMPLE), b"3/3]")
    code, results = _check(patch)
    assert code == 0
    assert len(results) == 1
    (result,) = results
    assert set(result) == {"tool", "status", "summary", "url", "details"}
    assert result["tool"] == "reviewpatch"
    assert result["status"] == "warn"
    assert "\n" not in result["summary"] and "warning" in result["summary"]
    assert "nfc-claim-changes-behaviour" in result["details"]
    # series-scope rules mean nothing for one patch seen alone
    assert "missing-patches" not in result["details"]
    assert "no-cover-letter" not in result["details"]
    # details is the structured list b4's review interface renders per line
    entries = json.loads(result["details"])
    assert {e["status"] for e in entries} <= {"pass", "warn", "fail"}
    assert any(e["status"] == "warn" and "nfc-claim" in e["description"] for e in entries)


@pytest.mark.skipif(not MISSING_SIGNOFF.exists(), reason="missing-signoff fixture absent")
def test_error_is_fail() -> None:
    patch = next(m for m in _mails(MISSING_SIGNOFF) if b"diff --git" in m)
    _code, results = _check(patch)
    assert results[0]["status"] == "fail"
    assert "missing-signoff" in results[0]["details"]


def test_clean_patch_passes() -> None:
    patch = _subject_index(_mails(SAMPLE), b"1/3]")
    _code, results = _check(patch)
    assert results[0]["status"] == "pass"


def test_cover_letter_reports_nothing() -> None:
    cover = _subject_index(_mails(SAMPLE), b"0/3]")
    assert _check(cover) == (0, [])


@pytest.mark.parametrize("data", [b"", b"garbage without headers\n"])
def test_unusable_input_is_an_error(data: bytes) -> None:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(data), stdout=out, stderr=err, environ={})
    assert main(["b4-check"], env) == ExitCode.NO_PATCH
    assert out.getvalue() == ""
    assert len(err.getvalue().splitlines()) == 1 and "stdin" in err.getvalue()


def test_arguments_are_refused() -> None:
    with pytest.raises(UsageError):
        b4_check_command(["--foo"], io.BytesIO(b""), io.StringIO())
