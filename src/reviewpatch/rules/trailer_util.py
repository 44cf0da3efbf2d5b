"""Helpers shared by the trailer and series rules: trailer name tables,
comparison of people by address and by name, address checks, misspelled
trailer names, and access to the lines of a mail body.

Nothing here is a rule; the rules live in ``reviewpatch.rules.trailers``
and ``reviewpatch.rules.series``.
"""

from __future__ import annotations

__all__ = [
    "SIGNOFF",
    "CODEVELOPED",
    "KNOWN_TRAILERS",
    "PERSON_TRAILERS",
    "ATTESTING_TRAILERS",
    "REPORTED_TRAILERS",
    "is_named",
    "norm_name",
    "same_address",
    "same_name",
    "likely_same_person",
    "same_person",
    "is_relay",
    "shown",
    "address_problem",
    "misspelled_of",
    "body_line",
    "trailer_key",
    "trailer_text",
    "head_lines",
    "fixes_problem",
    "fixes_lines",
    "continues_tag",
    "signoff_trailers",
    "trailer_like",
]

import re
from collections.abc import Iterator

from reviewpatch.model import Mail, Patch, Person, Trailer
from reviewpatch.trailers import person_from_value
from reviewpatch.vocabulary import attesting, canonical_names, person_names, reported

SIGNOFF = "signed-off-by"
CODEVELOPED = "co-developed-by"

# the one vocabulary (reviewpatch.vocabulary), in the lower case the rules compare
KNOWN_TRAILERS: tuple[str, ...] = canonical_names()

PERSON_TRAILERS = frozenset(name.lower() for name in person_names())

# Trailers by which the person named vouches for the patch themselves.
ATTESTING_TRAILERS = attesting()

REPORTED_TRAILERS = reported()

_KNOWN_LOWER = frozenset(name.lower() for name in KNOWN_TRAILERS)

_ADDR = r"[A-Za-z0-9._%+=/!#$&'*?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_ADDR_RE = re.compile(_ADDR)
_TOKEN_SPLIT_RE = re.compile(r"[\s<>(),;:\"\[\]]+")
_PERSON_RE = re.compile(
    r"^\s*(?:[^<>]*<\s*" + _ADDR + r"\s*>|" + _ADDR + r")"
    r"(?:\s*\([^()]*\))?\s*(?:[#\[].*)?$"
)
_VIA_RE = re.compile(r"\s+via\s+.*$", re.IGNORECASE)
# a bot that mails a commit in someone's name: "thermal-bot for Jane Doe"
_BOT_FOR_RE = re.compile(r"^[\w.-]*bot\d*\s+for\s+", re.IGNORECASE)


def is_named(trailer: Trailer, *names: str) -> bool:
    """Whether the trailer's name is one of ``names`` (lower case)."""
    return trailer.name.strip().lower() in names


# "Christoph Lameter (Ampere)", "Jane Doe [Intel]": an employer after the name
_AFFILIATION_RE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")
# "Russell King - ARM Linux admin": a role after a spaced dash
_ROLE_RE = re.compile(r"\s+-{1,2}\s+[^-]{1,60}$")


def norm_name(name: str) -> str:
    """A display name as compared: quotes, a mailing list's ``via X``
    suffix, a bot's ``x-bot for`` prefix, a trailing ``(Company)`` and a
    trailing `` - role`` removed, spaces collapsed, case folded."""
    text = name.strip().strip("\"'").strip()
    text = _BOT_FOR_RE.sub("", _VIA_RE.sub("", text))
    text = _AFFILIATION_RE.sub("", text) or text
    text = _ROLE_RE.sub("", text) or text
    return " ".join(text.replace(",", " ").split()).casefold()


def same_address(a: Person | None, b: Person | None) -> bool:
    """Both have an address and it is the same (case-insensitive)."""
    return bool(a and b and a.key and a.key == b.key)


def same_name(a: Person | None, b: Person | None) -> bool:
    """Both have a display name and it is the same once normalised."""
    if not a or not b:
        return False
    left, right = norm_name(a.name), norm_name(b.name)
    return bool(left) and left == right


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", norm_name(name)) if len(w) >= 2]


def likely_same_person(a: Person | None, b: Person | None) -> bool:
    """Two entries that look like one person writing under two names or
    addresses: the same name; the words of one name in another order or
    run together ("dongjian" and "Jian Dong"); or a short name inside the
    other ("fan" and "Fan Ni") with an address whose mailbox holds every
    word of the full name ("nifan.cxl@..."); the same first and last name
    with a middle name on one side only ("Vinicius Petrucci" and "Vinicius
    Tavares Petrucci"); every word of one name (three letters or more) in
    the other's mailbox ("Feiyang Chen" and "FreeFlyingSheep
    <chris.chenfeiyang@...>")."""
    if not a or not b:
        return False
    if same_name(a, b):
        return True
    for x, y in ((a, b), (b, a)):
        letters = "".join(c for c in x.name.casefold() if c.isalpha())
        if len(letters) >= 5 and letters == _mailbox(y):
            return True  # "cy_huang <u0084500@...>" and "ChiYuan Huang <cy_huang@...>"
    for x, y in ((a, b), (b, a)):
        words = _words(x.name)
        box = _mailbox(y)
        if len(words) >= 2 and all(len(w) >= 3 and w in box for w in words):
            return True  # "Feiyang Chen" and "FreeFlyingSheep <chris.chenfeiyang@...>"
    wa, wb = _words(a.name), _words(b.name)
    if not wa or not wb:
        return _nameless_match(a, b)
    if (
        "".join(sorted(wa)) == "".join(sorted(wb))
        or "".join(wa)
        in (
            "".join(wb),
            "".join(reversed(wb)),
        )
        or "".join(wb) in ("".join(wa), "".join(reversed(wa)))
    ):
        return True
    if min(len(wa), len(wb)) >= 2 and wa[0] == wb[0] and wa[-1] == wb[-1]:
        return True  # "Vinicius Petrucci" and "Vinicius Tavares Petrucci"
    short, full = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    one = a if short is wa else b
    if len(short) == 1 and short[0] == full[0] and _mailbox(one) == short[0]:
        return True  # "shuah <shuah@...>" and "Shuah Khan"
    if set(short) <= set(full):
        locals_ = [p.key.split("@")[0] for p in (a, b) if p.key]
        return any(all(w in local for w in full) for local in locals_)
    return False


def _mailbox(person: Person) -> str:
    """The letters of an address's mailbox ("qiwuchen55@..." -> "qiwuchen")."""
    return "".join(c for c in person.key.split("@")[0] if c.isalpha()).casefold()


def _nameless_match(a: Person, b: Person) -> bool:
    """One of the two has no display name: its mailbox is the other's
    mailbox, or the other's name run together in either order
    ("guoren@kernel.org" and "Guo Ren <guoren@...>", "qiwuchen55@..." and
    "chenqiwu")."""
    named, bare = (a, b) if _words(a.name) else (b, a)
    box = _mailbox(bare)
    if len(box) < 5:
        return False
    if box == _mailbox(named):
        return True
    joined = "".join(_words(named.name))
    return len(joined) == len(box) and (
        box in (joined, "".join(reversed(_words(named.name)))) or box in joined + joined
    )


def same_person(a: Person | None, b: Person | None) -> bool:
    """Same address, or (failing that) same name."""
    return same_address(a, b) or same_name(a, b)


def is_relay(person: Person | None) -> bool:
    """The address is a relay's, not the person's: a mailing list that
    rewrote the From line ("Jane Doe via linux-foo"), a bot mailing a
    commit in someone's name ("thermal-bot for Jane Doe") or the b4 web
    relay (``devnull+...``)."""
    if person is None:
        return False
    name = person.name.strip()
    return bool(_VIA_RE.search(name) or _BOT_FOR_RE.match(name)) or person.key.startswith(
        "devnull+"
    )


def shown(person: Person | None) -> str:
    """A person as written in a message; never an empty string."""
    text = str(person).strip() if person is not None else ""
    return text or "(no name or address)"


def address_problem(value: str) -> str | None:
    """Why ``value`` is not a usable ``Name <address>``, or None.  Linear
    in the length of ``value``: no search is started at every position of
    a long run of word characters."""
    if "@" not in value:
        return "has no e-mail address"
    if _PERSON_RE.match(value):
        return None
    if any(_ADDR_RE.fullmatch(token) for token in _TOKEN_SPLIT_RE.split(value) if "@" in token):
        return "is not of the form 'Name <address>'"
    return "has no e-mail address"


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbours as one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def misspelled_of(name: str) -> str | None:
    """The known trailer name that ``name`` looks like a misspelling of, or
    None when it is known (in any case) or not close to any.  Spaces count
    as hyphens (``Signed off by``).  One edit is allowed, two when both
    names end in ``-by`` and are long."""
    low = name.strip().lower()
    if low in _KNOWN_LOWER:
        return None
    dashed = re.sub(r"[\s_]+", "-", low)
    best: tuple[int, str] | None = None
    for known in KNOWN_TRAILERS:
        k = known.lower()
        limit = 2 if (k.endswith("-by") and dashed.endswith("-by") and len(k) > 8) else 1
        if len(k) < 5:
            limit = 0
        dist = _distance(dashed, k)
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, known)
    return best[1] if best else None


def body_line(mail: Mail, number: int) -> str:
    """Line ``number`` (1-based) of the mail body, or "" when out of range."""
    lines = mail.body.splitlines()
    if 1 <= number <= len(lines):
        return lines[number - 1]
    return ""


def head_lines(patch: Patch) -> Iterator[tuple[int, str]]:
    """(number, text) of the body lines that hold the commit message and
    its trailer block, as the patch parser found them (after in-body
    headers, before ``---`` or the diff)."""
    lines = patch.mail.body.split("\n")
    end = patch.message_end - 1 if patch.message_end else len(lines)
    for number in range(patch.message_line, end + 1):
        text = lines[number - 1] if number <= len(lines) else ""
        if not patch.message_end and (text.rstrip() == "---" or text.startswith("diff --git ")):
            return
        yield number, text


def trailer_key(trailer: Trailer) -> tuple[str, str]:
    """What makes two trailers the same: the name and the person's address,
    or the value when there is no address (case and spacing ignored)."""
    name = trailer.name.strip().lower()
    if trailer.person is not None and trailer.person.key:
        return name, trailer.person.key
    return name, " ".join(trailer.value.split()).casefold()


def trailer_text(trailer: Trailer) -> str:
    """The trailer as one line, ``Name: value``."""
    return f"{trailer.name}: {' '.join(trailer.value.split())}"


_FIXES_RE = re.compile(r'^\("(?P<title>.+)"\)$')
_SHA_RE = re.compile(r"^[0-9a-fA-F]+$")


def fixes_problem(value: str, first_line: str = "", min_length: int = 12) -> str | None:
    """What is wrong with the value of a Fixes: trailer, or None.
    ``first_line`` is the mail line the trailer starts on, to see whether
    it was wrapped."""
    text = " ".join(value.split())
    if not text:
        return "has no commit id"
    sha, _, rest = text.partition(" ")
    if sha.lower() == "commit":
        return 'starts with the word "commit"; give the bare commit id'
    if not _SHA_RE.match(sha):
        return f'starts with "{sha}", which is not a hexadecimal commit id'
    if len(sha) < min_length:
        return f"abbreviates the commit id to {len(sha)} digits; use at least {min_length}"
    if len(sha) > 40:
        return f"has a commit id of {len(sha)} digits, longer than a full sha1"
    rest = rest.strip()
    if not rest:
        return f'gives no title; use {sha[:12]} ("<commit title>")'
    if not _FIXES_RE.match(rest):
        if rest.startswith('("') and not rest.endswith(")"):
            return 'is cut off or wrapped: the title does not end with ")'
        return 'does not give the title as ("<commit title>")'
    line = first_line.rstrip()
    if line and line.lower().startswith("fixes:") and not line.endswith(")"):
        return "is wrapped over more than one line; keep it on one line"
    return None


_TRAILER_LINE_RE = re.compile(r"^([A-Za-z][A-Za-z _-]{1,38}[A-Za-z]):\s+\S")


def trailer_like(text: str) -> re.Match[str] | None:
    """A match when the line looks like ``Name: value`` (group 1 the
    name, which may be misspelled or hold spaces)."""
    return _TRAILER_LINE_RE.match(text)


_SIGNOFF_LINE_RE = re.compile(r"^signed-off-by:\s*(\S.*?)\s*$", re.IGNORECASE)


def signoff_trailers(patch: Patch) -> list[Trailer]:
    """The patch's Signed-off-by trailers; when the trailer parser found
    none, the Signed-off-by lines above ``---`` (a stray line can make a
    trailer block unrecognisable, and that must not read as no sign-off)."""
    found = [t for t in patch.trailers if is_named(t, SIGNOFF)]
    if found:
        return found
    for number, text in head_lines(patch):
        match = _SIGNOFF_LINE_RE.match(text)
        if match:
            value = match.group(1)
            person = person_from_value(value)
            found.append(Trailer("Signed-off-by", value, person, patch.msgid, number, text))
    return found


_FIXES_LINE_RE = re.compile(r"^fixes:\s*(.*)$", re.IGNORECASE)


def fixes_lines(patch: Patch) -> Iterator[tuple[int, str, str, str]]:
    """(line, value, line text, next line text) of every Fixes: tag: the
    parsed trailers, and Fixes: lines above ``---`` the trailer parser did
    not take (a wrapped tag can break the trailer block)."""
    parsed = {t.line: t for t in patch.trailers if is_named(t, "fixes")}
    head = list(head_lines(patch))
    seen: set[int] = set()
    for i, (number, text) in enumerate(head):
        following = head[i + 1][1] if i + 1 < len(head) else ""
        match = _FIXES_LINE_RE.match(text)
        if number in parsed:
            seen.add(number)
            yield number, parsed[number].value, text, following
        elif match:
            yield number, match.group(1), text, following
    for number, t in parsed.items():
        if number not in seen:
            yield number, t.value, body_line(patch.mail, number), ""


def continues_tag(text: str) -> bool:
    """The line looks like the rest of a wrapped tag, not a new trailer."""
    return bool(text.strip()) and not trailer_like(text)
