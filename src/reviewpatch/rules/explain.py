"""Does the commit message already explain a finding?

A reviewer does not need to be told what the author already argued.  A
finding about a symbol is *explained* when one sentence of the commit message
names the symbol and gives a reason for it (a causal or justifying word such
as "because", "since", "so that", "ensures", "equivalent", "safe").
"""

from __future__ import annotations

__all__ = ["explaining_sentence", "is_explained", "REASON_WORDS"]

import re

REASON_WORDS = (
    "because",
    "since",
    "as the",
    "as it",
    "as this",
    "so that",
    "in order to",
    "ensure",
    "ensures",
    "guarantee",
    "equivalent",
    "safe",
    "harmless",
    "no functional change",
    "no functional changes",
    "persistent",
    "therefore",
    "thus",
    "hence",
    "due to",
    "which means",
    "it is fine",
    "is not needed",
    "is no longer needed",
    "unnecessary",
    "redundant",
)


def _names(symbol: str) -> tuple[str, ...]:
    """Spellings under which ``symbol`` may appear in prose: as is, with
    ``()``, and a flag without its leading ``_TIF_``-style underscore."""
    bare = symbol.strip().rstrip("()")
    out = {bare}
    if bare.startswith("_") and len(bare) > 2:
        out.add(bare.lstrip("_"))
    return tuple(sorted(out))


def explaining_sentence(message: str, symbol: str) -> str | None:
    """The paragraph of ``message`` that names ``symbol`` and gives a reason,
    or None.  Names are matched as whole identifiers, case-sensitively; a
    reason may stand in the same paragraph as the name."""
    if not symbol or not message:
        return None
    patterns = [
        re.compile(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])") for n in _names(symbol)
    ]
    for paragraph in re.split(r"\n\s*\n", message):
        flat = " ".join(paragraph.split())
        if not any(p.search(flat) for p in patterns):
            continue
        low = flat.lower()
        if any(re.search(rf"\b{re.escape(w)}", low) for w in REASON_WORDS):
            return flat
    return None


def is_explained(message: str, symbol: str | None) -> bool:
    """True when the commit message names ``symbol`` and gives a reason."""
    return bool(symbol) and explaining_sentence(message, symbol or "") is not None
