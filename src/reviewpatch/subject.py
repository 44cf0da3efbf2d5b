"""Subject line parsing: ``Re: [RFC PATCH net-next v3 2/5] foo: bar``.

The bracketed tags at the start of a subject carry the version, the
counter and total, and words such as RFC, RESEND or a tree name.  Reply
prefixes (``Re:``, ``Aw:``, ``Fwd:``, possibly repeated) are removed first.
"""

from __future__ import annotations

__all__ = ["parse_subject", "strip_reply_prefixes"]

import re

from reviewpatch.model import Subject

_REPLY = re.compile(r"^(?:re|aw|sv|antw|fwd?|fw)\s*(?:(?:\[\d+\]|\(\d+\))\s*)?:\s*", re.IGNORECASE)
_GROUP = re.compile(r"^\[([^\[\]]*)\]\s*")
_BARE_TAG = re.compile(
    r"^(PATCH(?:[-_]?[vV]\d+)?(?:\s+(?:[vV]\d+|\d+/\d+|RFC|RESEND))*)(?:\s*+:\s*+|\s++)(?=\S)"
)
_VERSION = re.compile(r"^v(\d{1,4})$", re.IGNORECASE)
_PATCH_WORD = re.compile(r"^PATCH(?:SET)?(?:[-_]?v(\d{1,4}))?$", re.IGNORECASE)
_COUNTER = re.compile(r"^(\d{1,4})/(\d{1,4})$")


def strip_reply_prefixes(text: str) -> tuple[str, bool]:
    """``text`` without leading reply prefixes, and whether there were any."""
    rest = " ".join(text.split())
    found = False
    while True:
        match = _REPLY.match(rest)
        if not match:
            return rest, found
        rest = rest[match.end() :]
        found = True


def _split_tags(text: str) -> tuple[list[str], str, bool]:
    """Leading tag words, the remaining title, and whether it is a reply.
    Bracket groups and reply prefixes may be interleaved at the start."""
    rest, is_reply = strip_reply_prefixes(text)
    words: list[str] = []
    while True:
        group = _GROUP.match(rest)
        if group:
            words.extend(w for w in re.split(r"[\s,]+", group.group(1)) if w)
            rest = rest[group.end() :]
            continue
        reply = _REPLY.match(rest) if words else None
        if reply:
            rest = rest[reply.end() :]
            is_reply = True
            continue
        break
    if not words:
        bare = _BARE_TAG.match(rest)
        if bare:
            words = bare.group(1).split()
            rest = rest[bare.end() :]
    return words, rest.strip(), is_reply


def parse_subject(text: str) -> Subject:
    """Parse a subject line (whitespace, including folding, is collapsed).

    Without a version the subject is version 1 (``version_explicit``
    False); without ``N/M`` it is 1/1 (``counter_explicit`` False).
    ``is_patch`` is set by a ``PATCH`` word or an explicit counter.
    """
    raw = " ".join(text.split())
    words, title, is_reply = _split_tags(raw)
    prefixes: list[str] = []
    version: int | None = None
    counter: tuple[int, int] | None = None
    is_patch = is_rfc = is_resend = False
    for word in words:
        patch_word = _PATCH_WORD.match(word)
        version_word = _VERSION.match(word)
        counter_word = _COUNTER.match(word)
        if patch_word:
            is_patch = True
            if patch_word.group(1):
                version = int(patch_word.group(1))
        elif version_word and version is None:
            version = int(version_word.group(1))
        elif counter_word and counter is None:
            counter = (int(counter_word.group(1)), int(counter_word.group(2)))
        else:
            upper = word.upper()
            is_rfc = is_rfc or upper == "RFC"
            is_resend = is_resend or upper == "RESEND"
            prefixes.append(word)
    count, total = counter if counter else (1, 1)
    return Subject(
        raw=raw,
        title=title,
        prefixes=tuple(prefixes),
        version=version if version is not None and version > 0 else 1,
        version_explicit=version is not None and version > 0,
        counter=count,
        total=max(total, 1),
        counter_explicit=counter is not None,
        is_patch=is_patch or counter is not None,
        is_reply=is_reply,
        is_rfc=is_rfc,
        is_resend=is_resend,
    )
