"""The frozen results of the versions stage: patch mapping, interdiff,
trailers across versions and review follow-through.

Every value is immutable (frozen dataclasses, tuples not lists) and holds
plain data: a rule or a renderer reads it, nothing here decides severity or
wording of a finding.  ``PatchRef`` names a patch of one version without
holding the whole ``Patch``, so that results stay small and easy to render.
"""

from __future__ import annotations

__all__ = [
    "PatchStatus",
    "MatchBasis",
    "PatchRef",
    "PatchPair",
    "CoverComparison",
    "SeriesMap",
    "HunkChange",
    "FileInterdiff",
    "MessageChanges",
    "Interdiff",
    "CarriedTrailer",
    "AuditKind",
    "TrailerAudit",
    "RequestKind",
    "QuoteSource",
    "QuotedLine",
    "Request",
    "Stance",
    "Response",
    "Verdict",
    "EvidenceKind",
    "Evidence",
    "FollowThrough",
    "VersionPair",
    "PreviousCandidate",
    "PreviousSearch",
    "VersionReport",
]

from dataclasses import dataclass
from enum import Enum

from reviewpatch.model import LineKind, Patch, Person, Series, Trailer


class PatchStatus(str, Enum):
    """What became of a patch between two versions."""

    UNCHANGED = "unchanged"  # the same patch-id: the same diff, maybe rebased
    CHANGED = "changed"  # matched by title or files; the diff differs
    NEW = "new"  # only in the newer version, the older one is complete
    DROPPED = "dropped"  # only in the older version, the newer one is complete
    UNMATCHED = "unmatched"  # no partner, but the other version misses patches


class MatchBasis(str, Enum):
    """Why two patches were paired."""

    PATCH_ID = "patch-id"
    TITLE = "title"
    FILES = "files"
    NONE = "none"


@dataclass(frozen=True)
class PatchRef:
    """One patch of one version: ``index`` is its counter (0: the cover)."""

    version: int
    index: int
    total: int
    msgid: str
    title: str

    @property
    def label(self) -> str:
        """``v3 2/3`` (``v3 0/3`` for the cover letter)."""
        return f"v{self.version} {self.index}/{self.total}"


@dataclass(frozen=True)
class PatchPair:
    """A patch of vN-1 and its successor in vN (either may be None).

    ``reason`` says in one sentence why the status was given.
    ``message_changed`` compares the commit messages (subject aside).
    """

    status: PatchStatus
    old: Patch | None
    new: Patch | None
    basis: MatchBasis
    old_patch_id: str | None
    new_patch_id: str | None
    title_changed: bool
    message_changed: bool
    reason: str


@dataclass(frozen=True)
class CoverComparison:
    """The cover letters of two versions.  ``changelog`` are the lines of
    the newer cover (and of the patches' notes) that speak of versions
    ("Changes in v3:", "v2 -> v3:" and the items below them)."""

    old: Patch | None
    new: Patch | None
    title_changed: bool
    message_lines: tuple[str, ...]
    changelog: tuple[str, ...]


@dataclass(frozen=True)
class SeriesMap:
    """The patches of vN-1 (``old``) mapped onto those of vN (``new``).

    ``pairs`` are ordered by the new counter; a patch of vN-1 without a
    successor comes after the pair of the patch before it in vN-1.
    """

    old: Series
    new: Series
    pairs: tuple[PatchPair, ...]
    cover: CoverComparison

    def pair_of_old(self, index: int) -> PatchPair | None:
        """The pair holding vN-1's patch ``index`` (0: the cover letter)."""
        if index == 0:
            return None
        return next((p for p in self.pairs if p.old is not None and p.old.index == index), None)

    def pair_of_new(self, index: int) -> PatchPair | None:
        """The pair holding vN's patch ``index``."""
        return next((p for p in self.pairs if p.new is not None and p.new.index == index), None)


class HunkChange(str, Enum):
    """How a file's hunks differ between two versions of a patch."""

    SAME = "same"
    ADDED = "added"  # the file is touched in vN only
    REMOVED = "removed"  # the file is touched in vN-1 only
    CHANGED = "changed"


@dataclass(frozen=True)
class FileInterdiff:
    """One file of an interdiff.  ``lines`` is the diff of the two diffs
    (each line of either patch's diff of this file, hunk headers without
    line numbers, prefixed by ``-``, ``+`` or a space); ``code_changed`` is
    False when only context lines or line numbers moved."""

    path: str
    change: HunkChange
    hunks_added: int
    hunks_removed: int
    hunks_changed: int
    code_changed: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class MessageChanges:
    """How the commit message changed: a unified diff of the message text
    (without trailers), the trailers added and removed (compared by name and
    person or value) and whether the subject title changed."""

    old_title: str
    new_title: str
    lines: tuple[str, ...]
    trailers_added: tuple[Trailer, ...]
    trailers_removed: tuple[Trailer, ...]

    @property
    def changed(self) -> bool:
        return bool(
            self.lines
            or self.trailers_added
            or self.trailers_removed
            or self.old_title != self.new_title
        )


@dataclass(frozen=True)
class Interdiff:
    """What changed between two versions of one patch, from the mails alone.

    ``truncated`` says that ``files`` and ``message`` hold fewer lines than
    the whole interdiff (``total_lines``), cut at the limit asked for.
    """

    old: PatchRef
    new: PatchRef
    files: tuple[FileInterdiff, ...]
    message: MessageChanges
    code_changed: bool
    total_lines: int
    shown_lines: int
    truncated: bool


@dataclass(frozen=True)
class CarriedTrailer:
    """A review trailer given on vN-1 (in a reply) that vN inherits because
    the patch-id did not change, as b4 carries it."""

    trailer: Trailer
    old: PatchRef
    new: PatchRef


class AuditKind(str, Enum):
    """What looks wrong with a trailer across versions."""

    CARRIED_AFTER_CHANGE = "carried-after-change"
    DROPPED = "dropped"


@dataclass(frozen=True)
class TrailerAudit:
    """A trailer to look at.  ``explanation`` is the changelog line of vN
    (cover or notes) that names the person or says trailers were dropped;
    None when the changelog says nothing about it."""

    kind: AuditKind
    trailer: Trailer
    old: PatchRef
    new: PatchRef
    detail: str
    explanation: str | None


class RequestKind(str, Enum):
    """What a review comment asks for, as far as its words tell."""

    CODE = "code"  # change the quoted code
    COMMENT = "comment"  # change a code comment
    MESSAGE = "message"  # say something in the commit message
    SPLIT = "split"  # move a part into its own patch
    ELSEWHERE = "elsewhere"  # the same change in places the patch does not touch
    QUESTION = "question"  # a question, no change asked
    REMARK = "remark"  # an observation without an explicit ask


class QuoteSource(str, Enum):
    """Where a quoted line comes from in the patch."""

    MESSAGE = "message"
    DIFF = "diff"


@dataclass(frozen=True)
class QuotedLine:
    """A line a reply quotes from the patch.  ``kind`` and ``path`` are set
    for a diff line; ``text`` is the patch's own spelling of the line."""

    source: QuoteSource
    text: str
    path: str | None = None
    kind: LineKind | None = None


@dataclass(frozen=True)
class Request:
    """A review comment on vN-1: the reviewer's own words under the lines of
    the patch they quote.  ``ident`` is ``<msgid>#<n>``, stable for a given
    reply; ``line`` is the 1-based body line where the words start;
    ``terms`` the names and key terms the words hold (identifiers, paths,
    quoted strings, numbers, capitalised phrases)."""

    ident: str
    patch: PatchRef
    reviewer: Person
    msgid: str
    line: int
    quoted: tuple[QuotedLine, ...]
    text: str
    kind: RequestKind
    terms: tuple[str, ...]


class Stance(str, Enum):
    """How the author answered a request."""

    PROMISE = "promise"  # will do it in the next version
    DECLINE = "decline"  # will not, with a reason
    DEFER = "defer"  # later, in another series
    ANSWER = "answer"  # answered without promising anything


@dataclass(frozen=True)
class Response:
    """The author's words under a quote of a request.  ``sentence`` is the
    sentence that decided the stance; ``aspect`` what the promise is about
    (a split, the message, a comment) when its words say; ``blanket`` is set
    for a promise answering several requests at once ("will fix all of the
    above")."""

    request: str
    msgid: str
    line: int
    author: Person
    stance: Stance
    text: str
    sentence: str
    aspect: RequestKind | None
    blanket: bool


class Verdict(str, Enum):
    """Whether vN did what a request on vN-1 asked."""

    ADDRESSED = "addressed"
    NOT_ADDRESSED = "not_addressed"
    PARTLY = "partly"
    DECLINED = "declined"
    UNCLEAR = "unclear"


class EvidenceKind(str, Enum):
    """What a piece of evidence shows."""

    NEW_LINE = "new-line"  # a diff line of vN that changed where the request pointed
    UNCHANGED_LINE = "unchanged-line"  # a quoted line still in vN as it was
    SENTENCE = "sentence"  # a sentence of vN's message
    PATCH = "patch"  # a patch of vN (a split that arrived)
    ABSENT = "absent"  # what vN does not have
    AUTHOR = "author"  # the author's own words (a decline, a deferral)


@dataclass(frozen=True)
class Evidence:
    """One fact behind a verdict.  ``where`` names the patch (``v4 2/3``)
    and the file or ``message``; ``mail_line`` is the line in that patch's
    mail when there is one."""

    kind: EvidenceKind
    text: str
    where: str
    msgid: str | None = None
    mail_line: int | None = None


@dataclass(frozen=True)
class FollowThrough:
    """The verdict on one request, with the responses it got and the
    evidence from vN.  ``successor`` is the vN patch that follows the
    patch the request was made on, when one was found."""

    request: Request
    responses: tuple[Response, ...]
    verdict: Verdict
    reason: str
    evidence: tuple[Evidence, ...]
    successor: PatchRef | None


@dataclass(frozen=True)
class VersionPair:
    """Two versions of one series found in the same thread."""

    old: Series
    new: Series


@dataclass(frozen=True)
class PreviousCandidate:
    """A search result that may be an earlier version of a series.
    ``reason`` says what matched (title, change-id) and ``counter`` is 0
    for a cover letter."""

    msgid: str
    subject: str
    author: str
    date: str
    version: int
    counter: int
    reason: str


@dataclass(frozen=True)
class PreviousSearch:
    """How the review looked for the previous version in the archive:
    what it matched on (``searched``: "change-id", "title and author",
    "patch-id"), the best candidate it ``found``, and the ``problem`` that
    stopped it (no search, a failed search, a thread that could not be
    fetched), each None when there is none."""

    searched: tuple[str, ...]
    found: PreviousCandidate | None
    problem: str | None
    archive: str = ""


@dataclass(frozen=True)
class VersionReport:
    """Everything the versions stage says about vN against vN-1."""

    map: SeriesMap
    interdiffs: tuple[Interdiff, ...]
    carried: tuple[CarriedTrailer, ...]
    audit: tuple[TrailerAudit, ...]
    follow_through: tuple[FollowThrough, ...]
