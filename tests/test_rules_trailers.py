"""Unit tests of the trailer rules (reviewpatch.rules.trailers) and their
helpers (reviewpatch.rules.trailer_util), on hand-built patches."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewpatch.findings import Severity
from reviewpatch.model import Mail, Patch, Person, Series, Subject, Trailer
from reviewpatch.rules import trailers as tr
from reviewpatch.rules.registry import RuleContext, spec_of
from reviewpatch.rules.trailer_util import (
    address_problem,
    body_line,
    fixes_problem,
    misspelled_of,
    norm_name,
    same_person,
)
from reviewpatch.settings import Settings

JANE = Person("Jane Doe", "jane@example.org")
JOE = Person("Joe Smith", "joe@example.org")


def t(
    name: str, value: str, line: int = 0, person: Person | None = None, parse: bool = True
) -> Trailer:
    """A trailer; the person is parsed from ``Name <addr>`` unless given."""
    if person is None and parse and "<" in value and value.rstrip().endswith(">"):
        who, _, addr = value.partition("<")
        person = Person(who.strip(), addr.rstrip(">").strip())
    return Trailer(name=name, value=value, person=person, origin_msgid="p1@x", line=line)


def make_patch(trailers=(), author=JANE, sender=None, body: str = "", sent: bool = True) -> Patch:
    sender = sender or author
    headers = (("From", str(sender)),) + ((("Message-ID", "<p1@x>"),) if sent else ())
    mail = Mail("p1@x", "[PATCH 1/1] x: y", sender, "", None, (), body, headers=headers)
    return Patch(
        mail, Subject(raw="x", title="x: y"), 1, author, "Change.", trailers=tuple(trailers)
    )


def run(func, patch: Patch):
    series = Series(version=1, total=1, subject="x", cover=None, patches=(patch,))
    return list(spec_of(func).run(RuleContext(series, patch)))


SOB_JANE = "Jane Doe <jane@example.org>"
SOB_JOE = "Joe Smith <joe@example.org>"


# -- helpers ---------------------------------------------------------------


def test_norm_name_folds_case_quotes_and_via():
    assert norm_name('"Jane  DOE"') == "jane doe"
    assert norm_name("Jane Doe via Linux-um") == "jane doe"
    assert norm_name('"thermal-bot for Jane Doe"') == "jane doe"


def test_norm_name_drops_a_trailing_affiliation():
    assert norm_name("Christoph Lameter (Ampere)") == "christoph lameter"
    assert norm_name("Jane Doe [Intel]") == "jane doe"
    assert norm_name("(Ampere)") == "(ampere)"  # nothing but the bracket: kept


def test_a_bot_mailing_a_commit_in_the_author_s_name_is_a_relay():
    bot = Person("thermal-bot for Jane Doe", "tip-bot2@linutronix.de")
    patch = make_patch(
        [t("Signed-off-by", SOB_JANE, 4), t("Signed-off-by", SOB_JOE, 5)], author=bot
    )
    assert run(tr.missing_signoff, patch) == []


def test_same_person_by_address_or_name():
    assert same_person(JANE, Person("J.", "JANE@example.org"))
    assert same_person(JANE, Person("jane doe", "jane@kernel.org"))
    assert not same_person(JANE, JOE)
    assert not same_person(JANE, None)


@pytest.mark.parametrize(
    "value",
    [
        "Jane Doe <jane@example.org>",
        "jane@example.org",
        "<stable@vger.kernel.org> # 6.1+",
        "stable@vger.kernel.org # v5.10",
        '"Doe, Jane" <jane@example.org>',
        "syzbot+abc123@syzkaller.appspotmail.com",
        "Jane <jane@example.org> [for the arm part]",
    ],
)
def test_address_problem_accepts_valid_values(value):
    assert address_problem(value) is None


@pytest.mark.parametrize(
    "value, word",
    [
        ("Jane Doe", "no e-mail"),
        ("linux-mm", "no e-mail"),
        ("Jane Doe <jane@example.org", "not of the form"),
        ("Jane Doe <jane@example.org> on arm64", "not of the form"),
    ],
)
def test_address_problem_rejects(value, word):
    assert word in (address_problem(value) or "")


@pytest.mark.parametrize(
    "name, known",
    [
        ("Signed-of-by", "Signed-off-by"),
        ("Reviewd-by", "Reviewed-by"),
        ("Signed off by", "Signed-off-by"),
        ("Acked-bY", None),
        ("Reviewed-By", None),
        ("Tested-on", None),
        ("Note", None),
        ("Cc", None),
        ("Ackd-by", "Acked-by"),
        ("Suggestd-by", "Suggested-by"),
        ("Reported-by", None),
    ],
)
def test_misspelled_of(name, known):
    assert misspelled_of(name) == known


@pytest.mark.parametrize(
    "value, first_line, word",
    [
        ("deadbeef ('x')", "", "8 digits"),
        ("1234567890ab", "", "no title"),
        ('commit 1234567890ab ("x")', "", "commit"),
        ('xyz1234567890 ("x")', "", "not a hexadecimal"),
        ("1234567890ab x: fix y", "", "does not give the title"),
        ('1234567890ab ("x: fix y', "", "cut off"),
        ('1234567890ab ("x: fix y")', 'Fixes: 1234567890ab ("x: fix', "wrapped"),
        ("", "", "no commit id"),
    ],
)
def test_fixes_problem(value, first_line, word):
    assert word in (fixes_problem(value, first_line) or "")


@pytest.mark.parametrize(
    "value",
    [
        '1234567890ab ("x: fix y")',
        'abcdef0123456789abcdef0123456789abcdef01 ("Revert "x"")',
        '1234567890AB ("foo(): bar (baz)")',
    ],
)
def test_fixes_problem_accepts(value):
    assert fixes_problem(value, f"Fixes: {value}") is None


# -- RP101 / RP102 ---------------------------------------------------------


def test_missing_signoff_none_at_all():
    hits = run(tr.missing_signoff, make_patch([t("Reviewed-by", SOB_JOE, 5)]))
    assert len(hits) == 1 and "no Signed-off-by" in hits[0].message


def test_a_signoff_below_the_separator_is_named_where_it_is() -> None:
    """The sign-off below '---' (with the changelog) is dropped by git am:
    the error says where it is rather than that there is none."""
    from dataclasses import replace as _replace

    patch = _replace(
        make_patch([]), notes="V2:\n- reformat\n---\nSigned-off-by: Jane Doe <jane@example.org>"
    )
    (hit,) = run(tr.missing_signoff, patch)
    assert "'Signed-off-by: Jane Doe <jane@example.org>' sits below the '---' line" in hit.message
    assert hit.severity is None  # the rule's error


def test_missing_signoff_on_an_rfc_is_a_note() -> None:
    from dataclasses import replace as _replace

    base = make_patch([t("Reviewed-by", SOB_JOE, 4)])
    tagged = _replace(base, subject=Subject(raw="[RFC PATCH] x: y", title="x: y", is_rfc=True))
    titled = _replace(base, subject=Subject(raw="[PATCH] RFC: x", title="RFC: x"))
    for patch in (tagged, titled):
        (hit,) = run(tr.missing_signoff, patch)
        assert hit.severity is Severity.NOTE and hit.message.startswith("The RFC has no")
    (hit,) = run(tr.missing_signoff, base)
    assert hit.severity is None  # the rule's error


def test_missing_signoff_other_people_only():
    hits = run(tr.missing_signoff, make_patch([t("Signed-off-by", SOB_JOE, 7)]))
    assert len(hits) == 1 and "Joe Smith" in hits[0].message and hits[0].mail_line == 7


def test_missing_signoff_quiet_when_the_author_signs_an_earlier_paragraph():
    """Two authors' messages joined, each with its own sign-off."""
    from dataclasses import replace as _replace

    patch = make_patch([t("Signed-off-by", SOB_JOE, 9)])
    joined = "First part.\n\nSigned-off-by: Jane Doe <jane@example.org>\n\nSecond part.\n"
    assert run(tr.missing_signoff, _replace(patch, message=joined)) == []
    assert len(run(tr.missing_signoff, patch)) == 1


def test_missing_signoff_quiet_when_present_any_case():
    patch = make_patch([t("Signed-off-by", "Jane Doe <JANE@Example.org>", 3)])
    assert run(tr.missing_signoff, patch) == []
    assert run(tr.from_signoff_mismatch, patch) == []


def test_name_match_other_address_goes_to_rp102_only():
    patch = make_patch([t("Signed-off-by", "Jane Doe <jane@kernel.org>", 9)])
    assert run(tr.missing_signoff, patch) == []
    hits = run(tr.from_signoff_mismatch, patch)
    assert len(hits) == 1 and hits[0].mail_line == 9
    assert "jane@kernel.org" in hits[0].message and "jane@example.org" in hits[0].message


# -- RP103 -----------------------------------------------------------------


def test_chain_sender_not_last():
    patch = make_patch([t("Signed-off-by", SOB_JANE, 4), t("Signed-off-by", SOB_JOE, 5)])
    hits = run(tr.signoff_chain_order, patch)
    assert len(hits) == 1 and hits[0].mail_line == 4 and "not last" in hits[0].message
    assert hits[0].severity is Severity.NOTE  # a colleague's later sign-off is allowed


def test_chain_forwarder_without_signoff():
    patch = make_patch([t("Signed-off-by", SOB_JANE, 4)], sender=JOE)
    hits = run(tr.signoff_chain_order, patch)
    assert len(hits) == 1 and "Joe Smith" in hits[0].message


def test_chain_forwarder_warned_once_per_series():
    from dataclasses import replace as _replace

    one = make_patch([t("Signed-off-by", SOB_JANE, 4)], sender=JOE)
    two = _replace(one, index=2)
    series = Series(version=1, total=2, subject="x", cover=None, patches=(one, two))
    hits = [
        h for p in (one, two) for h in spec_of(tr.signoff_chain_order).run(RuleContext(series, p))
    ]
    assert [h.severity for h in hits] == [None, Severity.NOTE]
    assert "(as in patch 1)" in hits[1].message


def test_chain_nameless_sender_named_like_the_author_is_the_author():
    guo = Person("Guo Ren", "ren_guo@c-sky.com")
    patch = make_patch(
        [t("Signed-off-by", "Guo Ren <ren_guo@c-sky.com>", 4)],
        author=guo,
        sender=Person("", "guoren@kernel.org"),
    )
    assert run(tr.signoff_chain_order, patch) == []


def test_chain_nameless_sender_who_signs_off_under_another_address_signed() -> None:
    # guoren@kernel.org posts Mao Han's patch and signs off as Guo Ren at
    # his employer's address
    patch = make_patch(
        [
            t("Signed-off-by", "Mao Han <han_mao@linux.alibaba.com>", 4),
            t("Signed-off-by", "Guo Ren <guoren@linux.alibaba.com>", 5),
        ],
        author=Person("Mao Han", "han_mao@linux.alibaba.com"),
        sender=Person("", "guoren@kernel.org"),
    )
    assert run(tr.signoff_chain_order, patch) == []


def test_chain_nameless_sender_whose_mailbox_is_the_author_s_name_turned() -> None:
    patch = make_patch(
        [t("Signed-off-by", "chenqiwu <chenqiwu@xiaomi.com>", 4)],
        author=Person("chenqiwu", "chenqiwu@xiaomi.com"),
        sender=Person("", "qiwuchen55@gmail.com"),
    )
    assert run(tr.signoff_chain_order, patch) == []
    # another nameless sender is still asked to sign off
    other = make_patch(
        [t("Signed-off-by", "chenqiwu <chenqiwu@xiaomi.com>", 4)],
        author=Person("chenqiwu", "chenqiwu@xiaomi.com"),
        sender=Person("", "maintainer@example.org"),
    )
    assert len(run(tr.signoff_chain_order, other)) == 1


def test_chain_good_orders():
    assert (
        run(
            tr.signoff_chain_order,
            make_patch(
                [
                    t("Signed-off-by", SOB_JOE, 3),
                    t("Signed-off-by", SOB_JANE, 4),
                    t("Reviewed-by", "Ann <ann@example.com>", 5),
                ]
            ),
        )
        == []
    )
    fwd = make_patch([t("Signed-off-by", SOB_JANE, 3), t("Signed-off-by", SOB_JOE, 4)], sender=JOE)
    assert run(tr.signoff_chain_order, fwd) == []
    # the author with no sign-off at all is missing-signoff's business
    assert run(tr.signoff_chain_order, make_patch([])) == []


def test_chain_not_judged_on_local_format_patch_file():
    patch = make_patch(
        [t("Signed-off-by", SOB_JANE, 4), t("Signed-off-by", SOB_JOE, 5)], sent=False
    )
    assert run(tr.signoff_chain_order, patch) == []


# -- RP104 -----------------------------------------------------------------


def test_codeveloper_followed_by_own_signoff_is_fine():
    patch = make_patch(
        [
            t("Co-developed-by", SOB_JOE, 3),
            t("Signed-off-by", SOB_JOE, 4),
            t("Signed-off-by", SOB_JANE, 5),
        ]
    )
    assert run(tr.codeveloper_without_signoff, patch) == []


def test_codeveloper_without_signoff_and_author_codeveloper():
    patch = make_patch(
        [
            t("Co-developed-by", SOB_JOE, 3),
            t("Signed-off-by", SOB_JANE, 4),
            t("Co-developed-by", SOB_JANE, 5),
            t("Signed-off-by", SOB_JANE, 6),
        ]
    )
    hits = run(tr.codeveloper_without_signoff, patch)
    assert [h.mail_line for h in hits] == [3, 5]
    assert "not immediately followed" in hits[0].message and "names the author" in hits[1].message


def test_codeveloper_signing_off_further_down_is_a_note():
    patch = make_patch(
        [
            t("Co-developed-by", SOB_JOE, 3),
            t("Signed-off-by", SOB_JANE, 4),
            t("Signed-off-by", SOB_JOE, 5),
        ]
    )
    (hit,) = run(tr.codeveloper_without_signoff, patch)
    assert hit.severity is Severity.NOTE and "further down" in hit.message
    (missing,) = run(tr.codeveloper_without_signoff, make_patch([t("Co-developed-by", SOB_JOE, 3)]))
    assert missing.severity is None and "does not sign the patch off at all" in missing.message


def test_codeveloper_last_trailer():
    hits = run(
        tr.codeveloper_without_signoff,
        make_patch([t("Signed-off-by", SOB_JANE, 2), t("Co-developed-by", SOB_JOE, 3)]),
    )
    assert len(hits) == 1


# -- RP105 -----------------------------------------------------------------


def test_bad_fixes_tag_uses_mail_line():
    body = 'x\n\nFixes: 1234abcd ("x: y")\nSigned-off-by: Jane Doe <jane@example.org>\n'
    patch = make_patch(
        [t("Fixes", '1234abcd ("x: y")', 3), t("Signed-off-by", SOB_JANE, 4)], body=body
    )
    hits = run(tr.bad_fixes_tag, patch)
    assert len(hits) == 1 and hits[0].mail_line == 3 and "8 digits" in hits[0].message


def test_good_fixes_tag():
    body = 'x\n\nFixes: 1234567890ab ("x: y")\n'
    patch = make_patch([t("Fixes", '1234567890ab ("x: y")', 3)], body=body)
    assert run(tr.bad_fixes_tag, patch) == []


# -- RP106 -----------------------------------------------------------------


def test_duplicate_trailer_case_insensitive():
    patch = make_patch(
        [
            t("Reviewed-by", SOB_JOE, 3),
            t("Reviewed-by", "joe smith <JOE@example.org>", 4),
            t("Signed-off-by", SOB_JANE, 5),
        ]
    )
    hits = run(tr.duplicate_trailer, patch)
    assert len(hits) == 1 and hits[0].mail_line == 4 and "line 3" in hits[0].message


def test_duplicate_signoff_with_handler_between_is_fine():
    patch = make_patch(
        [
            t("Signed-off-by", SOB_JANE, 3),
            t("Signed-off-by", SOB_JOE, 4),
            t("Signed-off-by", SOB_JANE, 5),
        ]
    )
    assert run(tr.duplicate_trailer, patch) == []
    twice = make_patch(
        [
            t("Signed-off-by", SOB_JANE, 3),
            t("Acked-by", SOB_JOE, 4),
            t("Signed-off-by", SOB_JANE, 5),
        ]
    )
    assert len(run(tr.duplicate_trailer, twice)) == 1


# -- RP107 -----------------------------------------------------------------


def test_malformed_person_trailer_without_address():
    patch = make_patch(
        [
            t("Suggested-by", "Joe Smith", 3),
            t("Cc", "linux-mm", 4),
            t("Cc", "stable@vger.kernel.org # 6.1", 5),
            t("Signed-off-by", SOB_JANE, 6),
        ]
    )
    hits = run(tr.malformed_trailer, patch)
    assert [h.mail_line for h in hits] == [3, 4]


def test_malformed_trailer_name_from_parser_and_from_body():
    body = "Subject text.\n\nReviewd-by: Joe Smith <joe@example.org>\nSigned-of-by: Jane Doe <jane@example.org>\n---\n"
    patch = make_patch([t("Reviewd-by", SOB_JOE, 3)], body=body)
    hits = run(tr.malformed_trailer, patch)
    assert [h.mail_line for h in hits] == [3, 4]
    assert '"Signed-off-by"' in hits[1].message


def test_malformed_trailer_quiet_on_prose_and_case():
    body = "Note: this is prose.\nTested on: arm64\n\nReviewed-By: Joe Smith <joe@example.org>\n---\nv2: x\n"
    patch = make_patch([t("Reviewed-by", SOB_JOE, 4)], body=body)
    assert run(tr.malformed_trailer, patch) == []


# -- RP108 -----------------------------------------------------------------


def test_reported_by_without_closes():
    patch = make_patch([t("Reported-by", SOB_JOE, 3), t("Signed-off-by", SOB_JANE, 4)])
    hits = run(tr.reported_by_without_closes, patch)
    assert len(hits) == 1 and hits[0].mail_line == 3


def test_reported_by_of_a_backport_is_the_upstream_commit_s() -> None:
    from dataclasses import replace as _replace

    base = make_patch([t("Reported-by", SOB_JOE, 3), t("Signed-off-by", SOB_JANE, 4)])
    autosel = _replace(
        base,
        subject=Subject(raw="[PATCH AUTOSEL 6.6 01/14] x: y", title="x: y", prefixes=("AUTOSEL",)),
    )
    stable = _replace(base, message="[ Upstream commit 0123456789ab ]\n\nChange.")
    assert run(tr.reported_by_without_closes, autosel) == []
    assert run(tr.reported_by_without_closes, stable) == []
    assert len(run(tr.reported_by_without_closes, base)) == 1


def test_reported_by_without_closes_warned_once_per_series():
    from dataclasses import replace as _replace

    one = make_patch([t("Reported-by", SOB_JOE, 3), t("Signed-off-by", SOB_JANE, 4)])
    two = _replace(one, index=2)
    series = Series(version=1, total=2, subject="x", cover=None, patches=(one, two))
    hits = list(spec_of(tr.reported_by_without_closes).run(RuleContext(series, None)))
    assert [(h.patch_index, h.severity) for h in hits] == [(1, None), (2, Severity.NOTE)]


def test_reported_by_without_closes_is_linear_in_the_series() -> None:
    # one pass over the series: 3,000 patches with their own report each
    from dataclasses import replace as _replace

    base = make_patch([t("Reported-by", SOB_JOE, 3), t("Signed-off-by", SOB_JANE, 4)])
    patches = tuple(_replace(base, index=i) for i in range(1, 3001))
    series = Series(version=1, total=3000, subject="x", cover=None, patches=patches)
    hits = list(spec_of(tr.reported_by_without_closes).run(RuleContext(series, None)))
    assert len(hits) == 3000 and sum(h.severity is None for h in hits) == 1


def test_reported_by_runs_share_one_closes():
    patch = make_patch(
        [
            t("Reported-by", SOB_JOE, 3),
            t("Reported-by", "Ann <ann@example.com>", 4),
            t("Closes", "https://lore.kernel.org/r/1@x", 5),
            t("Signed-off-by", SOB_JANE, 6),
        ]
    )
    assert run(tr.reported_by_without_closes, patch) == []
    assert (
        run(
            tr.reported_by_without_closes,
            make_patch([t("Reported-by", SOB_JOE, 3), t("Link", "https://x.org/1", 4)]),
        )
        == []
    )


def test_relay_author_is_not_a_mismatch():
    relay = Person("Jane Doe via linux-foo", "linux-foo@lists.example.org")
    patch = make_patch([t("Signed-off-by", SOB_JANE, 3)], author=relay)
    assert run(tr.from_signoff_mismatch, patch) == []
    assert run(tr.missing_signoff, patch) == []
    assert run(tr.signoff_chain_order, patch) == []


# -- end to end, through the mail, series and patch parsers ----------------

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"


def review_fixture(rule_name: str, file_name: str):
    from reviewpatch.api import review_mails
    from reviewpatch.mail import read_mails

    mails, problems = read_mails((FIXTURES / rule_name / file_name).read_bytes(), file_name)
    report = review_mails(tuple(mails), Settings(), problems=tuple(problems))
    return report, [f for f in report.findings if f.rule_name == rule_name]


@pytest.mark.parametrize(
    "rule_name, file_name, quoted",
    [
        ("malformed-trailer", "bad-misspelled-name.mbox", "Reviewd-by:"),
        ("bad-fixes-tag", "bad-short-sha.mbox", "Fixes: 0123456 "),
        ("duplicate-trailer", "bad-reviewed-twice.mbox", "Reviewed-by: joe smith"),
        ("codeveloper-without-signoff", "bad-no-codeveloper-signoff.mbox", "Co-developed-by:"),
        (
            "from-signoff-mismatch",
            "bad-corporate-address.mbox",
            "Signed-off-by: Jane Doe <jane@kernel.org>",
        ),
    ],
)
def test_fixture_hit_quotes_the_trailer_line(rule_name, file_name, quoted):
    report, hits = review_fixture(rule_name, file_name)
    assert len(hits) == 1
    patch = report.series.patch(hits[0].location.patch_index)
    assert patch is not None
    assert body_line(patch.mail, hits[0].location.mail_line).startswith(quoted)


def test_fixture_good_trailers_are_quiet_for_every_trailer_rule():
    report, _ = review_fixture("malformed-trailer", "good-trailers.mbox")
    assert [f.rule_id for f in report.findings if f.rule_id.startswith("RP1")] == []


def test_wrapped_fixes_outside_the_trailer_block():
    body = (
        'Commit message.\n\nFixes: 1234567890ab ("x: add the probe and the\nremove function")\n'
        "Signed-off-by: Jane Doe <jane@example.org>\n---\n"
    )
    patch = make_patch([t("Signed-off-by", SOB_JANE, 5)], body=body)
    hits = run(tr.bad_fixes_tag, patch)
    assert len(hits) == 1 and hits[0].mail_line == 3 and "wrapped" in hits[0].message


def test_fixture_wrapped_fixes_is_reported_as_wrapped():
    _, hits = review_fixture("bad-fixes-tag", "bad-wrapped.mbox")
    assert len(hits) == 1 and "wrapped over more than one line" in hits[0].message


def test_signoff_outside_a_recognised_trailer_block_still_counts():
    body = "Commit message.\n\nSigned-off-by: Jane Doe <jane@example.org>\n---\n"
    patch = make_patch([], body=body)
    assert run(tr.missing_signoff, patch) == []
    assert run(tr.signoff_chain_order, patch) == []


def test_author_without_name_or_address():
    nobody = Person("", "")
    hits = run(tr.missing_signoff, make_patch([], author=nobody))
    assert len(hits) == 1 and "(no name or address)" in hits[0].message
    assert (
        run(tr.missing_signoff, make_patch([t("Signed-off-by", SOB_JOE, 3)], author=nobody)) == []
    )


def test_from_signoff_mismatch_is_said_once_per_series() -> None:
    from dataclasses import replace

    from test_rules_c_symbols import make_patch, make_series

    from reviewpatch.model import Person
    from reviewpatch.rules.registry import RuleContext
    from reviewpatch.rules.trailers import from_signoff_mismatch
    from reviewpatch.trailers import parse_trailer_block

    author = Person("Vineet Gupta", "Vineet.Gupta1@synopsys.com")
    body = "Fix it.\n\nSigned-off-by: Vineet Gupta <vgupta@synopsys.com>\n"

    def patch(i: int):  # type: ignore[no-untyped-def]
        p = make_patch("", body, index=i)
        trailers = parse_trailer_block(body.splitlines(), f"p{i}@example.org", 1, None)
        return replace(p, author=author, trailers=trailers)

    series = make_series(patch(1), patch(2), patch(3))
    hits = [
        h for p in series.patches for h in from_signoff_mismatch(RuleContext(series, p, {}, None))
    ]
    assert len(hits) == 1 and "(patches 1, 2, 3 do the same)" in hits[0].message


def test_likely_same_person_under_two_names() -> None:
    from reviewpatch.model import Person
    from reviewpatch.rules.trailer_util import likely_same_person

    assert likely_same_person(
        Person("fan", "nifan.cxl@gmail.com"), Person("Fan Ni", "fan.ni@x.com")
    )
    assert likely_same_person(Person("Jian Dong", "dj@163.com"), Person("dongjian", "dj@yl.com"))
    assert not likely_same_person(
        Person("Heiko Carstens", "hca@linux.ibm.com"), Person("Alexander Gordeev", "ag@ibm.com")
    )
    assert not likely_same_person(
        Person("Shida Zhang", "zs@k.cn"), Person("Stephen Zhang", "s@g.com")
    )
    assert not likely_same_person(Person("Jane", "j@x.org"), Person("Jane Doe", "jane@y.org"))
    assert likely_same_person(
        Person("", "Hermann.Lauer@uni-heidelberg.de"),
        Person("Hermann Lauer", "Hermann.Lauer@iwr.uni-heidelberg.de"),
    )
    assert likely_same_person(
        Person("Vinicius Petrucci", "vpetrucci@gmail.com"),
        Person("Vinicius Tavares Petrucci", "vtavarespetr@micron.com"),
    )
    assert not likely_same_person(
        Person("John Smith", "js@a.org"), Person("John Paul Smithers", "jps@b.org")
    )
    assert likely_same_person(
        Person("shuah", "shuah@kernel.org"), Person("Shuah Khan", "skhan@linuxfoundation.org")
    )
    assert not likely_same_person(Person("john", "jd@x.org"), Person("John Smith", "js@y.org"))
    assert likely_same_person(
        Person("cy_huang", "u0084500@gmail.com"), Person("ChiYuan Huang", "cy_huang@richtek.com")
    )
    assert likely_same_person(
        Person("FreeFlyingSheep", "chris.chenfeiyang@gmail.com"),
        Person("Feiyang Chen", "chenfeiyang@loongson.cn"),
    )
    assert not likely_same_person(  # a short word is no evidence
        Person("Li Wang", "x@a.org"), Person("Bob", "wangli@b.org")
    )
    assert not likely_same_person(  # one word of two
        Person("Chen Wang", "x@a.org"), Person("Bob", "chenzhou@b.org")
    )


def test_a_fixup_without_signoff_is_a_note() -> None:
    from dataclasses import replace

    patch = make_patch()
    fixup = replace(patch, subject=replace(patch.subject, title="fixup! i2c: add a driver"))
    (hit,) = run(tr.missing_signoff, fixup)
    assert hit.severity is Severity.NOTE and "fixup" in hit.message
    (plain,) = run(tr.missing_signoff, patch)
    assert plain.severity is None
    for title in ("[PATCH V7 16/16] DO-NOT_MERGE: cpufreq: rename", "[PATCH DNM] x: y"):
        mail = replace(patch.mail, subject=title)
        (hit,) = run(tr.missing_signoff, replace(patch, mail=mail))
        assert hit.severity is Severity.NOTE, title


def test_trailer_lines_are_read_where_the_parser_found_the_message() -> None:
    # a reply that carries its own version of a patch after "---": its own
    # text above is not the commit message, and a misspelt tag in the
    # carried message is found
    from reviewpatch.patch import parse_patch

    body = (
        "On Monday A B wrote:\n> Reviewd-by: A B <a@b.org>\n\nTry this:\n\n---\n"
        "From: C D <c@d.org>\nSubject: [PATCH] fix\n\nReal message.\n\n"
        "Signed-off-by: C D <c@d.org>\nAcked-bу: E F <e@f.org>\n---\n"
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    who = Person("C D", "c@d.org")
    mail = Mail("p1@x", "[PATCH] fix", who, "", None, (), body)
    patch = parse_patch(mail, Subject(raw="[PATCH] fix", title="fix", is_patch=True))
    from reviewpatch.rules.trailer_util import head_lines

    lines = [text for _n, text in head_lines(patch)]
    assert lines[0] == "Real message." and "Try this:" not in lines
    assert "Signed-off-by: C D <c@d.org>" in lines


def test_a_codeveloper_signoff_given_in_a_reply_makes_a_note() -> None:
    """Alan Stern, asked for his sign-off as co-developer, gave it in a
    reply (a real linux-arch thread): the patch still lacks it, but the
    maintainer has it; a note that says where, not an error."""
    from dataclasses import replace as _replace

    patch = make_patch([t("Signed-off-by", SOB_JANE, 5), t("Co-developed-by", SOB_JOE, 6)])
    (hit,) = run(tr.codeveloper_without_signoff, patch)
    assert hit.severity is None  # the rule's error
    given = _replace(t("Signed-off-by", SOB_JOE), origin_msgid="r9@x")
    (hit,) = run(tr.codeveloper_without_signoff, _replace(patch, followup_trailers=(given,)))
    assert hit.severity is Severity.NOTE and "gave it in a reply (<r9@x>)" in hit.message
