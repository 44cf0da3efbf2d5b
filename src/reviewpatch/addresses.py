"""Addresses in headers and trailers: ``Name <user@host>``, ``user@host
(Name)``, bare ``user@host``, lists of them, and the ``user at host.tld``
spelling of web archives that hide addresses."""

from __future__ import annotations

__all__ = ["parse_person", "split_addresses"]

import re

from reviewpatch.model import Person

_OBFUSCATED = re.compile(
    r"([\w.+=-]+)(?:\s+at\s+|\s*[(\[]at[)\]]\s*)([\w-]+(?:\.[\w-]+)+)", re.IGNORECASE
)
_EMAIL_TOKEN = re.compile(r"[^\s<>\"(),;]+@[^\s<>\"(),;]+")
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
        text = _OBFUSCATED.sub(r"\1@\2", text)
    match = _ANGLE_ADDR.match(text)
    if match:
        addr = match.group(2).strip()
        name = _clean_name(match.group(1)) or _clean_name(match.group(3))
        return Person(name, addr)
    token = _EMAIL_TOKEN.search(text)
    if token is None:
        return None
    addr = token.group(0).strip(".")
    rest = (text[: token.start()] + " " + text[token.end() :]).strip()
    return Person(_clean_name(rest), addr)
