"""Mail decoding: mbox splitting, charsets, transfer encodings, multipart,
addresses and malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewpatch.errors import ParseError
from reviewpatch.mail import (
    decode_header_value,
    is_probably_mail,
    parse_mail,
    parse_person,
    read_mails,
    split_mbox,
)
from reviewpatch.model import Person

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "threads"
ZOE = Person("Zoë Lefèvre", "zoe.lefevre@example.fr")
TITLE = "[PATCH] spi: pl022: record the current transfer before starting it"


def _one(path: Path):
    mails, problems = read_mails(path.read_bytes(), path.name)
    assert problems == ()
    assert len(mails) == 1
    return mails[0]


@pytest.mark.parametrize(
    "name",
    ["quoted-printable.eml", "base64.eml", "latin1.eml", "rfc2047.eml", "crlf.eml"],
)
def test_encodings_decode_to_the_same_text(name: str) -> None:
    mail = _one(FIX / "encodings" / name)
    assert mail.sender == ZOE
    assert mail.subject.startswith(TITLE)
    assert f"Signed-off-by: {ZOE}" in mail.body
    assert "\r" not in mail.body
    assert "+\tpl022->cur_transfer = transfer;\n" in mail.body
    assert mail.to == (Person("Mark Brown", "broonie@kernel.org"),)
    assert len(mail.cc) == 2
    assert mail.timestamp == 1770365520.0


def test_quoted_printable_soft_breaks_and_escapes() -> None:
    mail = _one(FIX / "encodings" / "quoted-printable.eml")
    assert "when x =3D y in the log" in mail.body  # the literal text "=3D" survives
    assert "=\n" not in mail.body


def test_rfc2047_subject_joins_adjacent_words() -> None:
    mail = _one(FIX / "encodings" / "rfc2047.eml")
    assert mail.subject == TITLE + " – Zoë"


def test_multipart_appends_patch_attachment() -> None:
    mail = _one(FIX / "encodings" / "multipart-attachment.eml")
    assert mail.body.index("Signed-off-by:") < mail.body.index("diff --git a/drivers/spi")
    assert "This is a multi-part message" not in mail.body
    assert mail.body.count("diff --git") == 1


def test_format_patch_file_is_one_mail() -> None:
    mail = _one(FIX / "format-patch.patch")
    assert mail.subject == TITLE
    assert mail.msgid.startswith("reviewpatch-") and mail.msgid.endswith("@local")


def test_mbox_splits_and_keeps_order() -> None:
    mails, problems = read_mails((FIX / "cover-3.mbox").read_bytes(), "cover-3.mbox")
    assert problems == ()
    assert [m.subject[:11] for m in mails] == [f"[PATCH {n}/3]" for n in range(4)]
    assert [m.origin for m in mails] == [f"cover-3.mbox:{n}" for n in range(1, 5)]
    assert mails[1].in_reply_to == mails[0].msgid
    assert mails[1].references == (mails[0].msgid,)
    assert "<" not in mails[0].msgid


def test_mboxrd_from_lines_are_unescaped() -> None:
    data = (
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
        b"From: A <a@example.org>\nSubject: one\nMessage-ID: <1@x>\n\n"
        b">From the start\n>>From quoted\n\n"
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
        b"From: B <b@example.org>\nSubject: two\nMessage-ID: <2@x>\n\nbody\n"
    )
    mails, problems = read_mails(data, "t.mbox")
    assert problems == ()
    assert [m.msgid for m in mails] == ["1@x", "2@x"]
    assert mails[0].body == "From the start\n>From quoted\n"


def test_body_from_line_without_date_does_not_split() -> None:
    data = (
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
        b"From: A <a@example.org>\nSubject: one\nMessage-ID: <1@x>\n\n"
        b"text\n\nFrom here on it is still the same mail\n"
    )
    assert len(split_mbox(data)) == 1


def test_garbage_mail_becomes_problem_and_rest_survives() -> None:
    path = FIX / "malformed" / "garbage-between.mbox"
    mails, problems = read_mails(path.read_bytes(), "g.mbox")
    assert len(mails) == 2
    assert [m.origin for m in mails] == ["g.mbox:1", "g.mbox:3"]
    assert len(problems) == 1
    assert problems[0].origin == "g.mbox:2"
    assert "g.mbox:2" in problems[0].message


def test_broken_mail_problem_names_msgid() -> None:
    data = (
        b"From x Thu Jan  1 00:00:00 1970\nnot a header line\nMessage-ID: <bad@x>\n\n"
        b"From x Thu Jan  1 00:00:00 1970\nFrom: a@example.org\nMessage-ID: <ok@x>\n\nhi\n"
    )
    mails, problems = read_mails(data, "m")
    assert [m.msgid for m in mails] == ["ok@x"]
    assert problems[0].msgid == "bad@x"


def test_empty_input_is_a_problem() -> None:
    mails, problems = read_mails(b"  \n", "empty.mbox")
    assert mails == () and "empty.mbox" in problems[0].message


def test_parse_mail_rejects_non_mail() -> None:
    with pytest.raises(ParseError, match="notes.txt"):
        parse_mail(b"diff --git a/x b/x\n--- a/x\n+++ b/x\n", "notes.txt")


def test_missing_msgid_is_synthesized_and_stable() -> None:
    path = FIX / "malformed" / "no-msgid.eml"
    first = _one(path)
    again = _one(path)
    assert first.msgid == again.msgid
    assert first.msgid.startswith("reviewpatch-") and first.msgid.endswith("@local")


@pytest.mark.parametrize("name", ["unknown-charset.eml", "broken-utf8.eml"])
def test_bad_charsets_decode_with_replacement(name: str) -> None:
    mail = _one(FIX / "malformed" / name)
    assert "Signed-off-by: Zo" in mail.body
    assert "diff --git a/drivers/spi/spi-pl022.c" in mail.body


def test_8bit_header_bytes_and_bad_date() -> None:
    data = (
        "From: Jürgen Groß <jgross@example.com>\nSubject: Re: x\nDate: yesterday-ish\n"
        "Message-ID: <a@b>\nIn-Reply-To: <p@q> (message from someone)\n"
        "References: <r@s>\n <p@q>\n\nbody"
    ).encode()
    mail = parse_mail(data, "x.eml")
    assert mail.sender == Person("Jürgen Groß", "jgross@example.com")
    assert mail.timestamp is None
    assert mail.in_reply_to == "p@q"
    assert mail.references == ("r@s", "p@q")
    assert mail.body == "body"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Jinjie Ruan ruanjinjie at huawei.com", Person("Jinjie Ruan", "ruanjinjie@huawei.com")),
        ("Mark Rutland <mark.rutland at arm.com>", Person("Mark Rutland", "mark.rutland@arm.com")),
        ("user at example.com", Person("", "user@example.com")),
        ('"Doe, John" <j@x.org>', Person("Doe, John", "j@x.org")),
        ("j@x.org (John Doe)", Person("John Doe", "j@x.org")),
        (
            "Peter Zijlstra (Intel) <peterz@infradead.org>",
            Person("Peter Zijlstra (Intel)", "peterz@infradead.org"),
        ),
        ("syzbot", None),
        ("", None),
    ],
)
def test_parse_person(text: str, expected: Person | None) -> None:
    assert parse_person(text) == expected


def test_decode_header_value_unknown_charset_does_not_crash() -> None:
    assert decode_header_value("=?x-bogus?q?caf=E9?= ok") == "caf\ufffd ok"


def test_is_probably_mail() -> None:
    assert is_probably_mail((FIX / "cover-3.mbox").read_bytes())
    assert is_probably_mail((FIX / "encodings" / "crlf.eml").read_bytes())
    assert is_probably_mail((FIX / "format-patch.patch").read_bytes())
    assert not is_probably_mail(b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    assert not is_probably_mail(b"")


def test_an_empty_subject_header_takes_the_subject_line_that_opens_the_body() -> None:
    """git send-email of a cover letter whose header block was pasted below
    a blank line: an empty Subject: header, the real one in the body (a
    real v10 series of the linux-arch list).  Its patches answer it, and
    the series is whole."""
    from reviewpatch.series import assemble_series

    cover = (
        b"From: A <a@example.org>\nSubject: \nMessage-Id: <c@x>\nDate: Mon, 2 Jan 2023 07:12:50 +0000\n"
        b"\nSubject: [PATCH v10 0/2] foo: bar\n\nThe series.\n"
    )
    patches = b"".join(
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: A <a@example.org>\n"
        b"Subject: [PATCH v10 %d/2] foo: part %d\nMessage-Id: <p%d@x>\nIn-Reply-To: <c@x>\n"
        b"Date: Mon, 2 Jan 2023 07:12:5%d +0000\n\nPart.\n\nSigned-off-by: A <a@example.org>\n"
        b"---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n" % (n, n, n, n)
        for n in (1, 2)
    )
    mails, _ = read_mails(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + cover + patches, "t")
    assert mails[0].subject == "[PATCH v10 0/2] foo: bar"
    series = assemble_series(tuple(mails))
    assert series.cover is not None and [p.index for p in series.patches] == [1, 2]
    assert read_mails(cover.replace(b"Subject: [", b"Subj [", 1), "u")[0][0].subject == ""
