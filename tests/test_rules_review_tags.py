"""Unit tests of the review-tag rules (reviewpatch.rules.review_tags)."""

from __future__ import annotations

from reviewpatch.findings import Confidence, Severity
from reviewpatch.model import Mail, Patch, Person, Series, Subject, Trailer
from reviewpatch.rules import review_tags as rt
from reviewpatch.rules.registry import RuleContext, spec_of

JANE = Person("Jane Doe", "jane@example.org")
JOE = Person("Joe Smith", "joe@example.org")
ANN = Person("Ann Other", "ann@example.com")


def own(name: str, who: Person, line: int = 0) -> Trailer:
    return Trailer(name=name, value=str(who), person=who, origin_msgid="p@x", line=line)


def given(name: str, who: Person, by: Person, msgid: str = "r1@x", line: int = 3) -> Trailer:
    return Trailer(
        name=name, value=str(who), person=who, origin_msgid=msgid, line=line, given_by=by
    )


def make_patch(index=1, trailers=(), followups=(), author=JANE) -> Patch:
    mail = Mail(f"p{index}@x", f"[PATCH {index}/2] x", author, "", None, (), "")
    return Patch(
        mail,
        Subject(raw="x", title="x"),
        index,
        author,
        "Change.",
        trailers=tuple(trailers),
        followup_trailers=tuple(followups),
    )


def series_of(*patches: Patch, cover: Patch | None = None) -> Series:
    return Series(version=1, total=len(patches), subject="x", cover=cover, patches=patches)


def run_patch(func, patch: Patch):
    return list(spec_of(func).run(RuleContext(series_of(patch), patch)))


def run_series(func, series: Series):
    return list(spec_of(func).run(RuleContext(series)))


def test_pending_lists_new_trailers_with_giver_and_message():
    patch = make_patch(
        trailers=[own("Signed-off-by", JANE)],
        followups=[given("Reviewed-by", JOE, JOE, "r1@x"), given("Acked-by", ANN, ANN, "r2@x")],
    )
    hits = run_patch(rt.pending_trailers, patch)
    assert len(hits) == 1
    msg = hits[0].message
    assert (
        "2 trailers" in msg
        and "Reviewed-by: Joe Smith <joe@example.org>" in msg
        and "<r2@x>" in msg
    )
    assert len(hits[0].evidence) == 2


def test_pending_skips_carried_duplicates_cc_and_others_signoff():
    patch = make_patch(
        trailers=[
            own("Signed-off-by", JANE),
            own("Reviewed-by", Person("joe smith", "JOE@example.org")),
        ],
        followups=[
            given("Reviewed-by", JOE, JOE),
            given("Cc", ANN, JOE),
            given("Signed-off-by", ANN, ANN),
        ],
    )
    assert run_patch(rt.pending_trailers, patch) == []


def test_pending_dedupes_same_tag_given_twice():
    patch = make_patch(
        followups=[given("Tested-by", JOE, JOE, "r1@x"), given("Tested-by", JOE, JOE, "r2@x")]
    )
    hits = run_patch(rt.pending_trailers, patch)
    assert len(hits) == 1 and "A trailer" in hits[0].message


def test_sender_mismatch_other_person_is_warning_on_the_patch():
    patch = make_patch(index=2, followups=[given("Tested-by", ANN, JOE, "r9@x")])
    hits = run_series(rt.followup_trailer_sender_mismatch, series_of(make_patch(1), patch))
    assert len(hits) == 1
    assert hits[0].patch_index == 2 and hits[0].severity is None
    assert (
        "Joe Smith" in hits[0].message
        and "Ann Other" in hits[0].message
        and "<r9@x>" in hits[0].message
    )


def test_sender_mismatch_by_the_series_author_passing_tags_on_is_a_note():
    patch = make_patch(followups=[given("Tested-by", ANN, JANE, "r9@x")])
    (hit,) = run_series(rt.followup_trailer_sender_mismatch, series_of(patch))
    assert hit.severity is Severity.NOTE and "passed on" in hit.message


def test_sender_mismatch_same_name_is_low_note():
    other = Person("Joe Smith", "joe@kernel.org")
    patch = make_patch(followups=[given("Reviewed-by", other, JOE)])
    hits = run_series(rt.followup_trailer_sender_mismatch, series_of(patch))
    assert (
        len(hits) == 1
        and hits[0].severity is Severity.NOTE
        and hits[0].confidence is Confidence.LOW
    )
    assert "joe@kernel.org" in hits[0].message and "joe@example.org" in hits[0].message


def test_sender_mismatch_role_after_a_dash_is_the_same_name():
    admin = Person("Russell King - ARM Linux admin", "linux@armlinux.org.uk")
    rmk = Person("Russell King", "rmk+kernel@armlinux.org.uk")
    patch = make_patch(followups=[given("Acked-by", rmk, admin)])
    (hit,) = run_series(rt.followup_trailer_sender_mismatch, series_of(patch))
    assert hit.severity is Severity.NOTE and "same name" in hit.message


def test_sender_mismatch_test_system_tag_sent_by_its_domain_is_a_note():
    lkft = Person("Linux Kernel Functional Testing", "lkft@linaro.org")
    naresh = Person("Naresh Kamboju", "naresh.kamboju@linaro.org")
    patch = make_patch(followups=[given("Tested-by", lkft, naresh)])
    (hit,) = run_series(rt.followup_trailer_sender_mismatch, series_of(patch))
    assert hit.severity is Severity.NOTE and "test system" in hit.message
    # a colleague's personal tag passed on is still a warning
    colleague = Person("Ann Other", "ann@linaro.org")
    patch = make_patch(followups=[given("Tested-by", colleague, naresh)])
    (hit,) = run_series(rt.followup_trailer_sender_mismatch, series_of(patch))
    assert hit.severity is None


def test_sender_mismatch_list_address_and_decorated_value() -> None:
    kdevops = Person("kdevops", "kdevops@lists.linux.dev")
    luis = Person("Luis Chamberlain", "mcgrof@kernel.org")
    patch = make_patch(followups=[given("Tested-by", kdevops, luis)])
    (hit,) = run_series(rt.followup_trailer_sender_mismatch, series_of(patch))
    assert hit.severity is Severity.NOTE
    nadav = Person("Nadav Amit", "nadav.amit@gmail.com")
    odd = Trailer(
        "Acked-by",
        "Nadav Amit <nadav.amit@gmail.com <mailto:nadav.amit@gmail.com>>",
        Person("Nadav Amit", "nadav.amit@gmail.com <mailto:nadav.amit@gmail.com"),
        "r@x",
        3,
        given_by=nadav,
    )
    patch = make_patch(followups=[odd])
    assert run_series(rt.followup_trailer_sender_mismatch, series_of(patch)) == []


def test_sender_mismatch_quiet_cases():
    followups = [
        given("Reviewed-by", JOE, Person("JOE SMITH", "Joe@Example.org")),
        given("Reported-by", ANN, JOE),
    ]
    patch = make_patch(followups=followups)
    assert run_series(rt.followup_trailer_sender_mismatch, series_of(patch)) == []


def test_sender_mismatch_from_cover_reply_reported_once_series_wide():
    tag = given("Acked-by", ANN, JOE, "c1@x")
    p1, p2 = make_patch(1, followups=[tag]), make_patch(2, followups=[tag])
    hits = run_series(rt.followup_trailer_sender_mismatch, series_of(p1, p2))
    assert len(hits) == 1 and hits[0].patch_index is None and hits[0].series_wide


def test_self_review():
    patch = make_patch(trailers=[own("Reviewed-by", JANE, 4), own("Signed-off-by", JANE, 5)])
    hits = run_patch(rt.self_review_trailer, patch)
    assert len(hits) == 1 and hits[0].mail_line == 4
    ok = make_patch(trailers=[own("Reviewed-by", JOE, 4), own("Tested-by", JANE, 5)])
    assert run_patch(rt.self_review_trailer, ok) == []


def test_sender_mismatch_skips_list_rewritten_sender():
    relay = Person("Joe Smith via linux-foo", "linux-foo@lists.example.org")
    patch = make_patch(followups=[given("Reviewed-by", JOE, relay)])
    assert run_series(rt.followup_trailer_sender_mismatch, series_of(patch)) == []


def test_authors_own_tag_in_a_reply_is_a_note_not_pending():
    patch = make_patch(followups=[given("Tested-by", JANE, JANE), given("Acked-by", JOE, JOE)])
    pending = run_patch(rt.pending_trailers, patch)
    assert len(pending) == 1 and "Joe Smith" in pending[0].message
    assert "Jane Doe" not in pending[0].message
    notes = run_patch(rt.self_review_trailer, patch)
    assert len(notes) == 1 and notes[0].severity is Severity.NOTE


def test_nack_is_reported_and_not_pending():
    patch = make_patch(followups=[given("Nacked-by", JOE, JOE)])
    assert run_patch(rt.pending_trailers, patch) == []
    hits = run_patch(rt.nacked, patch)
    assert len(hits) == 1 and "Nacked-by: Joe Smith" in hits[0].message


def test_one_nak_per_person_however_many_replies_repeat_it():
    from dataclasses import replace

    replies = tuple(
        Mail(f"r{i}@x", "Re: [PATCH 1/2] x", JOE, "", "p1@x", (), "NAK.\n\nJoe\n") for i in (1, 2)
    )
    patch = replace(make_patch(followups=[given("Nacked-by", JOE, JOE)]), replies=replies)
    hits = run_patch(rt.nacked, patch)
    assert len(hits) == 1 and "Nacked-by: Joe Smith" in hits[0].message
    other = replace(make_patch(), replies=replies)
    assert len(run_patch(rt.nacked, other)) == 1
