"""Threading: who answers whom, from In-Reply-To and References.

The parent of a mail is the mail named by its In-Reply-To when that mail is
present, else the last References entry that is present; otherwise the mail
is a root.  Mails are ordered depth first, siblings by date then input
order, so the same input always gives the same order.
"""

from __future__ import annotations

__all__ = ["Thread", "build_thread", "limit_mails"]

import re
from dataclasses import dataclass
from functools import cached_property

from reviewpatch.model import InputProblem, Mail
from reviewpatch.subject import parse_subject

_DIFF = re.compile(r"^(?:diff --git |--- \S.*\n\+\+\+ \S.*\n@@ -)", re.MULTILINE)


@dataclass(frozen=True)
class Thread:
    """The mails of one or more threads, each with its parent.

    ``mails`` are in thread order (depth first); ``parents[i]`` is the
    Message-ID of the parent of ``mails[i]`` or None for a root.
    ``duplicates`` are later mails whose Message-ID was already seen.
    """

    mails: tuple[Mail, ...]
    parents: tuple[str | None, ...]
    duplicates: tuple[Mail, ...] = ()

    @cached_property
    def _index(self) -> dict[str, int]:
        return {mail.msgid: number for number, mail in enumerate(self.mails)}

    @cached_property
    def _children(self) -> dict[str | None, tuple[Mail, ...]]:
        kids: dict[str | None, list[Mail]] = {}
        for mail, parent in zip(self.mails, self.parents):
            kids.setdefault(parent, []).append(mail)
        return {key: tuple(value) for key, value in kids.items()}

    def get(self, msgid: str) -> Mail | None:
        """The mail with this Message-ID, or None."""
        number = self._index.get(msgid)
        return None if number is None else self.mails[number]

    def __contains__(self, msgid: object) -> bool:
        return isinstance(msgid, str) and msgid in self._index

    def __len__(self) -> int:
        return len(self.mails)

    def position(self, msgid: str) -> int:
        """Where ``msgid`` is in thread order (``len(self)`` when absent)."""
        return self._index.get(msgid, len(self.mails))

    def parent_id(self, msgid: str) -> str | None:
        """The Message-ID of the parent of ``msgid`` (None for a root)."""
        number = self._index.get(msgid)
        return None if number is None else self.parents[number]

    def parent(self, msgid: str) -> Mail | None:
        """The parent mail of ``msgid``, or None for a root."""
        parent = self.parent_id(msgid)
        return None if parent is None else self.get(parent)

    def children(self, msgid: str) -> tuple[Mail, ...]:
        """The direct answers to ``msgid``, in thread order."""
        return self._children.get(msgid, ())

    @property
    def roots(self) -> tuple[Mail, ...]:
        """The mails with no parent in this thread, in thread order."""
        return self._children.get(None, ())

    def ancestors(self, msgid: str) -> tuple[Mail, ...]:
        """Parent, grandparent, ... of ``msgid``, nearest first."""
        out: list[Mail] = []
        current = self.parent(msgid)
        while current is not None:
            out.append(current)
            current = self.parent(current.msgid)
        return tuple(out)

    def descendants(self, msgid: str, *, stop: frozenset[str] = frozenset()) -> tuple[Mail, ...]:
        """Every mail below ``msgid``, depth first.  Mails whose Message-ID
        is in ``stop`` are left out together with everything below them."""
        out: list[Mail] = []
        pending = list(reversed(self.children(msgid)))
        while pending:
            mail = pending.pop()
            if mail.msgid in stop:
                continue
            out.append(mail)
            pending.extend(reversed(self.children(mail.msgid)))
        return tuple(out)


def _pick_parent(mail: Mail, known: dict[str, Mail]) -> str | None:
    """In-Reply-To when known, else the last known References entry."""
    if mail.in_reply_to and mail.in_reply_to in known and mail.in_reply_to != mail.msgid:
        return mail.in_reply_to
    for ref in reversed(mail.references):
        if ref in known and ref != mail.msgid:
            return ref
    return None


def _break_cycles(parents: dict[str, str | None]) -> dict[str, str | None]:
    """Headers can be wrong enough to form a loop; make one mail of each
    loop a root (the first one found, in input order)."""
    fixed = dict(parents)
    position = {msgid: number for number, msgid in enumerate(parents)}
    done: set[str] = set()  # mails whose chain of parents is known to end at a root
    for start in fixed:
        if start in done:
            continue
        # walk up until a root, a mail already known to be fine, or a loop;
        # every mail of the walk is visited once over the whole pass
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current not in done and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = fixed.get(current)
        if current is not None and current in on_path:
            loop = path[path.index(current) :]
            fixed[min(loop, key=position.__getitem__)] = None
        done.update(path)
    return fixed


def _posts_patch(mail: Mail) -> bool:
    """Whether ``mail`` posts a patch: no reply, and tagged or with a diff."""
    subject = parse_subject(mail.subject)
    return not subject.is_reply and (subject.is_patch or bool(_DIFF.search(mail.body)))


def build_thread(mails: tuple[Mail, ...] | list[Mail]) -> Thread:
    """Thread the mails.  A repeated Message-ID keeps the first mail, or
    the first that posts a patch when an earlier one does not (a reply sent
    with the patch's Message-ID); the others go to ``Thread.duplicates``."""
    known: dict[str, Mail] = {}
    order: dict[str, int] = {}
    duplicates: list[Mail] = []
    for mail in mails:
        first = known.get(mail.msgid)
        if first is not None:
            if _posts_patch(mail) and not _posts_patch(first):
                known[mail.msgid] = mail  # a reply that took a patch's Message-ID loses it
                duplicates.append(first)
            else:
                duplicates.append(mail)
            continue
        known[mail.msgid] = mail
        order[mail.msgid] = len(order)
    parents = _break_cycles({msgid: _pick_parent(mail, known) for msgid, mail in known.items()})
    kids: dict[str | None, list[str]] = {}
    for msgid, parent in parents.items():
        kids.setdefault(parent, []).append(msgid)

    def sort_key(msgid: str) -> tuple[bool, float, int]:
        stamp = known[msgid].timestamp
        return (stamp is None, stamp or 0.0, order[msgid])

    ordered: list[str] = []
    pending = sorted(kids.get(None, []), key=sort_key, reverse=True)
    while pending:
        msgid = pending.pop()
        ordered.append(msgid)
        pending.extend(sorted(kids.get(msgid, []), key=sort_key, reverse=True))
    return Thread(
        mails=tuple(known[m] for m in ordered),
        parents=tuple(parents[m] for m in ordered),
        duplicates=tuple(duplicates),
    )


def limit_mails(
    mails: tuple[Mail, ...], limit: int
) -> tuple[tuple[Mail, ...], tuple[InputProblem, ...]]:
    """At most ``limit`` mails: the patch mails first, then the others in
    input order; one InputProblem says how many were left out and names
    the first of them."""
    if len(mails) <= limit:
        return mails, ()
    posts = [_posts_patch(m) for m in mails]
    patch_room, other_room = limit, max(limit - sum(posts), 0)
    kept: list[Mail] = []
    left: list[Mail] = []
    for mail, post in zip(mails, posts):
        if post and patch_room > 0:
            kept.append(mail)
            patch_room -= 1
        elif not post and other_room > 0:
            kept.append(mail)
            other_room -= 1
        else:
            left.append(mail)
    first = left[0]
    message = (
        f"{first.origin or 'input'}: the input holds {len(mails):,} mails, over the limit of "
        f"{limit:,} mails per thread (limit mails); {len(left):,} mail(s) were left out, "
        f"the first of them <{first.msgid}>"
    )
    return tuple(kept), (InputProblem(first.origin or first.msgid, message, first.msgid, True),)
