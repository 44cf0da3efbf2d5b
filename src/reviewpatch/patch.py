"""One patch mail -> Patch: commit message, trailers, notes, diffstat, diff.

The body of a patch mail is laid out the way ``git format-patch`` writes it::

    [From: / Subject: / Date: in-body headers]
    commit message
    trailer block
    ---
    notes and diffstat
    diff --git ...
    --
    git version

A plain ``git format-patch`` file pasted or attached into the body (starting
with ``From <sha> Mon Sep 17 00:00:00 2001``) and a ``-- >8 --`` scissors
line are honoured: the patch starts after them.
"""

from __future__ import annotations

__all__ = [
    "parse_patch",
    "is_diffstat_line",
    "diffstat_summary",
    "diffstat_entries",
    "split_body",
    "BodyParts",
    "limit_files",
]

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import decode_header, make_header

from reviewpatch.diff import is_diff_start, parse_diff
from reviewpatch.errors import ParseError
from reviewpatch.model import FileDiff, Mail, Patch, Person, Subject
from reviewpatch.settings import Limits
from reviewpatch.trailers import find_trailer_block, parse_trailer_block, person_from_value

_FORMAT_PATCH_RE = re.compile(r"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\s*$")
_SCISSORS_RE = re.compile(r"^\s*-{2,}\s*(?:>8|8<)\s*-{2,}.*$")
_INBODY_START_RE = re.compile(r"^(From|Subject|Date):\s")
_HEADER_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$")
# A diffstat file line is ``path | count graph``: what follows the last
# ``|`` is matched on its own (the path, lazy before blanks and a bar, would
# make the pattern try every blank of a long line).
_BIN_AFTER = re.compile(r"\s+Bin\b")
_STAT_COUNT_RE = re.compile(r"\s+(?:(\d+)(?: [+-]*)?|(Bin)(?: \d+ -> \d+ bytes)?|Bin\b.*)\s*")
_STAT_SUMMARY_RE = re.compile(
    r"^\s*(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?\s*$"
)
_STAT_EXTRA_RE = re.compile(
    r"^\s*(?:(?:create|delete) mode \d{6} \S.*|mode change \d{6} => \d{6} \S.*"
    r"|(?:rename|copy|rewrite) \S.* \(\d+%\))\s*$"
)
_BASE_RE = re.compile(r"^base-commit:\s*([0-9a-fA-F]{7,64})\b(?:\s.*)?$")
_CHANGE_RE = re.compile(r"^change-id:\s*(\S+)\s*$")
_META_RE = re.compile(r"^(?:base-commit|change-id|prerequisite-patch-id):\s")


@dataclass(frozen=True)
class BodyParts:
    """Where the pieces of a patch body are (0-based indexes into the body
    lines).  ``separator`` is the ``---`` line, ``diff`` the first diff line
    (None when missing); ``headers`` the in-body headers found at ``start``."""

    start: int
    message: int
    separator: int | None
    diff: int | None
    headers: tuple[tuple[str, str], ...] = ()


def _stat_entry(line: str, strict: bool) -> tuple[str, int | None] | None:
    """``(path, changed lines)`` of a diffstat file line (None for a binary
    file), or None when ``line`` is not one.  ``strict`` takes a binary
    count only as git prints it (``Bin`` or ``Bin 10 -> 20 bytes``)."""
    left, bar, right = line.rpartition("|")
    if not strict:  # ``Bin`` and anything after it, bars included
        first = len(line) - len(line.lstrip())  # the path's first character
        bar_at = line.find("|", first + 1)
        while bar_at >= 0:
            if line[bar_at - 1].isspace() and _BIN_AFTER.match(line, bar_at + 1):
                return line[:bar_at].strip(), None
            bar_at = line.find("|", bar_at + 1)
    if not bar or not left[-1:].isspace() or not left.strip():
        return None
    count = _STAT_COUNT_RE.fullmatch(right)
    if count is None or (strict and count.group(1) is None and count.group(2) is None):
        return None
    return left.strip(), int(count.group(1)) if count.group(1) else None


def is_diffstat_line(line: str) -> bool:
    """True for a diffstat line: `` path | 3 +--``, the ``N files changed``
    summary, or the ``create mode`` / ``rename`` lines git adds below it."""
    return bool(
        _stat_entry(line, True) or _STAT_SUMMARY_RE.match(line) or _STAT_EXTRA_RE.match(line)
    )


def diffstat_summary(diffstat: Sequence[str]) -> tuple[int, int, int] | None:
    """``(files, insertions, deletions)`` from the summary line, or None."""
    for line in diffstat:
        match = _STAT_SUMMARY_RE.match(line)
        if match:
            return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    return None


def diffstat_entries(diffstat: Sequence[str]) -> tuple[tuple[str, int | None], ...]:
    """``(path, changed lines)`` per diffstat file line; None for a binary
    file.  The path is as git printed it (maybe ``.../x.c`` or ``a => b``)."""
    out: list[tuple[str, int | None]] = []
    for line in diffstat:
        entry = _stat_entry(line, False)
        if entry is not None and not _STAT_SUMMARY_RE.match(line):
            out.append(entry)
    return tuple(out)


def _skip_blank(lines: Sequence[str], i: int, end: int) -> int:
    while i < end and not lines[i].strip():
        i += 1
    return i


def _read_headers(
    lines: Sequence[str], i: int, any_name: bool
) -> tuple[tuple[tuple[str, str], ...], int]:
    """Header lines at ``i`` (with folded continuation lines).  Without
    ``any_name`` only From/Subject/Date may open the block."""
    opener = _HEADER_RE if any_name else _INBODY_START_RE
    if i >= len(lines) or not opener.match(lines[i]):
        return (), i
    headers: list[tuple[str, str]] = []
    while i < len(lines):
        line = lines[i]
        match = _HEADER_RE.match(line)
        if headers and line[:1] in (" ", "\t") and line.strip():
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
        elif match and (any_name or _INBODY_START_RE.match(line)):
            headers.append((match.group(1), match.group(2).strip()))
        else:
            break
        i += 1
    return tuple(headers), i


def _patch_start(lines: Sequence[str], limit: int) -> tuple[int, bool]:
    """Where the patch text starts: after a format-patch ``From <sha>`` line
    or the last scissors line before ``limit``; True for a format-patch."""
    for i in range(limit):
        if _FORMAT_PATCH_RE.match(lines[i]):
            return i + 1, True
    start = 0
    for i in range(limit):
        if _SCISSORS_RE.match(lines[i]) or _reply_patch_start(lines, i, limit):
            start = i + 1
    if start == 0:
        start = _preamble_end(lines, limit)
    return start, False


def _preamble_end(lines: Sequence[str], limit: int) -> int:
    """After a note above the commit message (``Resending to add the
    maintainers.`` ``---`` message, sign-off, ``---``, diffstat): the line
    after the first ``---`` when nothing above it signs off, and a sign-off
    and a second ``---`` follow before the diff; else 0."""
    dashes = [i for i in range(limit) if lines[i].rstrip() == "---"]
    if len(dashes) < 2:
        return 0
    first, second = dashes[0], dashes[1]
    signs = [i for i in range(limit) if lines[i].startswith("Signed-off-by: ")]
    if not signs or signs[0] < first or not any(first < i < second for i in signs):
        return 0
    return first + 1


def _reply_patch_start(lines: Sequence[str], i: int, limit: int) -> bool:
    """A ``---`` line that ends a reply's own text and opens the patch it
    carries, with in-body ``From:`` and ``Subject:`` headers right below it
    (how some maintainers answer a patch with their own version), or an
    in-body ``From:`` or ``Subject:`` alone above a message that signs off."""
    if lines[i].rstrip() != "---" or i + 2 >= limit:
        return False
    if not lines[i + 1].startswith(("From: ", "Subject: ")):
        return False
    if lines[i + 1].startswith("From: ") and any(
        lines[j].startswith("Subject: ") for j in range(i + 2, min(i + 4, limit))
    ):
        return True
    # "---" and an in-body From: or Subject: alone, then a message that signs off
    return not lines[i + 2].strip() and any(
        lines[j].startswith("Signed-off-by: ") for j in range(i + 3, limit)
    )


def split_body(lines: Sequence[str]) -> BodyParts:
    """Find the in-body headers, the message, the ``---`` separator and the
    start of the diff in the body ``lines``."""
    diff = next((i for i in range(len(lines)) if is_diff_start(lines, i)), None)
    limit = len(lines) if diff is None else diff
    start, full = _patch_start(lines, limit)
    at = start if full else _skip_blank(lines, start, limit)
    headers, after = _read_headers(lines, at, full)
    message = _skip_blank(lines, after, limit)
    if full:  # an in-body From: below the header block of a format-patch file
        inner, after = _read_headers(lines, message, False)
        if inner:
            headers, message = inner + headers, _skip_blank(lines, after, limit)
    separator = None
    if diff is not None:
        separator = next((i for i in range(message, diff) if lines[i].rstrip() == "---"), None)
    return BodyParts(start, message, separator, diff, headers)


def _decode(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


def _author(headers: Sequence[tuple[str, str]], sender: Person) -> Person:
    for name, value in headers:
        if name.lower() == "from":
            person = person_from_value(_decode(value))
            if person is not None:
                return person
    return sender


def _metadata(lines: Sequence[str], start: int) -> tuple[str | None, str | None]:
    base = change = None
    for line in lines[start:]:
        base_match = _BASE_RE.match(line)
        change_match = _CHANGE_RE.match(line)
        if base_match and base is None:
            base = base_match.group(1)
        if change_match and change is None:
            change = change_match.group(1)
    return base, change


def _notes(lines: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """Split the text between ``---`` and the diff into notes and diffstat."""
    stat = tuple(line for line in lines if is_diffstat_line(line))
    kept: list[str] = []
    for line in lines:
        if is_diffstat_line(line) or _META_RE.match(line):
            continue
        if not line.strip() and (not kept or not kept[-1].strip()):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip("\n"), stat


def _signature_cut(lines: Sequence[str], start: int) -> int:
    """The index of the last ``-- `` signature line after ``start``."""
    for i in range(len(lines) - 1, start - 1, -1):
        if lines[i].rstrip() == "--":
            return i
    return len(lines)


def _cover(mail: Mail, subject: Subject, lines: Sequence[str], parts: BodyParts) -> Patch:
    end = _signature_cut(lines, parts.message)
    text = "\n".join(line.rstrip() for line in lines[parts.message : end]).strip("\n")
    base, change = _metadata(lines, parts.message)
    return Patch(
        mail=mail,
        subject=subject,
        index=subject.counter,
        author=_author(parts.headers, mail.sender),
        message=text,
        diffstat=tuple(line for line in lines[parts.message : end] if is_diffstat_line(line)),
        base_commit=base,
        change_id=change,
        message_line=parts.message + 1,
        message_end=end + 1,
    )


def _files(mail: Mail, lines: Sequence[str], diff: int) -> tuple[FileDiff, ...]:
    try:
        return parse_diff("\n".join(lines[diff:]), diff + 1)
    except ParseError as exc:
        where = mail.origin or f"<{mail.msgid}>"
        raise ParseError(f"{where}: {exc.message}") from exc


def parse_patch(mail: Mail, subject: Subject) -> Patch:
    """Parse one patch mail (or the cover letter, counter 0) into a Patch.

    Raises ParseError (naming the mail) when the diff is malformed.
    """
    lines = mail.body.split("\n")
    parts = split_body(lines)
    if subject.counter == 0 or parts.diff is None:
        return _cover(mail, subject, lines, parts)
    end = parts.separator if parts.separator is not None else parts.diff
    msg_lines = lines[parts.message : end]
    block = find_trailer_block(msg_lines)
    trailers = parse_trailer_block(msg_lines, mail.msgid, parts.message + 1, mail.sender)
    message = "\n".join(line.rstrip() for line in msg_lines[:block]).strip("\n")
    notes: str = ""
    stat: tuple[str, ...] = ()
    if parts.separator is not None:
        notes, stat = _notes(lines[parts.separator + 1 : parts.diff])
    base, change = _metadata(lines, end)
    return Patch(
        mail=mail,
        subject=subject,
        index=subject.counter,
        author=_author(parts.headers, mail.sender),
        message=message,
        trailers=trailers,
        notes=notes,
        diffstat=stat,
        files=_files(mail, lines, parts.diff),
        base_commit=base,
        change_id=change,
        message_line=parts.message + 1,
        message_end=end + 1,
    )


def limit_files(
    files: tuple[FileDiff, ...], limits: Limits
) -> tuple[tuple[FileDiff, ...], tuple[str, ...]]:
    """The files of a patch within ``limits`` (files per patch, lines per
    hunk, characters per diff line), and one sentence per file or group of
    files left out, naming the file and the limit."""
    kept: list[FileDiff] = []
    said: list[str] = []
    for fd in files[: limits.files]:
        longest = max((len(h.lines) for h in fd.hunks), default=0)
        widest = max((len(ln.text) for h in fd.hunks for ln in h.lines), default=0)
        if longest > limits.hunk_lines:
            said.append(
                f"the diff of {fd.path} has a hunk of {longest:,} lines, over the limit of "
                f"{limits.hunk_lines:,} lines per hunk (limit hunk-lines); the file was not reviewed"
            )
        elif widest > limits.line_bytes:
            said.append(
                f"the diff of {fd.path} has a line of {widest:,} characters, over the limit of "
                f"{limits.line_bytes:,} per line (limit line-bytes); the file was not reviewed"
            )
        else:
            kept.append(fd)
    if len(files) > limits.files:
        said.append(
            f"the patch changes {len(files):,} files, over the limit of {limits.files:,} files "
            f"per patch (limit files); the {len(files) - limits.files:,} after "
            f"{files[limits.files - 1].path} were not reviewed"
        )
    return tuple(kept), tuple(said)
