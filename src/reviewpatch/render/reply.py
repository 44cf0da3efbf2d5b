"""Draft replies in the inline style of kernel review.

``render_reply(report, index)`` builds one RFC 5322 message answering patch
``index`` (0: the cover letter): ``Re: <subject>``, In-Reply-To/References,
To the author, Cc everyone the patch went to.  The body quotes with ``> ``
only what carries findings -- the commit message lines concerned, or the
hunk header and the few diff lines leading to the concerned one -- and
writes each finding as plain text right below, wrapped at 72 columns.
Findings with no place in the mail come first, after the attribution,
preceded by the review requests of the previous version that this one
did not visibly follow (``replybody.is_open``): those made on a patch in
the draft answering its successor, the others (on the cover letter, on no
patch, on a patch without successor) in the draft answering the
series-wide findings, with a line counting the requests addressed.
Date and Message-ID only when a date is given (the CLI gives the current
one), so the output is otherwise deterministic.  The body is built by
``replybody``.  ``render_reply_command`` is ``--format reply``: one draft,
or an mbox of one draft per patch with findings or open requests; with
``attach_report`` the HTML report goes along as report.html and lists that
reject HTML parts are dropped (with a warning).  Mail content is hostile: header values lose
control characters and anything that reads as an RFC 2047 encoded word.
"""

from __future__ import annotations

__all__ = [
    "HTML_REJECTING_DOMAINS",
    "is_html_rejecting_list",
    "message_text",
    "render_reply",
    "render_reply_command",
    "reply_subject",
]

import hashlib
import re
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy

from reviewpatch.errors import UsageError
from reviewpatch.findings import Finding, Report, Severity
from reviewpatch.model import Patch, Person
from reviewpatch.render.replybody import FollowUp, is_open, reply_body
from reviewpatch.render.sinceview import RequestView, SinceView, since_view

HTML_REJECTING_DOMAINS = (
    "vger.kernel.org",
    "lists.infradead.org",
    "lists.linux.dev",
    "lists.ozlabs.org",
)

MBOX_FROM = "From reviewpatch Thu Jan  1 00:00:00 1970"

_HEADER_JUNK = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fwd?)\s*(?:\[\d+\]\s*)?:\s*)+", re.IGNORECASE)


def _header_text(text: str) -> str:
    """One safe header line: no control characters, no encoded words."""
    text = _HEADER_JUNK.sub(" ", text)
    text = text.replace("=?", "= ?").replace("?=", "? =")
    return " ".join(text.split())


def reply_subject(subject: str) -> str:
    """``Re: <subject>`` with any reply prefixes of ``subject`` removed."""
    return "Re: " + _REPLY_PREFIX.sub("", _header_text(subject))


def is_html_rejecting_list(email: str) -> bool:
    """True for the addresses of mailing lists that reject HTML parts."""
    domain = email.strip().lower().rpartition("@")[2]
    return domain in HTML_REJECTING_DOMAINS


def _address(person: Person) -> Address | None:
    """A header address for ``person``, or None when it cannot be one."""
    # RFC 5322 specials in a display name do not survive the email package's
    # folding of long address lists (it drops the quotes): leave them out
    name = re.sub(r'[()<>\[\]:;@\\,"]+', " ", _header_text(person.name))
    name = " ".join(name.split())
    email = _header_text(person.email).strip("<>")
    if not email or " " in email or email.count("@") != 1:
        return None
    try:
        return Address(display_name=name, addr_spec=email)
    except (ValueError, IndexError):
        return None


def _msgid(text: str) -> str | None:
    value = _header_text(text).strip().strip("<>")
    if not value or any(c in value for c in "<> ,;"):
        return None
    return f"<{value}>"


# -- the body ---------------------------------------------------------------


def _recipients(
    patch: Patch, reviewer: Person | None, drop_lists: bool
) -> tuple[list[Address], list[Address], list[str]]:
    """(To, Cc, dropped list addresses) for a reply to ``patch``."""
    skip = {reviewer.key} if reviewer else set()
    seen: set[str] = set()
    to: list[Address] = []
    cc: list[Address] = []
    dropped: list[str] = []
    mail = patch.mail
    candidates = [(patch.author, to)] + [(p, cc) for p in (mail.sender, *mail.to, *mail.cc)]
    for person, bucket in candidates:
        key = person.key
        if not key or key in seen or key in skip:
            continue
        seen.add(key)
        addr = _address(person)
        if addr is None:
            continue
        if drop_lists and is_html_rejecting_list(key):
            dropped.append(addr.addr_spec)
            continue
        bucket.append(addr)
    if not to and cc:
        to.append(cc.pop(0))
    return to, cc, dropped


def _home_index(report: Report) -> int | None:
    """The patch that series-wide findings are answered on: the cover
    letter, else the first patch."""
    patches = report.series.all_patches
    return patches[0].index if patches else None


def _open(requests: tuple[RequestView, ...]) -> tuple[RequestView, ...]:
    return tuple(r for r in requests if is_open(r))


def _own_requests(view: SinceView, index: int) -> tuple[RequestView, ...]:
    """The requests placed at this version's patch ``index``."""
    since = view.of(index) if index else None
    return since.requests if since is not None else ()


def _unplaced(view: SinceView) -> tuple[RequestView, ...]:
    """The requests no patch of this version answers: on the cover
    letter, on no patch, or on a patch this version does not have."""
    return view.general + tuple(r for p in view.dropped for r in p.requests)


def _follow_up(report: Report, index: int, include_series: bool) -> FollowUp | None:
    """What the draft answering patch ``index`` says of the review of the
    previous version: the open requests placed at it, and with
    ``include_series`` the open ones no patch answers (``_unplaced``) and
    the count of requests addressed."""
    view = since_view(report)
    if view is None:
        return None
    requests = _open(_own_requests(view, index))
    summary = ""
    if include_series:
        requests = _open(_unplaced(view)) + requests
        every = [r for p in view.patches for r in p.requests] + list(view.general)
        if every:
            done = sum(r.verdict == "addressed" for r in every)
            declined = sum(r.verdict == "declined" for r in every)
            noun = "review request" if len(every) == 1 else "review requests"
            summary = (
                f"{done} of {len(every)} {noun} on v{view.version} "
                f"addressed in v{report.series.version}"
                + (f", {declined} declined." if declined else ".")
            )
    if not requests and not summary:
        return None
    return FollowUp(view.version, report.series.version, requests, summary)


def _set_body(msg: EmailMessage, body: str) -> None:
    """Plain 8bit UTF-8, as kernel mail is sent; quoted-printable only for a
    line over RFC 5322's 998-octet limit.  Never base64."""
    longest = max((len(s.encode("utf-8")) for s in body.split("\n")), default=0)
    cte = "8bit" if longest <= 998 else "quoted-printable"
    msg.set_content(body, charset="utf-8", cte=cte)


def render_reply(
    report: Report,
    patch_index: int,
    *,
    include_series: bool | None = None,
    reviewer: Person | None = None,
    date: str | None = None,
    html_attachment: str | None = None,
    drop_lists: bool = False,
    signoff: str = "",
) -> EmailMessage:
    """A draft reply to patch ``patch_index`` (0: the cover letter).

    ``include_series``: also answer the series-wide findings (default: only
    on the cover letter, or the first patch when there is none).
    ``reviewer`` sets From and is left out of the recipients; ``date`` sets
    Date; ``html_attachment`` attaches that HTML as report.html;
    ``drop_lists`` leaves out lists that reject HTML.
    """
    patch = report.series.patch(patch_index)
    if patch is None:
        known = ", ".join(str(p.index) for p in report.series.all_patches) or "none"
        raise UsageError(f"--reply {patch_index}: the series has no such patch (known: {known})")
    if include_series is None:
        include_series = patch_index == _home_index(report)
    findings = _worth_saying(report.for_patch(patch.index))
    if include_series:
        findings = _worth_saying(report.for_patch(None)) + findings
    msg = EmailMessage()
    sender = _address(reviewer) if reviewer is not None else None
    to, cc, _dropped = _recipients(patch, reviewer, drop_lists)
    for name, value in (("From", sender), ("To", to), ("Cc", cc)):
        if value:
            msg[name] = value
    msg["Subject"] = reply_subject(patch.mail.subject)
    if date:
        msg["Date"] = _header_text(date)
        msg["Message-ID"] = _draft_msgid(date, patch.msgid, reviewer)
    own = _msgid(patch.msgid)
    if own:
        msg["In-Reply-To"] = own
        refs = [r for r in (_msgid(x) for x in patch.mail.references) if r and r != own]
        msg["References"] = " ".join(dict.fromkeys(refs + [own]))
    body = reply_body(patch, findings, signoff, _follow_up(report, patch.index, include_series))
    _set_body(msg, body)
    if html_attachment is not None:
        msg.add_attachment(html_attachment, subtype="html", charset="utf-8", filename="report.html")
        digest = hashlib.sha256((body + html_attachment).encode("utf-8", "replace")).hexdigest()
        msg.set_boundary(f"reviewpatch-{digest[:32]}")  # deterministic, not in the text
    return msg


def _worth_saying(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """What goes to the author: warnings and errors.  Notes (what the tool
    could not see, what the message already explains, trailers to collect)
    are for the reviewer and stay in the report."""
    return tuple(f for f in findings if f.severity is not Severity.NOTE)


def _draft_msgid(date: str, replied: str, reviewer: Person | None) -> str:
    """A Message-ID for the draft, stable for one date and patch."""
    domain = reviewer.email.rpartition("@")[2] if reviewer and "@" in reviewer.email else ""
    digest = hashlib.sha256(f"{date}\0{replied}".encode("utf-8", "replace")).hexdigest()
    return f"<reviewpatch-{digest[:20]}@{domain or 'reviewpatch.invalid'}>"


def _targets(report: Report, which: str) -> list[int]:
    if which.strip().lower() == "all":
        wanted = {f.location.patch_index for f in _worth_saying(report.findings)}
        view = since_view(report)
        if view is not None:
            wanted.update(p.index for p in view.patches if _open(p.requests))
            if _open(_unplaced(view)):
                wanted.add(None)
        home = _home_index(report)
        if None in wanted and home is not None:
            wanted.add(home)
        return [p.index for p in report.series.all_patches if p.index in wanted]
    try:
        return [int(which)]
    except ValueError:
        raise UsageError(f"--reply {which!r}: give a patch number or 'all'") from None


def _reviewer(report: Report) -> Person | None:
    value = report.meta_value("reviewer")
    if not value:
        return None
    name, _, email = value.rpartition("<")
    return Person(name.strip().strip('"'), email.strip().rstrip(">").strip())


def _html(report: Report) -> str:
    try:
        from reviewpatch.render.html import render_html
    except ImportError as exc:
        raise UsageError(f"--attach-report: the HTML renderer is unavailable ({exc})") from None
    return render_html(report)


def render_reply_command(
    report: Report, which: str, *, attach_report: bool, warn: Callable[[str], None]
) -> str:
    """The text of ``--format reply``: one message for ``which`` = N, an
    mbox of one draft per patch with findings for ``which`` = "all"."""
    targets = _targets(report, which)
    html = _html(report) if attach_report else None
    reviewer = _reviewer(report)
    single = which.strip().lower() != "all"
    messages: list[EmailMessage] = []
    dropped: list[str] = []
    for index in targets:
        msg = render_reply(
            report,
            index,
            include_series=True if single else None,
            reviewer=reviewer,
            html_attachment=html,
            drop_lists=attach_report,
            date=report.meta_value("date"),
        )
        patch = report.series.patch(index)
        if attach_report and patch is not None:
            dropped += _recipients(patch, reviewer, True)[2]
        messages.append(msg)
    if dropped:
        lists = ", ".join(dict.fromkeys(dropped))
        warn(
            f"left {lists} out of the draft: those lists reject mail with HTML parts; "
            "consider sending the report to the author only"
        )
    if not messages:
        warn("no findings: no reply drafted")
        return ""
    if single:
        return message_text(messages[0])
    return "".join(f"{MBOX_FROM}\n{_mangle(message_text(m))}\n" for m in messages)


def message_text(msg: EmailMessage) -> str:
    """The message as text, an 8bit body kept as 8bit.  (``as_string``
    would turn an 8bit UTF-8 body into base64.)"""
    return msg.as_bytes(policy=default_policy).decode("utf-8", "replace")


def _mangle(text: str) -> str:
    """mboxrd quoting of body lines that would read as a From_ line."""
    return re.sub(r"^(>*From )", r">\1", text, flags=re.MULTILINE)
