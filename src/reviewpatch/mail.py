"""Mail decoding: bytes of an mbox or of one RFC 5322 mail -> ``Mail`` values.

Mail content is hostile.  Nothing here evaluates it; every decoding step
falls back to a lossy but total decoding (replacement characters) instead of
failing, so that one odd mail never loses the rest of a thread.  Only input
that is not a mail at all raises ``ParseError``; ``read_mails`` turns that
into an ``InputProblem`` and keeps going.
"""

from __future__ import annotations

__all__ = [
    "read_mails",
    "parse_mail",
    "parse_person",
    "parse_address_list",
    "decode_header_value",
    "decode_bytes",
    "is_probably_mail",
    "split_mbox",
    "synthetic_msgid",
]

import base64
import binascii
import codecs
import email.errors
import hashlib
import quopri
import re
from datetime import UTC
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from functools import lru_cache

from reviewpatch.addresses import parse_person, split_addresses
from reviewpatch.errors import ParseError
from reviewpatch.model import InputProblem, Mail, Person

_FROM_LINE_STRICT = re.compile(
    rb"^From \S+ +[A-Za-z]{3} +[A-Za-z]{3} +\d{1,2} +\d{1,2}:\d{2}(?::\d{2})?\b"
)
_MBOXRD_ESCAPED = re.compile(rb"^>(>*From )", re.MULTILINE)
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
_FOLD = re.compile(r"\r?\n[ \t]*")
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"^[^\s<>@]+@[^\s<>]+$")
_DIFF_START = re.compile(r"^(?:diff --git |--- \S.*\n\+\+\+ \S|Index: \S)", re.MULTILINE)
_NESTED = ("multipart", "message")  # types whose body the parser reads as parts
_KEY_HEADERS = ("from", "subject", "message-id", "date")
_PATCH_TYPES = (
    "text/x-patch",
    "text/x-diff",
    "text/diff",
    "application/x-patch",
    "application/x-diff",
)


def synthetic_msgid(data: bytes) -> str:
    """A stable Message-ID for a mail that has none: a hash of its bytes."""
    return f"reviewpatch-{hashlib.sha1(data).hexdigest()[:16]}@local"


def is_probably_mail(data: bytes) -> bool:
    """True when ``data`` starts like an mbox or an RFC 5322 mail (a few
    header lines), as opposed to a bare diff or some other file."""
    head = data[:8192].lstrip(b"\xef\xbb\xbf").lstrip(b"\r\n")
    lines = head.splitlines()
    if not lines:
        return False
    if lines[0].startswith(b"From "):
        return True
    names: set[bytes] = set()
    for line in lines:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].strip().lower())
    wanted = {b"from", b"subject", b"message-id", b"date", b"received", b"return-path"}
    return len(names & wanted) >= 1 and len(names) >= 2


def split_mbox(data: bytes) -> tuple[bytes, ...]:
    """Split mbox bytes into the raw mails, without the ``From `` lines.

    The first line may be any ``From `` line; later separators must look
    like a real one (``From sender Day Mon DD HH:MM...``) and follow a blank
    line, or be followed by a header line (a damaged mail may lack the blank
    line, and must not swallow the next mail).  Lines escaped mboxrd-style
    (``>From``) are unescaped.  Line ends become LF.
    """
    text = data.replace(b"\r\n", b"\n")
    lines = text.split(b"\n")
    chunks: list[list[bytes]] = []
    current: list[bytes] | None = None
    for number, line in enumerate(lines):
        first = number == 0 and line.startswith(b"From ")
        if first or (_FROM_LINE_STRICT.match(line) and _starts_mail(lines, number)):
            current = []
            chunks.append(current)
            continue
        if current is None:
            current = []
            chunks.append(current)
        current.append(line)
    out = []
    for chunk in chunks:
        raw = b"\n".join(chunk).rstrip(b"\n") + b"\n"
        out.append(_MBOXRD_ESCAPED.sub(rb"\1", raw))
    return tuple(c for c in out if c.strip())


def _starts_mail(lines: list[bytes], number: int) -> bool:
    """Whether the From_ line at ``number`` opens a mail: it follows a blank
    line, or the next line is a header line."""
    if number == 0 or not lines[number - 1]:
        return True
    following = lines[number + 1] if number + 1 < len(lines) else b""
    return bool(_HEADER_LINE.match(following))


def read_mails(
    data: bytes, origin: str, max_bytes: int | None = None
) -> tuple[tuple[Mail, ...], tuple[InputProblem, ...]]:
    """Decode every mail in ``data`` (an mbox or one mail).

    A mail that cannot be read, or is longer than ``max_bytes``, becomes an
    ``InputProblem`` naming ``origin:N`` (N counts from 1) and its
    Message-ID when one is visible; the other mails are still returned.
    """
    stripped = data.lstrip(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if not stripped.strip():
        return (), (InputProblem(origin, f"{origin}: empty input"),)
    chunks = split_mbox(stripped) if stripped.startswith(b"From ") else (stripped,)
    mails: list[Mail] = []
    problems: list[InputProblem] = []
    people: dict[str, Person | None] = {}  # the mails of a thread share their Cc lists
    for number, chunk in enumerate(chunks, start=1):
        where = f"{origin}:{number}" if len(chunks) > 1 else origin
        if max_bytes is not None and len(chunk) > max_bytes:
            message = (
                f"{where}: the mail is {len(chunk):,} bytes, over the limit of "
                f"{max_bytes:,} bytes per mail (limit mail-bytes); it was not read"
            )
            problems.append(InputProblem(where, message, _visible_msgid(chunk), skipped=True))
            continue
        try:
            mails.append(parse_mail(chunk, where, people))
        except ParseError as exc:
            problems.append(InputProblem(where, exc.message, _visible_msgid(chunk)))
    return tuple(mails), tuple(problems)


def _visible_msgid(raw: bytes) -> str | None:
    """The Message-ID of a broken mail, if a header line shows it."""
    match = re.search(rb"^Message-I[dD]:[ \t]*<?([^<>\s]+)>?", raw[:65536], re.MULTILINE | re.I)
    return match.group(1).decode("ascii", "replace") if match else None


def parse_mail(data: bytes, origin: str, people: dict[str, Person | None] | None = None) -> Mail:
    """Decode one RFC 5322 mail.  Raises ``ParseError`` naming ``origin``
    when ``data`` is not a mail (no header block).  ``people`` keeps the
    addresses already read (raw text -> Person) across the mails of one
    input."""
    raw = data.replace(b"\r\n", b"\n").lstrip(b"\xef\xbb\xbf").lstrip(b"\n")
    if raw.startswith(b"From ") and b"\n" in raw:
        raw = raw.split(b"\n", 1)[1]
    raw = _header_crs(raw)
    first = raw.split(b"\n", 1)[0]
    if not _HEADER_LINE.match(first):
        raise ParseError(f"{origin}: not a mail (no header block)")
    try:
        msg = _parse_message(raw)
        headers = tuple((k, decode_header_value(_raw_text(v))) for k, v in msg.raw_items())
        body = _body_text(msg)
    except (email.errors.MessageError, ValueError, LookupError, TypeError, IndexError) as exc:
        raise ParseError(f"{origin}: unreadable mail ({type(exc).__name__})") from exc
    names = {name.lower() for name, _ in headers}
    if not names & set(_KEY_HEADERS):
        raise ParseError(f"{origin}: not a mail (no From, Subject, Message-ID or Date header)")
    return _build_mail(msg, headers, body, raw, origin, {} if people is None else people)


def _parse_message(raw: bytes) -> Message:
    """``raw`` parsed by the email package (compat32).  A mail whose body is
    one part (neither multipart nor a message/* type) has only its header
    block parsed, and the body set as the payload: what the parser would
    make of it line by line, without the lines."""
    head, sep, rest = raw.partition(b"\n\n")
    if sep:
        msg = BytesParser(policy=compat32).parsebytes(head + sep)
        if msg.get_content_maintype() not in _NESTED and msg.get_payload() == "":
            msg.set_payload(rest.decode("ascii", "surrogateescape"))
            return msg
    return BytesParser(policy=compat32).parsebytes(raw)


def _header_crs(raw: bytes) -> bytes:
    """A lone CR in the header block would end a header line early and hide
    the headers after it: it becomes a space."""
    head, sep, rest = raw.partition(b"\n\n")
    return head.replace(b"\r", b" ") + sep + rest


def _build_mail(
    msg: Message,
    headers: tuple[tuple[str, str], ...],
    body: str,
    raw: bytes,
    origin: str,
    people: dict[str, Person | None],
) -> Mail:
    """Assemble the Mail value from the parsed message."""

    def first(name: str) -> str | None:
        for key, value in headers:
            if key.lower() == name:
                return value
        return None

    def raw_header(name: str) -> str:
        values = [_raw_text(v) for k, v in msg.raw_items() if k.lower() == name]
        return ", ".join(values)

    msgid = next(iter(_all_ids(first("message-id") or "")), None) or synthetic_msgid(raw)
    in_reply_to = next(iter(_all_ids(first("in-reply-to") or "")), None)
    references = _all_ids(" ".join(v for k, v in headers if k.lower() == "references"))

    def addresses(name: str) -> tuple[Person, ...]:
        return parse_address_list(raw_header(name), people)

    senders = addresses("from") or addresses("sender")
    date = first("date") or ""
    subject = _FOLD.sub(" ", first("subject") or "").strip()
    return Mail(
        msgid=msgid,
        subject=subject or _body_subject(body),
        sender=senders[0] if senders else Person("", ""),
        date=date,
        in_reply_to=in_reply_to if in_reply_to != msgid else None,
        references=tuple(r for r in references if r != msgid),
        body=body,
        headers=headers,
        to=addresses("to"),
        cc=addresses("cc"),
        origin=origin,
        timestamp=_timestamp(date),
    )


def _body_subject(body: str) -> str:
    """The subject a mail with an empty Subject header carries as the first
    line of its body (``Subject: [PATCH v10 0/5] ...``: git send-email
    given a cover letter whose header block was pasted below a blank
    line), else ""."""
    head = body.lstrip("\r\n")[:2000]
    first = head.split("\n", 1)[0].strip()
    if first[:8].lower() == "subject:":
        return " ".join(first[8:].split())
    return ""


def _raw_text(value: object) -> str:
    """A header value as parsed by compat32 (undecodable bytes kept as
    surrogates) -> text: UTF-8 when it decodes, Latin-1 otherwise."""
    text = str(value)
    try:
        data = text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _all_ids(value: str) -> tuple[str, ...]:
    """Every ``<id>`` in a header value, in order, without repeats.  A value
    with no brackets that looks like ``local@domain`` counts as one id."""
    found = _ANGLE_ID.findall(value)
    if not found:
        bare = value.strip()
        found = [bare] if _BARE_ID.match(bare) else []
    return tuple(dict.fromkeys(item.strip() for item in found if item.strip()))


def _timestamp(date: str) -> float | None:
    """Seconds since the epoch for a Date header, or None when unparsable."""
    if not date.strip():
        return None
    try:
        when = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    try:
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def _lookup_codec(charset: str | None) -> str | None:
    """The Python codec name for a mail charset, or None when unknown."""
    if not charset:
        return None
    name = charset.strip().strip('"').split("*", 1)[0].lower()
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode ``data`` in ``charset``; never fails.  Without a (known)
    charset, UTF-8 is tried first, then Latin-1 (or replacement)."""
    codec = _lookup_codec(charset)
    if codec and codec not in ("ascii", "utf-8"):
        return data.decode(codec, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec is None and charset:
        return data.decode("utf-8", "replace")
    return data.decode("latin-1")


def decode_header_value(value: str) -> str:
    """Unfold a header value and decode its RFC 2047 encoded words.
    Adjacent encoded words in one charset are joined before decoding so a
    character split across two words survives."""
    text = (_FOLD.sub(" ", value) if "\n" in value else value).strip()
    if "=?" not in text:
        return text
    text = _BETWEEN_WORDS.sub(r"\1\2", text)
    pieces: list[tuple[str, str | bytes]] = []  # ("", text) or (charset, encoded bytes)
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        if match.start() > pos:
            pieces.append(("", text[pos : match.start()]))
        charset, kind, payload = match.groups()
        data = _decode_word(kind, payload)
        last = pieces[-1] if pieces else ("", "")
        if last[0].lower() == charset.lower() and isinstance(last[1], bytes):
            data = last[1] + data
            pieces.pop()
        pieces.append((charset, data))
        pos = match.end()
    pieces.append(("", text[pos:]))
    return "".join(p if isinstance(p, str) else decode_bytes(p, cs) for cs, p in pieces)


def _decode_word(kind: str, payload: str) -> bytes:
    """The bytes of one encoded word (B = base64, Q = quoted-printable)."""
    data = payload.encode("ascii", "replace")
    if kind.lower() == "b":
        padded = data + b"=" * (-len(data) % 4)
        try:
            return base64.b64decode(padded)
        except (binascii.Error, ValueError):
            return data
    return quopri.decodestring(data.replace(b"_", b" "), header=True)


def _part_text(part: Message) -> str:
    """The decoded text of one non-multipart part, LF line ends."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    text = decode_bytes(payload, part.get_content_charset())
    # a lone CR is content (a file with mixed line ends), not a line break:
    # splitting on it would break a hunk's line counts
    return text.replace("\r\n", "\n").replace("\r", "\u240d")


def _is_attachment(part: Message) -> bool:
    return str(part.get("Content-Disposition", "")).lower().startswith("attachment")


def _body_text(msg: Message) -> str:
    """The text/plain body; diff attachments are appended to it."""
    if not msg.is_multipart():
        ctype = msg.get_content_type()
        if ctype.startswith("text/") or ctype in _PATCH_TYPES or not msg.get("Content-Type"):
            return _part_text(msg)
        return ""
    body: str | None = None
    extra: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and body is None and not _is_attachment(part):
            body = _part_text(part)
        elif ctype in _PATCH_TYPES or _named_patch(part):
            extra.append(_part_text(part))
        elif ctype == "text/plain":
            text = _part_text(part)
            if body is None:
                body = text
            elif _DIFF_START.search(text):
                extra.append(text)
    pieces = [body or ""] + extra
    return "\n".join(p if p.endswith("\n") or not p else p + "\n" for p in pieces if p)


def _named_patch(part: Message) -> bool:
    """An attachment with a generic type but a ``.patch``/``.diff`` name."""
    name = part.get_filename() or ""
    if not name.lower().endswith((".patch", ".diff")):
        return False
    return bool(_DIFF_START.search(_part_text(part)))


@lru_cache(maxsize=512)
def _split_addresses(text: str) -> tuple[str, ...]:
    """``split_addresses``, remembered: the mails of a thread repeat their
    To and Cc lists."""
    return tuple(split_addresses(text))


def parse_address_list(
    text: str, known: dict[str, Person | None] | None = None
) -> tuple[Person, ...]:
    """Every address of a From/To/Cc header value (raw, possibly with
    RFC 2047 encoded names), as Person values.  ``known`` remembers the
    addresses read before (raw item -> Person), and learns the new ones."""
    known = {} if known is None else known
    people: list[Person] = []
    for item in _split_addresses(_FOLD.sub(" ", text)):
        if item not in known:
            known[item] = parse_person(decode_header_value(item))
        person = known[item]
        if person is not None:
            people.append(person)
    return tuple(people)
