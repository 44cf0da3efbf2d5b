"""The shared frozen data of the pipeline: mails, subjects, trailers, diffs,
patches and series.

Every value here is immutable (frozen dataclasses, tuples not lists) so the
stages between fetching and rendering are pure functions from data to data.
Line numbers called ``mail_line`` are 1-based line numbers in ``Mail.body``
(the decoded text the patch was read from), so that a finding can be quoted
in a reply at the exact place.
"""

from __future__ import annotations

__all__ = [
    "Person",
    "Mail",
    "Subject",
    "Trailer",
    "DiffLine",
    "Hunk",
    "FileDiff",
    "Patch",
    "InputProblem",
    "OtherSeries",
    "Series",
    "LineKind",
]

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, order=True)
class Person:
    """A name and an address.  ``email`` is lower-cased for comparison in
    ``key``; the original spelling is kept here."""

    name: str
    email: str

    @property
    def key(self) -> str:
        """The address as compared: lower case, surrounding space removed."""
        return self.email.strip().lower()

    def __str__(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.email or self.name


@dataclass(frozen=True)
class Mail:
    """One decoded mail.

    ``body`` is the text/plain content (charset and transfer encoding
    decoded, CRLF folded to LF); a patch sent as a ``text/x-patch`` (or
    ``text/x-diff``) attachment is appended to it.  ``headers`` keeps every
    header as decoded (name, value) pairs in mail order.  ``origin`` names
    where the mail came from (a file name, ``file:N`` for the N-th mail of an
    mbox, or a URL) for error messages.
    """

    msgid: str
    subject: str
    sender: Person
    date: str
    in_reply_to: str | None
    references: tuple[str, ...]
    body: str
    headers: tuple[tuple[str, str], ...] = ()
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    origin: str = ""
    timestamp: float | None = None

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or None."""
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None


@dataclass(frozen=True)
class Subject:
    """A parsed subject line such as ``[PATCH net-next v3 2/5] foo: bar``.

    ``title`` is the subject without reply prefixes and bracketed tags.
    ``prefixes`` are the other words of the tag (``net-next``, ``RFC``,
    ``RESEND``, ``-next``), in order.  ``version`` is 1 when no version is
    given (``version_explicit`` False); ``counter``/``total`` are 1/1 when no
    ``N/M`` is given (``counter_explicit`` False).
    """

    raw: str
    title: str
    prefixes: tuple[str, ...] = ()
    version: int = 1
    version_explicit: bool = False
    counter: int = 1
    total: int = 1
    counter_explicit: bool = False
    is_patch: bool = False
    is_reply: bool = False
    is_rfc: bool = False
    is_resend: bool = False


@dataclass(frozen=True)
class Trailer:
    """One ``Name: value`` trailer line.

    ``name`` is normalised to the canonical spelling (``Signed-off-by``);
    ``person`` is set for person trailers with a parsable address;
    ``origin_msgid`` is the mail the line was found in (the patch itself, or
    the reply that gave it); ``line`` is its 1-based line in that mail's body.
    ``given_by`` is the sender of the mail that carried the trailer.
    """

    name: str
    value: str
    person: Person | None
    origin_msgid: str
    line: int
    raw: str = ""
    given_by: Person | None = None


class LineKind(str, Enum):
    """The kind of a diff line."""

    CONTEXT = " "
    ADDED = "+"
    REMOVED = "-"


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk.  ``old_no`` is None for added lines, ``new_no`` is
    None for removed lines.  ``mail_line`` is the line in the patch mail."""

    kind: LineKind
    text: str
    old_no: int | None
    new_no: int | None
    mail_line: int


@dataclass(frozen=True)
class Hunk:
    """One ``@@ -a,b +c,d @@ section`` hunk.  ``section`` is git's guess at
    the enclosing definition: never trust it for the enclosing function."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str
    lines: tuple[DiffLine, ...]
    mail_line: int

    @property
    def old_text(self) -> str:
        """Context and removed lines: the code before the change."""
        return "".join(line.text + "\n" for line in self.lines if line.kind is not LineKind.ADDED)

    @property
    def new_text(self) -> str:
        """Context and added lines: the code after the change."""
        return "".join(line.text + "\n" for line in self.lines if line.kind is not LineKind.REMOVED)


@dataclass(frozen=True)
class FileDiff:
    """The change to one file.  ``path`` is the new path (the old one for a
    deleted file); ``old_blob``/``new_blob`` come from the ``index`` line."""

    old_path: str
    new_path: str
    hunks: tuple[Hunk, ...] = ()
    old_blob: str | None = None
    new_blob: str | None = None
    is_new: bool = False
    is_deleted: bool = False
    is_rename: bool = False
    is_binary: bool = False
    mail_line: int = 0

    @property
    def path(self) -> str:
        return self.old_path if self.is_deleted else self.new_path

    @property
    def added(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind is LineKind.ADDED)

    @property
    def removed(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind is LineKind.REMOVED)


@dataclass(frozen=True)
class Patch:
    """One patch mail of the series (or the cover letter, with no files).

    ``index`` is the patch's counter in the series (0 for the cover letter).
    ``author`` is the in-body ``From:`` when present, else the mail sender.
    ``message`` is the commit message body (without the subject, without the
    trailer block); ``trailers`` the patch's own trailer block; ``notes`` the
    text between ``---`` and the diff, less the diffstat; ``diffstat`` the
    diffstat lines.  ``replies`` are every mail in the thread below this
    patch; ``followup_trailers`` the review trailers given in those replies
    (or in replies to the cover letter).  ``message_line`` and
    ``message_end`` are the body lines (1-based, the end excluded) that hold
    the message and its trailer block, after any in-body headers and
    before ``---`` or the diff (``message_end`` 0: not known).
    """

    mail: Mail
    subject: Subject
    index: int
    author: Person
    message: str
    trailers: tuple[Trailer, ...] = ()
    notes: str = ""
    diffstat: tuple[str, ...] = ()
    files: tuple[FileDiff, ...] = ()
    replies: tuple[Mail, ...] = ()
    followup_trailers: tuple[Trailer, ...] = ()
    base_commit: str | None = None
    change_id: str | None = None
    message_line: int = 1
    message_end: int = 0

    @property
    def msgid(self) -> str:
        return self.mail.msgid

    @property
    def has_diff(self) -> bool:
        return bool(self.files)


@dataclass(frozen=True)
class InputProblem:
    """A mail or file that could not be used, and why.  Kept so that one
    broken mail never loses the rest of the series and is still reported.
    ``skipped`` marks input left out on purpose (past a limit, a mail that
    repeats a patch's Message-ID) rather than damaged: a note."""

    origin: str
    message: str
    msgid: str | None = None
    skipped: bool = False


@dataclass(frozen=True)
class OtherSeries:
    """Another series in the thread of the one reviewed (a fix posted as a
    reply, another version, a patch of a discussion): its first mail (the
    cover letter or the lowest counter), its version and how many patch
    mails it has."""

    msgid: str
    subject: str
    version: int
    mails: int


@dataclass(frozen=True)
class Series:
    """The patches of one version of a series, with its cover letter.

    ``versions`` lists every version seen in the thread; ``missing`` the
    counters 1..total that were not found; ``duplicates`` patch mails that
    were superseded by a later mail with the same counter (a RESEND).
    ``other_mails`` are mails of the thread that are neither patches of this
    version, nor replies to them (older versions, stray mails).
    ``others`` are the other series of the thread, left out of the review
    because the requested Message-ID belongs to this one.
    """

    version: int
    total: int
    subject: str
    cover: Patch | None
    patches: tuple[Patch, ...]
    missing: tuple[int, ...] = ()
    versions: tuple[int, ...] = ()
    duplicates: tuple[Mail, ...] = ()
    other_mails: tuple[Mail, ...] = ()
    problems: tuple[InputProblem, ...] = ()
    base_commit: str | None = None
    archive_url: str | None = None
    author: Person | None = None
    others: tuple[OtherSeries, ...] = ()

    @property
    def all_patches(self) -> tuple[Patch, ...]:
        """The cover letter (if any) followed by the patches."""
        return ((self.cover,) if self.cover else ()) + self.patches

    def patch(self, index: int) -> Patch | None:
        for p in self.all_patches:
            if p.index == index:
                return p
        return None
