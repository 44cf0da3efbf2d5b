"""Trailer rules (RP101-RP108): the sign-off chain, co-developers, Fixes:
tags, duplicated, malformed and misspelled trailers, Reported-by without a
link.

Each rule reads the patch's own trailer block (``Patch.trailers``, in mail
order), and for Signed-off-by and Fixes: also the lines above ``---`` that
the trailer parser did not take.  A hit about one trailer sets ``mail_line``
to that trailer's line so the reply can quote it.
"""

from __future__ import annotations

__all__ = [
    "missing_signoff",
    "from_signoff_mismatch",
    "signoff_chain_order",
    "codeveloper_without_signoff",
    "bad_fixes_tag",
    "duplicate_trailer",
    "malformed_trailer",
    "reported_by_without_closes",
]

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from reviewpatch.findings import Confidence, Severity
from reviewpatch.model import Patch, Person, Trailer
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.trailer_util import (
    CODEVELOPED,
    PERSON_TRAILERS,
    REPORTED_TRAILERS,
    SIGNOFF,
    address_problem,
    continues_tag,
    fixes_lines,
    fixes_problem,
    head_lines,
    is_named,
    is_relay,
    likely_same_person,
    misspelled_of,
    same_address,
    same_name,
    same_person,
    shown,
    signoff_trailers,
    trailer_key,
    trailer_like,
    trailer_text,
)
from reviewpatch.trailers import person_from_value

# The rules on review tags (RP109, RP110, RP111) live in
# reviewpatch.rules.review_tags.


def _patch(ctx: RuleContext) -> Patch:
    if ctx.patch is None:  # the engine always sets it for PATCH scope
        raise ValueError("a patch-scope rule ran without a patch")
    return ctx.patch


def _by_address(patch: Patch, trailer: Trailer) -> bool:
    """The trailer names the patch author by address (or, lacking a parsed
    person, its value contains the author's address)."""
    if trailer.person is not None:
        return same_address(trailer.person, patch.author)
    key = patch.author.key
    return bool(key) and key in trailer.value.lower()


def _signed_above(patch: Patch) -> bool:
    """The author signs off in an earlier paragraph of the message (two
    authors' messages joined, each with its sign-off)."""
    for line in patch.message.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "signed-off-by" and value.strip():
            person = person_from_value(value.strip())
            if person is not None and (
                same_address(person, patch.author) or same_name(person, patch.author)
            ):
                return True
    return False


_RFC_RE = re.compile(r"\bRFC\b")


# "fixup! title" / "squash! title": a change to fold into an earlier patch
_FIXUP_RE = re.compile(r"^(?:fixup|squash|amend)! ")
# "DO-NOT-MERGE: ...", "[PATCH DNM]", "(not for merging)"
_NOT_FOR_MERGING_RE = re.compile(
    r"\bdo[ _-]?not[ _-]?merge\b|\bDNM\b|\bnot[ _-]for[ _-]merg(?:e|ing)\b", re.IGNORECASE
)


def _signoff_below_separator(patch: Patch) -> str:
    """A ``Signed-off-by:`` line in the notes below ``---`` (the commit
    message has none), or ""."""
    for line in patch.notes.splitlines():
        text = line.strip()
        if text[:14].lower() == "signed-off-by:":
            return text[:200]
    return ""


def _is_rfc(patch: Patch) -> bool:
    """A request for comments, not for merging: ``[RFC PATCH]``, or RFC in
    the title ("RFC: ...", "(RFC only)")."""
    return patch.subject.is_rfc or _RFC_RE.search(patch.subject.title) is not None


@rule(id="RP101", name="missing-signoff", severity=Severity.ERROR)
def missing_signoff(ctx: RuleContext) -> Iterator[Hit]:
    """The patch author has not signed the patch off.

    What it does
        Looks for a Signed-off-by of the patch author (the in-body From, else
        the mail's From) among the patch's trailers, comparing addresses
        without regard to case.  It stays quiet when a Signed-off-by carries
        the author's name with another address: from-signoff-mismatch
        reports that case.
        A patch marked RFC (not for merging yet) without any Signed-off-by
        gets a note instead of an error.
    Why it matters
        The Signed-off-by is the author's certification of the Developer's
        Certificate of Origin; maintainers cannot apply a patch without it.
    Example
        From: Jane Doe <jane@example.org>
        ...
        Reviewed-by: Joe Smith <joe@example.org>
    Use instead
        Signed-off-by: Jane Doe <jane@example.org>
    """
    patch = _patch(ctx)
    signoffs = signoff_trailers(patch)
    if not signoffs:
        if _FIXUP_RE.match(patch.subject.title):
            yield Hit(
                "The fixup has no Signed-off-by; the patch it is squashed into carries "
                "the sign-off.",
                severity=Severity.NOTE,
            )
            return
        if _NOT_FOR_MERGING_RE.search(patch.mail.subject):
            yield Hit(
                "The patch has no Signed-off-by, and its subject says it is not for merging.",
                severity=Severity.NOTE,
            )
            return
        if _is_rfc(patch):
            yield Hit(
                f"The RFC has no Signed-off-by; its author {shown(patch.author)} will have to "
                "sign it off when it is posted for merging.",
                severity=Severity.NOTE,
            )
            return
        below = _signoff_below_separator(patch)
        if below:
            yield Hit(
                f"The patch has no Signed-off-by in its commit message: {below!r} sits below the "
                "'---' line, where git am drops it; move it above."
            )
            return
        yield Hit(
            f"The patch has no Signed-off-by; its author {shown(patch.author)} must sign it off."
        )
        return
    if not patch.author.key and not patch.author.name.strip():
        return  # no author to compare with
    if any(_by_address(patch, t) or same_name(t.person, patch.author) for t in signoffs):
        return
    if any(likely_same_person(t.person, patch.author) for t in signoffs):
        return  # one person under two forms (RP102 reports the address)
    if _signed_above(patch):
        return
    names = ", ".join(str(t.person) if t.person else t.value for t in signoffs)
    yield Hit(
        f"The author {patch.author} has no Signed-off-by; the patch is signed off only by {names}.",
        mail_line=signoffs[-1].line or None,
    )


@rule(
    id="RP102",
    name="from-signoff-mismatch",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
)
def from_signoff_mismatch(ctx: RuleContext) -> Iterator[Hit]:
    """The author signs off with the same name but another address.

    What it does
        When no Signed-off-by carries the author's address but one carries
        the author's name, reports the two addresses.  This is common when
        a patch is sent from a personal or kernel.org address and signed off
        with a company one (or the other way round).  An author address
        rewritten by a mailing list ("Jane Doe via linux-foo") or by the b4
        relay is not compared.  Said once per series, on the first patch
        that does it, naming the others.
    Why it matters
        Tools that apply patches (b4, checkpatch) match the author to the
        sign-off by address; the commit would be authored by one identity
        and certified by another.
    Example
        From: Jane Doe <jane@corp.example>
        ...
        Signed-off-by: Jane Doe <jane@kernel.org>
    Use instead
        Put an in-body "From: Jane Doe <jane@kernel.org>" first in the body,
        or sign off with the address of the From line.
    """
    patch = _patch(ctx)
    mismatch = _address_mismatch(patch)
    if mismatch is None:
        return
    same = [
        p.index
        for p in ctx.series.patches
        if (m := _address_mismatch(p)) is not None
        and m.person is not None
        and mismatch.person is not None
        and (p.author.key, m.person.key) == (patch.author.key, mismatch.person.key)
    ]
    if same and same[0] != patch.index:
        return  # said once, on the first patch of the series that does it
    also = f" (patches {', '.join(map(str, same))} do the same)" if len(same) > 1 else ""
    assert mismatch.person is not None
    yield Hit(
        f"The author is {patch.author} but signs off as {mismatch.person}: the same name "
        f"with another address ({mismatch.person.email} instead of {patch.author.email}){also}.",
        mail_line=mismatch.line or None,
    )


def _address_mismatch(patch: Patch) -> Trailer | None:
    """The Signed-off-by of the author's name with another address, when
    no sign-off has the author's address."""
    signoffs = signoff_trailers(patch)
    if not signoffs or is_relay(patch.author) or any(_by_address(patch, t) for t in signoffs):
        return None
    for t in signoffs:
        if t.person is not None and same_name(t.person, patch.author):
            return t
    return None


def _one_owner(sender: Person, author: Person) -> bool:
    """Two addresses that look like one person's: the same mailbox name
    at two domains (``guoren@kernel.org`` for ``guoren@linux.alibaba.com``),
    or a sender without a name whose mailbox holds the author's surname
    (``mhkelley58@gmail.com`` for Michael Kelley)."""
    local = sender.key.split("@")[0].lower()
    if local and local == author.key.split("@")[0].lower():
        return True
    if likely_same_person(sender, author):
        return True  # "Jian Dong" sending the patch of "dongjian"
    if sender.name.strip():
        return False
    words = author.name.lower().split()
    surname = words[-1] if words else ""
    joined = "".join(w for w in words if w.isalnum())
    return (len(surname) >= 4 and surname in local) or (len(joined) >= 4 and joined == local)


@rule(id="RP103", name="signoff-chain-order", severity=Severity.WARNING)
def signoff_chain_order(ctx: RuleContext) -> Iterator[Hit]:
    """The person who sends the patch must add the last Signed-off-by.

    What it does
        Compares the mail's sender with the Signed-off-by lines.  It warns
        when the sender is not the author and has not signed the patch off
        at all (once per series and sender: later patches of the same
        sender get a note), and notes a sender's Signed-off-by that is not
        the last one.
        Only mails that were sent (with a Message-ID) are judged: in a local
        git format-patch file the From line is the author, not the sender.
        A sender whose address looks like the author's own (the same
        mailbox name at another domain, or a nameless address holding the
        author's surname) is taken to be the author.
    Why it matters
        The sign-off chain records, in order, everyone who handled the
        patch; the one who posts it is the last to handle it.  A patch
        forwarded without the sender's sign-off lacks their certification.
    Example
        From: Joe Smith <joe@example.org>      (the sender)
        From: Jane Doe <jane@example.org>      (in-body author)
        Signed-off-by: Jane Doe <jane@example.org>
    Use instead
        Signed-off-by: Jane Doe <jane@example.org>
        Signed-off-by: Joe Smith <joe@example.org>
    """
    patch = _patch(ctx)
    if patch.mail.header("Message-ID") is None:
        return  # a local file (git format-patch): its From is the author, not a sender
    sender = patch.mail.sender
    signoffs = signoff_trailers(patch)
    own = [i for i, t in enumerate(signoffs) if _signed_by(t, sender)]
    if own:
        last = signoffs[-1]
        if own[-1] != len(signoffs) - 1:
            who = str(last.person) if last.person else last.value
            yield Hit(
                f"The sender {sender} signs off, but not last: the last Signed-off-by is {who}; "
                "the person who posts the patch usually signs off last.",
                mail_line=signoffs[own[-1]].line or None,
                severity=Severity.NOTE,  # a colleague's later sign-off is common and allowed
            )
        return
    if not _unsigned_sender(patch):
        return
    first = next(p for p in ctx.series.patches if _unsigned_sender(p) and _same_sender(p, patch))
    again = first.index != patch.index
    yield Hit(
        f"The patch by {patch.author} is sent by {sender}, who has not added a Signed-off-by; "
        "whoever handles and posts a patch must sign it off"
        + (f" (as in patch {first.index})." if again else "."),
        mail_line=signoffs[-1].line if signoffs and signoffs[-1].line else None,
        severity=Severity.NOTE if again else None,
    )


def _signed_by(signoff: Trailer, sender: Person) -> bool:
    """The Signed-off-by is the sender's, under this address or another of
    theirs (``guoren@kernel.org`` signing as ``Guo Ren
    <guoren@linux.alibaba.com>``)."""
    who = signoff.person
    return same_person(who, sender) or (who is not None and _one_owner(sender, who))


def _same_sender(a: Patch, b: Patch) -> bool:
    return same_person(a.mail.sender, b.mail.sender)


def _unsigned_sender(patch: Patch) -> bool:
    """The mail was sent by someone other than the author who did not sign
    the patch off."""
    if patch.mail.header("Message-ID") is None:
        return False
    sender = patch.mail.sender
    if any(_signed_by(t, sender) for t in signoff_trailers(patch)):
        return False
    if same_person(sender, patch.author) or not sender.key or is_relay(sender):
        return False
    return not _one_owner(sender, patch.author)


@rule(id="RP104", name="codeveloper-without-signoff", severity=Severity.ERROR)
def codeveloper_without_signoff(ctx: RuleContext) -> Iterator[Hit]:
    """Every Co-developed-by must be followed at once by that person's
    Signed-off-by, and must not name the author.

    What it does
        Checks that the trailer right after each Co-developed-by is a
        Signed-off-by of the same person (same address, or same name when an
        address is missing), and that no Co-developed-by names the author.
        A co-developer who signs off further down gets a note (the
        certification is there, out of order); one who does not sign off at
        all, an error.
    Why it matters
        Documentation/process/submitting-patches.rst requires it: every
        co-author certifies the DCO, and the author is already credited by
        the From line.
    Example
        Co-developed-by: Joe Smith <joe@example.org>
        Signed-off-by: Jane Doe <jane@example.org>
    Use instead
        Co-developed-by: Joe Smith <joe@example.org>
        Signed-off-by: Joe Smith <joe@example.org>
        Signed-off-by: Jane Doe <jane@example.org>
    """
    patch = _patch(ctx)
    trailers = patch.trailers
    for i, t in enumerate(trailers):
        if not is_named(t, CODEVELOPED):
            continue
        who = str(t.person) if t.person else t.value.strip()
        if t.person is not None and same_person(t.person, patch.author):
            yield Hit(
                f"Co-developed-by names the author {who}; the author is credited by the From "
                "line and is not a co-developer.",
                mail_line=t.line or None,
            )
            continue
        nxt = trailers[i + 1] if i + 1 < len(trailers) else None
        if nxt is not None and is_named(nxt, SIGNOFF) and _same_trailer_person(t, nxt):
            continue
        later = any(is_named(x, SIGNOFF) and _same_trailer_person(t, x) for x in trailers)
        if later:
            yield Hit(
                f"Co-developed-by: {who} is not immediately followed by the Signed-off-by of "
                f"{who}, which comes further down; the documented order pairs them.",
                mail_line=t.line or None,
                severity=Severity.NOTE,  # the certification is there, only out of order
            )
            continue
        given = next(
            (
                x
                for x in patch.followup_trailers
                if is_named(x, SIGNOFF) and _same_trailer_person(t, x)
            ),
            None,
        )
        if given is not None:
            yield Hit(
                f"Co-developed-by: {who} is not followed by a Signed-off-by of {who} in the "
                f"patch; {who} gave it in a reply (<{given.origin_msgid}>): put it below the "
                "Co-developed-by.",
                mail_line=t.line or None,
                severity=Severity.NOTE,
            )
            continue
        yield Hit(
            f"Co-developed-by: {who} is not immediately followed by a Signed-off-by of {who}, "
            f"and {who} does not sign the patch off at all.",
            mail_line=t.line or None,
        )


def _same_trailer_person(a: Trailer, b: Trailer) -> bool:
    if a.person is not None and b.person is not None:
        return same_person(a.person, b.person)
    return trailer_key(a)[1] == trailer_key(b)[1]


@rule(
    id="RP105",
    name="bad-fixes-tag",
    severity=Severity.WARNING,
    options=(("min-sha-length", int),),
)
def bad_fixes_tag(ctx: RuleContext) -> Iterator[Hit]:
    """A Fixes: tag must name the commit by at least 12 hex digits and its
    title in parentheses and quotes, on one line.

    What it does
        Checks each Fixes: trailer of the patch for the form
        Fixes: <12 to 40 hex digits> ("<title>"): a short or non-hex commit
        id, a missing title, missing quotes or parentheses, or a tag wrapped
        over two lines.
    Why it matters
        Stable maintainers and tools (git, b4, the stable scripts) parse the
        tag to find the commit to backport to; short ids become ambiguous as
        the tree grows.
    Example
        Fixes: 1f2e3d4c ("mm: fix foo")
        Fixes: 1f2e3d4c5b6a mm: fix foo
    Use instead
        Fixes: 1f2e3d4c5b6a ("mm: fix foo")
        (git log -1 --abbrev=12 --format='Fixes: %h ("%s")' <commit>)
    Options
        min-sha-length: the fewest hex digits a commit id may have (12,
        the kernel's rule; a subsystem may ask for more).
    """
    patch = _patch(ctx)
    wanted = ctx.option("min-sha-length", 12)
    min_length = wanted if isinstance(wanted, int) and 4 <= wanted <= 40 else 12
    for line, value, text, following in fixes_lines(patch):
        problem = fixes_problem(value, text, min_length)
        if problem and problem.startswith("is cut off") and continues_tag(following):
            problem = "is wrapped over more than one line; keep it on one line"
        if problem:
            yield Hit(f"The Fixes: tag {problem}.", mail_line=line or None)


@rule(id="RP106", name="duplicate-trailer", severity=Severity.WARNING)
def duplicate_trailer(ctx: RuleContext) -> Iterator[Hit]:
    """The same trailer appears twice in the patch's trailer block.

    What it does
        Reports a trailer whose name and person (or value) repeat an earlier
        one, ignoring case.  A Signed-off-by may repeat when someone else
        signed off in between (the patch went through that person twice).
    Why it matters
        Duplicates come from applying review tags twice by hand or scripts
        and end up in the permanent history.
    Example
        Reviewed-by: Joe Smith <joe@example.org>
        Reviewed-by: joe smith <JOE@example.org>
    Use instead
        Reviewed-by: Joe Smith <joe@example.org>
    """
    patch = _patch(ctx)
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(patch.trailers):
        key = trailer_key(t)
        first = seen.get(key)
        seen[key] = i
        if first is None:
            continue
        if is_named(t, SIGNOFF) and _other_signoff_between(patch.trailers, first, i, key):
            continue
        earlier = patch.trailers[first].line
        where = f" (first on line {earlier})" if earlier else ""
        yield Hit(f"The trailer {trailer_text(t)} appears twice{where}.", mail_line=t.line or None)


def _other_signoff_between(
    trailers: tuple[Trailer, ...], a: int, b: int, key: tuple[str, str]
) -> bool:
    return any(is_named(t, SIGNOFF) and trailer_key(t) != key for t in trailers[a + 1 : b])


@rule(id="RP107", name="malformed-trailer", severity=Severity.WARNING)
def malformed_trailer(ctx: RuleContext) -> Iterator[Hit]:
    """A person trailer without a valid address, or a misspelled trailer
    name.

    What it does
        Checks that Signed-off-by, Reviewed-by, Acked-by, Tested-by,
        Reported-by, Suggested-by, Co-developed-by, Cc and the like carry
        "Name <address>" or a bare address (a "# comment" after it is fine),
        and looks in the trailer block for names one or two letters away
        from a known trailer (Signed-of-by, Reviewd-by, Signed off by).
        Case does not matter (Reviewed-By is fine).
    Why it matters
        Tools that collect trailers (git interpret-trailers, b4, patchwork,
        the kernel's contributor statistics) ignore misspelled names and
        cannot credit or Cc a person without an address.
    Example
        Reviewd-by: Joe Smith <joe@example.org>
        Suggested-by: Joe Smith
        Cc: linux-mm
    Use instead
        Reviewed-by: Joe Smith <joe@example.org>
        Suggested-by: Joe Smith <joe@example.org>
        Cc: linux-mm@kvack.org
    """
    patch = _patch(ctx)
    reported: set[int] = set()
    for t in patch.trailers:
        low = t.name.strip().lower()
        near = misspelled_of(t.name)
        if near:
            reported.add(t.line)
            yield Hit(_misspelling(t.name, near), mail_line=t.line or None)
        elif low in PERSON_TRAILERS and t.person is None:
            problem = address_problem(t.value)
            if problem:
                reported.add(t.line)
                yield Hit(f"The trailer {trailer_text(t)} {problem}.", mail_line=t.line or None)
    yield from _misspelled_lines(patch, reported)


def _misspelling(name: str, near: str) -> str:
    return f'The trailer name "{name}" looks like a misspelling of "{near}".'


def _misspelled_lines(patch: Patch, skip: set[int]) -> Iterator[Hit]:
    """Misspelled trailer names in the last paragraph before ``---`` that
    the trailer parser did not take for trailers."""
    block: list[tuple[int, str]] = []
    for number, text in head_lines(patch):
        if not text.strip():
            block = []
        else:
            block.append((number, text))
    parsed = {t.line for t in patch.trailers}
    for number, text in block:
        if number in skip or number in parsed:
            continue
        m = trailer_like(text)
        near = misspelled_of(m.group(1)) if m else None
        if m and near:
            yield Hit(_misspelling(m.group(1), near), mail_line=number)


_CLOSES_SINCE = datetime(2023, 7, 1, tzinfo=UTC)


def _after_closes_convention(date: str) -> bool:
    """Whether a mail dated ``date`` was sent after checkpatch began to ask
    for Closes: after Reported-by (Linux 6.5, mid 2023).  An unreadable
    date counts as recent."""
    try:
        when = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when >= _CLOSES_SINCE


@rule(
    id="RP108",
    name="reported-by-without-closes",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.SERIES,
)
def reported_by_without_closes(ctx: RuleContext) -> Iterator[Hit]:
    """A Reported-by should be followed by a Closes: (or Link:) to the
    report.

    What it does
        Checks the trailer after each Reported-by (after a run of several
        Reported-by lines, the trailer after the run) for a Closes: or Link:.
        Only for patches sent after mid 2023, when checkpatch began to ask
        for it.  The same report on several patches of a series is a
        warning once, a note after that.
    Why it matters
        submitting-patches.rst and checkpatch ask for the link so that the
        report, its reproducer and its discussion can be found from the
        commit; bug trackers close the report from it.
    Example
        Reported-by: Joe Smith <joe@example.org>
        Signed-off-by: Jane Doe <jane@example.org>
    Use instead
        Reported-by: Joe Smith <joe@example.org>
        Closes: https://lore.kernel.org/all/<message-id>/
        Signed-off-by: Jane Doe <jane@example.org>
        (Leave the link out only when the report is not public.)
    """
    first: dict[str, int] = {}  # each report's first patch: one warning per series
    for patch in ctx.series.patches:
        for t in _unlinked_reports(patch):
            text = trailer_text(t)
            again = first.setdefault(text, patch.index) != patch.index
            yield Hit(
                f"{text} is not followed by a Closes: link to the report"
                + (f" (as in patch {first[text]})." if again else "."),
                patch_index=patch.index,
                mail_line=t.line or None,
                severity=Severity.NOTE if again else None,
            )


_UPSTREAM_RE = re.compile(
    r"^[ \t]*(?:\[[ \t]*upstream commit [0-9a-f]{7,40}[ \t]*\]|commit [0-9a-f]{7,40} upstream\.?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


def _backport(patch: Patch) -> bool:
    """A stable or AUTOSEL backport: ``[PATCH AUTOSEL 6.6 01/14]``, or a
    message that names the upstream commit ("[ Upstream commit abc123 ]",
    "commit abc123 upstream.")."""
    if "AUTOSEL" in patch.subject.prefixes or "AUTOSEL" in patch.mail.subject.split("]")[0]:
        return True
    return _UPSTREAM_RE.search(patch.message) is not None


def _unlinked_reports(patch: Patch) -> list[Trailer]:
    """The patch's Reported-by trailers that no Closes: or Link: follows
    (none for a backport of a commit already upstream: its trailers are
    the upstream commit's)."""
    if not _after_closes_convention(patch.mail.date) or _backport(patch):
        return []
    out: list[Trailer] = []
    run: list[Trailer] = []  # consecutive reports, waiting for what follows them
    for t in patch.trailers:
        if is_named(t, *REPORTED_TRAILERS):
            run.append(t)
            continue
        if run and not is_named(t, "closes", "link", "buglink"):
            out += run
        run = []
    return out + run
