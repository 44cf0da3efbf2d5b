"""What the commit message claims about the flow, and what it explains.

``read_claims(message)`` reads four kinds of claim: no functional change
(``nfc``), a call that runs unconditionally or always (``always``), a call
moved from one place to another (``move``) and a call gated by a condition
(``gated``).  A finding that contradicts a claim is never excused by the
message; ``explanation`` finds the sentence that acknowledges the very
change a finding is about (it names the call and the flag or condition) and
gives a reason for it.
"""

from __future__ import annotations

__all__ = [
    "MessageClaim",
    "contradicts",
    "explanation",
    "name_forms",
    "nfc_claim",
    "read_claims",
]

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_NFC_RE = re.compile(
    r"\bno\s+(?:intended\s+)?(?:functional(?:ity)?|behaviou?ral|behaviou?r|logic(?:al)?)\s+"
    r"changes?\b|\bwithout\s+(?:any\s+)?functional\s+changes?\b|\bpure(?:ly)?\s+(?:a\s+)?"
    r"(?:refactor(?:ing)?|code\s+mo(?:ve|vement))\b|\bjust\s+moves?\s+(?:the\s+)?code\b|"
    r"\bno\s+change\s+in\s+behaviou?r\b|(?<![\w-])NFC(?![\w-])|\bno\s+functional\s+"
    r"(?:impact|difference)\b",
    re.IGNORECASE,
)
# a claim that opens on its condition: "If install_pte() is not defined, then ..."
_CONDITION_RE = re.compile(r"^\s*(?:if|when|unless|for|on|with|without|apart\s+from)\b", re.I)
_QUALIFIER_RE = re.compile(
    r"^\s*(?:intended\s+)?(?:for|on|with|when|if|unless|except|other\s+than|apart\s+from|"
    r"besides|beyond|in\s+the\s+\w+\s+case)\b",
    re.IGNORECASE,
)
_ALWAYS_RE = re.compile(
    r"\bunconditional(?:ly)?\b|\balways\b|\bregardless\b|\bon\s+every\b|\bin\s+all\s+\w+|"
    r"\bevery\s+(?:call|time|exit|path)\b",
    re.IGNORECASE,
)
_NOT_ALWAYS_RE = re.compile(
    r"\b(?:not|no\s+longer|never|isn't|aren't|doesn't|don't)\s+(?:\w+\s+)?(?:always|"
    r"unconditional)",
    re.IGNORECASE,
)
_MOVE_RE = re.compile(r"\b(?:move[sd]?|moving|relocat\w+|hoist\w*|pull\w*\s+up)\b", re.I)
_GATE_RE = re.compile(
    r"\b(?:gat(?:e|es|ed|ing)|guard(?:s|ed|ing)?|only\s+(?:when|if|call\w*)|behind|skip\w*"
    # a choice between two ways, named: "prefer X over Y and fall back to Y"
    r"|prefer\w*|fall\s*back\w*|instead\s+of|rather\s+than|in\s+favou?r\s+of)\b",
    re.IGNORECASE,
)
_REASON_RE = re.compile(
    r"\b(?:because|since|as\s+(?:the|it|this|they)|so\s+that|in\s+order\s+to|ensur\w+|"
    r"guarantee\w*|equivalent|safe(?:ly)?|harmless|persistent|therefore|thus|hence|due\s+to|"
    r"which\s+means|is\s+fine|not\s+needed|no\s+longer\s+needed|unnecessary|redundant|"
    r"only\s+(?:matters|needed|relevant)|nothing\s+to\s+do|no-op|noop|intended|on\s+purpose|"
    r"deliberate\w*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MessageClaim:
    """A claim: ``kind`` is "nfc", "always", "move" or "gated";
    ``symbol`` the call it is about ("" for nfc); ``sentence`` the sentence
    (or list item) as written, line breaks folded; ``phrase`` the words
    that make it; ``qualified`` for a narrowed nfc claim ("for
    CONFIG_X=y")."""

    kind: str
    symbol: str
    sentence: str
    phrase: str
    qualified: bool = False


def _paragraphs(message: str) -> Iterator[str]:
    """Paragraphs and list items of prose, without quoted mail or code."""
    for para in re.split(r"\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)", message):
        if para.lstrip().startswith(">") or para.startswith(("    ", "\t")):
            continue
        flat = " ".join(para.split())
        if flat:
            yield flat


def _sentences(para: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z`(\[])", para) if s]


def name_forms(symbol: str) -> tuple[str, ...]:
    """How a symbol may be written in prose: ``foo``, ``foo()``; a flag
    also without its ``_TIF_``-style prefix (``SYSCALL_AUDIT``)."""
    bare = symbol.strip().removesuffix("()")
    forms = {bare}
    stripped = bare.lstrip("_")
    if stripped != bare and len(stripped) > 2:
        forms.add(stripped)
    m = re.match(r"^_*[A-Z]+_([A-Z0-9_]{4,})$", bare)
    if m:
        forms.add(m.group(1))
    return tuple(sorted(forms, key=len, reverse=True))


def _names(text: str, symbol: str) -> bool:
    return any(
        re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", text)
        for n in name_forms(symbol)
    )


def nfc_claim(message: str) -> MessageClaim | None:
    """The "no functional change" claim of ``message``, preferring a
    sentence that is only the claim ("No functional change intended.")."""
    found = list(_nfc(message))
    for claim in found:
        if claim.sentence.lower().startswith(claim.phrase.lower()):
            return claim
    return found[0] if found else None


def _nfc(message: str) -> Iterator[MessageClaim]:
    for para in _paragraphs(message):
        for m in _NFC_RE.finditer(para):
            before = para[max(0, m.start() - 12) : m.start()].lower()
            if re.search(r"\b(?:not|isn't|is not)\s*$", before):
                continue
            start = max(para.rfind(". ", 0, m.start()), para.rfind("! ", 0, m.start()))
            start = start + 2 if start >= 0 else 0
            stop = re.search(r"[.!?](?:\s|$)", para[m.end() :])
            end = m.end() + stop.end() if stop else len(para)
            sentence = para[start:end].strip()
            if len(sentence) > 200:
                sentence = para[m.start() : m.end()]
            qualified = bool(
                _QUALIFIER_RE.match(para[m.end() : end])
                or _CONDITION_RE.match(para[start : m.start()])
            )
            yield MessageClaim("nfc", "", sentence, m.group(0), qualified)


def read_claims(message: str, symbols: Iterable[str]) -> tuple[MessageClaim, ...]:
    """The claims of ``message`` about the ``symbols`` (calls) and its
    no-functional-change claim."""
    out: list[MessageClaim] = []
    nfc = nfc_claim(message)
    if nfc is not None:
        out.append(nfc)
    paras = list(_paragraphs(message))
    for symbol in sorted(set(symbols)):
        for para in paras:
            if not _names(para, symbol):
                continue
            for kind, pattern in (("always", _ALWAYS_RE), ("move", _MOVE_RE), ("gated", _GATE_RE)):
                m = pattern.search(para)
                if m is None or (kind == "always" and _NOT_ALWAYS_RE.search(para)):
                    continue
                if kind == "always" and not _always_about(para, symbol):
                    continue
                out.append(MessageClaim(kind, symbol, _quote(para, m.start()), m.group(0)))
    return tuple(out)


_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
_CALL_NAME_RE = re.compile(r"\b([A-Za-z_]\w*)\(\)")


def _always_about(para: str, symbol: str) -> bool:
    """Whether a sentence of ``para`` says ``symbol`` runs always: the
    keyword and the symbol in one sentence that neither skips nor gates
    anything, and no other call named between the keyword and the symbol
    ("always take the overhead of foo() ... skipping the bar() call" is
    about foo())."""
    for sentence in _sentences(para):
        m = _ALWAYS_RE.search(sentence)
        if m is None or not _names(sentence, symbol) or _GATE_RE.search(sentence):
            continue
        calls = [c.group(1) for c in _CALL_NAME_RE.finditer(sentence, m.end())]
        if not calls or calls[0] == symbol or symbol not in calls:
            return True
    return False


def _quote(para: str, at: int) -> str:
    """The sentence of ``para`` that holds position ``at``."""
    pos = 0
    for sentence in _sentences(para):
        pos = para.find(sentence, pos)
        if pos <= at < pos + len(sentence):
            return sentence if len(sentence) <= 240 else sentence[:237] + "..."
        pos += len(sentence)
    return para if len(para) <= 240 else para[:237] + "..."


def contradicts(claims: Iterable[MessageClaim], symbol: str) -> MessageClaim | None:
    """The claim a finding that ``symbol`` no longer runs in some case
    contradicts: it runs unconditionally, or nothing changes."""
    for claim in claims:
        if claim.kind == "always" and claim.symbol == symbol:
            return claim
    return None


# a sentence that says the call may now be skipped
_SKIP_ACK_RE = re.compile(
    r"\bwithout\s+(?:executing|calling|running|invoking|doing)\b"
    r"|\bno\s+longer\s+(?:call|calls|called|run|runs|executes?|invoked?)\b"
    r"|\b(?:is|are|gets?)\s+(?:now\s+)?skipped\b",
    re.IGNORECASE,
)


def explanation(message: str, symbol: str, words: Iterable[str]) -> str | None:
    """The paragraph (quoted from its first sentence that names ``symbol``)
    that names ``symbol`` and one of ``words`` (the flags or the condition
    the finding is about) and gives a reason or says it gates the call."""
    wanted = [w for w in words if w]
    # the names inside the conditions too: "RESIDENCY_THRESHOLD_NS >= predicted_ns"
    # (specific names only: a constant, or a name with an underscore;
    # "flags" or "regs" in a message names nothing in particular)
    wanted += [
        n
        for w in list(wanted)
        for n in _IDENT_RE.findall(w)
        if n not in wanted and (n.isupper() and len(n) >= 4 or "_" in n.strip("_") and len(n) >= 6)
    ]
    for para in _paragraphs(message):
        for sentence in _sentences(para):
            # "it's now possible to continue ... without executing foo()"
            if _names(sentence, symbol) and _SKIP_ACK_RE.search(sentence):
                return sentence if len(sentence) <= 240 else sentence[:237] + "..."
        if not _names(para, symbol) or not any(_names(para, w) for w in wanted):
            continue
        if _REASON_RE.search(para) or _GATE_RE.search(para):
            first = next((s for s in _sentences(para) if _names(s, symbol)), para)
            return first if len(first) <= 240 else first[:237] + "..."
    return None
