"""The draft reply: headers, threading, inline placement of findings, line
width, git mailinfo, hostile headers, the HTML attachment and the mbox."""

from __future__ import annotations

import email
import mailbox
import shutil
import subprocess
import sys
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.errors import UsageError
from reviewpatch.findings import Confidence, EvidenceLine, Finding, Location, Report, Severity
from reviewpatch.model import Person
from reviewpatch.render.reply import (
    is_html_rejecting_list,
    render_reply,
    render_reply_command,
    reply_subject,
)
from reviewpatch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "arm64-exit-work.mbox"
REVIEWER = Person("Rita Reviewer", "rita@example.org")


@pytest.fixture(scope="module")
def base() -> Report:
    return review(str(SAMPLE), Settings())


def _finding(message: str, **loc: object) -> Finding:
    return Finding(
        rule_id="RP999",
        rule_name="test-rule",
        severity=Severity.WARNING,
        confidence=Confidence.HIGH,
        message=message,
        location=Location(**loc),  # type: ignore[arg-type]
    )


def _line_of(report: Report, index: int, text: str) -> int:
    body = report.series.patch(index).mail.body.split("\n")  # type: ignore[union-attr]
    return next(i for i, line in enumerate(body, 1) if line == text)


@pytest.fixture(scope="module")
def placed(base: Report) -> Report:
    """The sample with findings at known places in patch 3."""
    code = _line_of(base, 3, "+\t\tsyscall_exit_work(regs, flags);")
    msg = _line_of(base, 3, "No functional changes intended.")
    long_msg = "a long message " * 12
    findings = (
        _finding("series wide remark"),
        _finding("a remark on the whole patch", patch_index=3),
        _finding("the claim is wrong here", patch_index=3, mail_line=msg),
        _finding(
            "the call is gated now " + long_msg,
            patch_index=3,
            mail_line=code,
            file="arch/arm64/include/asm/syscall.h",
            line=134,
        ),
        _finding(
            "found by file and line",
            patch_index=3,
            file="arch/arm64/include/asm/thread_info.h",
            line=115,
        ),
        _finding("second patch remark", patch_index=2),
    )
    return replace(base, findings=findings)


def _parse(msg: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(msg.as_bytes(policy=policy.default), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _comment_after(body: list[str], quoted: str) -> str:
    """The unquoted text between the quoted line and the next quote."""
    start = body.index("> " + quoted) + 1
    out = []
    for line in body[start:]:
        if line.startswith(">") or line == "[...]":
            break
        out.append(line.strip())
    return " ".join(" ".join(out).split())


def test_headers_thread_the_reply(placed: Report) -> None:
    msg = _parse(render_reply(placed, 3))
    patch = placed.series.patch(3)
    assert patch is not None
    assert msg["Subject"] == "Re: " + patch.mail.subject
    assert msg["In-Reply-To"] == f"<{patch.msgid}>"
    refs = msg["References"].split()
    assert refs[-1] == f"<{patch.msgid}>"
    assert refs[:-1] == [f"<{r}>" for r in patch.mail.references]
    assert msg["To"].addresses[0].addr_spec == patch.author.email
    cc = [a.addr_spec for a in msg["Cc"].addresses]
    assert len(cc) == len(set(cc))
    assert patch.author.email not in cc
    assert "linux-kernel@vger.kernel.org" in cc
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["Date"] is None and msg["Message-ID"] is None


def test_date_and_reviewer_only_when_asked(placed: Report) -> None:
    patch = placed.series.patch(3)
    assert patch is not None
    cc_person = patch.mail.cc[0]
    msg = _parse(
        render_reply(placed, 3, date="Tue, 30 Jun 2026 10:00:00 +0000", reviewer=cc_person)
    )
    assert msg["Date"] == "Tue, 30 Jun 2026 10:00:00 +0000"
    assert msg["From"].addresses[0].addr_spec == cc_person.email
    assert cc_person.email not in [a.addr_spec for a in msg["Cc"].addresses]


def test_no_double_re() -> None:
    assert reply_subject("Re: [PATCH] foo") == "Re: [PATCH] foo"
    assert reply_subject("RE: re: [PATCH] foo") == "Re: [PATCH] foo"
    assert reply_subject("[PATCH] Re-add foo") == "Re: [PATCH] Re-add foo"


def test_findings_sit_below_their_quoted_line(placed: Report) -> None:
    body = _parse(render_reply(placed, 3)).get_content().split("\n")
    assert body[0].startswith("On ") and body[0].endswith("wrote:")
    after_code = _comment_after(body, "+\t\tsyscall_exit_work(regs, flags);")
    assert after_code.startswith("Warning: the call is gated now")
    assert after_code.endswith("[test-rule]")
    assert _comment_after(body, "No functional changes intended.").startswith(
        "Warning: the claim is wrong here"
    )
    macro = "+#define _TIF_SYSCALL_EXIT_WORK\t(_TIF_SYSCALL_TRACE | _TIF_SYSCALL_AUDIT | \\"
    assert _comment_after(body, macro).startswith("Warning: found by file and line")
    hunk = next(i for i, line in enumerate(body) if line.startswith("> @@ -127,7"))
    code = body.index("> +\t\tsyscall_exit_work(regs, flags);")
    assert hunk < code and all(line.startswith(">") for line in body[hunk:code])


def test_unplaced_and_series_findings_come_first(placed: Report) -> None:
    text = _parse(render_reply(placed, 3, include_series=True)).get_content()
    first_quote = text.index("\n> ")
    assert text.index("series wide remark") < first_quote
    assert text.index("a remark on the whole patch") < first_quote
    assert "second patch remark" not in text
    assert "series wide remark" not in _parse(render_reply(placed, 3)).get_content()


def test_lines_are_wrapped_except_quotes(placed: Report) -> None:
    body = _parse(render_reply(placed, 3)).get_content()
    assert any(len(line) > 72 for line in body.splitlines() if line.startswith(">"))
    assert all(len(line) <= 72 for line in body.splitlines() if not line.startswith(">"))
    assert "**" not in body and "```" not in body


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_mailinfo_accepts_the_draft(placed: Report, tmp_path: Path) -> None:
    draft = render_reply(placed, 3, reviewer=REVIEWER).as_bytes(policy=policy.default)
    run = subprocess.run(
        ["git", "mailinfo", "msg", "patch"],
        input=draft,
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    info = run.stdout.decode()
    assert "Author: Rita Reviewer" in info
    assert "Email: rita@example.org" in info
    assert "Subject: arm64: ptrace: Align syscall exit work semantics" in info
    assert "the claim is wrong here" in (tmp_path / "msg").read_text()


def test_hostile_subject_cannot_inject_headers(placed: Report) -> None:
    patch = placed.series.patch(3)
    assert patch is not None
    hostile = "[PATCH] x\r\nX-Injected: 1 =?utf-8?q?y=0D=0AX-Evil:_2?= \x1b[31m"
    evil_cc = Person("Mallory\r\nBcc: all@example.org", "mallory@example.org")
    mail = replace(patch.mail, subject=hostile, cc=patch.mail.cc + (evil_cc,))
    series = replace(
        placed.series, patches=placed.series.patches[:2] + (replace(patch, mail=mail),)
    )
    raw = render_reply(replace(placed, series=series), 3).as_bytes(policy=policy.default)
    msg = email.message_from_bytes(raw, policy=policy.default)
    names = {k.lower() for k in msg}
    assert names <= {
        "to",
        "cc",
        "subject",
        "in-reply-to",
        "references",
        "content-type",
        "content-transfer-encoding",
        "mime-version",
    }
    assert "\n" not in msg["Subject"] and "\x1b" not in msg["Subject"]
    assert msg["Subject"].startswith("Re: [PATCH] x X-Injected: 1")
    header_block = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in header_block and b"\nX-Evil" not in header_block


def test_html_attachment_drops_kernel_lists(
    placed: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewpatch.render import html

    monkeypatch.setattr(html, "render_html", lambda report: "<html><p>report</p></html>\n")
    warnings: list[str] = []
    text = render_reply_command(placed, "3", attach_report=True, warn=warnings.append)
    msg = email.message_from_string(text, policy=policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    parts = list(msg.iter_attachments())
    assert [p.get_filename() for p in parts] == ["report.html"]
    assert parts[0].get_content_type() == "text/html"
    assert "<p>report</p>" in parts[0].get_content()
    assert "the claim is wrong here" in msg.get_body(("plain",)).get_content()
    recipients = [a.addr_spec for h in ("To", "Cc") for a in msg[h].addresses]
    assert not any(is_html_rejecting_list(r) for r in recipients)
    assert len(warnings) == 1 and "vger.kernel.org" in warnings[0]
    assert "\n" not in warnings[0]


def test_attach_without_html_renderer_is_a_usage_error(
    placed: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "reviewpatch.render.html", None)
    with pytest.raises(UsageError, match="HTML renderer is unavailable"):
        render_reply_command(placed, "3", attach_report=True, warn=lambda _m: None)


def test_plain_reply_keeps_lists_and_does_not_warn(placed: Report) -> None:
    warnings: list[str] = []
    text = render_reply_command(placed, "3", attach_report=False, warn=warnings.append)
    assert "linux-kernel@vger.kernel.org" in text and not warnings


def test_all_gives_an_mbox_of_drafts(placed: Report, tmp_path: Path) -> None:
    text = render_reply_command(placed, "all", attach_report=False, warn=lambda _m: None)
    path = tmp_path / "drafts.mbox"
    path.write_text(text, encoding="utf-8")
    box = mailbox.mbox(str(path))
    subjects = [m["Subject"] for m in box]
    # the cover letter answers the series-wide finding, then patches 2 and 3
    assert len(subjects) == 3
    assert "0/3" in subjects[0] and "2/3" in subjects[1] and "3/3" in subjects[2]
    box.close()


def test_all_without_findings_warns(base: Report) -> None:
    warnings: list[str] = []
    out = render_reply_command(
        replace(base, findings=()), "all", attach_report=False, warn=warnings.append
    )
    assert out == "" and warnings


@pytest.mark.parametrize("which", ["7", "x", "-1"])
def test_bad_patch_number(placed: Report, which: str) -> None:
    with pytest.raises(UsageError):
        render_reply_command(placed, which, attach_report=False, warn=lambda _m: None)


def test_non_ascii_body_decodes(placed: Report) -> None:
    finding = _finding("café – naïve ünïcode", patch_index=2)
    report = replace(placed, findings=(finding,))
    msg = _parse(render_reply(report, 2))
    assert msg["Content-Transfer-Encoding"] in ("8bit", "quoted-printable", "7bit")
    assert "café – naïve ünïcode" in msg.get_content()
    text = render_reply_command(report, "2", attach_report=False, warn=lambda _m: None)
    assert "Content-Transfer-Encoding: 8bit" in text and "café – naïve ünïcode" in text


def test_evidence_not_in_the_quote_is_summarised(placed: Report) -> None:
    ev = EvidenceLine(
        text="\taudit_syscall_exit(regs);",
        kind=" ",
        file="arch/arm64/kernel/ptrace.c",
        new_no=2457,
        label="callee",
    )
    finding = replace(
        _finding(
            "gated",
            patch_index=3,
            mail_line=_line_of(placed, 3, "+\t\tsyscall_exit_work(regs, flags);"),
        ),
        evidence=(ev,),
    )
    text = _parse(render_reply(replace(placed, findings=(finding,)), 3)).get_content()
    assert "callee, arch/arm64/kernel/ptrace.c:2457: audit_syscall_exit(regs);" in text


REAL = ROOT.parent / "shared" / "real-threads"


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared real threads are not on this machine")
@pytest.mark.parametrize("name", ["initrd-v4", "ptrace-set-syscall-info-v3-partial"])
def test_real_thread_drafts_are_well_formed(name: str, tmp_path: Path) -> None:
    import gzip

    source = REAL / f"{name}.mbox.gz"
    if not source.exists():
        pytest.skip(f"{source.name} is absent")
    path = tmp_path / f"{name}.mbox"
    path.write_bytes(gzip.decompress(source.read_bytes()))
    report = review(str(path), Settings())
    for patch in report.series.all_patches:
        msg = _parse(render_reply(report, patch.index))
        assert msg["In-Reply-To"] == f"<{patch.msgid}>"
        body = msg.get_content()
        assert all(len(line) <= 72 for line in body.splitlines() if not line.startswith(">"))
        for finding in report.for_patch(patch.index):
            said = f"[{finding.rule_name}]" in " ".join(body.split())
            # notes are for the reviewer; warnings and errors go to the author
            assert said == (finding.severity is not Severity.NOTE)
