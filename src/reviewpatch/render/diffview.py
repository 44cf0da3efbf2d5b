"""Views of diffs and findings for the report renderers: diff lines split
into syntax spans, and each finding placed under the diff line it concerns.

The C tokenizer is deliberately tiny: it tells comments, strings, numbers,
keywords and preprocessor directives from the rest, line by line, carrying
only "inside a block comment" from one line to the next.  Spans keep the raw
text; the renderer escapes each one.
"""

from __future__ import annotations

__all__ = [
    "Span",
    "EvidenceView",
    "FindingView",
    "LineView",
    "HunkView",
    "FileView",
    "c_spans",
    "line_spans",
    "evidence_view",
    "finding_view",
    "safe_url",
    "build_files",
    "Placed",
    "C_KEYWORDS",
]

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from reviewpatch.ckeywords import C_KEYWORDS
from reviewpatch.findings import EvidenceLine, Finding
from reviewpatch.model import FileDiff, Hunk, LineKind
from reviewpatch.rules.registry import RuleDoc

_C_SUFFIXES = (".c", ".h")

_TOKEN = re.compile(
    r"""(?P<c>//.*|/\*.*?(?:\*/|$))
      |(?P<s>"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?)
      |(?P<n>\b(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?)[uUlLfF]*\b)
      |(?P<w>[A-Za-z_]\w*)
      |(?P<o>[^"'/A-Za-z_0-9]+|.)""",
    re.VERBOSE,
)
_DIRECTIVE = re.compile(r"^\s*#\s*[A-Za-z_]\w*")
_MARKERS = {
    LineKind.ADDED: ("add", "+"),
    LineKind.REMOVED: ("del", "-"),
    LineKind.CONTEXT: ("ctx", " "),
}
_EVIDENCE_KINDS = {"+": "add", "-": "del", " ": "ctx"}


@dataclass(frozen=True)
class Span:
    """A piece of a code line: ``cls`` is "" (plain), "c" (comment), "s"
    (string or character), "n" (number), "k" (keyword) or "p"
    (preprocessor directive)."""

    cls: str
    text: str


@dataclass(frozen=True)
class EvidenceView:
    """One evidence line: ``kind`` is add, del, ctx or txt."""

    kind: str
    marker: str
    number: str
    file: str
    text: str
    label: str


@dataclass(frozen=True)
class FindingView:
    """One finding, ready to show.  ``rule_anchor`` is "" when the rule's
    documentation is unknown; ``doc_url`` only ever holds an http(s) URL."""

    anchor: str
    rule_id: str
    rule_name: str
    severity: str
    confidence: str
    message: str
    where: str
    symbol: str
    evidence: tuple[EvidenceView, ...]
    explained: bool
    original_severity: str
    rule_summary: str
    rule_anchor: str
    doc_url: str


@dataclass(frozen=True)
class LineView:
    """One diff line with the findings shown under it."""

    kind: str
    marker: str
    old_no: str
    new_no: str
    spans: tuple[Span, ...]
    findings: tuple[FindingView, ...]


@dataclass(frozen=True)
class HunkView:
    """One hunk: ``header`` is the ``@@ -a,b +c,d @@`` range."""

    header: str
    section: str
    lines: tuple[LineView, ...]


@dataclass(frozen=True)
class FileView:
    """The diff of one file."""

    anchor: str
    path: str
    old_path: str
    status: str
    added: int
    removed: int
    hunks: tuple[HunkView, ...]


_CLASS_OF = {"c": "c", "s": "s", "n": "n", "w": "", "o": ""}
# Longer lines are shown without colour: a tokenizer pass over a line of
# megabytes buys nothing a reader can use.
_LONGEST_COLOURED = 20_000


def c_spans(text: str, in_comment: bool = False) -> tuple[tuple[Span, ...], bool]:
    """Split one line of C into spans; ``in_comment`` says whether the line
    starts inside a ``/* */`` comment.  Returns the spans and whether the
    next line starts inside one.  Neighbouring tokens of one class share a
    span."""
    spans: list[Span] = []
    parts: list[str] = []  # the texts of the span being built, of class ``cls``
    cls = ""
    pos = 0
    if in_comment:
        end = text.find("*/")
        if end < 0:
            return ((Span("c", text),) if text else ()), True
        cls, parts, pos = "c", [text[: end + 2]], end + 2
    elif (directive := _DIRECTIVE.match(text)) is not None:
        cls, parts, pos = "p", [directive.group()], directive.end()
    if len(text) - pos > _LONGEST_COLOURED:
        rest = text[pos:]
        head = (Span(cls, parts[0]),) if parts else ()
        return head + (Span("", rest),), rest.rfind("/*") > rest.rfind("*/")
    open_comment = False
    for match in _TOKEN.finditer(text, pos):
        kind = match.lastgroup or "o"
        word = match.group()
        if kind == "c":
            open_comment = word.startswith("/*") and (len(word) < 4 or not word.endswith("*/"))
        now = "k" if kind == "w" and word in C_KEYWORDS else _CLASS_OF[kind]
        if now != cls and parts:
            spans.append(Span(cls, "".join(parts)))
            parts = []
        cls = now
        parts.append(word)
    if parts:
        spans.append(Span(cls, "".join(parts)))
    return tuple(spans), open_comment


def line_spans(path: str, hunk: Hunk) -> tuple[tuple[Span, ...], ...]:
    """Spans of every line of ``hunk``: C colouring for C files (tracking
    block comments separately on the old and the new side), plain text
    for others."""
    if not path.endswith(_C_SUFFIXES):
        return tuple(((Span("", ln.text),) if ln.text else ()) for ln in hunk.lines)
    old_state = new_state = False
    out: list[tuple[Span, ...]] = []
    for ln in hunk.lines:
        if ln.kind is LineKind.REMOVED:
            spans, old_state = c_spans(ln.text, old_state)
        elif ln.kind is LineKind.ADDED:
            spans, new_state = c_spans(ln.text, new_state)
        else:
            spans, new_state = c_spans(ln.text, new_state)
            old_state = new_state
        out.append(spans)
    return tuple(out)


def safe_url(url: str | None) -> str:
    """``url`` when it is an absolute http(s) URL with no space or control
    character, else "" (never a ``javascript:`` or relative URL)."""
    if not url:
        return ""
    url = url.strip()
    if any(c.isspace() or ord(c) < 32 or c in "<>\"'`\\" for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url


def evidence_view(e: EvidenceLine, finding_file: str | None = None) -> EvidenceView:
    """The view of one evidence line; its file is left out when it is the
    finding's own file."""
    number = e.new_no if e.new_no is not None else e.old_no
    return EvidenceView(
        kind=_EVIDENCE_KINDS.get(e.kind, "txt"),
        marker=e.kind if e.kind in _EVIDENCE_KINDS else "",
        number="" if number is None else str(number),
        file="" if e.file == finding_file else e.file or "",
        text=e.text,
        label=e.label,
    )


def finding_view(number: int, f: Finding, docs: Mapping[str, RuleDoc]) -> FindingView:
    """The view of the ``number``-th finding of the report; ``docs`` maps
    rule ids to their documentation."""
    loc = f.location
    where = ""
    if loc.file:
        where = loc.file + (f":{loc.line}" if loc.line else "")
        if loc.line and loc.side == "old":
            where += " (old side)"
    doc = docs.get(f.rule_id)
    return FindingView(
        anchor=f"finding-{number}",
        rule_id=f.rule_id,
        rule_name=f.rule_name,
        severity=f.severity.value,
        confidence=f.confidence.value,
        message=f.message,
        where=where,
        symbol=loc.symbol or "",
        evidence=tuple(evidence_view(e, loc.file) for e in f.evidence),
        explained=f.explained,
        original_severity=f.original_severity.value if f.original_severity else "",
        rule_summary=doc.summary if doc else "",
        rule_anchor=f"rule-{f.rule_id}" if doc else "",
        doc_url=safe_url(f.doc_url),
    )


Placed = tuple[tuple[Finding, FindingView], ...]


def _file_status(fd: FileDiff) -> str:
    if fd.is_binary:
        return "binary"
    if fd.is_new:
        return "new"
    if fd.is_deleted:
        return "deleted"
    if fd.is_rename:
        return "renamed"
    return "modified"


def _take(
    placed: Placed, used: set[int], names: set[str], side: str, no: int | None
) -> list[FindingView]:
    if no is None:
        return []
    hits = []
    for i, (f, view) in enumerate(placed):
        loc = f.location
        f_side = "old" if loc.side == "old" else "new"
        if i not in used and loc.line == no and f_side == side and loc.file in names:
            used.add(i)
            hits.append((i, view))
    return [v for _, v in hits]


def _file_view(anchor: str, fd: FileDiff, placed: Placed, used: set[int]) -> FileView:
    names = {n for n in (fd.old_path, fd.new_path, fd.path) if n and n != "/dev/null"}
    wanted = placed if any(f.location.file in names for f, _ in placed) else ()
    hunks = []
    for hunk in fd.hunks:
        lines = []
        for ln, spans in zip(hunk.lines, line_spans(fd.path, hunk)):
            kind, marker = _MARKERS[ln.kind]
            found = _take(wanted, used, names, "new", ln.new_no)
            found += _take(wanted, used, names, "old", ln.old_no)
            lines.append(
                LineView(
                    kind=kind,
                    marker=marker,
                    old_no="" if ln.old_no is None else str(ln.old_no),
                    new_no="" if ln.new_no is None else str(ln.new_no),
                    spans=spans,
                    findings=tuple(found),
                )
            )
        header = f"@@ -{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len} @@"
        hunks.append(HunkView(header, hunk.section, tuple(lines)))
    return FileView(
        anchor=anchor,
        path=fd.path,
        old_path=fd.old_path if fd.is_rename and fd.old_path != fd.new_path else "",
        status=_file_status(fd),
        added=fd.added,
        removed=fd.removed,
        hunks=tuple(hunks),
    )


def build_files(
    files: tuple[FileDiff, ...], placed: Placed, patch_anchor: str
) -> tuple[tuple[FileView, ...], tuple[FindingView, ...]]:
    """The file views of a patch with ``placed`` findings put under their
    diff lines (matched by file, line and side; each placed once), and the
    findings left over (no line, or a line the diff does not show), in
    report order."""
    used: set[int] = set()
    views = tuple(
        _file_view(f"{patch_anchor}-file-{n}", fd, placed, used) for n, fd in enumerate(files, 1)
    )
    rest = tuple(view for i, (_, view) in enumerate(placed) if i not in used)
    return views, rest
