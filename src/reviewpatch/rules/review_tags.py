"""Review-tag rules (RP1xx): trailers given in replies that the patch does
not carry yet, tags given from another address than the tagged person's,
and authors reviewing their own patch.

Trailers given in replies are ``Patch.followup_trailers``; each has
``given_by`` (the reply's sender) and ``origin_msgid`` (the reply).  A reply
to the cover letter credits its trailers to every patch.
"""

from __future__ import annotations

__all__ = [
    "pending_trailers",
    "followup_trailer_sender_mismatch",
    "self_review_trailer",
    "nacked",
]

import re
from collections.abc import Iterator

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.model import Patch, Person, Series, Trailer
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.trailer_util import (
    ATTESTING_TRAILERS,
    PERSON_TRAILERS,
    SIGNOFF,
    is_named,
    is_relay,
    likely_same_person,
    same_address,
    same_name,
    same_person,
    shown,
    trailer_key,
    trailer_text,
)

# Trailers worth carrying over from a reply: person trailers except Cc
# (a reply's Cc: is usually conversation) and a NAK (an objection, not a
# tag to apply: RP112 reports it), and Fixes.
_CARRIED = (PERSON_TRAILERS - {"cc", "nacked-by"}) | {"fixes"}
_SELF_TAGS = ("reviewed-by", "acked-by", "tested-by", "reviewed-and-tested-by")
# "NAK", "Nak.", "NACK!" alone on an unquoted line of a reply
_NAK_LINE = re.compile(r"^\s*(?:nak|nack)[.!]*\s*$", re.IGNORECASE)


def _patch(ctx: RuleContext) -> Patch:
    if ctx.patch is None:  # the engine always sets it for PATCH scope
        raise ValueError("a patch-scope rule ran without a patch")
    return ctx.patch


def _carried_by(patch: Patch, given: Trailer) -> bool:
    """The patch's own trailer block already has this trailer (same name
    and same person, or same value)."""
    name, value = trailer_key(given)
    for own in patch.trailers:
        if own.name.strip().lower() != name:
            continue
        if given.person is not None and same_person(own.person, given.person):
            return True
        if trailer_key(own)[1] == value:
            return True
    return False


def _pending(patch: Patch) -> list[Trailer]:
    out: list[Trailer] = []
    seen: set[tuple[str, str]] = set()
    for t in patch.followup_trailers:
        low = t.name.strip().lower()
        if low not in _CARRIED:
            continue
        if low == SIGNOFF and not same_person(t.given_by, patch.author):
            continue
        if low in _SELF_TAGS and same_person(t.person, patch.author):
            continue  # the author vouching for their own patch adds nothing
        key = trailer_key(t)
        if key in seen or _carried_by(patch, t):
            continue
        seen.add(key)
        out.append(t)
    return out


def _source(t: Trailer) -> str:
    """Where a trailer came from: the reply, and its sender when that is
    not the person the trailer names."""
    where = f"in <{t.origin_msgid}>" if t.origin_msgid else "in a reply"
    if t.given_by is None or same_address(t.given_by, t.person):
        return where
    return f"from {shown(t.given_by)} {where}"


@rule(id="RP109", name="pending-trailers", severity=Severity.NOTE)
def pending_trailers(ctx: RuleContext) -> Iterator[Hit]:
    """Review trailers given in replies that the patch does not carry yet.

    What it does
        Lists, once per patch, the Reviewed-by, Acked-by, Tested-by and
        other person trailers (and Fixes:) given in replies to the patch or
        to the cover letter, which the patch's own trailer block lacks, with
        who gave each and in which message.  A Signed-off-by in a reply
        counts only when the author gave it.
    Why it matters
        Whoever applies the series (or posts the next version) must pick
        these up; forgetting them loses the reviewers' credit and makes them
        review again.
    Example
        A reply to the patch says "Reviewed-by: Joe Smith <joe@example.org>"
        and the next version is posted without it.
    Use instead
        Collect the trailers with "b4 trailers -u" (or by hand) before
        applying the patch or posting the next version.
    """
    patch = _patch(ctx)
    pending = _pending(patch)
    if not pending:
        return
    listed = "; ".join(f"{trailer_text(t)} ({_source(t)})" for t in pending)
    if len(pending) == 1:
        text = f"A trailer given in a reply is not in the patch yet: {listed}."
    else:
        text = f"{len(pending)} trailers given in replies are not in the patch yet: {listed}."
    yield Hit(
        text,
        evidence=tuple(EvidenceLine(text=trailer_text(t), label=_source(t)) for t in pending),
    )


def _followups(series: Series) -> list[tuple[Trailer, tuple[int, ...]]]:
    """Each trailer given in a reply once, with the patches it is credited to."""
    where: dict[tuple[str, int, str, str], tuple[Trailer, list[int]]] = {}
    for patch in series.all_patches:
        for t in patch.followup_trailers:
            key = (t.origin_msgid, t.line, t.name.lower(), t.value)
            entry = where.setdefault(key, (t, []))
            if patch.index not in entry[1]:
                entry[1].append(patch.index)
    return [(t, tuple(indexes)) for t, indexes in where.values()]


@rule(
    id="RP110",
    name="followup-trailer-sender-mismatch",
    severity=Severity.NOTE,
    confidence=Confidence.MEDIUM,
    scope=Scope.SERIES,
)
def followup_trailer_sender_mismatch(ctx: RuleContext) -> Iterator[Hit]:
    """A review tag in a reply names someone other than the reply's sender.

    What it does
        For each Reviewed-by, Acked-by, Tested-by or Nacked-by given in a
        reply, compares the tagged person with the reply's sender.  Another
        person is a note (on fresh samples of two lists, 3 of 15 such
        warnings were worth sending: tags passed on for a colleague or a
        test team are common and legitimate); the same name with
        another address, or what looks like one person under two names
        ("fan <nifan@...>" for "Fan Ni"), is a note of
        low confidence (people often review from one address and tag with
        their usual one), naming both addresses.  A sender address
        rewritten by a mailing list ("Joe Smith via linux-foo") is skipped.
    Why it matters
        A review tag is a statement by the person named; one given on
        someone else's behalf should be confirmed by them, and a maintainer
        picking the tags up needs to know which address to record.
    Example
        From: Joe Smith <joe@example.org>
        Tested-by: Ann Other <ann@example.com>
    Use instead
        Ask Ann Other to send her Tested-by herself, or say in the reply
        that she asked you to pass it on.
    """
    for t, indexes in _followups(ctx.series):
        if not is_named(t, *ATTESTING_TRAILERS) or t.person is None or t.given_by is None:
            continue
        if same_address(t.person, t.given_by) or is_relay(t.given_by):
            continue
        if t.given_by.key and t.given_by.key in t.value.casefold():
            continue  # the sender's own address, in a value a mail client decorated
        if t.person.key.rpartition("@")[2].startswith("lists."):
            yield Hit(
                f"{trailer_text(t)} names a mailing list or a test system's list, sent by "
                f"{shown(t.given_by)}{' in <' + t.origin_msgid + '>' if t.origin_msgid else ''}.",
                patch_index=indexes[0] if len(indexes) == 1 else None,
                series_wide=len(indexes) != 1,
                severity=Severity.NOTE,
                confidence=Confidence.LOW,
            )
            continue
        index = indexes[0] if len(indexes) == 1 else None
        where = f" in <{t.origin_msgid}>" if t.origin_msgid else ""
        if likely_same_person(t.person, t.given_by):
            how = (
                f"from another address of the same name, {t.given_by.email}"
                if same_name(t.person, t.given_by)
                else f"by {shown(t.given_by)}, which looks like the same person under another "
                "name and address"
            )
            yield Hit(
                f"{trailer_text(t)} was given{where} {how}; make sure {t.person.email} is the "
                "address to record.",
                patch_index=index,
                series_wide=index is None,
                severity=Severity.NOTE,
                confidence=Confidence.LOW,
            )
            continue
        if _team_tag(t.person, t.given_by):
            yield Hit(
                f"{trailer_text(t)} was given{where} by {shown(t.given_by)}, who works for the "
                f"same domain as {t.person.email}, a team or test system rather than a person.",
                patch_index=index,
                series_wide=index is None,
                severity=Severity.NOTE,  # CI systems' tags are sent by the people running them
                confidence=Confidence.LOW,
            )
            continue
        if _series_author(ctx.series, t.given_by):
            yield Hit(
                f"{trailer_text(t)} is passed on{where} by {shown(t.given_by)}, who sends the "
                f"series, not given by {t.person}; check that {t.person} gave it (on an "
                "earlier version or elsewhere).",
                patch_index=index,
                series_wide=index is None,
                severity=Severity.NOTE,  # authors carry tags they collected
                confidence=Confidence.LOW,
            )
            continue
        yield Hit(
            f"{trailer_text(t)} was given{where} by {shown(t.given_by)}, not by {t.person} "
            "(different name and address).",
            patch_index=index,
            series_wide=index is None,
        )


_TEAM_WORDS = frozenset({"testing", "test", "tests", "robot", "bot", "ci", "lab", "team", "qa"})


def _team_tag(tagged: Person, sender: Person) -> bool:
    """A tag in the name of a team or test system ("Linux Kernel Functional
    Testing <lkft@linaro.org>") sent by someone of its domain."""
    domain = tagged.key.rpartition("@")[2]
    if not domain or domain != sender.key.rpartition("@")[2]:
        return False
    return bool(_TEAM_WORDS & set(re.split(r"[^a-z]+", tagged.name.casefold())))


def _series_author(series: Series, who: Person) -> bool:
    """``who`` sent or wrote the series' patches or cover letter."""
    mails = [p.mail for p in series.patches] + ([series.cover.mail] if series.cover else [])
    people = [m.sender for m in mails] + [p.author for p in series.patches]
    return any(same_person(p, who) for p in people)


@rule(
    id="RP111",
    name="self-review-trailer",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
)
def self_review_trailer(ctx: RuleContext) -> Iterator[Hit]:
    """The author gives their own patch a Reviewed-by or Acked-by (or any review tag in a reply).

    What it does
        Reports a Reviewed-by or Acked-by in the patch's trailer block that
        names the patch author (same address or same name), and, as a note,
        a review tag the author gives their own patch in a reply (which is
        then not listed as a trailer to pick up).
    Why it matters
        A review tag records an independent review; the author's own
        Signed-off-by already covers their agreement.  Maintainers may count
        reviews when deciding to apply.
    Example
        From: Jane Doe <jane@example.org>
        ...
        Reviewed-by: Jane Doe <jane@example.org>
        Signed-off-by: Jane Doe <jane@example.org>
    Use instead
        Signed-off-by: Jane Doe <jane@example.org>
    """
    patch = _patch(ctx)
    for t in patch.trailers:
        if is_named(t, "reviewed-by", "acked-by") and same_person(t.person, patch.author):
            yield Hit(
                f"The author {patch.author} gives their own patch {trailer_text(t)}.",
                mail_line=t.line or None,
            )
    for t in patch.followup_trailers:
        if is_named(t, *_SELF_TAGS) and same_person(t.person, patch.author):
            yield Hit(
                f"The author {patch.author} gives their own patch {trailer_text(t)}"
                f" in a reply ({_source(t)}).",
                severity=Severity.NOTE,
            )


@rule(id="RP112", name="nacked", severity=Severity.WARNING, confidence=Confidence.HIGH)
def nacked(ctx: RuleContext) -> Iterator[Hit]:
    """Somebody NAKed the patch in a reply.

    What it does
        Reports a Nacked-by given in a reply to the patch (or to the cover
        letter), and a reply whose own, unquoted text says "NAK" on a line
        of its own, naming who objected and in which message (once per
        person and patch, however many replies repeat it).
    Why it matters
        A NAK is an objection, usually from a maintainer of the code
        touched: the patch should not be applied before it is resolved.
        Tools that collect trailers (and b4) list a Nacked-by like any other
        tag; it must not be picked up as if it were an ack.
    Example
        > +       spin_lock(&priv->lock);

        NAK. This deadlocks with the interrupt handler.
    Use instead
        Answer the objection, and post a new version that addresses it (or
        explain in the cover letter why it does not apply).
    """
    patch = _patch(ctx)
    said: set[str] = set()  # one finding per person and patch
    for t in patch.followup_trailers:
        who = t.person.key if t.person is not None else t.value
        if is_named(t, "nacked-by") and who not in said:
            said.add(who)
            yield Hit(f"{trailer_text(t)} was given in a reply ({_source(t)}).")
    tagged = {t.origin_msgid for t in patch.followup_trailers if is_named(t, "nacked-by")}
    for reply in patch.replies:
        if reply.sender.key in said or reply.msgid in tagged:
            continue
        line = _nak_line(reply.body)
        if line is not None:
            said.add(reply.sender.key)
            yield Hit(
                f"{shown(reply.sender)} said NAK in a reply (<{reply.msgid}>, line {line}).",
                evidence=(
                    EvidenceLine(
                        text=reply.body.split("\n")[line - 1].strip(), label=f"<{reply.msgid}>"
                    ),
                ),
            )


def _nak_line(body: str) -> int | None:
    """The 1-based line of an unquoted NAK in a reply, before its signature."""
    for number, line in enumerate(body.split("\n"), start=1):
        if line.rstrip() == "--":
            break
        if not line.lstrip().startswith(">") and _NAK_LINE.match(line):
            return number
    return None
