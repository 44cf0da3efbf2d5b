"""Addresses in headers and trailers: ``Name <user@host>``, ``user@host
(Name)``, bare ``user@host``, lists of them, and the ``user at host.tld``
spelling of web archives that hide addresses."""

from __future__ import annotations

__all__ = ["parse_person", "split_addresses"]

import re

from reviewpatch.model import Person

# " at " or "(at)" / "[at]" between the two halves of an obfuscated address;
# the halves are read by scanning outwards from it (a regex reaching back
# over a long run of word characters would try every start)
_AT_WORD = re.compile(r" at |(?: ?)[(\[]at[)\]](?: ?)", re.IGNORECASE)
_LOCAL_CHARS = re.compile(r"[\w.+=-]")
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")
_TOKEN_STOP = frozenset(' \t\n\r\f\v<>"(),;')
# the last <...> that holds an address: a display name may quote markup
_ANGLE_ADDR = re.compile(r"^(.*)<([^<>@]*@[^<>]*)>(.*)$", re.DOTALL)


_LIST_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|<[^<>()"]*>|\([^()<>"]*\)|[^",;<>()]+|[,;]')


def split_addresses(text: str) -> list[str]:
    """Split an address list on commas outside quotes, <> and comments."""
    items: list[str] = []
    buf: list[str] = []
    covered = 0
    for m in _LIST_TOKEN.finditer(text):
        if m.start() != covered:
            break  # nested or unbalanced brackets: read it one character at a time
        covered = m.end()
        token = m.group(0)
        if token in (",", ";"):
            items.append("".join(buf))
            buf = []
        else:
            buf.append(token)
    else:
        if covered == len(text):
            items.append("".join(buf))
            return [item.strip() for item in items if item.strip()]
    return _split_slowly(text)


def _split_slowly(text: str) -> list[str]:
    items: list[str] = []
    buf: list[str] = []
    quoted = False
    depth = 0
    escape = False
    for char in text:
        if escape:
            escape = False
        elif char == "\\" and quoted:
            escape = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char in "<(":
            depth += 1
        elif not quoted and char in ">)" and depth:
            depth -= 1
        elif char in ",;" and not quoted and not depth:
            items.append("".join(buf))
            buf = []
            continue
        buf.append(char)
    items.append("".join(buf))
    return [item.strip() for item in items if item.strip()]


def _clean_name(name: str) -> str:
    """A display name without quotes, escapes, comment parentheses."""
    name = name.strip().strip(",;").strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(name) >= 2 and name[0] == "(" and name[-1] == ")":
        name = name[1:-1]
    return " ".join(name.split())


def parse_person(text: str) -> Person | None:
    """Parse ``Name <user@host>``, ``user@host (Name)``, ``user@host`` or a
    web-archive obfuscated ``Name user at host.tld`` into a Person.
    Returns None when no address can be found."""
    text = " ".join(text.split())
    if not text:
        return None
    if "@" not in text:
        text = _unobfuscate(text)
        if "@" not in text:
            return None
    match = _ANGLE_ADDR.match(text)
    if match:
        addr = match.group(2).strip()
        name = _clean_name(match.group(1)) or _clean_name(match.group(3))
        return Person(name, addr)
    token = _email_token(text)
    if token is None:
        return None
    start, end = token
    addr = text[start:end].strip(".")
    rest = (text[:start] + " " + text[end:]).strip()
    return Person(_clean_name(rest), addr)


def _unobfuscate(text: str) -> str:
    """``user at host.tld`` or ``user(at)host.tld`` -> ``user@host.tld``,
    for each such spelling in ``text`` (whose blanks are single spaces)."""
    out: list[str] = []
    done = 0
    marker = _AT_WORD.search(text)
    while marker is not None:
        start = marker.start()
        local = start
        while local > done and _LOCAL_CHARS.match(text[local - 1]):
            local -= 1
        domain = _DOMAIN.match(text, marker.end())
        if local == start or domain is None:
            marker = _AT_WORD.search(text, start + 1)
            continue
        out.append(text[done:start] + "@" + domain.group())
        done = domain.end()
        marker = _AT_WORD.search(text, done)
    return "".join(out) + text[done:]


def _email_token(text: str) -> tuple[int, int] | None:
    """Where the first ``local@domain`` token of ``text`` is (no blanks,
    brackets, quotes, commas or semicolons in it), found by scanning out
    from each ``@``."""
    at = text.find("@")
    while at >= 0:
        end = at + 1
        while end < len(text) and text[end] not in _TOKEN_STOP:
            end += 1
        start = at
        while start > 0 and text[start - 1] not in _TOKEN_STOP:
            start -= 1
        if text.find("@", start + 1, end - 1) >= 0:  # one character either side
            return start, end
        at = text.find("@", end)
    return None
