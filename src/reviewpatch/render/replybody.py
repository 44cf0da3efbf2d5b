"""The body of a draft reply: the attribution line, then only the parts of
the patch mail that carry findings, quoted with ``> ``, each finding written
as plain text right below the quoted lines it concerns, gaps trimmed with
``[...]``, prose wrapped at 72 columns.

Right after the attribution come the review requests of the previous
version that this version did not visibly follow (``FollowUp``), one
paragraph each in the reviewer's voice -- "On v15 you said you would ...;
I cannot find that in v16: ..." -- with the reviewer's words quoted
inline, cut short and stripped of control characters, never as a ``> ``
quote; then the findings that have no place in the mail."""

from __future__ import annotations

__all__ = ["FollowUp", "follow_up_lines", "is_open", "promised", "reply_body", "WIDTH"]

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from reviewpatch.findings import Finding
from reviewpatch.model import FileDiff, Hunk, Patch
from reviewpatch.render.sinceview import RequestView

WIDTH = 72
CONTEXT = 3  # diff lines quoted before the concerned one
GAP_FILL = 4  # a gap this short inside one quote is quoted, not trimmed
MAX_EVIDENCE = 3
QUOTE_LIMIT = 160  # characters of a reviewer's or author's words quoted inline
_NOTHING = "reviewpatch found nothing to comment on in this patch."

_BODY_JUNK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NEW_ITEM = re.compile(r"^\s*([-*+]\s|\d+[.)]\s|\[|[A-Za-z][\w-]*:(\s|$)|---|diff --git )")
# what follows "will" in a promise, said by the author ("I will", "we'll")
# or with the subject left out ("Right, will fix in v2." -> "fix in v2")
_WILL = re.compile(
    r"(?:\b(?:I|we)\s*['\u2019]ll|(?:\b(?:I|we)\s+|^|[,;:.!]\s*)(?:will|shall))"
    r"\s+(?P<rest>\S.*)",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"^(?:not|never|no)\b", re.IGNORECASE)
_PRONOUN = re.compile(
    r"\b(?:I'm|I've|I'd|I|myself|mine|my|me|ourselves|ours|our|us|we"
    r"|yourself|yours|your|you)\b",
    re.IGNORECASE,
)
_SWAP = {
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i": "you",
    "myself": "yourself",
    "mine": "yours",
    "my": "your",
    "me": "you",
    "ourselves": "yourselves",
    "ours": "yours",
    "our": "your",
    "us": "you",
    "we": "you",
    "yourself": "myself",
    "yours": "mine",
    "your": "my",
}
# what the reviewer says of an open request, by verdict
_OPEN_WORDS = {
    "not_addressed": "I cannot find that in v{new}",
    "partly": "v{new} does only part of it",
    "unclear": "I cannot tell whether v{new} does it",
}
_SUBJECT_BEFORE = re.compile(r"\b(?:as|if|when|that|since|because|what|like|once)\s+$", re.I)


def _body_text(text: str) -> str:
    return _BODY_JUNK.sub("?", text)  # no terminal control sequences


def _wrap(text: str, indent: str = "", first: str = "") -> list[str]:
    """``text`` wrapped at WIDTH; every output line fits."""
    out: list[str] = []
    for para in _body_text(text).split("\n"):
        lines = textwrap.wrap(
            para,
            WIDTH,
            initial_indent=first or indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )
        out.extend(lines or [""])
        first = ""
    return out


def _squash(text: str) -> str:
    return " ".join(text.split())


def _evidence_lines(finding: Finding, quoted: set[int]) -> list[str]:
    """Evidence not already visible in the quote or the message, one short
    line each."""
    said = _squash(finding.message)
    shown = [
        e
        for e in finding.evidence
        if (e.mail_line is None or e.mail_line not in quoted) and _squash(e.text) not in said
    ]
    out: list[str] = []
    for ev in shown[:MAX_EVIDENCE]:
        num = ev.new_no if ev.new_no is not None else ev.old_no
        where = f"{ev.file}:{num}" if ev.file and num is not None else ""
        if ev.kind == "-" and where:
            where += " (old)"
        parts = [p for p in (ev.label, where) if p]
        head = (", ".join(parts) + ": ") if parts else ""
        text = _squash(ev.text)
        out.extend(_wrap(head + text, indent="    ", first="  - "))
    if len(shown) > MAX_EVIDENCE:
        out.append(f"  - and {len(shown) - MAX_EVIDENCE} more")
    return out


def _finding_lines(finding: Finding, quoted: set[int]) -> list[str]:
    """One finding as plain text: severity, message, rule name, evidence."""
    text = f"{finding.severity.value.capitalize()}: {finding.message}"
    if finding.explained:
        text += " (the commit message seems to explain this)"
    text += f" [{finding.rule_name}]"
    return _wrap(text) + _evidence_lines(finding, quoted)


class _Quoter:
    """Accumulates the quoted parts of one patch mail, in mail order."""

    def __init__(self, patch: Patch) -> None:
        self.patch = patch
        self.body = patch.mail.body.split("\n")
        self.last = 0  # last mail line quoted
        self.file: FileDiff | None = None
        self.hunk: Hunk | None = None
        self.out: list[str] = []
        self.quoted: set[int] = set()

    def _quote(self, numbers: Iterable[int]) -> None:
        for n in numbers:
            if n <= self.last or n > len(self.body):
                continue
            if self.last and n != self.last + 1:
                self.out.append("[...]")
            self.out.append(_body_text(f"> {self.body[n - 1]}".rstrip()))
            self.quoted.add(n)
            self.last = n

    def _place(self, line: int) -> tuple[FileDiff, Hunk] | None:
        for fd in self.patch.files:
            for hunk in fd.hunks:
                end = hunk.lines[-1].mail_line if hunk.lines else hunk.mail_line
                if hunk.mail_line <= line <= end:
                    return fd, hunk
        return None

    def _sentence(self, line: int) -> list[int]:
        """A text line and the lines that continue it (same paragraph, not
        a new list item or trailer), at most CONTEXT of them."""
        numbers = [line]
        for n in range(line + 1, min(len(self.body), line + CONTEXT) + 1):
            text = self.body[n - 1]
            if not text.strip() or _NEW_ITEM.match(text) or self._place(n) is not None:
                break
            numbers.append(n)
        return numbers

    def quote_at(self, line: int) -> None:
        """Quote what leads to mail line ``line`` (1-based)."""
        place = self._place(line)
        if place is None:
            self._quote(self._sentence(line))
            return
        fd, hunk = place
        numbers: list[int] = []
        if fd is not self.file and fd.mail_line:
            numbers.append(fd.mail_line)
        if hunk is not self.hunk:
            numbers.append(hunk.mail_line)
        first = hunk.mail_line + 1
        numbers.extend(range(max(first, line - CONTEXT), line + 1))
        self.file, self.hunk = fd, hunk
        self._quote(_fill_gaps(numbers))

    def comment(self, lines: list[str]) -> None:
        self.out.extend(["", *lines, ""])

    def finish(self) -> None:
        rest = [s for s in self.body[self.last :] if s.strip() and s.strip() != "--"]
        if self.last and len(rest) > 2:  # more than the signature below "-- "
            self.out.append("[...]")


def _fill_gaps(numbers: list[int]) -> list[int]:
    """``numbers`` with each short gap between two of them filled in."""
    out: list[int] = []
    for n in numbers:
        if out and 1 < n - out[-1] <= GAP_FILL + 1:
            out.extend(range(out[-1] + 1, n))
        out.append(n)
    return out


def _anchor(finding: Finding, patch: Patch, lines: int) -> int | None:
    """The mail line a finding belongs under, or None for the top."""
    loc = finding.location
    if loc.mail_line is not None and 1 <= loc.mail_line <= lines:
        return loc.mail_line
    if not loc.file or loc.line is None:
        return None
    return next(
        (
            dl.mail_line
            for fd in patch.files
            if loc.file in (fd.new_path, fd.old_path)
            for hunk in fd.hunks
            for dl in hunk.lines
            if (dl.old_no if loc.side == "old" else dl.new_no) == loc.line
        ),
        None,
    )


def _attribution(patch: Patch) -> list[str]:
    who = patch.mail.sender.name or patch.mail.sender.email or "the author"
    date = " ".join(patch.mail.date.split())
    lead = f"On {date}, {who} wrote:" if date else f"{who} wrote:"
    return _wrap(" ".join(_body_text(lead).split()))


def is_open(request: RequestView) -> bool:
    """Worth a paragraph: not addressed, partly, or unclear -- unless the
    author answered it without promising anything (a question answered,
    a remark taken note of: nothing was agreed)."""
    if request.verdict in ("not_addressed", "partly"):
        return True
    return request.verdict == "unclear" and not (request.answer and not request.promise)


@dataclass(frozen=True)
class FollowUp:
    """The review of the previous version (``old``) that a draft answering
    version ``new`` speaks of: the requests still open (``is_open``) and a
    one-line ``summary`` of them all (empty: none)."""

    old: int
    new: int
    requests: tuple[RequestView, ...]
    summary: str = ""


def _bounded(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Mail words fit for quoting inline: one line, at most ``limit``
    characters, no control character, and no ``>`` that wrapping could put
    at the start of a line (it is glued to the word before)."""
    flat = " ".join(_body_text(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 3].rsplit(" ", 1)[0].rstrip(" ,;:") + "..."
    return re.sub(r" (?=>)", "\u00a0", flat)


def _swap(match: re.Match[str]) -> str:
    word = match.group(0)
    low = word.lower()
    if low == "you":
        before = match.string[: match.start()]
        return "I" if _SUBJECT_BEFORE.search(before) or not before.strip() else "me"
    if low == "i" and word != "I":
        return word  # a lowercase "i" is no pronoun
    return _SWAP.get(low, word)


def promised(sentence: str) -> str | None:
    """What the author's promise says they would do, in the reviewer's
    words to them ("Right, I'll fix my comment." -> "fix your comment"),
    or None when the sentence does not read as "will <do something>"."""
    match = _WILL.search(" ".join(_body_text(sentence).split()))
    if match is None:
        return None
    rest = match.group("rest").rstrip(" .!;:,")
    if not rest or _NEGATION.match(rest) or len(rest) > QUOTE_LIMIT:
        return None
    if rest.lower() == "do":
        rest = "do that"
    # "will fix in v2" / "will update" -> "fix it in v2" / "update it"
    verb, _, tail = rest.partition(" ")
    if verb.lower() in _BARE_VERBS and (not tail or _WHEN.match(tail)):
        rest = f"{verb} it" + (f" {tail}" if tail else "")
    return _bounded(_PRONOUN.sub(_swap, rest))


# verbs a promise often leaves without an object ("will fix", "will change")
_BARE_VERBS = frozenset(
    {"fix", "change", "update", "address", "rework", "drop", "remove", "rename", "move", "split"}
)
_WHEN = re.compile(r"(?:in|for|with)\s+(?:v\d+|the\s+next|next)\b", re.IGNORECASE)


def follow_up_lines(request: RequestView, old: int, new: int) -> list[str]:
    """One open request as a paragraph in the reviewer's voice, wrapped,
    with its evidence below as short items."""
    asked = f'{_bounded(request.reviewer, 60)} asked: "{_bounded(request.request)}"'
    clause = promised(request.promise) if request.promise else None
    if clause:
        lead = f"On v{old} you said you would {clause} ({asked})"
    elif request.promise:
        lead = f'On v{old} you said "{_bounded(request.promise)}" ({asked})'
    else:
        lead = f"On v{old} {asked}"
    words = _OPEN_WORDS.get(request.verdict, "I cannot tell whether v{new} does it")
    reason = _bounded(request.reason, 300).rstrip(" .")
    text = f"{lead}; {words.format(new=new)}" + (f": {reason}." if reason else ".")
    out = _wrap(text)
    for ev in request.evidence[:MAX_EVIDENCE]:
        out.extend(_wrap(_bounded(ev), indent="    ", first="  - "))
    return out


def _follow_up(follow: FollowUp | None) -> list[str]:
    """The summary and the open requests, each after an empty line."""
    if follow is None:
        return []
    out: list[str] = []
    if follow.summary:
        out += ["", *_wrap(follow.summary)]
    for request in follow.requests:
        out += ["", *follow_up_lines(request, follow.old, follow.new)]
    return out


def reply_body(
    patch: Patch,
    findings: tuple[Finding, ...],
    signoff: str = "",
    follow: FollowUp | None = None,
) -> str:
    """The plain-text body answering ``patch`` with ``findings`` and the
    open review requests of the previous version in ``follow``."""
    quoter = _Quoter(patch)
    top: list[Finding] = []
    anchored: dict[int, list[Finding]] = {}
    for f in findings:
        line = _anchor(f, patch, len(quoter.body))
        if line is None:
            top.append(f)
        else:
            anchored.setdefault(line, []).append(f)
    out = _attribution(patch)
    early = _follow_up(follow)
    out += early
    for f in top:
        out += ["", *_finding_lines(f, set())]
    out += [""] if top or early else []
    for line in sorted(anchored):
        quoter.quote_at(line)
        block: list[str] = []
        for f in anchored[line]:
            block.extend(([""] if block else []) + _finding_lines(f, quoter.quoted))
        quoter.comment(block)
    quoter.finish()
    if not findings and not (follow and follow.requests):
        out.extend(([] if early else [""]) + [_NOTHING, ""])
    out.extend(quoter.out)
    if out and out[-1] != "":
        out.append("")
    out.extend(_wrap(signoff) if signoff else ["Thanks,", "[your name]"])
    return "\n".join(out) + "\n"


# -- the message ------------------------------------------------------------
