"""The body of a draft reply: the attribution line, then only the parts of
the patch mail that carry findings, quoted with ``> ``, each finding written
as plain text right below the quoted lines it concerns, gaps trimmed with
``[...]``, prose wrapped at 72 columns."""

from __future__ import annotations

__all__ = ["reply_body", "WIDTH"]

import re
import textwrap
from collections.abc import Iterable

from reviewpatch.findings import Finding
from reviewpatch.model import FileDiff, Hunk, Patch

WIDTH = 72
CONTEXT = 3  # diff lines quoted before the concerned one
GAP_FILL = 4  # a gap this short inside one quote is quoted, not trimmed
MAX_EVIDENCE = 3

_BODY_JUNK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NEW_ITEM = re.compile(r"^\s*([-*+]\s|\d+[.)]\s|\[|[A-Za-z][\w-]*:(\s|$)|---|diff --git )")


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


def reply_body(patch: Patch, findings: tuple[Finding, ...], signoff: str = "") -> str:
    """The plain-text body answering ``patch`` with ``findings``."""
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
    for f in top:
        out += ["", *_finding_lines(f, set())]
    out += [""] if top else []
    for line in sorted(anchored):
        quoter.quote_at(line)
        block: list[str] = []
        for f in anchored[line]:
            block.extend(([""] if block else []) + _finding_lines(f, quoter.quoted))
        quoter.comment(block)
    quoter.finish()
    if not findings:
        out.extend(["", "reviewpatch found nothing to comment on in this patch.", ""])
    out.extend(quoter.out)
    if out and out[-1] != "":
        out.append("")
    out.extend(_wrap(signoff) if signoff else ["Thanks,", "[your name]"])
    return "\n".join(out) + "\n"


# -- the message ------------------------------------------------------------
