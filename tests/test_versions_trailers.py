"""reviewpatch.versions: trailers carried across versions, and the audit."""

from __future__ import annotations

from test_versions_support import (
    OTHER,
    REVIEWER,
    fixture_series,
    foo_diff,
    patch_mail,
    real_series,
    reply,
)

from reviewpatch.model import Mail
from reviewpatch.series import assemble_series
from reviewpatch.versions import (
    audit_trailers,
    carried_trailers,
    collected_trailers,
    map_series,
)
from reviewpatch.versions.model import AuditKind, SeriesMap

SOB = "Signed-off-by: Ann Author <ann@example.com>"
RITA = "Reviewed-by: Rita Reviewer <rita@example.com>"
OLAF = "Acked-by: Olaf Other <olaf@example.com>"
TITLE = "foo: check the result of foo_init()"


def _pair(
    v1_diff: str,
    v2_diff: str,
    *,
    v1_trailers: tuple[str, ...] = (SOB,),
    v2_trailers: tuple[str, ...] = (SOB,),
    v1_replies: tuple[tuple[str, str], ...] = (),
    notes: str = "",
    cover_text: str | None = None,
) -> SeriesMap:
    v1 = patch_mail("v1@x", f"[PATCH] {TITLE}", "Check it.", v1_diff, trailers=v1_trailers)
    mails: list[Mail] = [v1]
    for n, (who, text) in enumerate(v1_replies):
        sender = REVIEWER if who == "rita" else OTHER
        mails.append(reply(f"r{n}@x", v1.subject, sender, text, v1.msgid, stamp=1 + n))
    if cover_text is not None:
        cover = patch_mail("v2-0@x", f"[PATCH v2 0/1] {TITLE}", cover_text, None, stamp=9)
        mails.append(cover)
    v2 = patch_mail(
        "v2@x",
        f"[PATCH v2{' 1/1' if cover_text is not None else ''}] {TITLE}",
        "Check it.",
        v2_diff,
        trailers=v2_trailers,
        notes=notes,
        parent="v2-0@x" if cover_text is not None else None,
        stamp=10,
    )
    mails.append(v2)
    old = assemble_series(tuple(mails), version=1)
    new = assemble_series(tuple(mails), version=2)
    return map_series(old, new)


def test_reply_trailers_carried_when_patch_id_is_the_same() -> None:
    smap = _pair(
        foo_diff(), foo_diff(start=80), v1_replies=(("rita", f"Looks right.\n\n{RITA}\n"),)
    )
    (carried,) = carried_trailers(smap)
    assert carried.trailer.name == "Reviewed-by" and carried.trailer.person == REVIEWER
    assert (carried.old.label, carried.new.label) == ("v1 1/1", "v2 1/1")
    assert [t.name for t in collected_trailers(smap, 1)] == ["Signed-off-by", "Reviewed-by"]
    assert audit_trailers(smap) == ()


def test_no_carry_when_the_code_changed() -> None:
    smap = _pair(
        foo_diff(), foo_diff(cond="ret"), v1_replies=(("rita", f"Looks right.\n\n{RITA}\n"),)
    )
    assert carried_trailers(smap) == ()
    assert [t.name for t in collected_trailers(smap, 1)] == ["Signed-off-by"]
    (audit,) = audit_trailers(smap)
    assert audit.kind is AuditKind.DROPPED and audit.explanation is None
    assert "a reply to v1" in audit.detail


def test_carried_after_change() -> None:
    smap = _pair(
        foo_diff(),
        foo_diff(cond="ret"),
        v2_trailers=(RITA, SOB),
        v1_replies=(("rita", f"Looks right.\n\n{RITA}\n"),),
    )
    (audit,) = audit_trailers(smap)
    assert audit.kind is AuditKind.CARRIED_AFTER_CHANGE
    assert audit.trailer.person == REVIEWER and audit.explanation is None


def test_carried_over_a_rebase_is_fine() -> None:
    smap = _pair(
        foo_diff(),
        foo_diff(blank="/* moved */", start=90),
        v2_trailers=(RITA, SOB),
        v1_replies=(("rita", f"Looks right.\n\n{RITA}\n"),),
    )
    assert audit_trailers(smap) == ()


def test_block_trailer_dropped_without_and_with_explanation() -> None:
    acked = (OLAF, SOB)
    plain = _pair(foo_diff(), foo_diff(cond="ret"), v1_trailers=acked)
    (audit,) = audit_trailers(plain)
    assert audit.kind is AuditKind.DROPPED and audit.explanation is None
    assert "the trailer block of v1" in audit.detail
    notes = "v2: reworked after Olaf's ack"
    named = _pair(foo_diff(), foo_diff(cond="ret"), v1_trailers=acked, notes=notes)
    assert audit_trailers(named)[0].explanation == "v2: reworked after Olaf's ack"
    said = _pair(
        foo_diff(),
        foo_diff(cond="ret"),
        v1_trailers=acked,
        cover_text="Changes in v2:\n- rewrote the check, dropped the tags",
    )
    assert audit_trailers(said)[0].explanation == "- rewrote the check, dropped the tags"


def test_v1_v2_fixture_regiven_review_is_no_loss() -> None:
    """Nuno's v1 Reviewed-by was given again on v2: nothing dropped."""
    old = fixture_series("v1-v2-replies.mbox", 1)
    new = fixture_series("v1-v2-replies.mbox", 2)
    smap = map_series(old, new)
    assert carried_trailers(smap) == ()
    assert audit_trailers(smap) == ()
    names = {(t.name, t.person.email if t.person else "") for t in collected_trailers(smap, 2)}
    assert ("Acked-by", "linux@roeck-us.net") in names
    assert ("Reviewed-by", "jdelvare@suse.com") in names


def test_initrd_versions_carry_nothing() -> None:
    """No review trailer was given on v2 or v3 (b4 collects none for them)."""
    for old, new in (("initrd-v2", "initrd-v3"), ("initrd-v3", "initrd-v4")):
        smap = map_series(real_series(old), real_series(new))
        assert carried_trailers(smap) == ()
        assert audit_trailers(smap) == ()
    smap = map_series(real_series("initrd-v3"), real_series("initrd-v4"))
    got = {(t.name, t.person.email) for t in collected_trailers(smap, 1) if t.person}
    assert ("Acked-by", "arnd@arndb.de") in got and ("Reviewed-by", "hch@lst.de") in got


def test_a_review_of_an_older_version_carries_while_the_patch_id_holds() -> None:
    """Rita reviewed v1; v2 went out unchanged without her tag and drew no
    reply; v3 is still the same patch: her Reviewed-by carries to v3 from
    v1, as b4 collects it (a real v10 hyperv series: a v8 review)."""
    v1 = patch_mail("v1@x", f"[PATCH] {TITLE}", "Check it.", foo_diff())
    mails = (
        v1,
        reply("r@x", v1.subject, REVIEWER, f"Looks right.\n\n{RITA}\n", v1.msgid, stamp=1),
        patch_mail("v2@x", f"[PATCH v2] {TITLE}", "Check it.", foo_diff(start=40), stamp=5),
        patch_mail("v3@x", f"[PATCH v3] {TITLE}", "Check it.", foo_diff(start=80), stamp=9),
    )
    v2, v3 = (assemble_series(mails, version=n) for n in (2, 3))
    smap = map_series(v2, v3)
    assert carried_trailers(smap) == ()
    (carried,) = carried_trailers(smap, (assemble_series(mails, version=1),))
    assert carried.trailer.person == REVIEWER
    assert (carried.old.label, carried.new.label) == ("v1 1/1", "v3 1/1")
    # a changed patch carries nothing, from any version
    changed = map_series(
        v2,
        assemble_series(
            mails[:3]
            + (patch_mail("v3@x", f"[PATCH v3] {TITLE}", "Check it.", foo_diff("ret"), stamp=9),),
            version=3,
        ),
    )
    assert carried_trailers(changed, (assemble_series(mails, version=1),)) == ()


def test_a_review_of_an_earlier_version_s_cover_letter_is_not_carried() -> None:
    """What a reviewer said of v1's or v2's cover letter is not carried to
    v3 (b4 leaves it with its version, on 9 patches of the b4 comparison);
    what was said of v1's patch is."""
    mails: list[Mail] = []
    for n, stamp in ((1, 0.0), (2, 5.0), (3, 9.0)):
        label = "PATCH" if n == 1 else f"PATCH v{n}"
        mails.append(patch_mail(f"c{n}@x", f"[{label} 0/1] {TITLE}", "Cover.", None, stamp=stamp))
        mails.append(
            patch_mail(
                f"p{n}@x",
                f"[{label} 1/1] {TITLE}",
                "Check it.",
                foo_diff(start=10 * n),
                parent=f"c{n}@x",
                stamp=stamp + 1,
            )
        )
    mails.append(reply("r1@x", mails[0].subject, REVIEWER, f"Fine.\n\n{RITA}\n", "c1@x", 2))
    mails.append(reply("r2@x", mails[2].subject, OTHER, f"Fine.\n\n{OLAF}\n", "c2@x", 7))
    mails.append(reply("r3@x", mails[1].subject, OTHER, f"Yes.\n\n{OLAF}\n", "p1@x", 3))
    thread = tuple(mails)
    v1, v2, v3 = (assemble_series(thread, version=n) for n in (1, 2, 3))
    carried = carried_trailers(map_series(v2, v3), (v1,))
    assert [(c.trailer.person, c.old.label) for c in carried] == [(OTHER, "v1 1/1")]
