"""reviewpatch.versions: review requests, author responses and
follow-through verdicts, on the seed pair, the initrd versions and small
hand-made threads (one per branch)."""

from __future__ import annotations

import pytest
from test_versions_support import (
    AUTHOR,
    FIXTURES,
    REVIEWER,
    bar_diff,
    fixture_series,
    foo_diff,
    load_mails,
    patch_mail,
    quote,
    real_series,
    reply,
)

from reviewpatch.model import Mail, Series
from reviewpatch.series import assemble_series
from reviewpatch.versions import extract_requests, extract_responses, follow_through, map_series
from reviewpatch.versions.model import (
    EvidenceKind,
    FollowThrough,
    RequestKind,
    Stance,
    Verdict,
)


def _table(items: tuple[FollowThrough, ...]) -> list[tuple[str, str, str]]:
    return [(f.request.reviewer.name, f.request.kind.value, f.verdict.value) for f in items]


def _evidence(item: FollowThrough, kind: EvidenceKind) -> list[str]:
    return [e.text for e in item.evidence if e.kind is kind]


# -- the seed pair ------------------------------------------------------------


def _seed_v15() -> Series:
    return fixture_series("seed-v15-review.mbox")


def test_seed_requests_and_responses() -> None:
    old = _seed_v15()
    requests = extract_requests(old)
    assert [r.kind for r in requests] == [
        RequestKind.MESSAGE,  # mention that this enables Syscall User Dispatch
        RequestKind.MESSAGE,  # why SUD support is in this patch
        RequestKind.QUESTION,  # must an arch support SUD for generic entry?
        RequestKind.MESSAGE,  # RSEQ / HAVE_GENERIC_TIF_BITS
        RequestKind.COMMENT,  # SYSCALL_EXIT_TRAP comment: say generic entry needs it
    ]
    assert {r.reviewer.name for r in requests} == {"Ada Couprie Diaz"}
    assert "HAVE_GENERIC_TIF_BITS" in requests[3].terms
    responses = extract_responses(old, requests)
    by_request = {r.request: r for r in responses}
    stances = [by_request[r.ident].stance for r in requests]
    assert stances == [
        Stance.PROMISE,
        Stance.PROMISE,
        Stance.ANSWER,
        Stance.PROMISE,
        Stance.PROMISE,
    ]
    assert by_request[requests[1].ident].aspect is RequestKind.SPLIT
    assert "standalone patch" in by_request[requests[1].ident].sentence
    assert by_request[requests[4].ident].aspect is RequestKind.COMMENT


def test_seed_pair_verdicts_never_guess() -> None:
    """v16 11/18 is not the successor of v15 10/11 (another patch), and 17
    patches of v16 are not in the thread: every verdict is unclear, says
    why, and the RSEQ request is not taken as done because 11/18 speaks of
    RSEQ in another sense."""
    smap = map_series(_seed_v15(), fixture_series("seed-v16-11.mbox"))
    items = follow_through(smap)
    assert [f.verdict for f in items] == [Verdict.UNCLEAR] * 5
    assert all(f.successor is None for f in items)
    assert "v16 misses patches" in items[0].reason
    rseq = items[3]
    assert "HAVE_GENERIC_TIF_BITS: in no v16 message seen" in _evidence(rseq, EvidenceKind.ABSENT)
    elsewhere = [e for e in rseq.evidence if e.kind is EvidenceKind.SENTENCE]
    assert elsewhere and all("not the successor" in e.where for e in elsewhere)
    split = items[1]
    assert any("Syscall User Dispatch" in t for t in _evidence(split, EvidenceKind.ABSENT))
    assert "a question" in items[2].reason
    comment = items[4]
    assert _evidence(comment, EvidenceKind.ABSENT) == [
        "arch/arm64/kernel/debug-monitors.c: touched by no v16 patch seen"
    ]


_SUD_SENTENCE = (
    "This effectively enables Syscall User Dispatch (SUD) for arm64, as SUD is\n"
    "gated by CONFIG_GENERIC_ENTRY only and handled via ptrace.\n\n"
)


def _seed_v16_complete(say_rseq: bool) -> Series:
    """A hand-made complete v16 following the review: SUD split into 1/2,
    2/2 mentions SUD and changes the comment; the RSEQ point only when
    ``say_rseq``."""
    v15 = _seed_v15().patches[0]
    body = v15.mail.body.replace("[Background]\n", _SUD_SENTENCE + "[Background]\n", 1)
    if say_rseq:
        body = body.replace(
            "[Why this matters]\n",
            "There is no change related to RSEQ, as arm64 does not select\n"
            "HAVE_GENERIC_TIF_BITS.\n\n[Why this matters]\n",
        )
    body = body.replace(
        "+\t * Ensure that a trap is triggered once stepping out of a system\n"
        "+\t * call prior to executing any user instruction.\n",
        "+\t * Ensure that the generic entry code triggers a trap once stepping\n"
        "+\t * out of a system call, as it does not check TIF_SINGLESTEP.\n",
    )
    subject = "[PATCH v16 2/2] arm64: entry: Convert to generic entry"
    cover = patch_mail("s0@x", "[PATCH v16 0/2] arm64: generic entry", "Generic entry.", None)
    sud = patch_mail(
        "s1@x",
        "[PATCH v16 1/2] arm64: syscall: Add Syscall User Dispatch support",
        "Add arch_syscall_is_vdso_sigreturn() for SUD.",
        bar_diff("arch_syscall_is_vdso_sigreturn"),
        parent="s0@x",
        stamp=1,
    )
    main = Mail(
        msgid="s2@x",
        subject=subject,
        sender=v15.mail.sender,
        date=v15.mail.date,
        in_reply_to="s0@x",
        references=("s0@x",),
        body=body,
        timestamp=1_770_000_002.0,
    )
    return assemble_series((cover, sud, main))


def test_seed_follow_through_on_a_complete_v16() -> None:
    smap = map_series(_seed_v15(), _seed_v16_complete(say_rseq=False))
    items = follow_through(smap)
    assert [f.verdict for f in items] == [
        Verdict.ADDRESSED,  # the message now says SUD is enabled
        Verdict.ADDRESSED,  # SUD arrived as its own patch
        Verdict.UNCLEAR,  # a question
        Verdict.NOT_ADDRESSED,  # RSEQ / HAVE_GENERIC_TIF_BITS promised, absent
        Verdict.ADDRESSED,  # the comment names generic entry
    ]
    assert items[0].successor is not None and items[0].successor.label == "v16 2/2"
    (said,) = _evidence(items[0], EvidenceKind.SENTENCE)
    assert said.startswith("This effectively enables Syscall User Dispatch")
    assert _evidence(items[1], EvidenceKind.PATCH)[0].startswith(
        "v16 1/2 arm64: syscall: Add Syscall User Dispatch support"
    )
    absent = _evidence(items[3], EvidenceKind.ABSENT)
    assert "HAVE_GENERIC_TIF_BITS: in no new sentence of the message" in absent
    assert "RSEQ: in no new sentence of the message" in absent
    assert any(
        "generic entry code triggers a trap" in t
        for t in _evidence(items[4], EvidenceKind.NEW_LINE)
    )
    fixed = follow_through(map_series(_seed_v15(), _seed_v16_complete(say_rseq=True)))
    assert fixed[3].verdict is Verdict.ADDRESSED
    assert any("HAVE_GENERIC_TIF_BITS" in t for t in _evidence(fixed[3], EvidenceKind.SENTENCE))


# -- initrd v2 -> v3 -> v4 ------------------------------------------------------


def test_initrd_v2_v3_follow_through() -> None:
    items = follow_through(map_series(real_series("initrd-v2"), real_series("initrd-v3")))
    assert _table(items) == [
        ("Andy Shevchenko", "message", "addressed"),  # last period, "deprecated since 2020"
        ("Andy Shevchenko", "question", "addressed"),  # "noinitrd": "I will clarify docs in v3"
        ("Randy Dunlap", "elsewhere", "declined"),  # other linuxrc docs: "in cleanup patchset"
    ]
    period, docs, elsewhere = items
    assert [r.stance for r in period.responses] == [Stance.PROMISE, Stance.PROMISE]
    assert any("in 2020" in t for t in _evidence(period, EvidenceKind.SENTENCE))
    assert "+\t\t\tin EFI mode." in _evidence(docs, EvidenceKind.NEW_LINE)
    assert docs.responses[0].sentence == "Also I will clarify docs in v3."
    assert _evidence(elsewhere, EvidenceKind.AUTHOR) == [
        "I will remove these linuxrc mentions in cleanup patchset."
    ]
    assert "deferred" in elsewhere.reason


def test_initrd_v3_v4_follow_through() -> None:
    items = follow_through(map_series(real_series("initrd-v3"), real_series("initrd-v4")))
    assert _table(items) == [
        ("Christian Brauner", "remark", "unclear"),  # acks needed: no ask of the patch
        ("Christian Brauner", "question", "unclear"),  # "@Christoph ... your take?"
        ("Bagas Sanjaya", "question", "addressed"),  # September 2026 -> January 2027
    ]
    bagas = items[2]
    (line,) = _evidence(bagas, EvidenceKind.NEW_LINE)
    assert "January 2027" in line
    assert bagas.evidence[0].where == "v4 2/3 init/do_mounts_initrd.c"
    assert "after LTS release" in bagas.reason  # the promised wording is not used


def test_v1_v2_fixture_code_request_without_answer() -> None:
    mails = load_mails(FIXTURES / "v1-v2-replies.mbox")
    smap = map_series(assemble_series(mails, version=1), assemble_series(mails, version=2))
    (item,) = follow_through(smap)
    assert item.verdict is Verdict.ADDRESSED and not item.responses
    assert _evidence(item, EvidenceKind.NEW_LINE) == ["+\tif (ret)"]


# -- hand-made branches --------------------------------------------------------

TITLE = "foo: check the result of foo_init()"
SUBJECT = f"[PATCH] {TITLE}"


def _thread(
    review: str, answers: tuple[str, ...], v2_patches: tuple[tuple[str, str], ...]
) -> tuple[FollowThrough, ...]:
    v1 = patch_mail("v1@x", SUBJECT, "Check the result of foo_init().", foo_diff())
    rev = reply("rev@x", SUBJECT, REVIEWER, review, v1.msgid, stamp=1)
    mails = [v1, rev]
    for n, text in enumerate(answers):
        mails.append(reply(f"ans{n}@x", SUBJECT, AUTHOR, text, rev.msgid, 2 + n, (v1.msgid,)))
    total = len(v2_patches)
    for n, (title, diff) in enumerate(v2_patches, start=1):
        counter = f" {n}/{total}" if total > 1 else ""
        message = "Check the result of foo_init()." if title == TITLE else f"{title}."
        subject = f"[PATCH v2{counter}] {title}"
        mails.append(patch_mail(f"v2-{n}@x", subject, message, diff, stamp=10 + n))
    old = assemble_series(tuple(mails), version=1)
    new = assemble_series(tuple(mails), version=2)
    return follow_through(map_series(old, new))


_ASK = (
    quote("+\tif (ret < 0)") + "\n\nPlease use if (ret) here, foo_init() returns 0 or an error.\n"
)


def test_declined_with_a_reason() -> None:
    answer = (
        quote("Please use if (ret) here, foo_init() returns 0 or an error.")
        + "\n\nI'd rather keep it as is, because foo_init() may return a count later.\n"
    )
    (item,) = _thread(_ASK, (answer,), ((TITLE, foo_diff()),))
    assert item.verdict is Verdict.DECLINED
    assert item.responses[0].stance is Stance.DECLINE
    assert _evidence(item, EvidenceKind.AUTHOR) == [
        "I'd rather keep it as is, because foo_init() may return a count later."
    ]


def test_promised_but_quoted_code_unchanged() -> None:
    answer = (
        quote("Please use if (ret) here, foo_init() returns 0 or an error.") + "\n\nWill fix.\n"
    )
    (item,) = _thread(_ASK, (answer,), ((TITLE, foo_diff(start=30)),))
    assert item.verdict is Verdict.NOT_ADDRESSED
    assert item.responses[0].stance is Stance.PROMISE
    (unchanged,) = item.evidence
    assert unchanged.kind is EvidenceKind.UNCHANGED_LINE and unchanged.text == "+\tif (ret < 0)"
    assert unchanged.where == "v2 1/1 drivers/foo.c" and unchanged.mail_line is not None


def test_promised_and_done() -> None:
    answer = (
        quote("Please use if (ret) here, foo_init() returns 0 or an error.")
        + "\n\nSure, will do.\n"
    )
    (item,) = _thread(_ASK, (answer,), ((TITLE, foo_diff(cond="ret")),))
    assert item.verdict is Verdict.ADDRESSED
    assert "+\tif (ret)" in _evidence(item, EvidenceKind.NEW_LINE)


def test_blanket_promise_answers_every_request() -> None:
    review = (
        quote("+\tret = foo_init(dev);")
        + "\n\nPlease rename foo_init() to foo_setup() while at it.\n\n"
        + quote("+\t\treturn ret;")
        + "\n\nPlease add a dev_err() before returning.\n"
    )
    answer = "Thanks for the review, I'll address all of the above in v2.\n\n" + quote(review)
    fixed = foo_diff(extra='\tdev_err(dev, "init failed\\n");')
    items = _thread(review, (answer,), ((TITLE, fixed),))
    assert [f.verdict for f in items] == [Verdict.NOT_ADDRESSED, Verdict.ADDRESSED]
    assert all(f.responses and f.responses[0].blanket for f in items)
    assert all(f.responses[0].stance is Stance.PROMISE for f in items)


def test_split_arrived_and_not() -> None:
    review = (
        quote("+\tret = foo_init(dev);")
        + "\n\nPlease split the bar_helper() addition into its own patch.\n"
    )
    answer = (
        quote("Please split the bar_helper() addition into its own patch.")
        + "\n\nGood point, I'll split it out.\n"
    )
    arrived = _thread(
        review, (answer,), (("bar: add bar_helper()", bar_diff()), (TITLE, foo_diff()))
    )
    assert arrived[0].verdict is Verdict.ADDRESSED
    assert arrived[0].request.kind is RequestKind.SPLIT
    assert _evidence(arrived[0], EvidenceKind.PATCH)[0].startswith("v2 1/2 bar: add bar_helper()")
    missing = _thread(review, (answer,), ((TITLE, foo_diff()),))
    assert missing[0].verdict is Verdict.NOT_ADDRESSED
    assert _evidence(missing[0], EvidenceKind.ABSENT)


def test_partly_when_one_promise_of_two_is_kept() -> None:
    review = (
        quote("+\tret = foo_init(dev);")
        + "\n\nPlease split the foo_reset() rename into its own patch, and explain in the"
        + "\ncommit message why foo_init() can fail.\n"
    )
    answer = (
        quote("Please split the foo_reset() rename into its own patch, and explain in the")
        + "\n\nGood point, I'll split it out. I will also update the commit message.\n"
    )
    items = _thread(
        review, (answer,), (("foo: rename foo_reset()", bar_diff("foo_reset")), (TITLE, foo_diff()))
    )
    (item,) = items
    assert item.verdict is Verdict.PARTLY
    assert "foo: rename foo_reset()" in " ".join(_evidence(item, EvidenceKind.PATCH))


def test_question_answered_no() -> None:
    review = quote("+\tif (ret < 0)") + "\n\nCan foo_init() return a positive value?\n"
    answer = quote("Can foo_init() return a positive value?") + "\n\nNo, it returns 0 or -errno.\n"
    (item,) = _thread(review, (answer,), ((TITLE, foo_diff()),))
    assert item.request.kind is RequestKind.QUESTION
    assert item.responses[0].stance is Stance.ANSWER
    assert item.verdict is Verdict.UNCLEAR and "a question" in item.reason


def test_a_bot_report_is_no_review_request() -> None:
    from reviewpatch.model import Mail, Person
    from reviewpatch.versions.requests import _from_a_bot

    rob = Person("Rob Herring (Arm)", "robh@kernel.org")
    bot = Mail(
        "b@x",
        "Re: [PATCH v5 1/5] x",
        rob,
        "",
        "p@x",
        ("p@x",),
        "\nMy bot found errors running 'make dt_binding_check' on your patch:\n",
    )
    human = Mail(
        "h@x",
        "Re: [PATCH v5 1/5] x",
        rob,
        "",
        "p@x",
        ("p@x",),
        "> +  foo: bar\n\nPlease drop this.\n",
    )
    robot = Mail(
        "r@x", "Re: [PATCH] x", Person("kernel test robot", "lkp@intel.com"), "", None, (), "Hi,\n"
    )
    assert _from_a_bot(bot) and _from_a_bot(robot) and not _from_a_bot(human)


@pytest.mark.parametrize(
    ("answer", "stance"),
    [
        ("No, I will not change that: the lock is held by the caller.", "decline"),
        ("I won't rename it, the name matches the hardware manual.", "decline"),
        ("Right, I will change that in v2.", "promise"),
        ("I don't think we need the check at all, will drop it.", "promise"),
    ],
)
def test_a_negated_promise_is_a_decline(answer: str, stance: str) -> None:
    from reviewpatch.versions.requests import stance_of

    assert stance_of(answer, question=False)[0].value == stance
