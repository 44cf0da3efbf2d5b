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
* ``removed_lines``: the code of every line a series removes.
* ``claims``: the add/remove/move/rename/replace claims of a message.
* ``nfc_claim``, ``nfc_sentence``: a "no functional change" claim.
"""

from __future__ import annotations

__all__ = [
    "code_evidence",
    "Claim",
    "Scan",
    "claims",
    "evidence",
    "hunk_section",
    "masked_lines",
    "moved_line",
    "nfc_claim",
    "nfc_sentence",
    "ordered",
    "plain_name",
    "removed_lines",
    "scan",
    "section_function",
    "word_re",
]

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from reviewpatch.csource import CodeLine, Fragment
from reviewpatch.csource.prepare import mask_comments
from reviewpatch.findings import EvidenceLine
from reviewpatch.model import LineKind, Patch, Series

_NFC_RE = re.compile(
    r"\bno\s+(?:intended\s+)?(?:functional(?:ity)?|behaviou?ral|behaviou?r|logic(?:al)?)\s+"
    r"changes?\b|\bwithout\s+(?:any\s+)?functional\s+changes?\b|\bpure(?:ly)?\s+(?:a\s+)?"
    r"(?:refactor(?:ing)?|code\s+mo(?:ve|vement))\b|\bjust\s+moves?\s+(?:the\s+)?code\b|"
    r"\bno\s+change\s+in\s+behaviou?r\b|(?<![\w-])NFC(?![\w-])",
    re.IGNORECASE,
)
# What narrows a claim: "no functional change for CONFIG_X=y", "on arm64".
_QUALIFIER_RE = re.compile(
    r"^\s*(?:intended\s+)?(?:for|on|with|when|if|unless|except|other\s+than|apart\s+from|"
    r"besides|beyond|in\s+the\s+\w+\s+case)\b",
    re.IGNORECASE,
)
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


def code_evidence(line: CodeLine, path: str, label: str = "") -> EvidenceLine:
    """One code line of ``path`` as evidence, with its numbers."""
    return EvidenceLine(
        text=line.text,
        kind=line.kind,
        file=path,
        old_no=line.old_no,
        new_no=line.new_no,
        mail_line=line.mail_line,
        label=label,
    )


def evidence(path: str, lines: Iterable[CodeLine], label: str = "") -> tuple[EvidenceLine, ...]:
    """Evidence lines for code lines of ``path``."""
    return tuple(code_evidence(ln, path, label) for ln in lines)


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


def removed_lines(series: Series) -> frozenset[str]:
    """The whitespace-normalised text of every line the series removes."""
    return frozenset(
        " ".join(ln.text.split())
        for patch in series.patches
        for fd in patch.files
        for hunk in fd.hunks
        for ln in hunk.lines
        if ln.kind is LineKind.REMOVED and ln.text.strip()
    )


def moved_line(text: str, removed: frozenset[str]) -> bool:
    """Whether the series removes ``text`` elsewhere, as it is or with the
    called function renamed (``foo_enable(x)`` for ``foo_start(x)``)."""
    flat = " ".join(text.split())
    if flat in removed:
        return True
    m = re.search(r"\b([A-Za-z_]\w*)\s*\(", flat)
    if m is None:
        return False
    pattern = re.compile(
        re.escape(flat[: m.start()]) + r"[A-Za-z_]\w*" + re.escape(flat[m.end(1) :])
    )
    return any(pattern.fullmatch(r) for r in removed)


def nfc_claim(message: str) -> str | None:
    """The "no functional change" phrase of ``message``, or None."""
    found = nfc_sentence(message)
    return found[1] if found else None


def nfc_sentence(message: str) -> tuple[str, str, bool] | None:
    """(the sentence of ``message`` that claims no functional change, as
    written but with its line breaks folded; the phrase; whether the
    claim is qualified, "for CONFIG_X=y", "on arm64"), or None.  A sentence
    that is the claim itself ("No functional change intended.") is preferred
    to one that makes it in passing about one detail."""
    found = list(_nfc_sentences(message))
    if not found:
        return None
    for item in found:
        if item[0].lower().startswith(item[1].lower()):
            return item
    return found[0]


def _nfc_sentences(message: str) -> Iterator[tuple[str, str, bool]]:
    for para in re.split(r"\n\s*\n", message):
        flat = " ".join(para.split())
        m = _NFC_RE.search(flat)
        if not m:
            continue
        before = flat[max(0, m.start() - 12) : m.start()].lower()
        if re.search(r"\b(?:not|isn't|is not)\s*$", before):
            continue
        start = max(flat.rfind(". ", 0, m.start()), flat.rfind("! ", 0, m.start()))
        start = start + 2 if start >= 0 else 0
        stop = re.search(r"[.!?](?:\s|$)", flat[m.end() :])
        end = m.end() + stop.end() if stop else len(flat)
        sentence = flat[start:end].strip()
        if len(sentence) > 200:
            sentence = flat[m.start() : m.end()]
        yield sentence, m.group(0), bool(_QUALIFIER_RE.match(flat[m.end() : end]))


# -- claims of a commit message (RP309) -------------------------------------

_IDENT = (
    r"(?:`[A-Za-z_]\w*(?:\(\))?`|\"?[A-Za-z_]\w*\(\)\"?|\"?_*[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b\"?"
    r"|\"?[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b\"?)"
)
_FILLER = (
    r"(?:(?:the|a|an|new|unused|now[- ]unused|old|local|static|global|generic|dead|"
    r"redundant|obsolete|deprecated|useless|helper|function|macro|flag|mask|definition|"
    r"define|constant|wrapper|inline|call|calls|to)\s+){0,3}"
)
_VERBS = {
    "add": "add",
    "adds": "add",
    "introduce": "add",
    "introduces": "add",
    "remove": "remove",
    "removes": "remove",
    "delete": "remove",
    "deletes": "remove",
    "drop": "remove",
    "drops": "remove",
    "relocate": "move",
    "relocates": "move",
    "move": "move",
    "moves": "move",
    "rename": "rename",
    "renames": "rename",
    "replace": "replace",
    "replaces": "replace",
}
_CLAIM_RE = re.compile(
    rf"\b({'|'.join(_VERBS)})\s+{_FILLER}({_IDENT}(?:\s*,\s*{_IDENT}|,?\s+(?:and|or)\s+{_IDENT})*)"
    rf"(?:\s+(?!(?:to|with|by|as|into)\b)\w+)?(?:\s+(?:to|with|by|as|into)\s+{_FILLER}({_IDENT}))?",
    re.IGNORECASE,
)
_QUOTED_RE = re.compile(r"\(\s*\".*?\"\s*\)")
_HEDGE = frozenset(
    re.findall(
        r"\S+",
        "not no never will would could should can cannot may might later future "
        "follow-up followup next subsequent previous previously instead without "
        "before after once if when whether which that who commit patch patches "
        "series revert reverts reverted ",
    )
)


@dataclass(frozen=True)
class Claim:
    """One claim of the message: ``action`` is add, remove, move, rename or
    replace; ``names`` the identifiers it acts on; ``target`` the new name
    of a rename or replace."""

    action: str
    names: tuple[str, ...]
    target: str | None
    text: str


def _bare(token: str) -> str:
    return token.strip('`"').removesuffix("()")


def _sentences(text: str) -> Iterator[tuple[str, str]]:
    """(sentence as written with line breaks folded, the same with quoted
    titles ``("...")`` blanked) for each sentence or clause of ``text``."""
    for para in re.split(r"\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)", text):
        if para.lstrip().startswith(">") or para.startswith(("    ", "\t")):
            continue  # quoted mail, logs, code
        flat = " ".join(para.split())
        blank = _QUOTED_RE.sub(lambda m: "(" + " " * (len(m.group(0)) - 2) + ")", flat)
        start = 0
        for m in [*re.finditer(r"(?<=[.!?;:])\s+", blank), None]:
            end = m.start() if m else len(flat)
            if end > start:
                yield flat[start:end], " ".join(blank[start:end].split())
            start = m.end() if m else end


def _hedged(sentence: str, start: int) -> bool:
    clause = re.split(r"[,(]", sentence[:start])[-1].lower()
    words = set(re.findall(r"[a-z'-]+", clause))
    return bool(words & _HEDGE) or "n't" in clause or '("' in sentence


def claims(text: str) -> tuple[Claim, ...]:
    """The add/remove/move/rename/replace claims of ``text`` whose verb is
    directly followed by identifiers, outside hedged clauses."""
    out = []
    for original, sentence in _sentences(text):
        for m in _CLAIM_RE.finditer(sentence):
            if _hedged(sentence, m.start()):
                continue
            action = _VERBS[m.group(1).lower()]
            names = tuple(_bare(t) for t in re.findall(_IDENT, m.group(2)))
            target = _bare(m.group(3)) if m.group(3) and action in ("rename", "replace") else None
            out.append(Claim(action, names, target, original))
    return tuple(out)
