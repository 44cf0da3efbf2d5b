"""Which mails of a thread belong to the series of one Message-ID.

A thread often holds more than one series: a fix posted as a reply inside a
long series, a ``[PATCH 0/2]`` sent in answer to a 25-patch series, a new
version posted in reply to the old cover letter, a lone patch in the middle
of a discussion.  The Message-ID a reviewer asks for decides the series:
its subject's numbering (version, ``N/M`` or none), its sender and its
place in the thread.  The patch mails of every other series, and the
replies under them, are left out of the review and listed as "also in this
thread".

A cover letter and patches whose version labels disagree (a ``[PATCH v6
00/12]`` cover whose patches say ``[PATCH 01/12]``) are one series when the
patches answer the cover and count the same total (``assemble_series``
gives them the cover letter's version; rule RP204 notes it).
"""

from __future__ import annotations

__all__ = ["Isolation", "isolate_series"]

from dataclasses import dataclass, replace

from reviewpatch.model import Mail, OtherSeries, Subject
from reviewpatch.series import is_patch_mail, prose_covers
from reviewpatch.subject import parse_subject
from reviewpatch.thread import Thread, build_thread


@dataclass(frozen=True)
class Isolation:
    """The mails to review for one Message-ID.  ``version`` is the version
    of the requested series, its cover letter's when it has one (None when
    the Message-ID is not in the thread or no patch mail is at or above
    it: then every mail is kept)."""

    mails: tuple[Mail, ...]
    version: int | None
    others: tuple[OtherSeries, ...] = ()


# the root of patches that answer a mail the thread does not hold
_MISSING = "missing:"


@dataclass(frozen=True)
class _Sent:
    """A patch mail and its parsed subject."""

    mail: Mail
    subject: Subject

    @property
    def is_cover(self) -> bool:
        return self.subject.counter == 0 and self.subject.counter_explicit

    def numbering(self) -> tuple[bool, int]:
        return self.subject.counter_explicit, self.subject.total


def _sender(mail: Mail) -> str:
    return (mail.sender.email or mail.sender.name).casefold() if mail.sender else ""


@dataclass(frozen=True)
class _Walk:
    """The thread, its patch mails, and memos of the walks up the thread
    (each mail's walk is done once: deep threads stay linear)."""

    thread: Thread
    sent: dict[str, _Sent]
    roots: dict[str, str]
    owners: dict[str, str | None]

    def root(self, item: _Sent) -> str:
        """The head of ``item``'s series: its cover letter (a ``0/N`` mail
        of the same total that the run of patch mails answers, whatever
        its version label), else the top of the run of patch mails with
        the same version, numbering and sender above it (with deep
        threading each patch answers the one before)."""
        path: list[str] = []
        top = item
        root: str | None = None
        while root is None:
            if top.mail.msgid in self.roots:
                root = self.roots[top.mail.msgid]
                break
            path.append(top.mail.msgid)
            if top.is_cover:
                root = top.mail.msgid
                break
            parent = self.thread.parent_id(top.mail.msgid)
            up = self.sent.get(parent) if parent is not None else None
            missing = top.mail.in_reply_to
            if missing and missing not in self.thread:
                # the cover letter they all answer is not in the archive
                root = _MISSING + missing
            elif up is None or _sender(up.mail) != _sender(item.mail):
                root = top.mail.msgid
            elif up.is_cover:
                root = up.mail.msgid if _heads(up, item) else top.mail.msgid
            elif up.numbering() != item.numbering() or up.subject.version != item.subject.version:
                root = top.mail.msgid
            else:
                top = up
        for msgid in path:
            self.roots[msgid] = root
        return root

    def owner(self, msgid: str) -> str | None:
        """The nearest patch mail at or above ``msgid``, or None."""
        path: list[str] = []
        current: str | None = msgid
        found: str | None = None
        while current is not None:
            if current in self.owners:
                found = self.owners[current]
                break
            path.append(current)
            if current in self.sent:
                found = current
                break
            current = self.thread.parent_id(current)
        for seen in path:
            self.owners[seen] = found
        return found


def _heads(cover: _Sent, item: _Sent) -> bool:
    """Whether ``cover`` heads the patch ``item`` that answers it: the same
    ``N/M`` total, or a patch without a version label under a cover letter
    with one (``[PATCH v2 foo 0/3]`` above ``[PATCH foo 1/4]``: the labels
    went wrong, the thread says they belong together)."""
    if cover.subject.total == item.subject.total:
        return True
    return cover.subject.version_explicit and not item.subject.version_explicit


def _members(walk: _Walk, head: _Sent) -> tuple[set[str], str | None]:
    """The patch mails of ``head``'s series, and its cover letter's id."""
    root = walk.root(head)
    found = walk.sent.get(root)
    cover = found if found is not None and found.is_cover else None
    if not head.subject.counter_explicit and cover is None:
        return {head.mail.msgid}, None
    members = {head.mail.msgid}
    for item in walk.sent.values():
        same = item.numbering() == head.numbering() or head.is_cover or item.is_cover
        if _sender(item.mail) == _sender(head.mail) and same and walk.root(item) == root:
            members.add(item.mail.msgid)
    return members, cover.mail.msgid if cover is not None else None


def _others(walk: _Walk, excluded: list[str]) -> tuple[OtherSeries, ...]:
    order = {m.msgid: i for i, m in enumerate(walk.thread.mails)}
    groups: dict[tuple[str, int, bool, int, str], list[_Sent]] = {}
    for msgid in excluded:
        item = walk.sent[msgid]
        key = (walk.root(item), item.subject.version, *item.numbering(), _sender(item.mail))
        groups.setdefault(key, []).append(item)
    out = []
    for items in groups.values():
        first = min(items, key=lambda s: (s.subject.counter, order[s.mail.msgid]))
        out.append(
            OtherSeries(first.mail.msgid, first.mail.subject, first.subject.version, len(items))
        )
    return tuple(sorted(out, key=lambda o: order[o.msgid]))


def isolate_series(mails: tuple[Mail, ...], msgid: str) -> Isolation:
    """The mails of the series ``msgid`` belongs to (the mail itself, or
    the patch or cover letter it answers), with the replies under them and
    the thread's other mails that are under no patch mail."""
    thread = build_thread(mails)
    sent = {
        m.msgid: _Sent(m, s)
        for m in thread.mails
        if is_patch_mail(m, s := parse_subject(m.subject))
    }
    for prose in prose_covers(thread):
        # a cover letter sent without 0/N: as the numbered patches under it say
        totals = [parse_subject(c.subject).total for c in thread.children(prose)]
        was = sent[prose]
        sent[prose] = _Sent(
            was.mail, replace(was.subject, counter=0, total=max(totals), counter_explicit=True)
        )
    walk = _Walk(thread, sent, {}, {})
    owner = walk.owner(msgid) if msgid in thread else None
    if owner is None:
        return Isolation(mails, None)
    head = sent[owner]
    members, cover = _members(walk, head)
    version = sent[cover].subject.version if cover is not None else head.subject.version
    kept = tuple(m for m in mails if (o := walk.owner(m.msgid)) is None or o in members)
    return Isolation(
        mails=kept,
        version=version,
        others=_others(walk, [m for m in sent if m not in members]),
    )
