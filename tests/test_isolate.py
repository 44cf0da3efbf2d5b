"""One Message-ID, one series: the thread's other series are left out of
the review and listed (``reviewpatch.isolate``), and patches labelled with
another version than the cover letter they answer join it."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewpatch.api import review_mails
from reviewpatch.errors import ReviewpatchError
from reviewpatch.isolate import isolate_series
from reviewpatch.mail import read_mails
from reviewpatch.model import Mail
from reviewpatch.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "threads"

_DIFF = """\
---
 drivers/misc/{name}.c | 1 +
 1 file changed, 1 insertion(+)

diff --git a/drivers/misc/{name}.c b/drivers/misc/{name}.c
index 1111111..2222222 100644
--- a/drivers/misc/{name}.c
+++ b/drivers/misc/{name}.c
@@ -1,3 +1,4 @@
 int {name}(void)
 {{
+	{name}_init();
 	return 0;
"""


def _mail(
    msgid: str,
    subject: str,
    parent: str | None = None,
    who: str = "Jane Doe",
    diff: bool = True,
    minute: int = 0,
) -> str:
    addr = who.split()[0].lower() + "@example.org"
    head = [
        f"From {msgid} Mon Sep 17 00:00:00 2001",
        f"From: {who} <{addr}>",
        f"Subject: {subject}",
        f"Date: Mon, 3 Mar 2025 10:{minute:02d}:00 +0000",
        f"Message-ID: <{msgid}>",
    ]
    if parent:
        head += [f"In-Reply-To: <{parent}>", f"References: <{parent}>"]
    body = "Some words.\n\nSigned-off-by: " + f"{who} <{addr}>\n"
    if diff:
        body += _DIFF.format(name=msgid.split("@")[0].replace("-", "_").replace(".", "_"))
    return "\n".join(head) + "\n\n" + body + "\n"


def _mails(*texts: str) -> tuple[Mail, ...]:
    mails, problems = read_mails("".join(texts).encode(), "test.mbox")
    assert problems == ()
    return mails


def _series_of(
    n: int,
    tag: str,
    prefix: str = "PATCH",
    parent: str | None = None,
    start: int = 0,
    who: str = "Jane Doe",
) -> list[str]:
    cover = f"{tag}-0@x"
    out = [_mail(cover, f"[{prefix} 0/{n}] {tag}: cover", parent, who, False, start)]
    out += [
        _mail(f"{tag}-{i}@x", f"[{prefix} {i}/{n}] {tag}: part {i}", cover, who, True, start + i)
        for i in range(1, n + 1)
    ]
    return out


def test_a_fix_posted_as_a_reply_inside_a_series_is_its_own_series() -> None:
    mails = _mails(
        *_series_of(3, "big"),
        _mail("fix@x", "[PATCH] misc: fix the part 2 regression", "big-2@x", "Ann Other", True, 9),
        _mail(
            "ack@x", "Re: [PATCH] misc: fix the part 2 regression", "fix@x", "Joe Smith", False, 10
        ),
    )
    iso = isolate_series(mails, "fix@x")
    assert iso.version == 1
    assert [m.msgid for m in iso.mails] == ["fix@x", "ack@x"]
    assert [(o.msgid, o.mails) for o in iso.others] == [("big-0@x", 4)]
    # and the big series, asked for by a reply to its cover, leaves the fix out
    iso = isolate_series(mails, "big-0@x")
    assert "fix@x" not in {m.msgid for m in iso.mails}
    assert [o.msgid for o in iso.others] == ["fix@x"]


def test_a_small_series_answering_a_big_one() -> None:
    small = _series_of(2, "small", parent="big-3@x", start=20, who="Ann Other")
    mails = _mails(*_series_of(4, "big"), *small)
    report = review_mails(mails, Settings(), msgid="small-1@x")
    assert [p.msgid for p in report.series.patches] == ["small-1@x", "small-2@x"]
    assert report.series.cover is not None and report.series.cover.msgid == "small-0@x"
    assert [o.msgid for o in report.series.others] == ["big-0@x"]


def test_the_requested_version_decides_and_the_other_is_listed() -> None:
    v1 = _series_of(2, "v1", "PATCH")
    v2 = _series_of(2, "v2", "PATCH v2", parent="v1-0@x", start=30)
    mails = _mails(*v1, *v2)
    old = review_mails(mails, Settings(), msgid="v1-1@x").series
    assert old.version == 1 and [p.msgid for p in old.patches] == ["v1-1@x", "v1-2@x"]
    assert [(o.msgid, o.version) for o in old.others] == [("v2-0@x", 2)]
    new = review_mails(mails, Settings(), msgid="v2-2@x").series
    assert new.version == 2 and [p.msgid for p in new.patches] == ["v2-1@x", "v2-2@x"]
    # an explicit --version still wins over the Message-ID's own
    assert review_mails(mails, Settings(version=2), msgid="v1-1@x").series.version == 2


def test_deep_threading_keeps_the_run_of_patches() -> None:
    chain = [_mail("d-1@x", "[PATCH 1/4] d: part 1", minute=1)]
    chain += [
        _mail(f"d-{i}@x", f"[PATCH {i}/4] d: part {i}", f"d-{i - 1}@x", minute=i) for i in (2, 3, 4)
    ]
    mails = _mails(
        *chain, _mail("r@x", "Re: [PATCH 3/4] d: part 3", "d-3@x", "Joe Smith", False, 9)
    )
    iso = isolate_series(mails, "r@x")
    assert {m.msgid for m in iso.mails} == {"d-1@x", "d-2@x", "d-3@x", "d-4@x", "r@x"}
    assert iso.others == ()


def test_a_mail_under_no_patch_keeps_the_whole_thread() -> None:
    mails = _mails(
        _mail("talk@x", "design question", diff=False), *_series_of(2, "s", parent="talk@x")
    )
    iso = isolate_series(mails, "talk@x")
    assert iso.version is None and iso.mails == mails


def test_patches_labelled_without_the_cover_version_join_it() -> None:
    mails = _mails(*_series_of(2, "j", "PATCH v6")[:1], *_series_of(2, "j")[1:])
    report = review_mails(mails, Settings(), msgid="j-0@x")
    assert report.series.version == 6 and len(report.series.patches) == 2
    notes = [f for f in report.findings if f.rule_id == "RP204"]
    assert len(notes) == 1 and "labelled v1" in notes[0].message
    # the same from a file, without a Message-ID
    assert review_mails(mails, Settings()).series.version == 6


def test_a_long_reply_chain_stays_linear() -> None:
    texts = _series_of(2, "s")
    parent = "s-2@x"
    for i in range(3000):
        texts.append(_mail(f"r{i}@x", "Re: [PATCH 2/2] s: part 2", parent, "Joe Smith", False, 50))
        parent = f"r{i}@x"
    mails = _mails(*texts)
    iso = isolate_series(mails, parent)
    assert len(iso.mails) == len(mails) and iso.version == 1


def test_real_v1_v2_thread_by_message_id() -> None:
    mails, _ = read_mails((FIX / "v1-v2-replies.mbox").read_bytes(), "v1-v2-replies.mbox")
    newest = review_mails(mails, Settings()).series
    first = next(p for p in review_mails(mails, Settings(version=1)).series.patches)
    old = review_mails(mails, Settings(), msgid=first.msgid).series
    assert old.version == 1 and newest.version == 2
    assert [o.version for o in old.others] == [2]


def test_other_series_are_listed_in_every_format_and_escaped() -> None:
    from reviewpatch.render.html import render_html
    from reviewpatch.render.jsonreport import report_to_dict
    from reviewpatch.render.text import render_text

    hostile = _mail(
        "evil@x", "[PATCH] <script>alert(1)</script> misc: x", "s-1@x", "Ann Other", True, 9
    )
    mails = _mails(*_series_of(2, "s"), hostile)
    report = review_mails(mails, Settings(), msgid="s-0@x")
    text = render_text(report)
    assert "also in this thread (not reviewed): <evil@x>" in text
    html = render_html(report)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; misc: x" in html and "<script>alert" not in html
    others = report_to_dict(report)["series"]["others"]  # type: ignore[index]
    assert others == [
        {
            "msgid": "evil@x",
            "subject": "[PATCH] <script>alert(1)</script> misc: x",
            "version": 1,
            "mails": 1,
        }
    ]


def test_a_cover_letter_sent_without_0_n_heads_its_numbered_patches() -> None:
    cover = _mail("c@x", "[PATCH V2]: bugfix", diff=False)
    patches = [_mail(f"p{i}@x", f"[PATCH {i}/3] fix {i}", "c@x", minute=i) for i in (1, 2, 3)]
    mails = _mails(cover, *patches)
    for asked in ("c@x", "p2@x"):
        series = review_mails(mails, Settings(), msgid=asked).series
        assert series.cover is not None and series.cover.msgid == "c@x"
        assert [p.msgid for p in series.patches] == ["p1@x", "p2@x", "p3@x"]
        assert series.version == 2 and series.others == ()
    # and from a file
    assert len(review_mails(mails, Settings()).series.patches) == 3


def test_unlabelled_patches_under_a_labelled_cover_with_another_total_join_it() -> None:
    # "[PATCH v2 memory-model 0/3]" above "[PATCH memory-model 1/4]".."4/4"
    cover = _mail("c2@x", "[PATCH v2 mm 0/3] updates", diff=False)
    patches = [
        _mail(f"q{i}@x", f"[PATCH mm {i}/4] part {i}", "c2@x", minute=i) for i in (1, 2, 3, 4)
    ]
    mails = _mails(cover, *patches)
    series = review_mails(mails, Settings(), msgid="c2@x").series
    assert series.version == 2 and [p.msgid for p in series.patches] == [
        "q1@x",
        "q2@x",
        "q3@x",
        "q4@x",
    ]


def test_patches_answering_a_cover_letter_the_archive_lacks_stay_together() -> None:
    # v3 patches answer their cover letter (not in the archive) and name the
    # v2 cover in References: they are still one series
    old = _series_of(2, "o", "PATCH v2")
    texts = []
    for i in (1, 2, 3):
        mail = _mail(f"n{i}@x", f"[PATCH v3 {i}/3] part {i}", "gone@x", minute=40 + i)
        texts.append(mail.replace("References: <gone@x>", "References: <o-0@x> <gone@x>"))
    mails = _mails(*old, *texts)
    series = review_mails(mails, Settings(), msgid="n2@x").series
    assert series.version == 3 and [p.msgid for p in series.patches] == ["n1@x", "n2@x", "n3@x"]
    assert [o.msgid for o in series.others] == ["o-0@x"]


_SUBJECTS = st.sampled_from(
    [
        "[PATCH] fix",
        "[PATCH 0/2] cover",
        "[PATCH 1/2] one",
        "[PATCH 2/2] two",
        "[PATCH v2 0/3] cover",
        "[PATCH v2 1/3] one",
        "[PATCH 2/3] two",
        "[PATCH V3]: bugfix",
        "Re: [PATCH 1/2] one",
        "[PING][PATCH] fix",
        "discussion",
    ]
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(_SUBJECTS, st.integers(min_value=-1, max_value=12), st.booleans()),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=0, max_value=11),
)
def test_any_thread_shape_isolates_without_failing(
    shape: list[tuple[str, int, bool]], pick: int
) -> None:
    texts = []
    for n, (subject, parent, diff) in enumerate(shape):
        up = f"m{parent}@x" if 0 <= parent < n or parent > n else None  # forward refs too
        texts.append(_mail(f"m{n}@x", subject, up, "Jane Doe", diff, n))
    mails = _mails(*texts)
    msgid = f"m{pick % len(shape)}@x"
    iso = isolate_series(mails, msgid)
    assert set(m.msgid for m in iso.mails) <= {m.msgid for m in mails}
    try:
        report = review_mails(mails, Settings(), msgid=msgid)
    except ReviewpatchError:
        return
    assert report.series.patches or report.series.cover is not None
