"""Search results of a public-inbox archive, read from its Atom feed
(``?q=QUERY&x=A``): one (Message-ID, subject, author, date) per entry.

The feed is the archive's answer, so it is hostile input: it is read with
the standard library's expat parser (which refuses entity expansion
bombs), only the few elements named here are looked at, and a feed that is
not well-formed gives no hits rather than an error."""

from __future__ import annotations

__all__ = ["SearchResult", "search_hits"]

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import unquote

_NS = "{http://www.w3.org/2005/Atom}"
_MAX_HITS = 200


@dataclass(frozen=True)
class SearchResult:
    """The archive's answer to one search: the Atom ``feed``, or None and
    the ``problem`` (one line); ``unsupported`` when the archive has no
    search at all (public-inbox answers HTTP 501 without Xapian)."""

    feed: bytes | None
    problem: str | None = None
    unsupported: bool = False


def _text(entry: ET.Element, path: str) -> str:
    found = entry.find(path)
    return (found.text or "").strip() if found is not None else ""


def _msgid(entry: ET.Element) -> str:
    """The Message-ID from the entry's link (``.../<msgid>/``)."""
    link = entry.find(f"{_NS}link")
    href = link.get("href", "") if link is not None else ""
    part = href.rstrip("/").rpartition("/")[2]
    return unquote(part) if "@" in unquote(part) else ""


def search_hits(feed: bytes) -> tuple[tuple[str, str, str, str], ...]:
    """(Message-ID, subject, author, date) of each entry of ``feed``, in
    the feed's order (newest first); () when it cannot be read."""
    try:
        root = ET.fromstring(feed)
    except ET.ParseError:
        return ()
    out: list[tuple[str, str, str, str]] = []
    for entry in root.iter(f"{_NS}entry"):
        msgid = _msgid(entry)
        if not msgid:
            continue
        name = _text(entry, f"{_NS}author/{_NS}name")
        email = _text(entry, f"{_NS}author/{_NS}email")
        author = f"{name} <{email}>" if email else name
        out.append((msgid, _text(entry, f"{_NS}title"), author, _text(entry, f"{_NS}updated")))
        if len(out) >= _MAX_HITS:
            break
    return tuple(out)
