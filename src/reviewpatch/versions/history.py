"""Earlier versions: inside one thread, and among archive search results.

``thread_versions`` builds the pair (vN-1, vN) from the mails of one
thread that holds both versions (a v2 sent as a reply to v1).  When the
earlier version lives in another thread, ``search_query`` gives the query
to send to the archive (``s:"title" f:address``) and
``previous_candidates`` picks, from what the search returned, the mails
that may be that earlier version: a patch mail (not a reply) of a lower
version, with the same normalised title as the cover letter or one of the
patches (or the same ``change-id`` when known), from the same author.
Fetching is left to the caller.
"""

from __future__ import annotations

__all__ = ["SearchHit", "thread_versions", "search_query", "previous_candidates"]

from collections.abc import Iterable, Mapping

from reviewpatch.addresses import parse_person
from reviewpatch.errors import NoPatchError
from reviewpatch.model import Mail, Person, Series
from reviewpatch.series import assemble_series
from reviewpatch.subject import parse_subject
from reviewpatch.versions.model import PreviousCandidate, VersionPair
from reviewpatch.versions.text import normalise_title

SearchHit = tuple[str, str, str, str]
"""One search result: (Message-ID, subject, author, date) as the archive
lists them."""


def thread_versions(mails: tuple[Mail, ...], *, version: int | None = None) -> VersionPair | None:
    """vN (the newest version of the thread, or ``version``) and the
    version before it present in the same mails; None when the thread holds
    no earlier version.  Raises NoPatchError as ``assemble_series`` does
    when the thread holds no patch (or no ``version``)."""
    new = assemble_series(mails, version=version)
    earlier = [v for v in new.versions if v < new.version]
    if not earlier:
        return None
    try:
        old = assemble_series(mails, version=max(earlier))
    except NoPatchError:
        return None
    return VersionPair(old, new)


def _titles(series: Series) -> set[str]:
    return {normalise_title(p.subject.title) for p in series.all_patches}


def _change_ids(series: Series) -> set[str]:
    return {p.change_id for p in series.all_patches if p.change_id}


def search_query(series: Series) -> str:
    """A public-inbox search for earlier versions: the series title as a
    subject phrase and the author's address."""
    title = series.subject.replace('"', " ")
    query = f's:"{" ".join(title.split())}"'
    if series.author is not None and series.author.email:
        query += f" f:{series.author.email}"
    return query


def _same_author(text: str, author: Person | None) -> bool:
    if author is None:
        return True
    person = parse_person(text)
    if person is not None and person.email and author.email:
        return person.key == author.key
    name = person.name if person is not None else text
    return " ".join(name.lower().split()) == " ".join(author.name.lower().split())


def _candidate(
    hit: SearchHit, series: Series, change_ids: Mapping[str, str]
) -> PreviousCandidate | None:
    msgid, subject_text, author, date = hit
    subject = parse_subject(subject_text)
    if subject.is_reply or not (subject.is_patch or subject.counter_explicit):
        return None
    if subject.version >= series.version or not _same_author(author, series.author):
        return None
    msgid = msgid.strip().strip("<>")
    if normalise_title(subject.title) in _titles(series):
        reason = "same title"
    elif change_ids.get(msgid) in _change_ids(series):
        reason = "same change-id"
    else:
        return None
    counter = subject.counter if subject.counter_explicit else 1
    return PreviousCandidate(msgid, subject_text, author, date, subject.version, counter, reason)


def previous_candidates(
    series: Series,
    hits: Iterable[SearchHit],
    *,
    change_ids: Mapping[str, str] | None = None,
) -> tuple[PreviousCandidate, ...]:
    """The search hits that may be earlier versions of ``series``, newest
    version first, the cover letter before the patches of a version.
    ``change_ids`` maps a hit's Message-ID to its ``change-id`` when the
    caller knows it."""
    found: dict[str, PreviousCandidate] = {}
    for hit in hits:
        cand = _candidate(hit, series, change_ids or {})
        if cand is not None and cand.msgid not in found:
            found[cand.msgid] = cand
    return tuple(sorted(found.values(), key=lambda c: (-c.version, c.counter, c.msgid)))
