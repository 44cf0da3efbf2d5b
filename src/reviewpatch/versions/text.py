"""Small text helpers of the versions stage: normalised titles, whitespace
keys, sentences and the key terms of a review comment.

Every regular expression here is anchored or has bounded repetition, so it
runs in linear time on hostile input.
"""

from __future__ import annotations

__all__ = [
    "normalise_title",
    "squeeze",
    "paragraphs",
    "sentences",
    "key_terms",
    "contains_term",
    "name_words",
    "is_specific",
]

import re
from collections.abc import Iterable

from reviewpatch.model import Person

_SPACES = re.compile(r"\s+")
_TITLE_EDGE = re.compile(r"^[\s\"'`]+|[\s\"'`.]+$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[`])")
_LIST_ITEM = re.compile(r"^\s{0,8}(?:[-*+]|\d{1,3}[.)]|\[\w{1,20}\])\s")
_BACKTICK = re.compile(r"`([^`\n]{1,80})`")
_QUOTED = re.compile(r"(?:^|(?<=[\s(\[:,]))[\"']([^\"'\n]{2,80})[\"'](?=$|[\s).,;:?!\]])")
_TOKEN = re.compile(r"[A-Za-z0-9_./-]{1,120}(?:\(\))?")
_PHRASE = re.compile(r"\b[A-Z][a-z]{1,20}(?: [A-Z][a-z]{1,20}){1,3}\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s{1,2})$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,80}(?:\(\))?$")
_PATH = re.compile(
    r"^(?:\.{0,3}/)?(?:[\w.-]{1,60}/){1,10}[\w.-]{0,60}$|^[\w-]{1,60}\.(?:c|h|S|rst|txt|yaml|py|sh)$"
)
_COMMON_CAPS = frozenset(
    {
        "I",
        "OK",
        "IMO",
        "IMHO",
        "AFAIK",
        "AFAICT",
        "FWIW",
        "BTW",
        "TBH",
        "IIRC",
        "NAK",
        "ACK",
        "LGTM",
    }
)
_PHRASE_STOP = frozenset(
    {"Thanks", "Thank", "Hi", "Hello", "Dear", "Best", "Kind", "Regards", "Cheers", "General"}
)


def normalise_title(title: str) -> str:
    """A subject title as compared across versions: lower case, spaces
    collapsed, quotes and a final period removed."""
    text = _SPACES.sub(" ", title).strip()
    return _TITLE_EDGE.sub("", text).lower()


def squeeze(text: str) -> str:
    """``text`` with every whitespace character removed: the key under which
    a quoted line is compared with a patch line (mailers re-indent)."""
    return "".join(text.split())


def paragraphs(lines: Iterable[str]) -> list[list[str]]:
    """Lines grouped into paragraphs (split at blank lines)."""
    out: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            out[-1].append(line)
        elif out[-1]:
            out.append([])
    return [p for p in out if p]


def sentences(text: str) -> list[str]:
    """The sentences of ``text``: paragraphs and list items are joined over
    their wrapped lines, then split after ``.``, ``!`` or ``?``."""
    out: list[str] = []
    for para in paragraphs(text.split("\n")):
        items: list[list[str]] = []
        for line in para:
            if _LIST_ITEM.match(line) or not items:
                items.append([line.strip()])
            else:
                items[-1].append(line.strip())
        for item in items:
            joined = " ".join(item)
            out.extend(s.strip() for s in _SENTENCE_END.split(joined) if s.strip())
    return out


def _token_term(token: str) -> str | None:
    bare = token.strip(".,;:-/")
    if token.endswith("()"):
        return token
    if "/" in bare and _PATH.match(bare):
        last = bare.rstrip("/").rsplit("/", 1)[-1]
        return bare if "." in last or bare.count("/") >= 2 else None
    if _PATH.match(bare) and "." in bare and "/" not in bare:
        return bare
    if not _IDENT.match(bare):
        return None
    if "_" in bare.strip("_") or (bare.isupper() and len(bare) >= 3 and bare not in _COMMON_CAPS):
        return bare
    if bare.isdigit() and len(bare) >= 3:
        return bare
    if any(c.isdigit() for c in bare) and any(c.isalpha() for c in bare) and len(bare) >= 4:
        return bare
    return None


def key_terms(text: str) -> tuple[str, ...]:
    """The names a comment holds, in order of appearance: text in backticks
    or quotes, identifiers (``foo_bar``, ``foo()``, ``RSEQ``), paths,
    numbers of three digits or more, and capitalised phrases such as
    ``Syscall User Dispatch``."""
    text = " ".join(text.split())
    found: list[tuple[int, str]] = []
    for match in _BACKTICK.finditer(text):
        found.append((match.start(), match.group(1).strip()))
    for match in _QUOTED.finditer(text):
        found.append((match.start(), match.group(1).strip()))
    for match in _TOKEN.finditer(text):
        term = _token_term(match.group(0))
        if term:
            found.append((match.start(), term))
    for match in _PHRASE.finditer(text):
        words = match.group(0).split(" ")
        if _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]):
            words = words[1:]  # a capital that opens a sentence names nothing
        while words and words[0] in _PHRASE_STOP:
            words = words[1:]
        if len(words) >= 2:
            found.append((match.start(), " ".join(words)))
    out: list[str] = []
    seen: set[str] = set()
    for _, term in sorted(found, key=lambda item: item[0]):
        low = term.lower()
        inside = any(" " in kept and low in kept for kept in seen)
        if term and low not in seen and not inside:
            seen.add(low)
            out.append(term)
    return tuple(out)


def contains_term(text: str, term: str) -> bool:
    """Whether ``term`` occurs in ``text`` as a whole word (case-insensitive;
    whitespace inside the term may be any run of spaces or a line break)."""
    words = [re.escape(w) for w in term.split()]
    if not words:
        return False
    body = r"\s+".join(words)
    left = r"(?<![\w])" if term[:1].isalnum() or term[:1] == "_" else ""
    right = r"(?![\w])" if term[-1:].isalnum() or term[-1:] == "_" else ""
    return re.search(left + body + right, text, re.IGNORECASE) is not None


def name_words(person: Person) -> tuple[str, ...]:
    """How a changelog may name a person: the full name, each name word of
    three letters or more, and the address."""
    out: list[str] = []
    name = " ".join(person.name.replace('"', " ").split())
    if name:
        out.append(name)
        out.extend(w for w in name.split(" ") if len(w) >= 3 and w[:1].isupper())
    if person.email:
        out.append(person.email)
    return tuple(dict.fromkeys(out))


def is_specific(term: str) -> bool:
    """Whether a term names something on its own (an identifier with ``_``
    or ``()``, a path, an acronym, a number, a phrase), unlike a plain word
    such as ``arm64`` that any sentence of the message may hold."""
    if any(c in term for c in "_/( ") or term.isdigit():
        return True
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and len(letters) >= 3
