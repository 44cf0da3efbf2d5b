"""Replies as quote blocks and the sender's own words under them.

A reply is cut at its ``-- `` signature (or an ``-----Original Message-----``
line).  Lines starting with ``>`` (at any depth) are quoted; the others are
the sender's own words, less what says nothing: attribution lines ("On ...,
X wrote:"), elisions ("...", "[...]", "<snip>"), greetings and sign-offs,
the sender's name alone, trailers (``Reviewed-by: ...``) and the lead-in
before a trailer ("With that:", "For the series:").  Quote blocks separated
only by such lines are one block.  A ``Segment`` is a quote block and the
own words below it (a top-posted reply gives a segment without quote).
"""

from __future__ import annotations

__all__ = ["QuoteLine", "Segment", "split_reply"]

import re
from dataclasses import dataclass

from reviewpatch.model import Mail

_QUOTE = re.compile(r"^[ \t]{0,3}((?:>[ \t]?){1,30})")
_ATTRIBUTION = re.compile(
    r"(?:\bwrote|\bwrites|\bschrieb|\bescribió|\ba écrit)\s{0,3}:\s{0,3}$", re.IGNORECASE
)
_ADDRESS_LEAD = re.compile(r"^[^<>]{0,80}<[^<>\s]{1,120}@[^<>\s]{1,120}>\s{0,3}:\s{0,3}$")
_ON_DATE = re.compile(r"^\s{0,3}On\s.{0,200}$")
_ELISION = re.compile(
    r"^\s{0,8}(?:\.{2,5}|\[\s{0,2}(?:\.{2,5}|snip(?:ped)?)\s{0,2}\]|<\s{0,2}snip(?:ped)?\s{0,2}>|snip(?:ped)?)\s{0,8}$",
    re.IGNORECASE,
)
_GREETING = re.compile(r"^\s{0,4}(?:hi|hello|hey|dear|greetings)\b[\w ,.!'-]{0,40}$", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"^\s{0,4}(?:thanks|thank you|thx|cheers|regards|best regards|kind regards|br|best|many thanks"
    r"|sincerely)\b[\w ,.!'-]{0,40}$",
    re.IGNORECASE,
)
_TRAILER = re.compile(r"^\s{0,4}[A-Z][A-Za-z0-9-]{1,40}-by:\s")
_LEAD_IN = re.compile(r"(?:^|(?<=[.!?] )|(?<=[.!?]  ))[^.!?\n]{0,80}:\s{0,3}$")
_SIGNATURE = ("-----Original Message-----", "________________________________")


@dataclass(frozen=True)
class QuoteLine:
    """A quoted line: its depth (number of ``>``), its text without the
    markers (and one space after them) and its 1-based body line."""

    depth: int
    text: str
    line: int


@dataclass(frozen=True)
class Segment:
    """A quote block and the sender's own words under it.  ``words`` are
    (body line, text) pairs; blank lines are kept as paragraph breaks."""

    quote: tuple[QuoteLine, ...]
    words: tuple[tuple[int, str], ...]

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.words).strip("\n")

    @property
    def first_line(self) -> int:
        return next((n for n, text in self.words if text.strip()), 0)


def _cut(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if line.rstrip() == "--" or line.strip() in _SIGNATURE:
            return lines[:i]
    return lines


def _quote(line: str, number: int) -> QuoteLine | None:
    match = _QUOTE.match(line)
    if not match:
        return None
    return QuoteLine(match.group(1).count(">"), line[match.end() :], number)


def _name_line(text: str, sender: Mail) -> bool:
    words = [w.lower() for w in sender.sender.name.replace('"', " ").split()]
    stripped = text.strip().strip(",.!").lower()
    return bool(stripped) and (stripped in words or stripped == " ".join(words))


def _noise(text: str, following: str | None, mail: Mail) -> bool:
    """Own lines that say nothing of the review."""
    if _ATTRIBUTION.search(text) or _ELISION.match(text):
        return True
    if _ADDRESS_LEAD.match(text) and following is not None and _QUOTE.match(following):
        return True
    if _ON_DATE.match(text) and following is not None and _ATTRIBUTION.search(following):
        return True
    return bool(_GREETING.match(text) or _SIGN_OFF.match(text) or _name_line(text, mail))


def _own(lines: list[str], start: int, mail: Mail) -> list[tuple[int, str]]:
    """The own words of ``lines`` (body lines ``start``...), filtered."""
    out: list[tuple[int, str]] = []
    for i, text in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else None
        if _TRAILER.match(text):
            _strip_lead_in(out)
            out.append((start + i, ""))
            continue
        if _noise(text, following, mail):
            continue
        out.append((start + i, text.rstrip()))
    return out


def _strip_lead_in(words: list[tuple[int, str]]) -> None:
    """Remove "With that:" / "For the series:" before a trailer."""
    last = next((i for i in range(len(words) - 1, -1, -1) if words[i][1].strip()), None)
    if last is None:
        return
    number, text = words[last]
    trimmed = _LEAD_IN.sub("", text).rstrip()
    if trimmed != text.rstrip():
        words[last] = (number, trimmed)


def _meaningful(words: list[tuple[int, str]]) -> bool:
    return any(text.strip() for _, text in words)


def split_reply(mail: Mail) -> tuple[Segment, ...]:
    """The segments of a reply, in mail order (see the module doc)."""
    lines = _cut(mail.body.split("\n"))
    out: list[Segment] = []
    quote: list[QuoteLine] = []
    pending: list[str] = []
    pending_start = 1
    for number, line in enumerate(lines, start=1):
        quoted = _quote(line, number)
        if quoted is None:
            if not pending:
                pending_start = number
            pending.append(line)
            continue
        words = _own(pending, pending_start, mail) if pending else []
        if _meaningful(words):
            out.append(Segment(tuple(quote), tuple(words)))
            quote = []
        pending = []
        quote.append(quoted)
    words = _own(pending, pending_start, mail) if pending else []
    if _meaningful(words):
        out.append(Segment(tuple(quote), tuple(words)))
    return tuple(out)
