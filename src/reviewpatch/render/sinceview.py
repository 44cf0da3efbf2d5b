"""The "Since vN-1" view: what changed since the previous version and
whether its review was followed, built once from ``Report.since`` for
every format (text, JSON, HTML, reply)."""

from __future__ import annotations

__all__ = ["PatchSince", "QUOTED_MAX", "RequestView", "SinceView", "since_view"]

import re
from dataclasses import dataclass

from reviewpatch.findings import Report
from reviewpatch.rules.trailer_util import trailer_text
from reviewpatch.versions.model import (
    FollowThrough,
    Interdiff,
    PatchPair,
    PatchStatus,
    QuotedLine,
    QuoteSource,
    Stance,
    VersionReport,
)

QUOTED_MAX = 20  # quoted lines kept per request: the last ones, nearest its words
# C0 controls but tab and newline, DEL, C1 controls, bidi overrides
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class RequestView:
    """One review request of the previous version and its follow-through.

    ``request_msgid`` is the reply that asked; ``file`` the path of the diff
    lines it quotes (None when it quotes none); ``quoted`` the lines it sits
    under as the mail showed them (a diff line with its ``+``/``-``/space
    marker; the last QUOTED_MAX); ``promise`` the sentence of the author's
    first promise and ``promise_msgid`` the reply holding it (``""`` and
    None without a promise).  Mail text with control characters replaced
    by ``?``, not escaped: each renderer escapes it for its own format."""

    reviewer: str
    request_msgid: str
    file: str | None
    quoted: tuple[str, ...]
    request: str
    answer: str
    promise: str
    promise_msgid: str | None
    verdict: str
    reason: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class PatchSince:
    """One patch of this version against the previous one.  ``index`` is
    this version's patch index (None: a patch only the previous version
    had); ``interdiff`` the diff of the two diffs and the message diff."""

    index: int | None
    old_label: str
    old_msgid: str
    status: str
    reason: str
    interdiff: tuple[str, ...]
    truncated: bool
    carried: tuple[str, ...]
    requests: tuple[RequestView, ...]


@dataclass(frozen=True)
class SinceView:
    """The whole comparison: the previous version, a one-line summary, per
    patch what changed, and the requests on the previous cover letter (or
    on a patch no pair holds)."""

    version: int
    summary: str
    changelog: tuple[str, ...]
    patches: tuple[PatchSince, ...]
    general: tuple[RequestView, ...] = ()

    def of(self, index: int) -> PatchSince | None:
        """The comparison of this version's patch ``index``."""
        return next((p for p in self.patches if p.index == index), None)

    @property
    def dropped(self) -> tuple[PatchSince, ...]:
        return tuple(p for p in self.patches if p.index is None)


def _safe(text: str) -> str:
    """No terminal control sequence and no bidi override survives."""
    return _CONTROL.sub("?", text)


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(_safe(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _quoted(line: QuotedLine) -> str:
    text = _safe(line.text.rstrip())
    text = text if len(text) <= 200 else text[:197] + "..."
    if line.source is QuoteSource.DIFF and line.kind is not None:
        return line.kind.value + text
    return text


def _request(item: FollowThrough) -> RequestView:
    r = item.request
    answers = [x.sentence for x in item.responses]
    promise = next((x for x in item.responses if x.stance is Stance.PROMISE), None)
    paths = [q.path for q in r.quoted if q.source is QuoteSource.DIFF and q.path]
    return RequestView(
        reviewer=_one_line(r.reviewer.name or r.reviewer.email, 100),
        request_msgid=r.msgid,
        file=_safe(paths[-1]) if paths else None,
        quoted=tuple(_quoted(q) for q in r.quoted[-QUOTED_MAX:]),
        request=_one_line(r.text),
        answer=_one_line(answers[0]) if answers else "",
        promise=_one_line(promise.sentence) if promise else "",
        promise_msgid=promise.msgid if promise else None,
        verdict=item.verdict.value,
        reason=_one_line(item.reason, 300),
        evidence=tuple(_one_line(e.text) for e in item.evidence[:4]),
    )


def _lines(diff: Interdiff | None) -> tuple[str, ...]:
    if diff is None:
        return ()
    out: list[str] = []
    if diff.message.old_title != diff.message.new_title:
        out += [f"-Subject: {diff.message.old_title}", f"+Subject: {diff.message.new_title}"]
    out += list(diff.message.lines)
    out += [f"-{trailer_text(t)}" for t in diff.message.trailers_removed]
    out += [f"+{trailer_text(t)}" for t in diff.message.trailers_added]
    for f in diff.files:
        if f.lines:
            out.append(f"@@ {f.path} ({f.change.value})")
            out += list(f.lines)
    return tuple(out)


def _patch(
    pair: PatchPair,
    report: VersionReport,
    diffs: dict[int, Interdiff],
    old: int,
    requests: tuple[FollowThrough, ...],
) -> PatchSince:
    index = pair.new.index if pair.new is not None else None
    diff = diffs.get(index) if index is not None else None
    carried = tuple(
        f"{trailer_text(c.trailer)} (<{c.trailer.origin_msgid}>)"
        for c in report.carried
        if c.new.index == index
    )
    return PatchSince(
        index=index,
        old_label=f"v{old} {pair.old.index}/{pair.old.subject.total}" if pair.old else "",
        old_msgid=pair.old.msgid if pair.old else "",
        status=pair.status.value,
        reason=pair.reason,
        interdiff=_lines(diff),
        truncated=bool(diff and diff.truncated),
        carried=carried,
        requests=tuple(_request(f) for f in requests),
    )


def _place(
    since: VersionReport,
) -> tuple[dict[int, tuple[FollowThrough, ...]], tuple[RequestView, ...]]:
    """Each request under the pair (by position) of the patch it asked
    about (the new patch that follows it, else the old patch); the others
    apart."""
    pairs = since.map.pairs
    by_new = {p.new.index: n for n, p in enumerate(pairs) if p.new is not None}
    by_old = {p.old.index: n for n, p in enumerate(pairs) if p.old is not None}
    placed: dict[int, list[FollowThrough]] = {}
    general: list[RequestView] = []
    for f in since.follow_through:
        at = by_new.get(f.successor.index) if f.successor is not None else None
        if at is None:
            at = by_old.get(f.request.patch.index)
        if at is None or f.request.patch.index == 0:
            general.append(_request(f))
        else:
            placed.setdefault(at, []).append(f)
    return {k: tuple(v) for k, v in placed.items()}, tuple(general)


def since_view(report: Report) -> SinceView | None:
    """The view of ``report.since``, or None without a previous version."""
    since = report.since
    if since is None:
        return None
    old = since.map.old.version
    diffs = {d.new.index: d for d in since.interdiffs}
    placed, general = _place(since)
    patches = tuple(
        _patch(p, since, diffs, old, placed.get(n, ())) for n, p in enumerate(since.map.pairs)
    )
    counts: dict[str, int] = {}
    for p in patches:
        counts[p.status] = counts.get(p.status, 0) + 1
    order = [s.value for s in PatchStatus]
    parts = [f"{counts[s]} {s}" for s in order if s in counts]
    followed = [r for p in patches for r in p.requests] + list(general)
    summary = f"v{old}: " + ", ".join(parts)
    if followed:
        verdicts: dict[str, int] = {}
        for r in followed:
            verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
        summary += "; review requests: " + ", ".join(
            f"{n} {v.replace('_', ' ')}" for v, n in sorted(verdicts.items())
        )
    return SinceView(old, summary, since.map.cover.changelog, patches, general)
