"""The change claims of a commit message: "add", "remove", "move",
"rename" or "replace" followed by the identifiers they act on (RP309)."""

from __future__ import annotations

__all__ = ["Claim", "claims"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

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
