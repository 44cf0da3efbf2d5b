"""Rules on the series against its previous version (``ctx.since``, see
``reviewpatch.versions``): trailers carried over a change, reviews dropped
without a word, trailers the unchanged patches inherit, and review
requests the new version did not follow; and a note when no previous
version could be found to compare with."""

from __future__ import annotations

__all__ = [
    "previous_version_not_compared",
    "request_not_addressed",
    "trailer_carried_after_change",
    "trailer_dropped",
    "trailer_from_previous_version",
]

from collections.abc import Iterator

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.model import Trailer
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.trailer_util import trailer_text
from reviewpatch.versions.model import (
    AuditKind,
    EvidenceKind,
    FollowThrough,
    Interdiff,
    Stance,
    Verdict,
)


def _mine(ctx: RuleContext, index: int) -> bool:
    return ctx.patch is not None and ctx.patch.index == index


@rule(id="RP114", name="trailer-carried-after-change", severity=Severity.NOTE)
def trailer_carried_after_change(ctx: RuleContext) -> Iterator[Hit]:
    """A review trailer of the previous version kept although the code changed.

    What it does
        Compares each patch with its previous version (found in the thread,
        or given with ``--compare-with``).  When the patch keeps a
        Reviewed-by, Acked-by or Tested-by that the previous version had
        (or got in a reply), while its code changed beyond a rebase (the
        interdiff changes at least three added or removed code lines, blank
        and ``#include`` lines aside, not only context and line numbers),
        and the changelog does not say the reviewer saw the change, it
        reports the trailer.
        A note: authors often keep a tag over changes the reviewer agreed
        to, which only the thread's humans know.
    Why it matters
        A review tag vouches for the code that was reviewed; carried over a
        rework, it claims a review nobody gave.
    Example
        v3: Reviewed-by: Joe Smith <joe@example.org>
        v4: the same Reviewed-by, and the patch now also changes foo_probe()
    Use instead
        Drop the tag when the patch changed substantially, or say in the
        changelog that the reviewer agreed to keep it.
    """
    since = ctx.since
    if since is None:
        return
    diffs = {d.new.index: d for d in since.interdiffs}
    for audit in since.audit:
        if audit.kind is not AuditKind.CARRIED_AFTER_CHANGE or not _mine(ctx, audit.new.index):
            continue
        diff = diffs.get(audit.new.index)
        if diff is not None and _real_changes(diff) < _REWORK_LINES:
            continue  # a rebase, an include renamed, a blank line: not a rework
        message = (
            f"{trailer_text(audit.trailer)} was given on v{audit.old.version}, but the patch "
            f"changed since: {audit.detail}"
        )
        if audit.explanation:
            yield Hit(
                message + f"; the changelog says: {audit.explanation!r}",
                confidence=Confidence.LOW,
            )
            continue
        yield Hit(
            message + "; ask the reviewer to confirm it, or drop it", confidence=Confidence.MEDIUM
        )


# changed code lines (blank lines and #include lines aside) that make a rework
_REWORK_LINES = 3


def _real_changes(diff: Interdiff) -> int:
    """Code lines the patch adds or removes in one version and not in the
    other, blank lines and ``#include`` lines aside."""
    count = 0
    for f in diff.files:
        for line in f.lines:
            if len(line) < 2 or line[0] not in "+-" or line[1] not in "+-":
                continue
            if line.startswith(("--- ", "+++ ")):
                continue  # file headers of the two diffs
            code = line[2:].strip()
            if code and not code.startswith("#include"):
                count += 1
    return count


def _still_named(ctx: RuleContext, trailer: Trailer) -> bool:
    """The trailer's person is still named in the patch's mail text (a
    trailer block broken by a prose line hides it from the parser)."""
    if ctx.patch is None or trailer.person is None or not trailer.person.email:
        return False
    return trailer.person.email.casefold() in ctx.patch.mail.body.casefold()


@rule(id="RP115", name="trailer-dropped", severity=Severity.NOTE)
def trailer_dropped(ctx: RuleContext) -> Iterator[Hit]:
    """A review trailer of the previous version is gone, and the changelog does not say why.

    What it does
        Lists Reviewed-by, Acked-by and Tested-by trailers that the previous
        version of a patch carried or was given in a reply, which this
        version lacks, when the changelog names neither the person nor a
        dropped tag.
    Why it matters
        A lost review is work the reviewer must redo, and a maintainer may
        be waiting for a tag that was given.
    Example
        v2 1/3 got "Acked-by: Ann Other <ann@example.org>"; v3 1/3 has no
        Acked-by and the cover letter does not mention it.
    Use instead
        Carry the tag (``b4 trailers -u``), or say in the changelog why it
        was dropped.
    """
    since = ctx.since
    if since is None:
        return
    for audit in since.audit:
        dropped = audit.kind is AuditKind.DROPPED and audit.explanation is None
        if dropped and _mine(ctx, audit.new.index) and not _still_named(ctx, audit.trailer):
            yield Hit(
                f"{trailer_text(audit.trailer)} of v{audit.old.version} is not in this "
                f"version, and the changelog does not say why: {audit.detail}"
            )


@rule(id="RP116", name="trailer-from-previous-version", severity=Severity.NOTE)
def trailer_from_previous_version(ctx: RuleContext) -> Iterator[Hit]:
    """A trailer given on the previous version of an unchanged patch is not carried.

    What it does
        When a patch has the same patch-id as in the previous version, the
        review trailers given there in replies still hold (b4 collects them
        too); this lists those the patch does not carry yet.
    Why it matters
        Whoever applies the series must pick them up, or the reviewers lose
        their credit and may be asked to review again.
    Example
        v3 2/5 got "Reviewed-by: Joe Smith <joe@example.org>"; v4 2/5 is
        the same diff without it.
    Use instead
        Collect the trailers (``b4 trailers -u``) before applying or posting.
    """
    since = ctx.since
    if since is None:
        return
    for carried in since.carried:
        if _mine(ctx, carried.new.index):
            t = carried.trailer
            yield Hit(
                f"{trailer_text(t)} was given on v{carried.old.version} "
                f"(<{t.origin_msgid}>) and the patch is unchanged since: it still holds",
                evidence=(EvidenceLine(text=trailer_text(t), label=f"v{carried.old.version}"),),
            )


@rule(id="RP205", name="request-not-addressed", severity=Severity.NOTE, scope=Scope.PATCH)
def request_not_addressed(ctx: RuleContext) -> Iterator[Hit]:
    """A change a reviewer asked for on the previous version is not in this one.

    What it does
        Reads the replies to the previous version: a reviewer's words under
        lines quoted from a patch are a request, the author's answer under
        them a promise ("will fix"), a decline or a plain answer.  Then it
        checks this version: did the quoted code change, does the message
        hold what was asked, did a promised split arrive.  A request the
        author promised to follow, whose quoted lines are still here
        unchanged, is a note of medium confidence; one that was neither
        promised nor done, or done in part, a note of low confidence (the
        requests and promises are read from English, and a request can be
        met in another way than the reviewer wrote: a reviewer checks).  Declined requests, questions and
        remarks are not reported (the report lists them with their
        verdicts).
    Why it matters
        The first question on a new version is whether the last review was
        followed; a promise that did not make it into the patch is easy to
        miss for the reviewer and the author alike.
    Example
        v2 review: "> +	if (!ret)  ... this leaks foo on error"
        author:    "Right, will fix in v3."
        v3:        the same lines, unchanged
    Use instead
        Make the change, or answer the reviewer why not.
    """
    since = ctx.since
    if since is None:
        return
    for item in since.follow_through:
        if item.successor is None or not _mine(ctx, item.successor.index):
            continue
        if item.verdict not in (Verdict.NOT_ADDRESSED, Verdict.PARTLY):
            continue
        yield _request_hit(item, since.map.old.version)


def _request_hit(item: FollowThrough, old: int) -> Hit:
    request = item.request
    promised = [r for r in item.responses if r.stance is Stance.PROMISE]
    asked = " ".join(request.text.split())
    if len(asked) > 160:
        asked = asked[:157] + "..."
    done = "is not done" if item.verdict is Verdict.NOT_ADDRESSED else "is done only in part"
    said = f"; the author said: {promised[0].sentence!r}" if promised else ""
    unchanged = [e for e in item.evidence if e.kind is EvidenceKind.UNCHANGED_LINE]
    loud = item.verdict is Verdict.NOT_ADDRESSED and bool(promised) and bool(unchanged)
    first = unchanged[0] if unchanged else None
    return Hit(
        f"On v{old}, {request.reviewer.name or request.reviewer.email} asked (<{request.msgid}>): "
        f"{asked!r}{said}; in this version it {done}: {item.reason}",
        mail_line=first.mail_line if first is not None else None,
        evidence=tuple(
            EvidenceLine(text=e.text, label=e.kind.value, mail_line=e.mail_line)
            for e in item.evidence[:6]
        ),
        confidence=Confidence.MEDIUM if loud else Confidence.LOW,
    )


@rule(
    id="RP206",
    name="previous-version-not-compared",
    severity=Severity.NOTE,
    confidence=Confidence.HIGH,
    scope=Scope.SERIES,
)
def previous_version_not_compared(ctx: RuleContext) -> Iterator[Hit]:
    """A second or later version reviewed without its previous version.

    What it does
        For a series labelled v2 or later with nothing to compare with, says
        why: the input holds no earlier version and no archive was searched
        (a file, or ``--offline``), the archive has no search (public-inbox
        without Xapian answers HTTP 501), a search failed, or the archive
        was searched by change-id, by title and author and by patch-id and
        holds no earlier version.
    Why it matters
        What changed since the last version, which review trailers carry
        over and whether the last review was followed are only checked
        against the previous version; a report without that comparison
        should say so rather than look complete.
    Example
        [PATCH v3 0/4] foo: ... reviewed from a file: v3 with no earlier
        version in the input
    Use instead
        Give the previous version with ``--compare-with`` (a Message-ID,
        URL or file), or review by Message-ID from an archive with search.
    """
    series = ctx.series
    if series.version < 2 or ctx.since is not None:
        return
    head = f"v{series.version} is reviewed without v{series.version - 1}"
    history = ctx.history
    if history is None:
        why = "the input holds no earlier version and no archive was searched"
    elif history.problem is not None:
        where = f" at {history.archive}" if history.archive else ""
        why = f"the input holds no earlier version and {history.problem}{where}"
        if history.found is not None:
            why = (
                f"v{history.found.version} was found ({history.found.reason}) but {history.problem}"
            )
    else:
        how = ", ".join(history.searched) or "nothing"
        where = f"the archive at {history.archive}" if history.archive else "the archive"
        why = f"{where} was searched by {how} and holds no earlier version of it"
    yield Hit(
        message=f"{head}: {why}; --compare-with names the version to compare with",
        series_wide=True,
    )
