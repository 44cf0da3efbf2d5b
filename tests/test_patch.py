"""Tests of reviewpatch.patch: one patch mail -> Patch."""

from __future__ import annotations

import email
import email.policy
import gzip
import re
from pathlib import Path

import pytest

from reviewpatch.errors import ParseError
from reviewpatch.model import FileDiff, LineKind, Mail, Patch, Person, Subject
from reviewpatch.patch import (
    diffstat_entries,
    diffstat_summary,
    is_diffstat_line,
    parse_patch,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "patches"
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-threads"
SENDER = Person("Jinjie Ruan", "ruanjinjie@huawei.com")


def make_mail(body: str, msgid: str = "p@example.org", sender: Person = SENDER) -> Mail:
    return Mail(msgid, "[PATCH] x", sender, "", None, (), body, origin="test.eml")


def subject(counter: int = 1, total: int = 1) -> Subject:
    return Subject(raw="[PATCH] x", title="x", counter=counter, total=total, is_patch=True)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(name="seed")
def seed_patch() -> tuple[Mail, Patch]:
    mail = make_mail(fixture("seed-v16-11.patch"), msgid="seed@huawei.com")
    return mail, parse_patch(mail, subject(11, 18))


def test_seed_message_and_trailers(seed: tuple[Mail, Patch]) -> None:
    mail, patch = seed
    assert patch.index == 11
    assert patch.author == SENDER
    assert patch.message.startswith("Streamline syscall_exit_to_user_mode_work()")
    assert patch.message.endswith("No functional changes intended.")
    assert "Signed-off-by" not in patch.message
    body = mail.body.split("\n")
    assert body[patch.message_line - 1].startswith("Streamline")
    names = [t.name for t in patch.trailers]
    assert names == ["Cc"] * 4 + ["Signed-off-by"]
    sob = patch.trailers[-1]
    assert sob.person == Person("Jinjie Ruan", "ruanjinjie@huawei.com")
    assert sob.origin_msgid == "seed@huawei.com" and sob.given_by == SENDER
    assert body[sob.line - 1] == sob.raw
    assert patch.trailers[0].person.email == "mark.rutland@arm.com"


def test_seed_notes_and_diffstat(seed: tuple[Mail, Patch]) -> None:
    _, patch = seed
    assert patch.notes == ""
    assert len(patch.diffstat) == 4
    assert diffstat_summary(patch.diffstat) == (3, 8, 4)
    assert diffstat_entries(patch.diffstat)[2] == ("arch/arm64/kernel/ptrace.c", 3)
    assert [f.path for f in patch.files] == [
        "arch/arm64/include/asm/syscall.h",
        "arch/arm64/include/asm/thread_info.h",
        "arch/arm64/kernel/ptrace.c",
    ]
    assert sum(f.added for f in patch.files) == 8
    assert sum(f.removed for f in patch.files) == 4


def test_seed_ptrace_line_numbers(seed: tuple[Mail, Patch]) -> None:
    mail, patch = seed
    ptrace = patch.files[2]
    hunk = ptrace.hunks[1]
    # @@ -2455,8 +2454,6 @@: blank, "void syscall_exit_work(...)", "{" are
    # old 2455..2457, so the removed rseq_syscall(regs); is old line 2458.
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (2455, 8, 2454, 6)
    removed = [ln for ln in hunk.lines if ln.kind is LineKind.REMOVED]
    assert removed[0].text == "\trseq_syscall(regs);"
    assert (removed[0].old_no, removed[0].new_no) == (2458, None)
    assert removed[1].old_no == 2459
    audit = next(ln for ln in hunk.lines if "audit_syscall_exit" in ln.text)
    assert (audit.old_no, audit.new_no) == (2460, 2457)
    body = mail.body.split("\n")
    for line in hunk.lines:
        assert body[line.mail_line - 1] == line.kind.value + line.text or (
            line.kind is LineKind.CONTEXT and line.text == "" and body[line.mail_line - 1] == ""
        )
    assert body[hunk.mail_line - 1].startswith("@@ -2455,8 +2454,6 @@")
    assert ptrace.old_blob == "9ebe3389451c" and ptrace.new_blob == "05ceb9f2d038"


def test_cover_letter_keeps_whole_text_and_base_commit() -> None:
    body = fixture("cover.patch")
    patch = parse_patch(make_mail(body), subject(0, 2))
    assert patch.index == 0
    assert patch.files == () and patch.trailers == ()
    assert patch.message.startswith("This series")
    assert "base-commit:" in patch.message
    assert "2.34.1" not in patch.message
    assert patch.base_commit == "0123456789abcdef0123456789abcdef01234567"
    assert patch.change_id == "20260101-foo-bar-1234"
    assert diffstat_summary(patch.diffstat) == (2, 5, 1)


def test_inbody_from_notes_and_b4_metadata() -> None:
    patch = parse_patch(make_mail(fixture("inbody-from-notes.patch")), subject(2, 3))
    assert patch.author == Person("Ada Author", "ada@example.org")
    assert patch.message.startswith("mm: make foo")
    assert patch.notes == "Changes in v2:\n- rebased\n- fixed the typo"
    assert patch.base_commit == "abcdef0123456789abcdef0123456789abcdef01"
    assert patch.change_id == "20250101-foo-v2-1"
    assert [t.name for t in patch.trailers] == ["Signed-off-by", "Signed-off-by"]
    assert patch.files[0].new_path == "mm/foo.c"


def test_inbody_header_block() -> None:
    body = (
        "\nFrom: E F <e@f.org>\nSubject: [PATCH] a subject\n that wraps\n"
        "Date: Mon, 5 Jan 2026 10:00:00 +0100\n\nThe message.\n\n"
        "Signed-off-by: E F <e@f.org>\n---\n"
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    patch = parse_patch(make_mail(body), subject())
    assert patch.author == Person("E F", "e@f.org")
    assert (patch.message, patch.message_line) == ("The message.", 7)
    assert patch.trailers[0].line == 9


def test_no_separator_still_finds_trailers_and_diff() -> None:
    body = (
        "Fix the thing.\n\nSigned-off-by: A B <a@b.org>\n"
        "diff --git a/x.c b/x.c\nindex 1111111..2222222 100644\n--- a/x.c\n+++ b/x.c\n"
        "@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int c;\n"
    )
    patch = parse_patch(make_mail(body), subject())
    assert patch.message == "Fix the thing."
    assert [t.value for t in patch.trailers] == ["A B <a@b.org>"]
    assert patch.notes == "" and patch.diffstat == ()
    assert patch.files[0].hunks[0].lines[1].mail_line == 10


def test_diff_kinds_diffstat_entries() -> None:
    patch = parse_patch(make_mail(fixture("diff-kinds.patch")), subject())
    entries = dict(diffstat_entries(patch.diffstat))
    assert entries["blob.bin"] is None and entries["moved.c => renamed.c"] == 0
    assert diffstat_summary(patch.diffstat) == (10, 6, 5)
    assert (len(patch.files), sum(f.added for f in patch.files)) == (10, 6)
    assert sum(f.removed for f in patch.files) == 5


def test_format_patch_file_in_body() -> None:
    patch = parse_patch(make_mail(fixture("format-patch.patch")), subject())
    assert patch.author == Person("Zoë Writer", "zoe@example.net")
    assert patch.message == "The message of a format-patch file."
    assert [t.name for t in patch.trailers] == ["Signed-off-by"]
    assert patch.files[0].is_new and patch.files[0].path == "lib/new.c"


def test_scissors_line_starts_the_patch() -> None:
    body = (
        "Something like this?\n\n-- >8 --\nFrom: C D <c@d.org>\nSubject: fix\n\n"
        "Real message.\n\nSigned-off-by: C D <c@d.org>\n---\n"
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    patch = parse_patch(make_mail(body), subject())
    assert patch.author.email == "c@d.org"
    assert patch.message == "Real message."


def test_a_reply_carrying_its_own_version_of_the_patch_after_a_dash_line() -> None:
    # "On ... wrote: > ...quoted patch... \n\nHow about this?\n---\nFrom: ...
    # Subject: ..." as some maintainers answer with their version
    body = (
        "On Monday A B wrote:\n> Fix it.\n>\n> Signed-off-by: A B <a@b.org>\n\n"
        "This is simpler:\n\n---\nFrom: C D <c@d.org>\nSubject: [PATCH v1] fix\n\n"
        "Real message.\n\nSigned-off-by: C D <c@d.org>\n---\n"
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    patch = parse_patch(make_mail(body), subject())
    assert patch.author.email == "c@d.org"
    assert patch.message == "Real message."
    assert [t.value for t in patch.trailers] == ["C D <c@d.org>"]
    # a plain "---" before the diffstat opens nothing
    plain = "Msg.\n\nSigned-off-by: C D <c@d.org>\n---\n x | 2 +-\n\n" + body[body.index("diff") :]
    assert parse_patch(make_mail(plain), subject()).message == "Msg."


def test_a_reply_carrying_a_patch_with_an_in_body_from_alone() -> None:
    # "Please try the one below instead.\n\n---\nFrom: ...\n\nMessage ... SoB"
    body = (
        "On Monday A B wrote:\n> Does the attached patch help?\n\n"
        "Please try the one below instead.\n\n---\nFrom: C D <c@d.org>\n\n"
        "Real message.\n\nSigned-off-by: C D <c@d.org>\n---\n"
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    patch = parse_patch(make_mail(body), subject())
    assert patch.author.email == "c@d.org"
    assert patch.message == "Real message."
    assert [t.value for t in patch.trailers] == ["C D <c@d.org>"]
    # or with an in-body Subject: alone
    alone = body.replace("From: C D <c@d.org>\n", "Subject: x86: fix it\n")
    assert parse_patch(make_mail(alone), subject()).message == "Real message."


def test_a_note_above_the_message_and_a_first_dash_line() -> None:
    # "Resending to add the maintainers.\n\n---\n\nmessage\nSoB\n---\nstat"
    body = (
        "Resending this patch to include the maintainers.\n\n---\n\n"
        "Real message.\n\nSigned-off-by: C D <c@d.org>\n\n---\n x | 2 +-\n\n"
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    patch = parse_patch(make_mail(body), subject())
    assert patch.message == "Real message."
    assert [t.value for t in patch.trailers] == ["C D <c@d.org>"]
    # a sign-off above the first "---" keeps it the separator (notes below)
    notes = body.replace(
        "Resending this patch to include the maintainers.", "Msg.\n\nSigned-off-by: C D <c@d.org>"
    )
    assert parse_patch(make_mail(notes), subject()).message == "Msg."


def test_broken_hunk_names_mail() -> None:
    body = "msg\n---\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,4 +1,3 @@\n a\n-b\n+c\n"
    with pytest.raises(ParseError, match=r"test\.eml: diff of x: hunk '@@ -1,4 \+1,3 @@'"):
        parse_patch(make_mail(body), subject())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (" arch/arm64/kernel/ptrace.c           | 3 ---", True),
        (" 3 files changed, 8 insertions(+), 4 deletions(-)", True),
        (" 1 file changed, 1 deletion(-)", True),
        (" create mode 100644 lib/new.c", True),
        (" img/logo.png | Bin 0 -> 1234 bytes", True),
        ("Changes in v2: | rebased", False),
        ("- fixed the typo", False),
    ],
)
def test_is_diffstat_line(line: str, expected: bool) -> None:
    assert is_diffstat_line(line) is expected


def _real_patch_mails() -> list[tuple[str, Mail, Subject]]:
    out = []
    for path in sorted(REAL.glob("*.mbox.gz")):
        raw = gzip.decompress(path.read_bytes())
        chunks = re.split(rb"(?m)^(?=From \S+ +\w{3} \w{3} )", raw)
        for n, chunk in enumerate(c for c in chunks if c.strip()):
            msg = email.message_from_bytes(chunk, policy=email.policy.default)
            subj = " ".join(str(msg["subject"] or "").split())
            tag = re.match(r"^\[PATCH[^\]]*?(\d+)/(\d+)\]", subj)
            if not tag:
                continue
            part = msg.get_body(preferencelist=("plain",))
            body = part.get_content().replace("\r\n", "\n") if part else ""
            mail = Mail(
                str(msg["message-id"]), subj, SENDER, "", None, (), body, origin=f"{path.name}:{n}"
            )
            out.append((mail.origin, mail, subject(int(tag.group(1)), int(tag.group(2)))))
    return out


def _check_entries(diffstat: tuple[str, ...], files: tuple[FileDiff, ...], origin: str) -> None:
    entries = diffstat_entries(diffstat)
    assert len(entries) == len(files), origin
    for (name, count), fdiff in zip(entries, files):
        tail = name.removeprefix("...")
        assert fdiff.path.endswith(tail), (origin, name, fdiff.path)
        assert count == fdiff.added + fdiff.removed, (origin, name)


@pytest.mark.skipif(not REAL.is_dir(), reason="shared/real-threads not present beside the repo")
def test_real_threads_diffstat_matches_diff() -> None:
    mails = _real_patch_mails()
    checked = 0
    for origin, mail, subj in mails:
        patch = parse_patch(mail, subj)
        if subj.counter == 0:
            assert patch.files == ()
            continue
        summary = diffstat_summary(patch.diffstat)
        assert summary is not None, origin
        assert summary == (
            len(patch.files),
            sum(f.added for f in patch.files),
            sum(f.removed for f in patch.files),
        ), origin
        assert any(t.name == "Signed-off-by" and t.person for t in patch.trailers), origin
        _check_entries(patch.diffstat, patch.files, origin)
        checked += 1
    assert checked >= 10
