"""Earlier versions: inside one thread, and among archive search results.

``thread_versions`` builds the pair (vN-1, vN) from the mails of one
thread that holds both versions (a v2 sent as a reply to v1).  When the
earlier version lives in another thread, ``search_query`` gives the query
to send to the archive (``s:"title" f:address``) and
``previous_candidates`` picks, from what the search returned, the mails
that may be that earlier version: a patch mail (not a reply) of a lower
version, with the same normalised title as the cover letter or one of the
patches (or the same ``change-id`` when known), from the same author.

``history_queries`` lists every search worth making, strongest first: the
``change-id`` b4 writes into cover letters (``nq:"change-id: ..."``), the
title and author, and the stable patch-ids of the first patches
(``patchid:``, which finds a version whose titles all changed).
``find_previous`` runs them through a search function the caller gives
(one HTTP request each), stops as soon as vN-1 is found and says what it
searched and why it stopped (``PreviousSearch``).  Fetching the thread of
the candidate is left to the caller.
"""

from __future__ import annotations

__all__ = [
    "SearchHit",
    "HistoryQuery",
    "QueryKind",
    "thread_versions",
    "search_query",
    "history_queries",
    "previous_candidates",
    "find_previous",
]

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from reviewpatch.addresses import parse_person
from reviewpatch.atom import SearchResult, search_hits
from reviewpatch.errors import NoPatchError
from reviewpatch.model import Mail, Person, Series
from reviewpatch.series import assemble_series
from reviewpatch.subject import parse_subject
from reviewpatch.versions.model import PreviousCandidate, PreviousSearch, VersionPair
from reviewpatch.versions.patchid import patch_id
from reviewpatch.versions.text import normalise_title

SearchHit = tuple[str, str, str, str]
"""One search result: (Message-ID, subject, author, date) as the archive
lists them."""

_PATCH_ID_QUERIES = 3
"""Patch-id searches at most per review (one request each)."""


class QueryKind(str, Enum):
    """What a search for earlier versions matches on."""

    CHANGE_ID = "change-id"
    TITLE = "title and author"
    PATCH_ID = "patch-id"


@dataclass(frozen=True)
class HistoryQuery:
    """One archive search for earlier versions: what it matches on and the
    public-inbox query text."""

    kind: QueryKind
    query: str


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
    hit: SearchHit, series: Series, change_ids: Mapping[str, str], kind: QueryKind
) -> PreviousCandidate | None:
    msgid, subject_text, author, date = hit
    subject = parse_subject(subject_text)
    if subject.is_reply or not (subject.is_patch or subject.counter_explicit):
        return None
    if subject.version >= series.version:
        return None
    msgid = msgid.strip().strip("<>")
    if kind is QueryKind.CHANGE_ID:
        # the archive matched the change-id b4 keeps across versions (and
        # across the author's addresses): the strongest evidence there is
        reason = "same change-id"
    elif kind is QueryKind.PATCH_ID:
        if not subject.is_patch:
            return None
        reason = "same patch-id"
    elif not _same_author(author, series.author):
        return None
    elif normalise_title(subject.title) in _titles(series):
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
    kind: QueryKind = QueryKind.TITLE,
) -> tuple[PreviousCandidate, ...]:
    """The search hits that may be earlier versions of ``series``, newest
    version first, the cover letter before the patches of a version.
    ``kind`` is what the search matched on (the hits of a change-id or
    patch-id search need no same title or author); ``change_ids`` maps a
    hit's Message-ID to its ``change-id`` when the caller knows it."""
    found: dict[str, PreviousCandidate] = {}
    for hit in hits:
        cand = _candidate(hit, series, change_ids or {}, kind)
        if cand is not None and cand.msgid not in found:
            found[cand.msgid] = cand
    return tuple(sorted(found.values(), key=lambda c: (-c.version, c.counter, c.msgid)))


def _phrase(text: str) -> str:
    """``text`` as the inside of a quoted search phrase."""
    return " ".join(text.replace('"', " ").split())


def history_queries(series: Series) -> tuple[HistoryQuery, ...]:
    """The searches for earlier versions of ``series``, strongest first:
    each change-id of its mails, its title and author, then the patch-ids
    of its first patches (at most three)."""
    out = [
        HistoryQuery(QueryKind.CHANGE_ID, f'nq:"change-id: {_phrase(cid)}"')
        for cid in sorted(_change_ids(series))
        if _phrase(cid)
    ]
    out.append(HistoryQuery(QueryKind.TITLE, search_query(series)))
    ids = (pid for patch in series.patches if (pid := patch_id(patch)) is not None)
    for _, pid in zip(range(_PATCH_ID_QUERIES), ids, strict=False):
        out.append(HistoryQuery(QueryKind.PATCH_ID, f"patchid:{pid}"))
    return tuple(out)


def find_previous(series: Series, search: Callable[[str], SearchResult]) -> PreviousSearch:
    """Search for the version before ``series`` with ``search`` (the
    archive's search: query text in, Atom feed out).  The queries of
    ``history_queries`` run in order until vN-1 is found; the newest lower
    version found by any of them wins, a change-id match before a
    patch-id match before a title match of the same version.  An archive
    without search, or a failed search, ends the search with its problem."""
    rank = {"same change-id": 0, "same patch-id": 1, "same title": 2}
    best: PreviousCandidate | None = None
    searched: list[str] = []
    for query in history_queries(series):
        if best is not None and best.version == series.version - 1:
            break
        answer = search(query.query)
        if answer.feed is None:
            return PreviousSearch(tuple(searched), best, answer.problem)
        if query.kind.value not in searched:
            searched.append(query.kind.value)
        for cand in previous_candidates(series, search_hits(answer.feed), kind=query.kind):
            key = (-cand.version, rank.get(cand.reason, 3), cand.counter, cand.msgid)
            if best is None or key < (
                -best.version,
                rank.get(best.reason, 3),
                best.counter,
                best.msgid,
            ):
                best = cand
    return PreviousSearch(tuple(searched), best, None)
