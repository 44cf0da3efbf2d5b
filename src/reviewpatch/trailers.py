"""Trailers: the ``Name: value`` lines at the end of a commit message, and
the review trailers (Reviewed-by, Acked-by, ...) given in replies.

Names are matched case-insensitively and normalised to their canonical
spelling; unknown ``Token: value`` lines of a trailer block are kept with
the token as written.
"""

from __future__ import annotations

__all__ = [
    "CANONICAL_NAMES",
    "PERSON_TRAILERS",
    "REVIEW_TRAILERS",
    "canonical_name",
    "find_trailer_block",
    "parse_trailer_block",
    "followup_trailers",
    "person_from_value",
]

import re
from collections.abc import Sequence

from reviewpatch.mail import parse_person
from reviewpatch.model import Mail, Person, Trailer
from reviewpatch.vocabulary import canonical_names, collected, person_names

CANONICAL_NAMES: tuple[str, ...] = canonical_names()
_BY_LOWER = {name.lower(): name for name in CANONICAL_NAMES}

PERSON_TRAILERS: frozenset[str] = person_names()
"""Trailers whose value names a person."""

REVIEW_TRAILERS: frozenset[str] = collected()
"""Trailers that count when a reviewer gives them in a reply (as b4
collects them: the review tags, and who reported or suggested the change)."""

# git's rule: the token has no spaces; a colon, a space and a value follow.
# The value's trailing blanks are stripped by the callers, not by the
# pattern: a lazy value followed by ``\s*$`` backtracks over every blank.
_TRAILER_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):\s+(\S.*)")
_BRACKET_RE = re.compile(r"^\s*\[.*\]\s*$")
_BRACKET_OPEN_RE = re.compile(r"^\[[^\]]*$")
_CHERRY_RE = re.compile(r"^\s*\(cherry picked from .*\)\s*$")
_ANGLE_RE = re.compile(r"<[^<>\s]+>")
_BARE_RE = re.compile(r"^(?P<addr>[^\s<>@\"]+@[^\s<>@\"]+)\s*(?P<rest>.*)$")
_VALID_ADDR_RE = re.compile(r"^[^\s@<>\"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_QUOTE_BREAKS = ("-----Original Message-----", "________________________________")


def canonical_name(token: str) -> str:
    """The canonical spelling of a trailer name, or ``token`` unchanged."""
    return _BY_LOWER.get(token.strip().lower(), token.strip())


def _parse_person(text: str) -> Person | None:
    """mail.parse_person, keeping only addresses with a real domain (an
    archive's masked ``user@xxxxxxx`` is no address)."""
    person = parse_person(text)
    if person is None or not _VALID_ADDR_RE.match(person.email):
        return None
    return person


def person_from_value(value: str) -> Person | None:
    """The person a trailer value names, ignoring a ``# comment`` or a
    ``[tag]`` after the address; None when no valid address is found."""
    text = value.strip()
    if "#" in text:
        text = text.split("#", 1)[0].strip()
    angle = _ANGLE_RE.search(text)
    rest = text[angle.end() :].lstrip() if angle else ""
    if rest:
        text = text[: len(text) - len(rest)].strip()
    match = _BARE_RE.match(text)
    if match and match.group("rest") and "<" not in text:
        text = match.group("addr")
    return _parse_person(text) if text else None


def _is_trailer(line: str) -> bool:
    return bool(_TRAILER_RE.match(line)) and not line[:1].isspace()


def _block_kind(line: str) -> str:
    """Classify one line of a candidate trailer block."""
    if _is_trailer(line):
        return "trailer"
    if _BRACKET_RE.match(line) or _CHERRY_RE.match(line):
        return "note"
    if _BRACKET_OPEN_RE.match(line):
        return "note"  # "[Sami: rebased, ..." whose "]" closes on an indented line
    if line[:1] in (" ", "\t") and line.strip():
        return "continuation"
    return "other"


def _trailing_run(kinds: Sequence[str]) -> int:
    """Where the run of trailer-like lines at the end of a paragraph starts
    (at a trailer line, never at a continuation or note)."""
    start = len(kinds)
    while start > 0 and kinds[start - 1] != "other":
        start -= 1
    while start < len(kinds) and kinds[start] != "trailer":
        start += 1
    return start


def find_trailer_block(lines: Sequence[str]) -> int:
    """The index in ``lines`` where the trailer block starts: the last
    paragraph when it is made of trailer lines (``Token: value``, bracketed
    notes, ``(cherry picked ...)``, indented continuations).  When the last
    paragraph mixes prose and trailers, the block is its trailing run of
    trailer lines, provided that run holds a known trailer (Signed-off-by,
    ...).  ``len(lines)`` when there is no block."""
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and lines[start - 1].strip():
        start -= 1
    kinds = [_block_kind(line) for line in lines[start:end]]
    run = _trailing_run(kinds)
    if run >= len(kinds):
        return len(lines)
    if run == 0 and "other" not in kinds:
        return start
    names = [m.group(1) for m in map(_TRAILER_RE.match, lines[start + run : end]) if m]
    if any(name.lower() in _BY_LOWER for name in names):
        return start + run
    return len(lines)


def parse_trailer_block(
    lines: Sequence[str],
    origin_msgid: str,
    first_line: int,
    given_by: Person | None,
) -> tuple[Trailer, ...]:
    """The trailers of the commit message ``lines`` (``lines[0]`` is body
    line ``first_line``), found with :func:`find_trailer_block`."""
    start = find_trailer_block(lines)
    out: list[Trailer] = []
    current: tuple[str, str, int, str] | None = None  # name, value, index, raw
    for i in range(start, len(lines)):
        line = lines[i]
        kind = _block_kind(line)
        if kind == "continuation" and current is not None:
            name, value, at, raw = current
            current = (name, f"{value} {line.strip()}".strip(), at, f"{raw}\n{line}")
            continue
        if current is not None:
            out.append(_make(current, origin_msgid, first_line, given_by))
            current = None
        match = _TRAILER_RE.match(line) if kind == "trailer" else None
        if match:
            current = (canonical_name(match.group(1)), (match.group(2) or "").strip(), i, line)
    if current is not None:
        out.append(_make(current, origin_msgid, first_line, given_by))
    return tuple(out)


def _make(
    item: tuple[str, str, int, str], msgid: str, first_line: int, given_by: Person | None
) -> Trailer:
    name, value, index, raw = item
    person = person_from_value(value) if name in PERSON_TRAILERS else None
    return Trailer(
        name=name,
        value=value,
        person=person,
        origin_msgid=msgid,
        line=first_line + index,
        raw=raw,
        given_by=given_by,
    )


def _diff_line(line: str) -> bool:
    return line[:1] in ("+", "-", " ", "@", "\\") or line.startswith(("diff ", "index "))


def _pasted_commit(lines: list[str], index: int) -> bool:
    """Whether an unquoted ``From:`` line at ``index`` opens a commit pasted
    into the reply (a ``Subject:`` line follows within two lines), as a
    maintainer's "applied, thanks" mail quotes the patch it took."""
    if not lines[index].startswith("From: "):
        return False
    return any(ln.startswith("Subject: ") for ln in lines[index + 1 : index + 3])


def _own(person: Person, sender: Person) -> bool:
    """The tag names its sender ("  Tested-by: Marco Elver <elver@...>"
    indented in Marco's own reply is his)."""
    if person.key and person.key == sender.key:
        return True
    return (
        bool(person.name.strip())
        and person.name.strip().casefold() == sender.name.strip().casefold()
    )


def followup_trailers(mail: Mail) -> tuple[Trailer, ...]:
    """The trailers a reply gives (``REVIEW_TRAILERS``: Reviewed-by,
    Acked-by, Tested-by, Nacked-by, Reported-by, ...; and the sender's own
    Signed-off-by, as a co-developer gives it when asked), each on its own
    unquoted line with a name and address, outside any diff, before the
    ``-- `` signature and before a commit the reply pastes whole
    (``From:``/``Subject:``)."""
    out: list[Trailer] = []
    in_diff = False
    lines = mail.body.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line.strip() in _QUOTE_BREAKS:
            break
        if _pasted_commit(lines, index):
            break  # the patch as the sender applied it: its trailers are not the sender's
        if line.lstrip().startswith(">"):
            in_diff = False
            continue
        if line.startswith(("diff --git ", "@@ ")):
            in_diff = True
            continue
        if in_diff and (_diff_line(line) or not line.strip()):
            continue
        in_diff = False
        match = _TRAILER_RE.match(line.strip())
        if not match:
            continue
        name, value = canonical_name(match.group(1)), (match.group(2) or "").strip()
        if name not in REVIEW_TRAILERS and name != "Signed-off-by":
            continue
        person = person_from_value(value)
        if person is None:
            continue  # prose ("my Acked-by: or Suggested-by: to the portions ..."), no tag
        if name == "Signed-off-by" and not _own(person, mail.sender):
            continue  # only one's own sign-off (a co-developer's, asked for) counts
        if line[:1].isspace() and not _own(person, mail.sender):
            continue  # indented: a pasted commit's trailers, not the sender's own
        out.append(
            Trailer(
                name=name,
                value=value,
                person=person,
                origin_msgid=mail.msgid,
                line=index + 1,
                raw=line.rstrip(),
                given_by=mail.sender,
            )
        )
    return tuple(out)
