"""Series assembly: from the mails of a thread to one version of a series.

The steps: thread the mails, find the patch mails (subject tags, or an
untagged mail carrying a diff), pick a version (the newest unless asked),
the cover letter, the patches ordered by counter (a later copy of the same
counter, e.g. a RESEND, supersedes the earlier one), the missing counters,
and the replies below each patch.  Review trailers given in replies credit
the patch replied to; those given in replies to the cover letter credit
every patch.  Replies to other versions credit nothing here.
"""

from __future__ import annotations

__all__ = ["prose_covers", "assemble_series", "is_patch_mail", "source_name"]

import re
from dataclasses import dataclass, replace

from reviewpatch.errors import NoPatchError, ParseError
from reviewpatch.model import InputProblem, Mail, OtherSeries, Patch, Series, Subject, Trailer
from reviewpatch.patch import limit_files, parse_patch
from reviewpatch.settings import Limits
from reviewpatch.subject import parse_subject
from reviewpatch.thread import Thread, build_thread
from reviewpatch.trailers import followup_trailers

# a git diff, or a unified diff without git's header (quilt, ``diff -u``)
_DIFF = re.compile(r"^(?:diff --git a/|--- \S.*\n\+\+\+ \S.*\n@@ -)", re.MULTILINE)
_QUOTED_DIFF = re.compile(r"^>[> ]{0,8}(?:diff --git a/|\+\+\+ b/)", re.MULTILINE)
_NOT_PATCH_WORDS = frozenset({"PULL", "ANNOUNCE", "ANNOUNCEMENT"})
_MAX_TOTAL = 1000


@dataclass(frozen=True)
class _Candidate:
    """A patch mail with its parsed subject and its place in the thread."""

    mail: Mail
    subject: Subject
    position: int

    @property
    def sort_key(self) -> tuple[bool, float, int]:
        stamp = self.mail.timestamp
        return (stamp is None, stamp or 0.0, self.position)


@dataclass(frozen=True)
class _Choice:
    """The mails chosen for the series: cover, patches, superseded copies."""

    cover: _Candidate | None
    patches: tuple[_Candidate, ...]
    duplicates: tuple[_Candidate, ...]


def source_name(mails: tuple[Mail, ...]) -> str:
    """A short name of where the mails came from, for error messages."""
    if not mails:
        return "input"
    origin = mails[0].origin or mails[0].msgid
    return re.sub(r":\d+$", "", origin)


def is_patch_mail(mail: Mail, subject: Subject) -> bool:
    """A mail that posts a patch (or a cover letter): tagged ``[PATCH]``
    or with an ``N/M`` counter, or untagged but carrying a diff; never a
    reply, never a pull request."""
    if subject.is_reply:
        return False
    if any(word.upper() in _NOT_PATCH_WORDS for word in subject.prefixes):
        return False
    if any(word.upper() == "PING" for word in subject.prefixes) and not _DIFF.search(mail.body):
        return False  # a reminder that quotes the patch, not the patch
    if mail.in_reply_to and not _DIFF.search(mail.body) and _QUOTED_DIFF.search(mail.body):
        return False  # an answer that quotes a patch under the patch's own subject
    return subject.is_patch or bool(_DIFF.search(mail.body))


def prose_covers(thread: Thread) -> frozenset[str]:
    """Patch mails without ``N/M`` and without a diff that numbered patch
    mails of the same sender answer (``[PATCH V2]: bugfix`` above ``[PATCH
    1/6] ...``): cover letters sent with an untagged subject."""
    out = set()
    for mail in thread.mails:
        subject = parse_subject(mail.subject)
        if not is_patch_mail(mail, subject) or subject.counter_explicit or _DIFF.search(mail.body):
            continue
        for child in thread.children(mail.msgid):
            sub = parse_subject(child.subject)
            numbered = sub.counter_explicit and sub.counter >= 1 and is_patch_mail(child, sub)
            if numbered and child.sender and mail.sender and child.sender.key == mail.sender.key:
                out.add(mail.msgid)
                break
    return frozenset(out)


def _candidates(thread: Thread) -> tuple[_Candidate, ...]:
    """The patch mails of the thread.  A patch whose version label differs
    from that of the cover letter it answers (directly, or through the
    patches before it), with the same ``N/M`` total, takes the cover
    letter's version: the thread says they belong together.  So do the
    numbered patches under a cover letter sent without ``0/N`` (which
    becomes ``0/N``)."""
    out: dict[str, _Candidate] = {}
    relabelled: set[str] = set()
    prose = prose_covers(thread)
    for position, mail in enumerate(thread.mails):
        subject = parse_subject(mail.subject)
        if not is_patch_mail(mail, subject):
            continue
        if mail.msgid in prose:
            totals = [parse_subject(c.subject).total for c in thread.children(mail.msgid)]
            subject = replace(subject, counter=0, total=max(totals), counter_explicit=True)
        parent = thread.parent_id(mail.msgid)
        up = out.get(parent) if parent is not None else None
        if (
            up is not None
            and subject.counter >= 1
            and subject.counter_explicit
            and up.subject.counter_explicit
            and (
                up.subject.total == subject.total
                or up.mail.msgid in prose
                or up.subject.version_explicit
                and not subject.version_explicit
            )
            and (up.subject.counter == 0 or up.mail.msgid in relabelled)
            and up.subject.version != subject.version
        ):
            relabelled.add(mail.msgid)
            subject = replace(subject, version=up.subject.version)
        out.setdefault(mail.msgid, _Candidate(mail, subject, position))
    return tuple(out.values())


def _pick_version(cands: tuple[_Candidate, ...], wanted: int | None, source: str) -> int:
    """The requested version, or the newest one that has a patch."""
    versions = sorted({c.subject.version for c in cands})
    if wanted is not None:
        if wanted not in versions:
            seen = ", ".join(f"v{v}" for v in versions)
            raise NoPatchError(f"{source}: no v{wanted} of the series (found {seen})")
        return wanted
    with_patches = {c.subject.version for c in cands if c.subject.counter >= 1}
    return max(with_patches or versions)


def _number_untagged(cands: list[_Candidate]) -> list[_Candidate]:
    """Mails of one version sent without ``N/M`` but with different titles
    (several ``[PATCH] ...`` in one mbox) are numbered in thread order."""
    plain = [c for c in cands if c.subject.counter >= 1]
    if any(c.subject.counter_explicit for c in plain):
        return cands
    bare = {c.mail.msgid for c in plain if not _DIFF.search(c.mail.body)}
    if bare and len(bare) < len(plain):
        # a "[PATCH v5] Title" mail without a diff beside ones with a diff:
        # the cover letter of an untagged series, not a patch
        cands = [
            replace(c, subject=replace(c.subject, counter=0)) if c.mail.msgid in bare else c
            for c in cands
        ]
        plain = [c for c in plain if c.mail.msgid not in bare]
    titles: list[str] = []
    for cand in plain:
        if cand.subject.title not in titles:
            titles.append(cand.subject.title)
    if len(titles) < 2:
        return cands
    out = []
    for cand in cands:
        if cand.subject.counter >= 1:
            number = titles.index(cand.subject.title) + 1
            cand = replace(cand, subject=replace(cand.subject, counter=number, total=len(titles)))
        out.append(cand)
    return out


def _choose(cands: tuple[_Candidate, ...], version: int) -> _Choice:
    """Cover and patches of ``version``; the latest mail wins per counter."""
    mine = _number_untagged([c for c in cands if c.subject.version == version])
    by_counter: dict[int, list[_Candidate]] = {}
    for cand in mine:
        by_counter.setdefault(cand.subject.counter, []).append(cand)
    kept: dict[int, _Candidate] = {}
    dups: list[_Candidate] = []
    for counter, group in by_counter.items():
        group.sort(key=lambda c: c.sort_key)
        kept[counter] = group[-1]
        dups.extend(group[:-1])
    patches = tuple(kept[n] for n in sorted(kept) if n >= 1)
    dups.sort(key=lambda c: c.position)
    return _Choice(kept.get(0), patches, tuple(dups))


def _fallback_cover(
    thread: Thread, patches: tuple[_Candidate, ...], all_ids: frozenset[str], version: int
) -> _Candidate | None:
    """A mail without a diff that the first patch answers, when no
    ``0/N`` mail exists: a cover letter sent with an untagged subject."""
    if not patches:
        return None
    parent = thread.parent(patches[0].mail.msgid)
    if parent is None or parent.msgid in all_ids or _DIFF.search(parent.body):
        return None
    subject = parse_subject(parent.subject)
    if subject.is_reply:
        return None
    total = max(p.subject.total for p in patches)
    subject = replace(subject, counter=0, total=total, version=version)
    return _Candidate(parent, subject, thread.position(parent.msgid))


def _parse(cand: _Candidate, problems: list[InputProblem], limits: Limits) -> Patch | None:
    """parse_patch, turning a ParseError into an InputProblem; files past
    ``limits`` are left out, each with an InputProblem."""
    where = cand.mail.origin or cand.mail.msgid
    if cand.subject.counter_explicit:
        where += f" (patch {cand.subject.counter}/{cand.subject.total})"
    try:
        patch = parse_patch(cand.mail, cand.subject)
    except ParseError as exc:
        problems.append(InputProblem(where, exc.message, cand.mail.msgid))
        return None
    files, said = limit_files(patch.files, limits)
    for sentence in said:
        problems.append(InputProblem(where, sentence, cand.mail.msgid, skipped=True))
    return replace(patch, files=files) if said else patch


def _replies(thread: Thread, heads: tuple[Mail, ...], stop: frozenset[str]) -> tuple[Mail, ...]:
    """Every mail below any of ``heads``, not descending into other patches."""
    out: list[Mail] = []
    for head in heads:
        out.extend(thread.descendants(head.msgid, stop=stop))
    out.sort(key=lambda m: thread.position(m.msgid))
    return tuple(out)


def _trailers_of(replies: tuple[Mail, ...]) -> tuple[Trailer, ...]:
    out: list[Trailer] = []
    for reply in replies:
        out.extend(followup_trailers(reply))
    return tuple(out)


def _news(patch: Patch, given: tuple[Trailer, ...]) -> tuple[Trailer, ...]:
    """The follow-up trailers the patch does not carry already (a reply that
    repeats a Reviewed-by of the trailer block adds nothing)."""

    def key(t: Trailer) -> tuple[str, str]:
        who = t.person.key if t.person is not None else " ".join(t.value.lower().split())
        return t.name.lower(), who

    carried = {key(t) for t in patch.trailers}
    return tuple(t for t in given if key(t) not in carried)


def _unique(trailers: tuple[Trailer, ...]) -> tuple[Trailer, ...]:
    seen: set[tuple[str, str, str, int]] = set()
    out: list[Trailer] = []
    for trailer in trailers:
        key = (trailer.name, trailer.value, trailer.origin_msgid, trailer.line)
        if key not in seen:
            seen.add(key)
            out.append(trailer)
    return tuple(out)


def _duplicate_problems(thread: Thread) -> list[InputProblem]:
    """Mails repeating a Message-ID with different content: the one kept
    (the first, or the patch) and the one left out are named."""
    out = []
    for dup in thread.duplicates:
        kept = thread.get(dup.msgid)
        if kept is not None and (kept.body, kept.subject) != (dup.body, dup.subject):
            message = (
                f"{dup.origin or 'input'}: Message-ID <{dup.msgid}> is also that of "
                f"{kept.origin or 'another mail'} ({kept.subject!r}), which is used; "
                f"this mail ({dup.subject!r}) was left out"
            )
            out.append(InputProblem(dup.origin or dup.msgid, message, dup.msgid, skipped=True))
    return out


def _missing(
    cover: Patch | None, patches: tuple[Patch, ...], unreadable: frozenset[int] = frozenset()
) -> tuple[int, ...]:
    """Counters 1..total with no patch mail.  A patch mail that is there but
    could not be parsed (``unreadable``) is not missing: it is reported as
    an input problem."""
    totals = [p.subject.total for p in patches if p.subject.counter_explicit]
    if cover is not None and cover.subject.counter_explicit:
        total = cover.subject.total
    else:
        total = max(totals, default=len(patches))
    present = {p.subject.counter for p in patches} | unreadable
    return tuple(n for n in range(1, min(total, _MAX_TOTAL) + 1) if n not in present)


def _attach(
    thread: Thread,
    choice: _Choice,
    stop: frozenset[str],
    problems: list[InputProblem],
    limits: Limits,
) -> tuple[Patch | None, tuple[Patch, ...], set[str]]:
    """Parse the chosen mails and attach replies and follow-up trailers.
    Returns the cover, the patches and the Message-IDs used."""
    dups: dict[int, list[Mail]] = {}
    for dup in choice.duplicates:
        dups.setdefault(dup.subject.counter, []).append(dup.mail)
    used: set[str] = {d.mail.msgid for d in choice.duplicates}
    cover: Patch | None = None
    cover_trailers: tuple[Trailer, ...] = ()
    if choice.cover is not None:
        cover = _parse(choice.cover, problems, limits)
        heads = (choice.cover.mail, *dups.get(0, []))
        replies = _replies(thread, heads, stop)
        used.update(m.msgid for m in (*heads, *replies))
        cover_trailers = _unique(_trailers_of(replies))
        if cover is not None:
            cover = replace(cover, replies=replies, followup_trailers=cover_trailers)
    patches: list[Patch] = []
    for cand in choice.patches:
        heads = (cand.mail, *dups.get(cand.subject.counter, []))
        replies = _replies(thread, heads, stop)
        used.update(m.msgid for m in (*heads, *replies))
        patch = _parse(cand, problems, limits)
        if patch is not None:
            credited = _news(patch, _unique(_trailers_of(replies) + cover_trailers))
            patches.append(replace(patch, replies=replies, followup_trailers=credited))
    return cover, tuple(patches), used


def assemble_series(
    mails: tuple[Mail, ...],
    *,
    version: int | None = None,
    problems: tuple[InputProblem, ...] = (),
    archive_url: str | None = None,
    others: tuple[OtherSeries, ...] = (),
    limits: Limits | None = None,
) -> Series:
    """Assemble one version of the series found in ``mails``.

    Raises NoPatchError when there is no patch mail at all (or none of the
    requested version, or none that could be parsed).  A patch mail that
    cannot be parsed becomes an InputProblem of the series, and so does
    each file left out past ``limits``.  ``others`` are the thread's other
    series (see ``reviewpatch.isolate``).
    """
    source = source_name(mails)
    thread = build_thread(mails)
    found = list(problems) + _duplicate_problems(thread)
    cands = _candidates(thread)
    if not cands:
        raise NoPatchError(f"{source}: no patch found in {len(thread)} mail(s)")
    chosen = _pick_version(cands, version, source)
    choice = _choose(cands, chosen)
    all_ids = frozenset(c.mail.msgid for c in cands)
    if choice.cover is None:
        choice = replace(choice, cover=_fallback_cover(thread, choice.patches, all_ids, chosen))
    stop = all_ids | ({choice.cover.mail.msgid} if choice.cover else frozenset())
    cover, patches, used = _attach(thread, choice, stop, found, limits or Limits())
    if not patches:
        detail = f": {found[-1].message}" if found else ""
        raise NoPatchError(f"{source}: no usable patch of v{chosen}{detail}")
    first = cover or patches[0]
    unreadable = frozenset(c.subject.counter for c in choice.patches) - {
        p.subject.counter for p in patches
    }
    missing = _missing(cover, patches, unreadable)
    base = next((p.base_commit for p in (cover, *patches) if p is not None and p.base_commit), None)
    return Series(
        version=chosen,
        total=max(len(patches) + len(missing) + len(unreadable), 1),
        subject=first.subject.title,
        cover=cover,
        patches=patches,
        missing=missing,
        versions=tuple(sorted({c.subject.version for c in cands})),
        duplicates=tuple(d.mail for d in choice.duplicates),
        other_mails=tuple(m for m in thread.mails if m.msgid not in used),
        problems=tuple(found),
        base_commit=base,
        archive_url=archive_url,
        author=first.author,
        others=others,
    )
