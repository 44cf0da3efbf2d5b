"""Any bytes in, no traceback out: property tests of the parsers and of the
whole review on mails made from arbitrary bytes and from mutated fixture
mails.  Only a ``ReviewpatchError`` may escape (a ``ParseError`` from a
parser that is given something that is not its input, a ``NoPatchError``
from a review of something that holds no patch); anything else is a bug.

Derandomized, so that every run tries the same examples.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewpatch.addresses import parse_person, split_addresses
from reviewpatch.api import review_mails
from reviewpatch.diff import parse_diff
from reviewpatch.errors import ParseError, ReviewpatchError
from reviewpatch.mail import decode_header_value, parse_address_list, read_mails
from reviewpatch.model import Mail, Person
from reviewpatch.patch import diffstat_entries, is_diffstat_line, parse_patch, split_body
from reviewpatch.render import render_report
from reviewpatch.render.diffview import c_spans
from reviewpatch.series import assemble_series
from reviewpatch.settings import Settings
from reviewpatch.source import load_source
from reviewpatch.subject import parse_subject
from reviewpatch.thread import build_thread
from reviewpatch.trailers import followup_trailers, parse_trailer_block, person_from_value

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEEDS = tuple(
    sorted(
        p
        for folder in ("threads", "patches", "hostile", "sample")
        for p in (FIXTURES / folder).rglob("*")
        if p.is_file() and p.suffix in (".mbox", ".patch", ".eml")
    )
)

FAST = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text made of the pieces parsers look for, mixed with anything at all.
_PIECES = [
    "From: ",
    "Subject: ",
    "Message-ID: <",
    "In-Reply-To: ",
    "References: ",
    "Signed-off-by: ",
    "Reviewed-by: A <a@b.c>",
    "Re: ",
    "[PATCH v2 1/3] ",
    "---\n",
    "-- \n",
    "diff --git a/x.c b/x.c\n",
    "--- a/x.c\n",
    "+++ b/x.c\n",
    "@@ -1,2 +1,2 @@",
    "\\ No newline at end of file\n",
    " x | 2 +-\n",
    "=?utf-8?q?=C3=A9?=",
    "=?utf-8?b?w6k=?=",
    " at ",
    "(at)",
    "<",
    ">",
    "@",
    '"',
    "(",
    ")",
    ",",
    ";",
    "\n",
    "\r",
    "\t",
    " ",
    "\x00",
    "\u202e",
    "é",
    "/*",
    "*/",
]
TEXT = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=40).map("".join)
BYTES = st.one_of(st.binary(max_size=400), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))


@FAST
@given(TEXT)
def test_address_and_header_parsers_take_any_text(text: str) -> None:
    person = parse_person(text)
    assert person is None or "@" in person.email or person.email == ""
    split_addresses(text)
    parse_address_list(text)
    decode_header_value(text)
    person_from_value(text)


@FAST
@given(TEXT)
def test_subject_parser_takes_any_text(text: str) -> None:
    subject = parse_subject(text)
    assert subject.counter >= 0 and subject.total >= 1 and subject.version >= 1


@FAST
@given(TEXT, TEXT)
def test_trailer_and_notes_parsers_take_any_text(message: str, notes: str) -> None:
    lines = message.split("\n")
    parse_trailer_block(lines, "m", 1, None)
    for line in notes.split("\n"):
        is_diffstat_line(line)
    diffstat_entries(notes.split("\n"))
    split_body((message + "\n---\n" + notes).split("\n"))
    who = Person("A", "a@example.org")
    followup_trailers(Mail("r", "Re: x", who, "", "p", (), message + "\n" + notes))


@FAST
@given(TEXT)
def test_diff_parser_raises_only_parse_errors(text: str) -> None:
    for candidate in (text, "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n" + text):
        try:
            files = parse_diff(candidate, 1)
        except ParseError:
            continue
        for fd in files:
            assert fd.path


@FAST
@given(TEXT, st.booleans())
def test_colouring_keeps_every_character(text: str, in_comment: bool) -> None:
    for line in text.split("\n"):
        spans, _ = c_spans(line, in_comment)
        assert "".join(s.text for s in spans) == line


@FAST
@given(BYTES)
def test_mail_reader_takes_any_bytes(data: bytes) -> None:
    mails, problems = read_mails(data, "m")
    for mail in mails:
        assert mail.msgid
    assert len(mails) + len(problems) >= 1 or not data.strip()


@FAST
@given(st.lists(BYTES, max_size=6))
def test_patch_and_series_parsers_take_any_mails(blobs: list[bytes]) -> None:
    mails = [
        m for b in blobs for m in read_mails(b"From: a@b.c\nSubject: [PATCH] x\n\n" + b, "m")[0]
    ]
    build_thread(mails)
    for mail in mails:
        try:
            parse_patch(mail, parse_subject(mail.subject))
        except ParseError:
            pass
    try:
        assemble_series(tuple(mails))
    except ReviewpatchError:
        pass


def _mutate(data: bytes, edits: list[tuple[int, int, int, bytes]]) -> bytes:
    """Apply ``(kind, at, length, stuff)`` edits: 0 delete, 1 insert,
    2 duplicate, 3 overwrite, 4 cut the rest, 5 insert a long run."""
    for kind, at, length, stuff in edits:
        if not data:
            break
        at %= len(data)
        end = min(len(data), at + length)
        if kind == 0:
            data = data[:at] + data[end:]
        elif kind == 1:
            data = data[:at] + stuff + data[at:]
        elif kind == 2:
            data = data[:end] + data[at:end] + data[end:]
        elif kind == 3:
            data = data[:at] + stuff + data[at + len(stuff) :]
        elif kind == 4:
            data = data[:at]
        else:
            data = data[:at] + (stuff[:1] or b" ") * 20_000 + data[at:]
    return data


EDITS = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(0, 1 << 20),
        st.integers(0, 200),
        st.sampled_from([p.encode() for p in _PIECES]) | st.binary(max_size=12),
    ),
    max_size=6,
)


def _review_bytes(data: bytes) -> None:
    """The whole review of ``data`` as one input: a Report, or a
    ReviewpatchError (no patch, nothing readable)."""
    mails, problems = read_mails(data, "fuzz.mbox")
    if not mails:
        return
    try:
        report = review_mails(mails, Settings(), problems=problems)
    except ReviewpatchError:
        return
    internal = [f for f in report.findings if f.rule_id == "RP000"]
    assert internal == [], internal[0].message
    for fmt in ("text", "json", "html", "sarif", "patchwork"):
        assert render_report(report, fmt, verbose=True)
    render_report(report, "reply", reply="all")  # empty when nothing is worth a reply


@SLOW
@given(st.sampled_from(SEEDS), EDITS)
def test_review_of_mutated_fixture_mails(
    seed: Path, edits: list[tuple[int, int, int, bytes]]
) -> None:
    _review_bytes(_mutate(seed.read_bytes(), edits))


@SLOW
@given(st.lists(BYTES, min_size=1, max_size=4))
def test_review_of_arbitrary_mails(blobs: list[bytes]) -> None:
    head = b"From: A <a@example.org>\nSubject: [PATCH] x: y\nMessage-ID: <p@x>\n\n"
    diff = b"Fix.\n\nSigned-off-by: A <a@example.org>\n---\ndiff --git a/x.c b/x.c\n"
    data = b"".join(b"From x Mon Mar  3 10:00:00 2025\n" + head + diff + b + b"\n" for b in blobs)
    _review_bytes(data)


@SLOW
@given(st.sampled_from(SEEDS), st.integers(0, 1 << 16))
def test_truncated_gzip_of_a_fixture_is_reviewed_or_refused(seed: Path, cut: int) -> None:
    data = gzip.compress(seed.read_bytes())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{seed.stem}.mbox.gz"
        path.write_bytes(data[: max(cut % (len(data) + 1), 1)])
        try:
            loaded = load_source(str(path), Settings())
        except ReviewpatchError:
            return
    for blob in loaded.blobs:
        _review_bytes(blob.data)
