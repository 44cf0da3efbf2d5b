"""The corpus of ``bench_hostile.py``: real mails, mutated.

It starts from the project's fixture threads and, when present, the real
threads in ``../shared/real-threads/*.mbox.gz`` (read, never copied into the
repository), and writes about 340 damaged inputs into a scratch directory:
truncation, header damage, encodings, huge lines, threading abuse, odd
subjects, odd diffs, trailers, regular-expression bait, gzip bombs and
hostile markup.  Each ``Case`` says what the generator knows of the result:
``expect="same"`` when the mutation leaves every patch mail a patch (the
patch count must equal the unmutated base's), ``"prefix"`` for a cut file
(at least the patches wholly before ``cut``), an exact ``patches`` count for
made-up series, else nothing.
"""

from __future__ import annotations

__all__ = ["Base", "Case", "build_corpus", "load_bases", "mbox_of"]

import base64
import gzip
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from publicinbox import split_mbox  # noqa: E402

REAL = ROOT.parent / "shared" / "real-threads"
SEP = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
_FROM_LINE = re.compile(rb"^(>*From )", re.M)
_DIFF = re.compile(rb"^(diff --git |--- \S.*\n\+\+\+ )", re.M)
_PLUS = re.compile(rb"^\+(?!\+\+ )(.*)$", re.M)
_SOB = re.compile(rb"^Signed-off-by: .*$", re.M)
LONG = 100_000
XSS = "<script>rpxss()</script>"
TERM = "\x1b[2J\x1b[31mRED\x1b]8;;http://evil.example/\x07link\x1b]8;;\x07\x9b31m\u202eevil\r\x08"


@dataclass(frozen=True)
class Base:
    """One unmutated thread: its mails, in order."""

    name: str
    mails: tuple[bytes, ...]


@dataclass(frozen=True)
class Case:
    """One input of the benchmark (a file, or stdin when ``stdin``)."""

    category: str
    name: str
    path: Path
    base: str | None = None
    expect: str = "any"  # same | prefix | exact | any
    patches: int = 0  # for exact
    cut: int = 0  # for prefix: byte offset in the base mbox
    formats: tuple[str, ...] = ("json", "text")
    stdin: bool = False
    codes: tuple[int, ...] = (0, 1, 4)
    extra: tuple[str, ...] = field(default=())


def load_bases() -> tuple[Base, ...]:
    """The fixture threads, then the real threads when present."""
    files = [
        ROOT / "fixtures/sample/arm64-exit-work.mbox",
        ROOT / "fixtures/threads/cover-3.mbox",
        ROOT / "fixtures/threads/missing-patch.mbox",
        ROOT / "fixtures/threads/seed-v16-11.mbox",
    ]
    files += sorted(REAL.glob("*.mbox.gz")) if REAL.is_dir() else []
    bases = []
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        name = path.name.removesuffix(".gz").removesuffix(".mbox")
        bases.append(Base(name, split_mbox(data)))
    return tuple(bases)


def mbox_of(mails: list[bytes] | tuple[bytes, ...]) -> bytes:
    """An mboxrd file of ``mails``."""
    out = []
    for mail in mails:
        body = _FROM_LINE.sub(rb">\1", mail)
        out.append(SEP + body + (b"" if body.endswith(b"\n") else b"\n") + b"\n")
    return b"".join(out)


def split(mail: bytes) -> tuple[bytes, bytes]:
    head, sep, body = mail.partition(b"\n\n")
    return head, body if sep else b""


def set_header(mail: bytes, name: str, value: bytes | str) -> bytes:
    """Replace (all instances, with continuation lines) or add a header."""
    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    head, body = split(mail)
    pattern = re.compile(rb"^" + re.escape(name.encode()) + rb":.*(\n[ \t].*)*\n?", re.M | re.I)
    head = pattern.sub(b"", head + b"\n").rstrip(b"\n")
    return head + b"\n" + name.encode() + b": " + raw + b"\n\n" + body


def add_header(mail: bytes, line: bytes) -> bytes:
    head, body = split(mail)
    return head + b"\n" + line + b"\n\n" + body


def is_patch(mail: bytes) -> bool:
    return bool(_DIFF.search(split(mail)[1]))


def patch_index(base: Base) -> int:
    return next(i for i, m in enumerate(base.mails) if is_patch(m))


def on_patch(base: Base, change: Callable[[bytes], bytes]) -> list[bytes]:
    """The base's mails with its first patch mail changed."""
    mails = list(base.mails)
    index = patch_index(base)
    mails[index] = change(mails[index])
    return mails


def on_plus_line(mail: bytes, text: bytes) -> bytes:
    """Replace the content of the first added diff line (hunk counts stay)."""
    head, body = split(mail)
    match = _PLUS.search(body, _DIFF.search(body).start())  # type: ignore[union-attr]
    assert match is not None
    return head + b"\n\n" + body[: match.start(1)] + text + body[match.end(1) :]


def after_signoff(mail: bytes, lines: bytes) -> bytes:
    head, body = split(mail)
    match = _SOB.search(body)
    if match is None:
        return head + b"\n\n" + lines + b"\n" + body
    return head + b"\n\n" + body[: match.end()] + b"\n" + lines.rstrip(b"\n") + body[match.end() :]


def in_message(mail: bytes, text: bytes) -> bytes:
    head, body = split(mail)
    return head + b"\n\n" + text + b"\n\n" + body


def synthetic(subject: str, diff: str, msgid: str = "synthetic-1@example.org") -> bytes:
    """A made-up patch mail around ``diff``."""
    return (
        f"From: Dev Eloper <dev@example.org>\nTo: list@example.org\nSubject: {subject}\n"
        f"Date: Mon, 3 Mar 2025 10:00:00 +0000\nMessage-ID: <{msgid}>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "foo: do the thing\n\nSigned-off-by: Dev Eloper <dev@example.org>\n---\n" + diff
    ).encode("utf-8", "surrogateescape")


def new_file(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def small_diff(path: str = "drivers/foo.c", new: str = "int c;") -> str:
    return (
        f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n"
        f"+++ b/{path}\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+{new}\n"
    )


class Writer:
    """Writes cases into ``root`` and collects them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cases: list[Case] = []

    def add(
        self, category: str, name: str, data: bytes, suffix: str = ".mbox", **kw: object
    ) -> None:
        folder = self.root / category
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{len(self.cases):03d}-{re.sub(r'[^a-z0-9-]+', '-', name)}{suffix}"
        path.write_bytes(data)
        self.cases.append(Case(category, name, path, **kw))  # type: ignore[arg-type]

    def mails(self, category: str, name: str, base: Base, mails: list[bytes], **kw: object) -> None:
        self.add(category, name, mbox_of(mails), base=base.name, **kw)


def rotate(bases: tuple[Base, ...]) -> Iterator[Base]:
    while True:
        yield from bases


def build_corpus(root: Path, bases: tuple[Base, ...]) -> list[Case]:
    """Write every case under ``root``."""
    from hostile_more import more_cases

    out = Writer(root)
    turn = rotate(bases)
    _truncation(out, bases)
    _headers(out, turn)
    _encodings(out, turn)
    _huge(out, turn)
    more_cases(out, bases, turn)
    return out.cases


def _truncation(out: Writer, bases: tuple[Base, ...]) -> None:
    for base in bases:
        data = mbox_of(base.mails)
        for tenth in (1, 3, 5, 7, 9):
            cut = len(data) * tenth // 10
            out.add(
                "truncation",
                f"{base.name} at {tenth}0%",
                data[:cut],
                base=base.name,
                expect="prefix",
                cut=cut,
            )
    base = bases[0]
    data = mbox_of(base.mails)
    mail_end = data.index(b"\n\n", data.index(b"Subject: [PATCH", 10))
    out.add(
        "truncation",
        "inside a patch's headers",
        data[: mail_end - 5],
        base=base.name,
        expect="prefix",
        cut=mail_end - 5,
    )
    packed = gzip.compress(data)
    out.add("truncation", "gzip cut in half", packed[: len(packed) // 2], suffix=".mbox.gz")
    out.add("truncation", "gzip without its trailer", packed[:-8], suffix=".mbox.gz")
    out.add("truncation", "only a separator line", SEP)
    out.add("truncation", "headers only", split(base.mails[1])[0] + b"\n")
    out.add("truncation", "no final newline", data.rstrip(b"\n"), base=base.name, expect="same")
    out.add("truncation", "one byte", b"F")


def _headers(out: Writer, turn: Iterator[Base]) -> None:
    same: list[tuple[str, Callable[[bytes], bytes]]] = [
        ("date garbage", lambda m: set_header(m, "Date", "Thu, 99 Foo 99999 99:99:99 +9999")),
        ("date empty", lambda m: set_header(m, "Date", "")),
        (
            "10000 X- headers",
            lambda m: add_header(m, b"\n".join(b"X-H%d: v" % i for i in range(10000))),
        ),
        ("duplicate To and Cc", lambda m: add_header(m, b"To: a@b\nTo: c@d\nCc: e@f\nCc: ,,,,")),
        ("header with NUL", lambda m: add_header(m, b"X-Nul: a\0b\0c")),
        ("folded garbage", lambda m: add_header(m, b"X-Fold: a\n \n\t\n x")),
        ("To without addresses", lambda m: set_header(m, "To", ";;;<<>>,,@@")),
        (
            "Cc 5000 addresses",
            lambda m: set_header(
                m, "Cc", ", ".join(f"P{i} <p{i}@example.org>" for i in range(5000))
            ),
        ),
        ("From name only", lambda m: set_header(m, "From", "Nobody")),
        ("From empty", lambda m: set_header(m, "From", "")),
        ("From unbalanced", lambda m: set_header(m, "From", '"Dev <dev@example.org')),
        ("In-Reply-To garbage", lambda m: set_header(m, "In-Reply-To", "<<<>>> < > <@>")),
        ("References garbage", lambda m: set_header(m, "References", "<a <b> c> <<d>>")),
        ("Content-Type garbage", lambda m: set_header(m, "Content-Type", ";;; charset")),
        ("MIME-Version 99", lambda m: set_header(m, "MIME-Version", "99.0 (hm)")),
        ("CRLF headers", lambda m: m.replace(b"\n", b"\r\n", m.count(b"\n", 0, m.find(b"\n\n")))),
        ("header name with 8 bit", lambda m: add_header(m, b"X-\xff\xfe: v")),
        ("header line without colon", lambda m: add_header(m, b"this is not a header")),
        ("Message-ID with spaces", lambda m: set_header(m, "Message-ID", "<a b c@example.org>")),
        ("Message-ID empty brackets", lambda m: set_header(m, "Message-ID", "<>")),
    ]
    for name, change in same:
        base = next(turn)
        out.mails("headers", name, base, on_patch(base, change), expect="same")
    other: list[tuple[str, Callable[[bytes], bytes]]] = [
        (
            "no Message-ID",
            lambda m: set_header(m, "Message-ID", "").replace(b"Message-ID: \n", b""),
        ),
        ("no Subject", lambda m: re.sub(rb"^Subject:.*\n", b"", m, count=1, flags=re.M)),
        ("no header/body blank line", lambda m: m.replace(b"\n\n", b"\n", 1)),
        ("multipart without boundary", lambda m: set_header(m, "Content-Type", "multipart/mixed")),
        (
            "multipart boundary never seen",
            lambda m: set_header(m, "Content-Type", 'multipart/mixed; boundary="zz"'),
        ),
        ("body before headers", lambda m: b"\n" + m),
        ("all headers folded", lambda m: m.replace(b": ", b":\n  ", 20)),
        ("header 1 MB", lambda m: add_header(m, b"X-Big: " + b"y" * (1 << 20))),
        (
            "Subject 500 lines folded",
            lambda m: set_header(m, "Subject", "[PATCH] x" + "\n a" * 500),
        ),
        (
            "Content-Transfer-Encoding unknown",
            lambda m: set_header(m, "Content-Transfer-Encoding", "x-rot13"),
        ),
    ]
    for name, change in other:
        base = next(turn)
        out.mails("headers", name, base, on_patch(base, change))
    base = next(turn)
    out.mails("headers", "every mail without headers", base, [split(m)[1] for m in base.mails])
    out.mails(
        "headers",
        "every header lower case",
        base,
        [split(m)[0].lower() + b"\n\n" + split(m)[1] for m in base.mails],
        expect="same",
    )
    out.add("headers", "binary junk", bytes(range(256)) * 64)
    out.add("headers", "only NULs", b"\0" * 100_000)


def _b64(mail: bytes, damage: Callable[[bytes], bytes]) -> bytes:
    head, body = split(mail)
    encoded = base64.encodebytes(body)
    mail = set_header(head + b"\n\n" + damage(encoded), "Content-Transfer-Encoding", "base64")
    return set_header(mail, "Content-Type", "text/plain; charset=utf-8")


def _qp(mail: bytes, damage: Callable[[bytes], bytes]) -> bytes:
    import quopri

    head, body = split(mail)
    mail = set_header(
        head + b"\n\n" + damage(quopri.encodestring(body)),
        "Content-Transfer-Encoding",
        "quoted-printable",
    )
    return set_header(mail, "Content-Type", "text/plain; charset=utf-8")


def _encodings(out: Writer, turn: Iterator[Base]) -> None:
    same: list[tuple[str, Callable[[bytes], bytes]]] = [
        ("charset bogus", lambda m: set_header(m, "Content-Type", "text/plain; charset=x-no-such")),
        ("charset empty", lambda m: set_header(m, "Content-Type", "text/plain; charset=")),
        (
            "charset utf-16 label on ascii",
            lambda m: set_header(m, "Content-Type", "text/plain; charset=utf-16"),
        ),
        (
            "charset 200 chars",
            lambda m: set_header(m, "Content-Type", "text/plain; charset=" + "x" * 200),
        ),
        ("8-bit junk in body", lambda m: in_message(m, bytes(range(128, 256)) * 4)),
        (
            "invalid utf-8 in message",
            lambda m: in_message(m, b"\xc3\x28 \xa0\xa1 \xe2\x28\xa1 \xf0\x28\x8c\xbc"),
        ),
        ("NUL bytes in message", lambda m: in_message(m, b"a\0b\0" * 100)),
        ("lone CRs in message", lambda m: in_message(m, b"one\rtwo\rthree\r")),
        ("base64 body", lambda m: _b64(m, lambda e: e)),
        ("base64 without line breaks", lambda m: _b64(m, lambda e: e.replace(b"\n", b"") + b"\n")),
        ("qp body", lambda m: _qp(m, lambda e: e)),
        ("qp bad escapes", lambda m: _qp(m, lambda e: b"=ZZ=\n=G1 =" + e)),
        (
            "encoded-word broken in From",
            lambda m: set_header(m, "From", "=?utf-8?b?!!!?= <dev@example.org>"),
        ),
        (
            "encoded-word unknown charset",
            lambda m: set_header(m, "From", "=?x-nope?q?a=FF?= <dev@example.org>"),
        ),
        (
            "encoded-word 2000 in To",
            lambda m: set_header(m, "To", " ".join(["=?utf-8?q?a?="] * 2000) + " <a@b>"),
        ),
        ("raw latin-1 From", lambda m: set_header(m, "From", b"J\xf6rg \xdcber <j@example.org>")),
        ("raw 8-bit junk in Cc", lambda m: set_header(m, "Cc", bytes(range(128, 256)))),
        ("utf-8 BOM before headers", lambda m: b"\xef\xbb\xbf" + m),
        ("CR-only line ends in message", lambda m: in_message(m, b"a\rb\rc\r" * 50)),
        ("mixed CRLF diff lines", lambda m: m.replace(b"\n+", b"\r\n+", 3)),
    ]
    for name, change in same:
        base = next(turn)
        out.mails("encodings", name, base, on_patch(base, change), expect="same")
    other: list[tuple[str, Callable[[bytes], bytes]]] = [
        ("base64 with junk", lambda m: _b64(m, lambda e: e[:40] + b"!!!***" + e[40:])),
        ("base64 cut short", lambda m: _b64(m, lambda e: e[: len(e) // 2 - 3])),
        ("base64 bad padding", lambda m: _b64(m, lambda e: e.rstrip(b"=\n") + b"===\n")),
        (
            "base64 of binary",
            lambda m: set_header(
                split(m)[0] + b"\n\n" + base64.encodebytes(bytes(range(256)) * 50),
                "Content-Transfer-Encoding",
                "base64",
            ),
        ),
        ("qp soft breaks everywhere", lambda m: _qp(m, lambda e: e.replace(b"\n", b"=\n"))),
        (
            "utf-16 body declared",
            lambda m: set_header(
                split(m)[0] + b"\n\n" + split(m)[1].decode("utf-8", "replace").encode("utf-16"),
                "Content-Type",
                "text/plain; charset=utf-16",
            ),
        ),
        ("utf-7 declared", lambda m: set_header(m, "Content-Type", "text/plain; charset=utf-7")),
        (
            "Subject encoded-word broken",
            lambda m: set_header(m, "Subject", "=?utf-8?q?[PATCH=ZZ?= =?utf-8?b?*?="),
        ),
        ("Subject raw 8-bit", lambda m: set_header(m, "Subject", b"[PATCH] \xff\xfe\xfd")),
        ("multipart with base64 junk part", lambda m: _multipart_junk(m)),
    ]
    for name, change in other:
        base = next(turn)
        out.mails("encodings", name, base, on_patch(base, change))
    for index in range(10):
        base = next(turn)
        junk = bytes((i * 37 + index * 11) % 256 for i in range(2000))
        out.mails(
            "encodings",
            f"junk mail {index} between",
            base,
            [*base.mails[:1], junk, *base.mails[1:]],
            expect="same",
        )


def _multipart_junk(mail: bytes) -> bytes:
    head, body = split(mail)
    head = set_header(head + b"\n\n", "Content-Type", 'multipart/mixed; boundary="b1"').rstrip(
        b"\n"
    )
    parts = (
        b"--b1\nContent-Type: text/plain\n\n" + body + b"\n--b1\nContent-Type: application/x-junk\n"
        b"Content-Transfer-Encoding: base64\n\n!!!!####\n--b1--\n"
    )
    return head + b"\n\n" + parts


def _huge(out: Writer, turn: Iterator[Base]) -> None:
    fills = {"blanks": " ", "tabs": "\t", "word": "w", "paren": "(", "angle": "<", "at": "@"}
    for fill_name, ch in fills.items():
        text = ch * LONG
        places: list[tuple[str, Callable[[bytes], bytes], str]] = [
            ("header", lambda m, t=text: add_header(m, b"X-Long: x" + t.encode()), "same"),
            (
                "subject",
                lambda m, t=text: set_header(
                    m,
                    "Subject",
                    split(m)[0].split(b"Subject: ", 1)[1].split(b"\n", 1)[0] + t.encode() + b"x",
                ),
                "same",
            ),
            (
                "from name",
                lambda m, t=text: set_header(m, "From", f'"{t}" <dev@example.org>'),
                "same",
            ),
            (
                "references",
                lambda m, t=text: add_header(m, b"References: <" + t.encode() + b">"),
                "any",
            ),
            (
                "trailer",
                lambda m, t=text: after_signoff(
                    m, b"Reviewed-by: R " + t.encode() + b" <r@example.org>"
                ),
                "same",
            ),
            ("diff line", lambda m, t=text: on_plus_line(m, t.encode()), "same"),
            ("message line", lambda m, t=text: in_message(m, t.encode()), "same"),
        ]
        for place, change, expect in places:
            base = next(turn)
            formats = (
                ("json", "text", "html") if place in ("diff line", "subject") else ("json", "text")
            )
            out.mails(
                "huge",
                f"{fill_name} in {place}",
                base,
                on_patch(base, change),
                expect=expect,
                formats=formats,
            )


def gzip_bomb(size: int, line: bytes = b"\0") -> bytes:
    """A small gzip stream of ``size`` bytes: a mail, then ``line`` over and over."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = mbox_of([synthetic("[PATCH] bomb", small_diff())])
    parts = [packer.compress(head)]
    block = (line * ((1 << 20) // len(line) + 1))[: 1 << 20]
    for _ in range(size >> 20):
        parts.append(packer.compress(block))
    parts.append(packer.flush())
    return b"".join(parts)
