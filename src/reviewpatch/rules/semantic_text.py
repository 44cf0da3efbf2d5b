"""Small rule-side helpers for RP305-RP307 on top of the C analysis.

``reviewpatch.csource`` is the one place that understands C: it gives the
functions, calls, includes and definitions of every view.  What these rules
still read from the text of a view is kept here and kept small:

* ``Scan``: a fragment with its comment-masked lines and the function each
  line belongs to.  Where a hunk starts inside a function whose head is not
  shown, csource leaves the function unnamed; the scan then takes the name
  from git's ``@@`` section header, but only in that case (the fragment
  starts inside a block and the header looks like a function head).
* ``word_re``, ``evidence``: whole-word patterns and evidence lines.
"""

from __future__ import annotations

__all__ = [
    "Scan",
    "evidence",
    "hunk_section",
    "masked_lines",
    "ordered",
    "plain_name",
    "scan",
    "section_function",
    "word_re",
]

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewpatch.csource import CodeLine, Fragment
from reviewpatch.csource.prepare import mask_comments
from reviewpatch.findings import EvidenceLine
from reviewpatch.model import Patch

_HEAD_RE = re.compile(r"^[A-Za-z_][\w \t\*]*?[\s\*]([A-Za-z_]\w*)\s*\(")
_NOT_HEAD = frozenset(["return", "typedef", "else", "extern", "if", "while", "for", "switch", "do"])
_COMMENT_TAIL_RE = re.compile(r"^\s*\*(?:\s|$|/)")
_IDENT_RE = re.compile(r"^[A-Za-z_]\w*$")


def word_re(name: str) -> re.Pattern[str]:
    """A pattern matching ``name`` as a whole identifier."""
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


def plain_name(callee: str) -> bool:
    """True for a callee that is a plain identifier (not ``ops->fn``)."""
    return bool(_IDENT_RE.match(callee))


def masked_lines(lines: Sequence[CodeLine]) -> tuple[str, ...]:
    """The text of ``lines`` with comments and literals blanked (by the C
    analysis' own masking); a line that continues a comment whose opener is
    not shown (`` * text``) is blanked too."""
    masked = mask_comments([ln.text for ln in lines])
    out = []
    opened = False
    for raw, code in zip(lines, masked):
        opened = opened or "/*" in raw.text
        if not opened and _COMMENT_TAIL_RE.match(raw.text):
            code = ""
        out.append(code)
    return tuple(out)


def section_function(section: str) -> str | None:
    """The function named by git's hunk section header when it looks like
    a function definition head, else None."""
    text = section.strip()
    if not text or text.endswith((";", ",")) or text[0] in "#{}/ \t":
        return None
    m = _HEAD_RE.match(text)
    if not m or "=" in text[: m.start(1)] or text.split()[0] in _NOT_HEAD:
        return None
    return m.group(1)


def hunk_section(patch: Patch, path: str, hunk_index: int | None) -> str:
    """The ``@@`` section header of hunk ``hunk_index`` of ``path`` in
    ``patch`` ("" for a whole-file view or when unknown)."""
    if hunk_index is None:
        return ""
    for fd in patch.files:
        if path in (fd.old_path, fd.new_path) and hunk_index < len(fd.hunks):
            return fd.hunks[hunk_index].section
    return ""


@dataclass(frozen=True)
class Scan:
    """A fragment with its masked lines and, per view line, the name of the
    function that holds it (None outside any function or when unknown)."""

    fragment: Fragment
    masked: tuple[str, ...]
    owners: tuple[str | None, ...]

    @property
    def lines(self) -> tuple[CodeLine, ...]:
        return self.fragment.view.lines

    def owned(self, name: str) -> tuple[int, ...]:
        """Indexes of the lines that belong to function ``name``."""
        return tuple(i for i, o in enumerate(self.owners) if o == name)


def scan(fragment: Fragment, section: str = "") -> Scan:
    """Scan ``fragment``; ``section`` is its hunk's section header."""
    lines = fragment.view.lines
    owners: list[str | None] = [None] * len(lines)
    for fn in fragment.functions:
        name = fn.name
        if name is None and fragment.view.hunk_index is not None:
            name = section_function(section)
        for no in range(fn.start.no, fn.end.no + 1):
            if 1 <= no <= len(lines):
                owners[no - 1] = name
    return Scan(fragment, masked_lines(lines), tuple(owners))


def evidence(path: str, lines: Iterable[CodeLine], label: str = "") -> tuple[EvidenceLine, ...]:
    """Evidence lines for code lines of ``path``."""
    return tuple(
        EvidenceLine(
            text=ln.text,
            kind=ln.kind,
            file=path,
            old_no=ln.old_no,
            new_no=ln.new_no,
            mail_line=ln.mail_line,
            label=label,
        )
        for ln in lines
    )


def ordered(lines: Iterable[EvidenceLine]) -> tuple[EvidenceLine, ...]:
    """Evidence lines grouped by file (files in order of first appearance)
    and in file order within each file (diff order when every line of the
    file comes from the mail), each line once."""
    first: dict[str, int] = {}
    unique: dict[tuple[object, ...], EvidenceLine] = {}
    for ev in lines:
        first.setdefault(ev.file or "", len(first))
        unique.setdefault((ev.file, ev.kind, ev.old_no, ev.new_no, ev.text), ev)
    by_mail = {
        f: all(e.mail_line is not None for e in unique.values() if (e.file or "") == f)
        for f in first
    }

    def key(ev: EvidenceLine) -> tuple[int, int]:
        name = ev.file or ""
        if by_mail[name] and ev.mail_line is not None:
            return (first[name], ev.mail_line)
        no = ev.old_no if ev.kind == "-" or ev.new_no is None else ev.new_no
        return (first[name], no or 0)

    return tuple(sorted(unique.values(), key=key))
