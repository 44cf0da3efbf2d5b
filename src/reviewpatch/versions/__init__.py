"""The versions stage: vN of a series against vN-1, from the mails alone.

Pure functions over the frozen model (``Series``, ``Patch``, ``Mail``); no
network, no files.  Every result is a frozen dataclass of
``reviewpatch.versions.model``.

One call does it all::

    report = compare_versions(old_series, new_series)   # -> VersionReport
    report.map.pairs          # PatchPair per patch: unchanged/changed/new/dropped/unmatched
    report.map.cover          # CoverComparison: cover diff, changelog lines of vN
    report.interdiffs         # Interdiff per changed patch (diff of diffs, message, trailers)
    report.carried            # CarriedTrailer: vN-1 reply trailers vN inherits by patch-id
    report.audit              # TrailerAudit: carried over a real change, or dropped
    report.follow_through     # FollowThrough per review request on vN-1, with a Verdict

The parts, each usable alone:

``map_series(old, new) -> SeriesMap``
    Pair patches by patch-id, then normalised title, then touched files.
    ``PatchStatus``: UNCHANGED (same patch-id; ``message_changed`` says if
    the message moved), CHANGED, NEW, DROPPED, and UNMATCHED when the other
    version misses patches so that new/dropped cannot be told.
``patch_id(patch | files) -> str | None``
    ``git patch-id --stable`` computed from the parsed diff (same number).
``interdiff(smap, pair, max_lines=400) -> Interdiff | None``, ``interdiffs(smap)``
    Per file: hunks added/removed/changed, ``code_changed`` (False when only
    context or line numbers moved) and a diff of the two diffs; the message
    diff and trailers added/removed; ``truncated`` when cut at ``max_lines``.
``carried_trailers(smap)``, ``collected_trailers(smap, index)``, ``audit_trailers(smap)``
    Trailers given in replies to vN-1 carried to vN when the patch-id is the
    same (as b4 does), the resulting trailer set of a vN patch, and the
    audit (``AuditKind.CARRIED_AFTER_CHANGE``, ``AuditKind.DROPPED``, each
    with the changelog line that explains it, or None).
``extract_requests(series)``, ``extract_responses(series, requests)``, ``follow_through(smap)``
    Requests: a reviewer's words under lines quoted from the patch, with a
    ``RequestKind`` (code, comment, message, split, elsewhere, question,
    remark) and key terms.  Responses: the author's words under a quote of
    a request, with a ``Stance`` (promise, decline, defer, answer), what a
    promise is about and whether it is a blanket promise.  Follow-through:
    a ``Verdict`` (addressed, not_addressed, partly, declined, unclear), a
    reason and ``Evidence`` (vN's changed lines, sentences, patches, or what
    is absent, with mail lines).  ``unclear`` always says why: the successor
    patch is missing from the thread, the change does not hold the words
    asked for, the request was only a question.
``thread_versions(mails, version=None) -> VersionPair | None``
    vN and vN-1 when one thread holds both.
``search_query(series)``, ``previous_candidates(series, hits, change_ids=None)``
    The archive query for earlier versions, and the hits
    ``(msgid, subject, author, date)`` that may be one (same normalised
    title or change-id, lower version, same author), newest first.
``history_queries(series)``, ``find_previous(series, search) -> PreviousSearch``
    Every search for earlier versions, strongest first (change-id, title
    and author, patch-ids of the first patches), and the search itself
    through the caller's search function: the best candidate, what was
    searched, and the problem that stopped it.

Limits: everything is read from the mails.  Requests are found only under
quoted lines of the patch (a top-posted review, or one quoting only other
replies, is not a request); kinds and stances come from word patterns in
English; a message check looks for the specific terms the reviewer brought
up (identifiers, paths, acronyms, capitalised phrases), not for meaning.
"""

from __future__ import annotations

__all__ = [
    "compare_versions",
    "map_series",
    "patch_id",
    "interdiff",
    "interdiffs",
    "carried_trailers",
    "collected_trailers",
    "audit_trailers",
    "extract_requests",
    "extract_responses",
    "follow_through",
    "thread_versions",
    "search_query",
    "history_queries",
    "previous_candidates",
    "find_previous",
    "DEFAULT_MAX_LINES",
]

from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING

# eager: the submodule ``interdiff`` shares its name with the function, and
# importing the submodule would otherwise leave the module in its place
from reviewpatch.versions.interdiff import DEFAULT_MAX_LINES, interdiff, interdiffs
from reviewpatch.versions.mapping import map_series
from reviewpatch.versions.patchid import patch_id

if TYPE_CHECKING:
    from reviewpatch.model import Series
    from reviewpatch.versions.carry import audit_trailers, carried_trailers, collected_trailers
    from reviewpatch.versions.followthrough import follow_through
    from reviewpatch.versions.history import (
        find_previous,
        history_queries,
        previous_candidates,
        search_query,
        thread_versions,
    )
    from reviewpatch.versions.model import VersionReport
    from reviewpatch.versions.requests import extract_requests, extract_responses

# the parts are imported when first asked for: a review that compares no
# versions (or imports only ``reviewpatch.versions.model``) loads none of them
_WHERE = MappingProxyType(
    {
        "audit_trailers": "carry",
        "carried_trailers": "carry",
        "collected_trailers": "carry",
        "follow_through": "followthrough",
        "find_previous": "history",
        "history_queries": "history",
        "previous_candidates": "history",
        "search_query": "history",
        "thread_versions": "history",
        "extract_requests": "requests",
        "extract_responses": "requests",
    }
)


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{where}"), name)


def compare_versions(
    old: Series,
    new: Series,
    *,
    max_lines: int = DEFAULT_MAX_LINES,
    older: tuple[Series, ...] = (),
) -> VersionReport:
    """vN (``new``) against vN-1 (``old``): mapping, interdiffs (each cut
    at ``max_lines`` lines), carried trailers (also from ``older``
    versions of a patch whose patch-id vN still has), trailer audit and
    review follow-through."""
    from reviewpatch.versions.carry import audit_trailers, carried_trailers
    from reviewpatch.versions.followthrough import follow_through
    from reviewpatch.versions.model import VersionReport

    smap = map_series(old, new)
    return VersionReport(
        map=smap,
        interdiffs=interdiffs(smap, max_lines=max_lines),
        carried=carried_trailers(smap, older),
        audit=audit_trailers(smap),
        follow_through=follow_through(smap),
    )
