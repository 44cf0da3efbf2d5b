"""Series assembly: version choice, cover letter, missing and resent
patches, replies and the crediting of follow-up trailers."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from reviewpatch.errors import NoPatchError
from reviewpatch.mail import parse_mail, read_mails
from reviewpatch.model import Mail, Series
from reviewpatch.series import assemble_series

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIX = FIXTURES / "threads"
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-threads"


def _mails(path: Path) -> tuple[Mail, ...]:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    mails, problems = read_mails(data, path.name)
    assert problems == ()
    return mails


def _series(name: str, **kwargs: object) -> Series:
    return assemble_series(_mails(FIX / name), **kwargs)  # type: ignore[arg-type]


def _credits(series: Series) -> dict[int, set[tuple[str, str]]]:
    return {
        p.index: {(t.name, t.person.key if t.person else t.value) for t in p.followup_trailers}
        for p in series.patches
    }


def test_cover_and_three_patches() -> None:
    s = _series("cover-3.mbox")
    assert s.cover is not None and s.cover.index == 0
    assert [p.index for p in s.patches] == [1, 2, 3]
    assert (s.version, s.total, s.missing, s.versions) == (1, 3, (), (1,))
    assert s.subject == "misc: eeprom: at24: small cleanups"
    assert s.author is not None and s.author.key == "marek.vasut@example.org"
    assert s.base_commit == "4a8e0f5c1d2b3a49566778899aabbccddeeff001"
    assert all(p.has_diff for p in s.patches)
    assert s.other_mails == () and s.duplicates == ()


def test_newest_version_is_chosen_and_credited() -> None:
    s = _series("v1-v2-replies.mbox")
    assert (s.version, s.versions) == (2, (1, 2))
    assert [p.subject.version for p in s.all_patches] == [2, 2, 2]
    acked = ("Acked-by", "linux@roeck-us.net")
    assert _credits(s) == {
        1: {("Reviewed-by", "nuno.sa@example.net"), acked},
        2: {
            ("Tested-by", "carol.smith@corp.example.com"),
            ("Reviewed-by", "jdelvare@suse.com"),
            acked,
        },
    }
    # The quoted "> Acked-by: Someone Quoted" line credits nobody.
    assert all("quoted@example.org" not in t.value for p in s.patches for t in p.followup_trailers)
    # The Tested-by was given by a sender with another address.
    tested = next(t for t in s.patches[1].followup_trailers if t.name == "Tested-by")
    assert tested.given_by is not None and tested.given_by.key == "carol.home@example.com"
    # v1 mails and the reply to v1 are kept aside, not credited.
    assert len(s.other_mails) == 4
    assert any(m.subject.startswith("Re: [PATCH 1/2]") for m in s.other_mails)


def test_replies_are_collected_recursively() -> None:
    s = _series("v1-v2-replies.mbox")
    assert len(s.patches[1].replies) == 3  # Carol, the author's answer, Jean below it
    assert s.cover is not None and len(s.cover.replies) == 1
    assert {t.person.key for t in s.cover.followup_trailers if t.person} == {"linux@roeck-us.net"}


def test_older_version_on_request() -> None:
    s = _series("v1-v2-replies.mbox", version=1)
    assert s.version == 1
    assert _credits(s) == {1: {("Reviewed-by", "nuno.sa@example.net")}, 2: set()}
    with pytest.raises(NoPatchError, match="v7"):
        _series("v1-v2-replies.mbox", version=7)


def test_missing_patch() -> None:
    s = _series("missing-patch.mbox")
    assert [p.index for p in s.patches] == [1, 3, 4]
    assert (s.missing, s.total, s.version) == ((2,), 4, 3)


def test_resend_supersedes_and_keeps_credit() -> None:
    s = _series("resend.mbox")
    assert [p.subject.is_resend for p in s.patches] == [True, True]
    assert [m.subject.startswith("[PATCH v2") for m in s.duplicates] == [True, True]
    assert s.cover is None and s.missing == ()
    assert _credits(s) == {1: set(), 2: {("Acked-by", "nuno.sa@example.net")}}
    assert s.patches[0].replies == ()  # 2/2 answers 1/2 but is a patch, not a reply


def test_seed_review_counts_only_unquoted_trailer() -> None:
    s = _series("seed-v15-review.mbox")
    (patch,) = s.patches
    assert (patch.index, s.version, s.total) == (10, 15, 11)
    assert len(patch.replies) == 2
    assert _credits(s) == {10: {("Reviewed-by", "ada.coupriediaz@arm.com")}}
    assert s.missing == (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)


def test_seed_v16_single_patch_of_a_series() -> None:
    s = _series("seed-v16-11.mbox")
    assert [p.index for p in s.patches] == [11]
    assert len(s.patches[0].files) == 3
    assert s.cover is None and len(s.missing) == 17


@pytest.mark.parametrize("name", ["format-patch.patch", "encodings/crlf.eml"])
def test_single_patch_is_series_of_one(name: str) -> None:
    s = _series(name)
    assert (s.version, s.total, len(s.patches), s.missing) == (1, 1, 1, ())
    assert s.patches[0].index == 1


def test_non_patch_mail_goes_to_other_mails() -> None:
    s = _series("malformed/non-patch-in-thread.mbox")
    assert [p.index for p in s.patches] == [1, 2]
    assert [m.subject for m in s.other_mails] == ["spi-next build status: 2 warnings"]
    assert len(s.patches[0].replies) == 1 and s.patches[1].replies == ()


def test_input_problems_are_kept() -> None:
    data = (FIX / "malformed" / "garbage-between.mbox").read_bytes()
    mails, problems = read_mails(data, "g.mbox")
    s = assemble_series(mails, problems=problems, archive_url="https://lore.example.org/all/")
    assert [p.index for p in s.patches] == [1, 2]
    assert [p.origin for p in s.problems] == ["g.mbox:2"]
    assert s.archive_url == "https://lore.example.org/all/"


def _patch_mail(msgid: str, subject: str, diff: str, irt: str | None = None) -> Mail:
    head = f"From: A <a@example.org>\nSubject: {subject}\nMessage-ID: <{msgid}>\n"
    if irt:
        head += f"In-Reply-To: <{irt}>\n"
    body = f"Change.\n\nSigned-off-by: A <a@example.org>\n---\n{diff}"
    return parse_mail((head + "\n" + body).encode(), msgid)


GOOD = "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
BROKEN = "diff --git a/g.c b/g.c\n--- a/g.c\n+++ b/g.c\n@@ -1,6 +1,5 @@\n a\n-b\n+c\n"


def test_unparsable_patch_becomes_problem() -> None:
    mails = (
        _patch_mail("p1@x", "[PATCH 1/2] one", GOOD),
        _patch_mail("p2@x", "[PATCH 2/2] two", BROKEN, irt="p1@x"),
    )
    s = assemble_series(mails)
    assert [p.index for p in s.patches] == [1]
    # present but unreadable: an input problem naming the patch, not missing
    assert s.missing == ()
    assert s.total == 2
    assert [p.msgid for p in s.problems] == ["p2@x"]
    assert "(patch 2/2)" in s.problems[0].origin
    with pytest.raises(NoPatchError):
        assemble_series(mails[1:])


def test_no_patch_raises_naming_source() -> None:
    mail = parse_mail(b"From: a@example.org\nSubject: hello\nMessage-ID: <h@x>\n\nhi\n", "chat.eml")
    with pytest.raises(NoPatchError, match="chat.eml"):
        assemble_series((mail,))


def test_untagged_cover_letter_and_untagged_patches() -> None:
    cover = parse_mail(
        b"From: a@example.org\nSubject: my series\nMessage-ID: <c@x>\n\nThe cover.\n", "c"
    )
    mails = (
        cover,
        _patch_mail("p1@x", "[PATCH] first thing", GOOD, irt="c@x"),
        _patch_mail("p2@x", "[PATCH] second thing", GOOD, irt="c@x"),
    )
    s = assemble_series(mails)
    assert s.cover is not None and s.cover.msgid == "c@x" and s.cover.index == 0
    titles = [(p.index, p.subject.title) for p in s.patches]
    assert titles == [(1, "first thing"), (2, "second thing")]


def test_a_patch_tagged_mail_without_a_diff_is_the_cover_of_its_untagged_patch() -> None:
    # "[PATCH v5] Provide X" with only prose, answered by "[PATCH v5] sched:
    # Provide X" with the diff: a cover and one patch, not two patches
    cover = parse_mail(
        b"From: a@example.org\nSubject: [PATCH v5] Provide X\nMessage-ID: <c@x>\n\n"
        b"What X is.\n\nChanges in v5:\n - renamed\n",
        "c",
    )
    mails = (cover, _patch_mail("p1@x", "[PATCH v5] sched: Provide X", GOOD, irt="c@x"))
    s = assemble_series(mails)
    assert s.cover is not None and s.cover.msgid == "c@x"
    assert [(p.index, p.subject.title) for p in s.patches] == [(1, "sched: Provide X")]
    # a lone prose mail tagged [PATCH] stays what it was
    assert [p.msgid for p in assemble_series((cover,)).patches] == ["c@x"]


def test_sample_series() -> None:
    s = assemble_series(_mails(FIXTURES / "sample" / "arm64-exit-work.mbox"))
    assert (s.version, s.total, s.missing) == (16, 3, ())
    assert s.cover is not None
    acked = ("Acked-by", "mark.rutland@arm.com")
    assert _credits(s) == {
        1: {acked},
        2: {acked, ("Reviewed-by", "kevin.brodsky@arm.com")},
        3: {acked},
    }


def test_real_initrd_v4() -> None:
    path = REAL / "initrd-v4.mbox.gz"
    if not path.is_file():
        pytest.skip("real thread initrd-v4.mbox.gz not available (../shared/real-threads absent)")
    s = assemble_series(_mails(path))
    assert (s.version, len(s.patches), s.missing) == (4, 3, ())
    assert s.cover is not None and s.cover.index == 0
    hch = {
        p.index
        for p in s.patches
        for t in p.followup_trailers
        if t.name == "Reviewed-by" and t.person is not None and t.person.key == "hch@lst.de"
    }
    assert hch == {1, 2, 3}
    # The quoted "> Reviewed-by: Christoph Hellwig" in a later reply is not
    # counted a second time.
    for patch in s.patches:
        given = [t for t in patch.followup_trailers if t.person and t.person.key == "hch@lst.de"]
        assert len(given) == 1


def test_a_ping_that_quotes_the_patch_is_not_a_patch() -> None:
    from reviewpatch.model import Person
    from reviewpatch.series import is_patch_mail
    from reviewpatch.subject import parse_subject

    quoted = (
        "Ping.\n\nOn 1/2/24 A wrote:\n> Signed-off-by: A <a@b.org>\n> ---\n> diff --git a/x b/x\n"
    )
    resent = "Ping, resent.\n\nSigned-off-by: A <a@b.org>\n---\ndiff --git a/x b/x\n"
    who = Person("A", "a@b.org")
    for body, want in ((quoted, False), (resent, True)):
        mail = Mail("p@x", "[PING][PATCH] uapi: define AT_HWCAP3", who, "", None, (), body)
        assert is_patch_mail(mail, parse_subject(mail.subject)) is want
    # an answer that quotes the patch under the patch's own subject
    answer = "On Monday A wrote:\n> > Signed-off-by: A <a@b.org>\n> > +++ b/x\n\nLooks odd.\n"
    mail = Mail("r@x", "[PATCH] power: add a handler", who, "", "p@x", ("p@x",), answer)
    assert not is_patch_mail(mail, parse_subject(mail.subject))
