"""Hostile mail against every output: control characters, lone CRs,
markup in addresses.  (The HTML side is in test_render_html.py and
test_html_browser.py.)"""

from __future__ import annotations

import email
import io
import json
from email.policy import default
from pathlib import Path

from reviewpatch.b4check import b4_check_command
from reviewpatch.cli import Environment, main
from reviewpatch.mail import parse_mail
from reviewpatch.patch import parse_patch
from reviewpatch.render.text import clean
from reviewpatch.subject import parse_subject

PATCH = (
    "Subject: [PATCH] foo: fix\n"
    "Message-ID: <p1@example.org>\n"
    "Date: Mon, 3 Mar 2025 10:00:00 +0000\n"
    "\n"
    "Fix it.\n\nSigned-off-by: Other <o@example.org>\n---\n"
    "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n"
    " int a; /* one\rtwo */\n-int b;\n+int c;\n"
)


def _mail(from_line: str, body: str = PATCH) -> bytes:
    return (f"From: {from_line}\n" + body).encode("utf-8")


def test_lone_cr_in_a_header_hides_nothing() -> None:
    mail = parse_mail(_mail('"Ev\ril" <evil@example.org>'), "m")
    assert mail.sender.email == "evil@example.org"
    assert mail.msgid == "p1@example.org"
    assert mail.subject == "[PATCH] foo: fix"


def test_lone_cr_in_a_diff_line_keeps_the_hunk() -> None:
    mail = parse_mail(_mail("Evil <evil@example.org>"), "m")
    patch = parse_patch(mail, parse_subject(mail.subject))
    (hunk,) = patch.files[0].hunks
    assert len(hunk.lines) == 3
    assert "\r" not in hunk.lines[0].text and "one" in hunk.lines[0].text


def test_terminal_text_has_no_control_sequences() -> None:
    hostile = "a\x1b[31mred\x1b]0;title\x07\x9b2J\x9d0;t\x90x\u202eevil\x85"
    cleaned = clean(hostile)
    assert not any(ch in cleaned for ch in "\x1b\x07\x9b\x9d\x90\u202e\x85")
    assert "red" in cleaned and "evil" in cleaned


def test_text_report_and_error_lines_are_inert(tmp_path: Path) -> None:
    name = "Ev\x1b[31mil\x9d0;t\x07"
    path = tmp_path / "m.mbox"
    path.write_bytes(_mail(f"{name} <evil@example.org>"))
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(b""), stdout=out, stderr=err, environ={}, cwd=tmp_path)
    main([str(path)], env)
    assert "missing-signoff" in out.getvalue()
    bad = tmp_path / "bad.mbox"
    bad.write_bytes(_mail("x <x@example.org>", PATCH.replace("+int c;\n", "")))
    bad.write_bytes(bad.read_bytes().replace(b"x.c", b"x\x1b]0;pwn\x07.c"))
    main([str(bad)], env)
    for text in (out.getvalue(), err.getvalue()):
        assert not any(ch in text for ch in "\x1b\x07\x9b\x9d")


def test_b4_check_fails_a_patch_it_cannot_read() -> None:
    broken = _mail("A <a@example.org>", PATCH.replace("+int c;\n", ""))
    out = io.StringIO()
    assert b4_check_command([], io.BytesIO(broken), out) == 0
    (result,) = json.loads(out.getvalue())
    assert result["status"] == "fail" and "could not read" in result["summary"]


def test_reply_keeps_the_address_of_a_hostile_display_name(tmp_path: Path) -> None:
    name = '"<script>alert(1)</script> \\"><img src=x onerror=alert(1)> ' + "x" * 60 + '"'
    path = tmp_path / "m.mbox"
    path.write_bytes(_mail(f"{name} <evil@example.org>"))
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        stdin=io.BytesIO(b""),
        stdout=out,
        stderr=err,
        environ={},
        cwd=tmp_path,
        git_config=lambda _k: None,
    )
    main([str(path), "--reply", "1"], env)
    msg = email.message_from_string(out.getvalue(), policy=default)
    assert [a.addr_spec for a in msg["To"].addresses] == ["evil@example.org"]
    assert "Bcc" not in msg
