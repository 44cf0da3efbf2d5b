"""Tests of reviewpatch.trailers: trailer blocks and review trailers."""

from __future__ import annotations

import pytest

from reviewpatch.model import Mail, Person, Trailer
from reviewpatch.trailers import (
    PERSON_TRAILERS,
    canonical_name,
    find_trailer_block,
    followup_trailers,
    parse_trailer_block,
    person_from_value,
)

REVIEWER = Person("Rev Iewer", "rev@example.org")


def reply(body: str) -> Mail:
    return Mail("r1@example.org", "Re: [PATCH] x", REVIEWER, "", "p@x", ("p@x",), body)


def block(text: str, first_line: int = 1) -> tuple[Trailer, ...]:
    return parse_trailer_block(text.split("\n"), "m@x", first_line, REVIEWER)


@pytest.mark.parametrize(
    ("token", "canonical"),
    [
        ("signed-off-by", "Signed-off-by"),
        ("SIGNED-OFF-BY", "Signed-off-by"),
        ("reviewed-AND-tested-by", "Reviewed-and-tested-by"),
        ("CC", "Cc"),
        ("Message-Id", "Message-ID"),
        ("Base-Commit", "base-commit"),
        ("X-Custom-Thing", "X-Custom-Thing"),
    ],
)
def test_canonical_name(token: str, canonical: str) -> None:
    assert canonical_name(token) == canonical


def test_person_trailers_set() -> None:
    assert {"Signed-off-by", "Cc", "Co-developed-by", "Reviewed-by"} <= PERSON_TRAILERS
    assert "Fixes" not in PERSON_TRAILERS and "Link" not in PERSON_TRAILERS


def test_block_with_notes_continuation_and_unknown() -> None:
    text = (
        "Body text: explains things.\n"
        "\n"
        'Fixes: 0123456789ab ("foo: bar")\n'
        "Reported-by: Rep Orter <rep@example.com>\n"
        "Closes: https://lore.kernel.org/r/1@x\n"
        "[ maint: reworded the message ]\n"
        "Signed-off-by: a  b <ab@example.com>\n"
        "X-Custom: kept as is\n"
        "Link: https://example.com/very/long\n"
        "  /continued\n"
        "(cherry picked from commit 0123456789abcdef)\n"
        "cc: stable@vger.kernel.org # 6.1+\n"
    )
    lines = text.split("\n")
    assert find_trailer_block(lines) == 2
    trailers = block(text, first_line=10)
    assert [t.name for t in trailers] == [
        "Fixes",
        "Reported-by",
        "Closes",
        "Signed-off-by",
        "X-Custom",
        "Link",
        "Cc",
    ]
    assert trailers[0].person is None and trailers[0].line == 12
    assert trailers[1].person == Person("Rep Orter", "rep@example.com")
    assert trailers[5].value == "https://example.com/very/long /continued"
    assert trailers[5].raw.endswith("\n  /continued")
    assert trailers[6].person is not None and trailers[6].person.email == "stable@vger.kernel.org"
    assert all(t.origin_msgid == "m@x" and t.given_by == REVIEWER for t in trailers)


def test_malformed_person_is_kept_without_person() -> None:
    (sob,) = block("Signed-off-by: Jane Doe <jane.doe@xxxxxxx>")
    assert sob.person is None and sob.value == "Jane Doe <jane.doe@xxxxxxx>"
    (ack,) = block("Acked-by: just a name")
    assert ack.person is None


@pytest.mark.parametrize(
    ("value", "email"),
    [
        ("Peter Zijlstra (Intel) <peterz@infradead.org>", "peterz@infradead.org"),
        ("Mark Rutland <mark.rutland at arm.com>", "mark.rutland@arm.com"),
        ("Foo Bar <foo@bar.org> # for the arm64 part", "foo@bar.org"),
        ("Foo Bar <foo@bar.org> [v2]", "foo@bar.org"),
        ("bare@example.net", "bare@example.net"),
    ],
)
def test_person_from_value(value: str, email: str) -> None:
    person = person_from_value(value)
    assert person is not None and person.email == email


def test_last_paragraph_must_be_trailers() -> None:
    text = "Signed-off-by: Not <really@trailer.org>\n\nThis last paragraph is prose.\nMore prose."
    assert find_trailer_block(text.split("\n")) == 4
    assert block(text) == ()


def test_prose_with_an_unknown_token_is_not_a_block() -> None:
    text = "Intro.\n\nsome prose line\nNote: an unknown token\n"
    assert find_trailer_block(text.split("\n")) == 5
    assert block(text) == ()


def test_trailers_glued_to_prose_are_found() -> None:
    text = "Intro.\n\nsome prose line\nmore prose\nSigned-off-by: A <a@b.org>\nCc: c@d.org"
    assert find_trailer_block(text.split("\n")) == 4
    assert [t.name for t in block(text)] == ["Signed-off-by", "Cc"]


def test_followup_trailers_only_unquoted_lines() -> None:
    body = (
        "On Mon, Foo wrote:\n"
        "> Signed-off-by: Author <author@example.com>\n"
        "> > Reviewed-by: Old <old@example.com>\n"
        ">> Acked-by: Older <older@example.com>\n"
        "\n"
        "Looks good.\n"
        "\n"
        "Reviewed-by: Rev Iewer <rev@example.org>   \n"
        "Signed-off-by: Rev Iewer <rev@example.org>\n"
        "NACKED-BY: Rev Iewer <rev@example.org>\n"
        "Reported-by: Someone <s@example.org>\n"
        "\n"
        "    Reviewed-by: Pasted Commit <pasted@example.org>\n"
        "\n"
        "-- \n"
        "Acked-by: In Signature <sig@example.org>\n"
    )
    trailers = followup_trailers(reply(body))
    # the sender's own Signed-off-by counts (a co-developer gives it when
    # asked, and b4 collects it); another person's would not
    assert [(t.name, t.line) for t in trailers] == [
        ("Reviewed-by", 8),
        ("Signed-off-by", 9),
        ("Nacked-by", 10),
        ("Reported-by", 11),
    ]
    other = body.replace("Signed-off-by: Rev Iewer <rev@", "Signed-off-by: Some One <one@")
    assert "Signed-off-by" not in [t.name for t in followup_trailers(reply(other))]
    rev = trailers[0]
    assert rev.person == REVIEWER and rev.given_by == REVIEWER
    assert rev.origin_msgid == "r1@example.org" and rev.value == "Rev Iewer <rev@example.org>"


def test_followup_trailers_skip_inline_diff() -> None:
    body = (
        "How about this instead:\n"
        "\n"
        "diff --git a/Documentation/x.rst b/Documentation/x.rst\n"
        "--- a/Documentation/x.rst\n"
        "+++ b/Documentation/x.rst\n"
        "@@ -1,2 +1,2 @@\n"
        " Reviewed-by: Context <ctx@example.org>\n"
        "-Acked-by: Old <old@example.org>\n"
        "+Tested-by: New <new@example.org>\n"
        "\n"
        "With that: Tested-by: not at line start\n"
        "Tested-by: Rev Iewer <rev@example.org>\n"
    )
    trailers = followup_trailers(reply(body))
    assert [(t.name, t.line) for t in trailers] == [("Tested-by", 12)]


def test_followup_trailers_stop_at_a_pasted_commit() -> None:
    # a maintainer takes the patch and pastes it as applied: the trailers
    # of the pasted commit are not the sender's
    body = (
        "> Acked-by: Arch Maintainer <arch@example.org>\n"
        "\n"
        "Sure, I'll take it.\n"
        "Acked-by: Rev Iewer <rev@example.org>\n"
        "\n"
        "From: Patch Author <author@example.org>\n"
        "Subject: mips: make mappings young\n"
        "\n"
        "Make them young.\n"
        "\n"
        "Acked-by: Arch Maintainer <arch@example.org>\n"
        "Reviewed-by: Other Reviewer <other@example.org>\n"
        "Signed-off-by: Patch Author <author@example.org>\n"
    )
    trailers = followup_trailers(reply(body))
    assert [(t.name, t.value) for t in trailers] == [("Acked-by", "Rev Iewer <rev@example.org>")]
    # a From: line that opens no pasted commit changes nothing
    plain = "From: the log below, it fails.\n\nTested-by: Rev Iewer <rev@example.org>\n"
    assert [t.name for t in followup_trailers(reply(plain))] == ["Tested-by"]


def test_followup_obfuscated_address() -> None:
    (ack,) = followup_trailers(reply("Acked-by: Will Deacon <will at kernel.org>\n"))
    assert ack.person is not None and ack.person.email == "will@kernel.org"


def test_a_bracketed_note_over_two_lines_stays_in_the_block():
    text = (
        "Add the --mcount option.\n"
        "\n"
        "Link: https://lore.kernel.org/lkml/x@y/\n"
        "Signed-off-by: Peter Zijlstra <peterz@infradead.org>\n"
        "[Sami: rebased, dropped config changes, fixed to actually use --mcount,\n"
        "       and wrote a commit message.]\n"
        "Signed-off-by: Sami Tolvanen <samitolvanen@google.com>\n"
    )
    got = block(text)
    assert [(x.name, x.value.split(" <")[0]) for x in got] == [
        ("Link", "https://lore.kernel.org/lkml/x@y/"),
        ("Signed-off-by", "Peter Zijlstra"),
        ("Signed-off-by", "Sami Tolvanen"),
    ]


def test_a_tag_name_in_prose_without_an_address_is_not_given() -> None:
    from reviewpatch.model import Mail, Person
    from reviewpatch.trailers import followup_trailers

    body = (
        "Nice.  Please add my\n"
        "Acked-by: or Suggested-by: to the portions of the patches you see fit.\n\n"
        "Acked-by: Alan Stern <stern@rowland.harvard.edu>\n"
    )
    mail = Mail(
        "r@x",
        "Re: [PATCH 0/9] x",
        Person("Alan Stern", "stern@rowland.harvard.edu"),
        "",
        None,
        (),
        body,
    )
    assert [t.value for t in followup_trailers(mail)] == ["Alan Stern <stern@rowland.harvard.edu>"]


def test_an_indented_tag_counts_when_it_names_the_sender() -> None:
    from reviewpatch.model import Mail, Person
    from reviewpatch.trailers import followup_trailers

    marco = Person("Marco Elver", "elver@google.com")
    body = (
        "> Can I have your Tested-by?\n\nOf course,\n\n  Tested-by: Marco Elver <elver@google.com>\n\n"
        "The applied commit:\n\n    Reviewed-by: Ann Other <ann@example.org>\n"
    )
    mail = Mail("r@x", "Re: [PATCH v4 0/5] x", marco, "", None, (), body)
    assert [t.value for t in followup_trailers(mail)] == ["Marco Elver <elver@google.com>"]
