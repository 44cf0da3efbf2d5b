"""The command line: exit codes, one-line errors, formats, rules listing."""

from __future__ import annotations

import io
import json
from datetime import UTC
from pathlib import Path

import pytest

from reviewpatch.cli import Environment, main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "arm64-exit-work.mbox"


class _Bytes(io.BytesIO):
    pass


def run(argv, stdin=b"", cwd=None):
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        stdin=_Bytes(stdin), stdout=out, stderr=err, environ={}, cwd=Path(cwd) if cwd else ROOT
    )
    code = main(argv, env)
    return code, out.getvalue(), err.getvalue()


def test_sample_text_report():
    code, out, err = run([str(SAMPLE)])
    assert code in (0, 1)
    assert "finding(s)" in out.splitlines()[-1]
    assert "Traceback" not in err


def test_json_report_is_versioned_and_counts_match():
    code, out, _ = run([str(SAMPLE), "--format", "json"])
    doc = json.loads(out)
    assert doc["format_version"] == 1
    assert doc["summary"]["total"] == len(doc["findings"])
    assert doc["series"]["patches"]
    worst = {f["severity"] for f in doc["findings"]}
    assert code == (1 if worst & {"warning", "error"} else 0)
    assert str(ROOT) not in out


def test_fail_on_error_changes_exit_code():
    _, out, _ = run([str(SAMPLE), "--format", "json"])
    severities = {f["severity"] for f in json.loads(out)["findings"]}
    code, _, _ = run([str(SAMPLE), "--fail-on", "error", "-q"])
    assert code == (1 if "error" in severities else 0)


@pytest.mark.parametrize(
    "argv, code, words",
    [
        (["/nonexistent/dir/x.mbox"], 2, "x.mbox"),
        (["--bogus-flag", "x"], 2, "--bogus-flag"),
        ([str(SAMPLE), "--select", "RP999"], 2, "RP999"),
        ([str(SAMPLE), "--config", "/nonexistent.toml"], 2, "nonexistent.toml"),
        (["rules", "no-such-rule"], 2, "no-such-rule"),
    ],
)
def test_errors_are_one_line_with_exit_code(argv, code, words):
    got, out, err = run(argv)
    assert got == code
    assert words in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_stdin_without_patch_exits_4():
    mail = b"From: a@example.org\nSubject: hello\nMessage-ID: <x@y>\n\njust talk\n"
    code, _, err = run(["-"], stdin=mail)
    assert code == 4
    assert err.startswith("reviewpatch: error:")


def test_empty_stdin_exits_4():
    code, _, err = run(["-"], stdin=b"")
    assert code == 4 and "Traceback" not in err


def test_rules_listing_and_explanation():
    code, out, _ = run(["rules"])
    assert code == 0
    lines = out.strip().splitlines()
    assert lines and all(line.startswith("RP") for line in lines)
    first = lines[0].split()[1]
    code, out, _ = run(["rules", first])
    assert code == 0
    for section in ("What it does", "Why it matters", "Example", "Use instead"):
        assert section in out


def test_config_file_in_cwd_is_honoured(tmp_path):
    (tmp_path / ".reviewpatch.toml").write_text('select = ["RP2"]\n')
    _, out, _ = run([str(SAMPLE), "--format", "json"], cwd=tmp_path)
    assert all(f["rule_id"].startswith("RP2") for f in json.loads(out)["findings"])
    (tmp_path / ".reviewpatch.toml").write_text('selct = ["RP2"]\n')
    code, _, err = run([str(SAMPLE)], cwd=tmp_path)
    assert code == 2 and "selct" in err


def test_output_file_and_suffix_picks_format(tmp_path):
    target = tmp_path / "r.json"
    code, out, _ = run([str(SAMPLE), "-o", str(target)])
    assert out == ""
    assert json.loads(target.read_text())["format_version"] == 1


def test_reply_draft_has_reviewer_date_and_message_id():
    import email
    from datetime import datetime

    out, err = io.StringIO(), io.StringIO()
    config = {"user.name": "Rev Iewer", "user.email": "rev@example.org"}
    env = Environment(
        stdin=_Bytes(b""),
        stdout=out,
        stderr=err,
        environ={},
        cwd=ROOT,
        git_config=config.get,
        clock=lambda: datetime(2026, 7, 1, 9, 30, tzinfo=UTC),
    )
    code = main([str(SAMPLE), "--reply", "3"], env)
    assert code in (0, 1), err.getvalue()
    msg = email.message_from_string(out.getvalue())
    assert msg["From"] == "Rev Iewer <rev@example.org>"
    assert msg["Date"] == "Wed, 01 Jul 2026 09:30:00 +0000"
    assert msg["Message-ID"].endswith("@example.org>")
    assert msg["Subject"].startswith("Re: [PATCH v16 3/3]")
    assert "rev@example.org" not in (msg["To"] or "") + (msg["Cc"] or "")


def test_unknown_archive_url_scheme_is_a_usage_error():
    code, _, err = run(["x@y.example", "--archive", "notaurl"])
    assert code == 2 and "--archive" in err


def test_archive_links_only_for_mail_that_went_through_a_list(tmp_path):
    _, out, _ = run([str(SAMPLE), "--format", "json"])
    assert json.loads(out)["series"]["archive_url"] is None
    listed = tmp_path / "listed.mbox"
    text = SAMPLE.read_text(encoding="utf-8")
    listed.write_text(
        text.replace(
            "\nMessage-ID:", "\nList-Id: <linux-arm-kernel.lists.infradead.org>\nMessage-ID:", 1
        )
    )
    _, out, _ = run([str(listed), "--format", "json", "--archive", "http://127.0.0.1:9/all"])
    assert json.loads(out)["series"]["archive_url"] == "http://127.0.0.1:9/all"
