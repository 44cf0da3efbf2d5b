"""Benchmark: the trailers reviewpatch collects per patch against b4's.

Finds real multi-version threads in public-inbox archives (a thread that
holds at least two versions of one series, with review trailers given in
replies), runs ``b4 am`` and ``reviewpatch --format json`` on the head of
the newest version, and compares, patch by patch, the set of (trailer,
address) pairs each tool ends up with::

    python benchmarks/bench_b4.py --b4 /tmp/b4venv/bin/b4 --json /tmp/b4.json

b4's side is the trailer block of each patch of its am-ready mbox (own
trailers, those given in replies, and those it carries from earlier
versions by patch-id).  reviewpatch's side is, per patch, ``trailers``
(own and follow-up) of ``series.patches`` plus ``carried_trailers`` of
``since.patches``.  Compared kinds: Reviewed-by, Acked-by, Tested-by,
Reported-by, Suggested-by, Co-developed-by, Signed-off-by (Link: and
Message-ID: are ignored).  Every difference is traced back to the mails of
the thread that hold the trailer and given a cause.

b4 runs with an isolated git configuration (``b4.midmask``,
``b4.linkmask`` and ``b4.searchmask`` on the archive, attestation off, its
own cache) and with HTTP proxies pointing nowhere, so that it reaches only
127.0.0.1.  Not a test: it asserts nothing.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import dataclasses
import datetime as dt
import email
import email.policy
import email.utils
import gzip
import json
import mailbox
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from xml.etree import ElementTree

ARCHIVES: dict[str, str] = {
    "linux-arch": "http://127.0.0.1:8080/linux-arch",
    "linux-pm": "http://127.0.0.1:8081/linux-pm",
}
QUERY = 's:"PATCH v2" OR s:"PATCH v3" OR s:"PATCH v4" OR s:"PATCH v5" OR s:"PATCH v6"'
KINDS: tuple[str, ...] = (
    "Reviewed-by",
    "Acked-by",
    "Tested-by",
    "Reported-by",
    "Suggested-by",
    "Co-developed-by",
    "Signed-off-by",
)
_KIND_BY_LOWER = {k.lower(): k for k in KINDS}
REVIEW_KINDS = ("Reviewed-by", "Acked-by", "Tested-by")

_ATOM = "{http://www.w3.org/2005/Atom}"
_THREAD = "{http://purl.org/syndication/thread/1.0}"
_RESULTS = re.compile(r"Results \d+-\d+ of (?:~(\d+)|(\d+))")
_REPLY = re.compile(r"^\s*(?:re|aw|sv|fwd?)\s*:", re.IGNORECASE)
_BRACKET = re.compile(r"^\s*\[([^\]]*)\]")
_VERSION = re.compile(r"(?:^|[\s_-])v(\d+)\b", re.IGNORECASE)
_COUNTER = re.compile(r"\b(\d+)/(\d+)\b")
_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*-by):[ \t]*(\S.*)$")
_REVIEW_LINE = re.compile(r"^[ \t]*(?:reviewed|acked|tested)-by:[ \t]*\S.*@", re.I | re.M)
_DIFF = re.compile(r"^diff --git |^--- a/|^Index: ", re.MULTILINE)
_TRAILERISH = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9-]+|Link|Fixes|Cc|Closes):[ \t]*\S")
"""A line b4 takes for a trailer (base-commit: included)."""
_BLOCK_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$")
_NOWHERE_PROXY = "http://127.0.0.1:9"


class BenchError(Exception):
    """A one-line error that ends the run."""


# -- mail of the archive --------------------------------------------------------


def _clean_msgid(value: str | None) -> str:
    if not value:
        return ""
    match = re.search(r"<([^<>\s]+)>", value)
    return match.group(1) if match else value.strip().strip("<>")


def _body(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_content_type() not in ("text/plain", "text/x-patch", "text/x-diff"):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            charset = part.get_content_charset() or "utf-8"
            try:
                return payload.decode(charset, "replace")
            except LookupError:
                return payload.decode("utf-8", "replace")
    return ""


@dataclass(frozen=True)
class Mail:
    """One mail of a thread, as much of it as the comparison needs."""

    msgid: str
    subject: str
    sender: str
    date: float
    in_reply_to: str
    reply: bool
    version: int
    counter: int | None
    total: int | None
    has_diff: bool
    patchish: bool
    body: str

    @property
    def head(self) -> bool:
        """A cover letter, a single patch or patch 1/N of some version."""
        return not self.reply and self.patchish and self.counter in (None, 0, 1)


def _subject_parts(subject: str) -> tuple[bool, bool, int, int | None, int | None]:
    """(reply, patchish, version, counter, total) of a subject."""
    reply = bool(_REPLY.match(subject))
    match = _BRACKET.match(subject)
    if reply or match is None:
        return reply, False, 1, None, None
    tag = match.group(1)
    patchish = bool(re.search(r"patch|rfc", tag, re.IGNORECASE))
    vmatch = _VERSION.search(tag)
    cmatch = _COUNTER.search(tag)
    version = int(vmatch.group(1)) if vmatch else 1
    if cmatch:
        return reply, patchish, version, int(cmatch.group(1)), int(cmatch.group(2))
    return reply, patchish, version, None, None


def _mail(msg: Message) -> Mail:
    subject = " ".join(str(msg.get("Subject", "")).split())
    reply, patchish, version, counter, total = _subject_parts(subject)
    body = _body(msg)
    try:
        parsed = email.utils.parsedate_to_datetime(str(msg.get("Date", "")))
        stamp = parsed.timestamp() if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC).timestamp()
    except (TypeError, ValueError):
        stamp = 0.0
    irt = _clean_msgid(str(msg.get("In-Reply-To", "")))
    if not irt:
        refs = re.findall(r"<([^<>\s]+)>", str(msg.get("References", "")))
        irt = refs[-1] if refs else ""
    return Mail(
        msgid=_clean_msgid(str(msg.get("Message-ID", ""))),
        subject=subject,
        sender=email.utils.parseaddr(str(msg.get("From", "")))[1].lower(),
        date=stamp,
        in_reply_to=irt,
        reply=reply,
        version=version,
        counter=counter,
        total=total,
        has_diff=bool(_DIFF.search(body)),
        patchish=patchish,
        body=body,
    )


def _read_mbox(data: bytes) -> list[Message]:
    with tempfile.NamedTemporaryFile(suffix=".mbox") as tmp:
        tmp.write(data)
        tmp.flush()
        box = mailbox.mbox(tmp.name, factory=None, create=False)
        try:
            return [
                email.message_from_bytes(box.get_bytes(key), policy=email.policy.compat32)
                for key in box.iterkeys()
            ]
        finally:
            box.close()


def _get(url: str, timeout: float = 60.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "reviewpatch-bench-b4"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - local archive
            return int(resp.status), bytes(resp.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise BenchError(f"{url}: {exc}") from exc


def _thread(base: str, msgid: str) -> list[Mail]:
    url = f"{base}/{urllib.parse.quote(msgid, safe='@+=')}/t.mbox.gz"
    status, data = _get(url)
    if status != 200:
        raise BenchError(f"{url}: the archive answered HTTP {status}")
    return [_mail(m) for m in _read_mbox(gzip.decompress(data))]


# -- drawing threads ------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A thread chosen for the comparison."""

    list_name: str
    base: str
    msgid: str
    """The head of the newest version: what both tools are given."""
    versions: tuple[int, ...]
    mails: int
    review_replies: int
    earlier_review_replies: int
    """Replies with review trailers given on an earlier version than the newest."""


def _search_url(base: str, query: str, **params: str | int) -> str:
    parts = [f"q={urllib.parse.quote(query, safe='')}"]
    parts.extend(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in params.items())
    return f"{base}/?{'&'.join(parts)}"


def _estimate(base: str, query: str) -> int:
    url = _search_url(base, query, l=1)
    status, body = _get(url)
    if status != 200:
        raise BenchError(f"{url}: the archive answered HTTP {status} (is search enabled?)")
    match = _RESULTS.search(body.decode("utf-8", "replace"))
    if match is None:
        raise BenchError(f"{url}: no result count in the search page")
    return int(match.group(1) or match.group(2))


@dataclass(frozen=True)
class _Entry:
    msgid: str
    subject: str
    has_parent: bool


def _page(base: str, query: str, offset: int, size: int) -> list[_Entry]:
    url = _search_url(base, query, x="A", o=offset, l=size)
    status, body = _get(url)
    if status == 404 or b"<entry" not in body:
        return []
    if status != 200:
        raise BenchError(f"{url}: the archive answered HTTP {status}")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise BenchError(f"{url}: the Atom feed does not parse ({exc})") from exc
    out: list[_Entry] = []
    for entry in root.findall(f"{_ATOM}entry"):
        link = entry.find(f"{_ATOM}link")
        href = link.get("href", "") if link is not None else ""
        segments = [s for s in urllib.parse.urlsplit(href).path.split("/") if s]
        if not segments:
            continue
        out.append(
            _Entry(
                msgid=urllib.parse.unquote(segments[-1]),
                subject=" ".join((entry.findtext(f"{_ATOM}title") or "").split()),
                has_parent=entry.find(f"{_THREAD}in-reply-to") is not None,
            )
        )
    return out


def _root(mails: dict[str, Mail], mail: Mail) -> Mail:
    """The first non-reply mail up the In-Reply-To chain (the mail itself
    when it is not a reply)."""
    seen: set[str] = set()
    while mail.reply and mail.in_reply_to in mails and mail.msgid not in seen:
        seen.add(mail.msgid)
        mail = mails[mail.in_reply_to]
    return mail


def _series_mails(thread: list[Mail]) -> list[Mail]:
    return [m for m in thread if not m.reply and m.patchish and (m.has_diff or m.counter == 0)]


def _judge(list_name: str, base: str, thread: list[Mail]) -> Candidate | None:
    """The thread as a candidate, or None when it is not a multi-version
    thread with review trailers in replies."""
    series = _series_mails(thread)
    versions = sorted({m.version for m in series})
    if len(versions) < 2:
        return None
    by_id = {m.msgid: m for m in thread}
    newest = versions[-1]
    replies = [m for m in thread if m.reply and _REVIEW_LINE.search(_unquoted(m.body))]
    if not replies:
        return None
    earlier = sum(1 for m in replies if _root(by_id, m).version < newest)
    heads = [m for m in series if m.version == newest and m.counter in (None, 0, 1)]
    if not heads:
        return None
    # the cover letter, else patch 1/N, else the single patch; the latest one sent
    heads.sort(key=lambda m: (m.counter != 0, m.counter != 1, -m.date, m.msgid))
    return Candidate(
        list_name=list_name,
        base=base,
        msgid=heads[0].msgid,
        versions=tuple(versions),
        mails=len(thread),
        review_replies=len(replies),
        earlier_review_replies=earlier,
    )


def _unquoted(body: str) -> str:
    return "\n".join(line for line in body.split("\n") if not line.lstrip().startswith(">"))


def draw(list_name: str, base: str, limit: int, seed: int, log: bool) -> list[Candidate]:
    """``limit`` multi-version threads of one archive, drawn at seeded
    random offsets of the search for v2-v6 subjects (deterministic for a
    given archive)."""
    total = _estimate(base, QUERY)
    rng = random.Random(f"{seed}:{list_name}")
    out: list[Candidate] = []
    seen_threads: set[str] = set()
    draws = 0
    while len(out) < limit and draws < limit * 40:
        draws += 1
        offset = rng.randrange(max(1, total))
        for entry in _page(base, QUERY, offset, 25):
            reply, patchish, version, counter, _ = _subject_parts(entry.subject)
            if reply or not patchish or version < 2 or counter not in (None, 0):
                continue
            if not entry.has_parent or entry.msgid in seen_threads:
                continue
            try:
                thread = _thread(base, entry.msgid)
            except BenchError as exc:
                if log:
                    print(f"  skipped {entry.msgid}: {exc}", file=sys.stderr)
                continue
            seen_threads.update(m.msgid for m in thread)
            cand = _judge(list_name, base, thread)
            if cand is not None:
                out.append(cand)
                if log:
                    print(
                        f"  [{list_name} {len(out)}/{limit}] {cand.msgid} "
                        f"v{','.join(map(str, cand.versions))}",
                        file=sys.stderr,
                    )
                break
    return out


# -- the two tools --------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    """One trailer of one patch, as one tool has it."""

    kind: str
    email: str
    value: str
    origin: str = ""
    """The Message-ID it came from, when the tool says (reviewpatch only)."""
    how: str = ""
    """own, followup or carried (reviewpatch only)."""

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.email


def _tag(name: str, value: str, origin: str = "", how: str = "") -> Tag | None:
    kind = _KIND_BY_LOWER.get(name.strip().lower())
    if kind is None:
        return None
    addr = email.utils.parseaddr(value)[1].lower()
    if "@" not in addr:
        match = re.search(r"[\w.+-]+@[\w.-]+", value)
        addr = match.group(0).lower() if match else " ".join(value.lower().split())
    return Tag(kind, addr, " ".join(value.split()), origin, how)


@dataclass
class ToolSide:
    """One tool's collected trailers of one series."""

    version: int | None = None
    patches: dict[int, list[Tag]] = field(default_factory=dict)
    msgids: dict[int, str] = field(default_factory=dict)
    status: dict[int, str] = field(default_factory=dict)
    """reviewpatch only: each patch's status against the previous version."""
    previous: int | None = None
    error: str = ""


def _b4_block(body: str) -> list[tuple[str, str]]:
    """The trailer block of an am-ready commit message: the last paragraph
    above the first ``---`` line."""
    text = body.split("\n---\n", 1)[0] if "\n---\n" in body else body
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text.strip("\n")) if p.strip()]
    if not paragraphs:
        return []
    out: list[tuple[str, str]] = []
    for line in paragraphs[-1].split("\n"):
        match = _BLOCK_LINE.match(line.strip())
        if match:
            out.append((match.group(1), match.group(2).strip()))
    return out


def _b4_env(home: Path, base: str) -> dict[str, str]:
    config = home / "gitconfig"
    config.write_text(
        "[b4]\n"
        f"\tmidmask = {base}/%s\n"
        f"\tlinkmask = {base}/%s\n"
        f"\tsearchmask = {base}/?x=m&q=%s\n"
        "\tattestation-policy = off\n"
        "[user]\n\tname = Bench\n\temail = bench@localhost\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        {
            "HOME": str(home),
            "GIT_CONFIG_GLOBAL": str(config),
            "GIT_CONFIG_NOSYSTEM": "1",
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "http_proxy": _NOWHERE_PROXY,
            "https_proxy": _NOWHERE_PROXY,
            "HTTP_PROXY": _NOWHERE_PROXY,
            "HTTPS_PROXY": _NOWHERE_PROXY,
            "no_proxy": "127.0.0.1,localhost",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    return env


def run_b4(b4: str, cand: Candidate, work: Path, timeout: float) -> ToolSide:
    """b4 am on the candidate; the trailer block of each patch of its
    am-ready mbox."""
    home = work / "b4home"
    home.mkdir(parents=True, exist_ok=True)
    repo = home / "repo"
    if not repo.exists():
        subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True)
    env = _b4_env(home, cand.base)
    side = ToolSide()
    try:
        proc = subprocess.run(
            [b4, "am", "-i", "-C", "-o", "-", cand.msgid],
            cwd=repo,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        side.error = f"b4 am timed out after {timeout:.0f} s"
        return side
    stderr = proc.stderr.decode("utf-8", "replace")
    match = re.search(r"Will use the latest revision: v(\d+)", stderr)
    if proc.returncode != 0 or not proc.stdout.strip():
        last = [line for line in stderr.strip().split("\n") if line.strip()]
        side.error = f"b4 am exited {proc.returncode}: {last[-1] if last else 'no output'}"
        return side
    for msg in _read_mbox(proc.stdout):
        subject = " ".join(str(msg.get("Subject", "")).split())
        _, _, version, counter, _ = _subject_parts(subject)
        side.version = version
        index = counter or 1
        tags: list[Tag] = []
        for name, value in _b4_block(_body(msg)):
            if name.lower() == "message-id":
                side.msgids[index] = _clean_msgid(value)
            tag = _tag(name, value)
            if tag is not None:
                tags.append(tag)
        side.patches[index] = tags
    if match:
        side.version = int(match.group(1))
    return side


def _jobj(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _jlist(value: object) -> list[object]:
    return value if isinstance(value, list) else []


_CARRIED = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s*(.*?)\s*\(<([^<>]*)>\)\s*$")


def run_reviewpatch(exe: str, cand: Candidate, work: Path, timeout: float) -> ToolSide:
    """reviewpatch --format json on the candidate: per patch its trailers
    (own and follow-up) and those carried from the previous version."""
    side = ToolSide()
    cache = work / "rp-cache"
    cmd = [exe, cand.msgid, "--archive", cand.base, "--format", "json"]
    cmd += ["--cache-dir", str(cache), "--fail-on", "error", "--color", "never"]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({"http_proxy": _NOWHERE_PROXY, "https_proxy": _NOWHERE_PROXY})
    env.update({"no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"})
    env.pop("REVIEWPATCH_ARCHIVE", None)
    try:
        proc = subprocess.run(
            cmd, cwd=work, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        side.error = f"reviewpatch timed out after {timeout:.0f} s"
        return side
    if proc.returncode not in (0, 1):
        last = proc.stderr.decode("utf-8", "replace").strip().split("\n")[-1]
        side.error = f"reviewpatch exited {proc.returncode}: {last}"
        return side
    try:
        doc = _jobj(json.loads(proc.stdout))
    except json.JSONDecodeError as exc:
        side.error = f"reviewpatch JSON does not parse: {exc}"
        return side
    series = _jobj(doc.get("series"))
    version = series.get("version")
    side.version = version if isinstance(version, int) else None
    for raw in _jlist(series.get("patches")):
        patch = _jobj(raw)
        index = patch.get("index")
        if not isinstance(index, int):
            continue
        side.msgids[index] = str(patch.get("msgid") or "")
        tags: list[Tag] = []
        for rawt in _jlist(patch.get("trailers")):
            tr = _jobj(rawt)
            how = "followup" if tr.get("followup") else "own"
            origin = str(tr.get("origin_msgid") or "")
            tag = _tag(str(tr.get("name") or ""), str(tr.get("value") or ""), origin, how)
            if tag is not None:
                tags.append(tag)
        side.patches[index] = tags
    since = doc.get("since")
    if isinstance(since, dict):
        prev = since.get("version")
        side.previous = prev if isinstance(prev, int) else None
        for raw in _jlist(since.get("patches")):
            sp = _jobj(raw)
            index = sp.get("index")
            if not isinstance(index, int):
                continue
            side.status[index] = str(sp.get("status") or "")
            for text in _jlist(sp.get("carried_trailers")):
                match = _CARRIED.match(str(text))
                if match is None:
                    continue
                tag = _tag(match.group(1), match.group(2), match.group(3), "carried")
                if tag is not None:
                    side.patches.setdefault(index, []).append(tag)
    return side


# -- comparison -----------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A mail of the thread that holds a trailer."""

    msgid: str
    where: str
    """own (in a patch's block), cover-reply, patch-reply, other-reply."""
    version: int
    counter: int | None
    sender_matches: bool
    depth: int = 0
    """Replies between it and the patch or cover letter (0: a direct reply)."""


def _sources(thread: list[Mail], tag: Tag) -> list[Source]:
    by_id = {m.msgid: m for m in thread}
    out: list[Source] = []
    for mail in thread:
        found = False
        for line in _unquoted(mail.body).split("\n"):
            match = _TRAILER.match(line.strip())
            if not match:
                continue
            other = _tag(match.group(1), match.group(2))
            if other is not None and other.key == tag.key:
                found = True
                break
        if not found:
            continue
        if not mail.reply:
            where = "own" if mail.has_diff else "cover"
            out.append(Source(mail.msgid, where, mail.version, mail.counter, True))
            continue
        root = _root(by_id, mail)
        if root.reply:
            where = "other-reply"
        elif root.has_diff:
            where = "patch-reply"
        else:
            where = "cover-reply"
        depth, up = 0, mail
        while up.in_reply_to in by_id and by_id[up.in_reply_to].reply and depth < 50:
            depth, up = depth + 1, by_id[up.in_reply_to]
        matches = mail.sender == tag.email
        out.append(Source(mail.msgid, where, root.version, root.counter, matches, depth))
    return out


@dataclass(frozen=True)
class Difference:
    list_name: str
    msgid: str
    patch: int
    patch_msgid: str
    side: str
    """b4 (only in b4) or reviewpatch (only in reviewpatch)."""
    kind: str
    email: str
    value: str
    cause: str
    sources: tuple[str, ...]


def _cause_b4_only(tag: Tag, index: int, rp: ToolSide, newest: int, sources: list[Source]) -> str:
    """Why b4 has ``tag`` on patch ``index`` and reviewpatch has not, from
    the mails of the thread that hold it."""
    replies = [s for s in sources if s.where != "own"]
    if not sources:
        return "b4: found outside the thread (patch-id search of the archive)"
    prev = rp.previous
    status = rp.status.get(index, "")
    if replies and not any(s.sender_matches for s in replies):
        return "b4: accepts a reply tag whose address is not the sender's (same name)"
    if (
        replies
        and all(s.depth > 0 for s in replies if s.version == newest)
        and any(s.version == newest for s in replies)
    ):
        return "reviewpatch: a tag in a reply to a reply not collected"
    here = [s for s in replies if s.where == "patch-reply" and (s.counter or 1) == index]
    if any(s.version == newest for s in here):
        if tag.kind == "Signed-off-by":
            return "b4: takes a Signed-off-by given in a reply to the patch"
        return "reviewpatch: a reply to this patch not collected"
    if any(s.where == "cover-reply" and s.version == newest for s in replies):
        return "b4: a reply to the cover letter is credited to every patch"
    earlier = [s for s in here if s.version < newest]
    if earlier:
        if prev is None:
            return "reviewpatch: no previous version found"
        if all(s.version != prev for s in earlier):
            return "b4: carries from a version older than the previous one"
        if status != "unchanged":
            return f"b4: patch-id equal, reviewpatch maps the patch as {status or 'unmapped'}"
        return "reviewpatch: unchanged patch, trailer not carried"
    if any(s.where == "cover-reply" and s.version < newest for s in replies):
        return "b4: carries a cover-letter reply of an earlier version"
    if any(s.where == "patch-reply" for s in replies):
        return "b4: a reply to another patch (of this or another version)"
    if any(s.where == "other-reply" for s in replies):
        return "b4: a reply to a mail outside the series"
    if any(s.where in ("own", "cover") for s in sources):
        return "b4: only in a patch's own block of another patch or version"
    return "other"


def _cause_rp_only(tag: Tag, thread: list[Mail], b4_version: int | None, newest: int) -> str:
    by_id = {m.msgid: m for m in thread}
    origin = by_id.get(tag.origin)
    if tag.how == "own":
        return "reviewpatch: own block differs from b4's"
    if tag.how == "carried":
        if origin is not None and not _root(by_id, origin).has_diff:
            return "reviewpatch: carries a cover-letter reply of the previous version"
        return "reviewpatch: carried from the previous version, b4 did not"
    if origin is None:
        return "reviewpatch: follow-up from a mail not in the thread"
    if origin.sender != tag.email:
        return "b4: ignores a reply tag that names someone other than the sender"
    root = _root(by_id, origin)
    if (
        not root.reply
        and not root.has_diff
        and root.in_reply_to
        and any(_TRAILERISH.match(line.strip()) for line in _unquoted(root.body).split("\n"))
    ):
        return (
            "b4: takes a cover letter that answers another mail and holds a trailer-like"
            " line (base-commit:) for a reply, and credits its replies' tags upthread"
        )
    if root.reply:
        return "reviewpatch: follow-up in a reply to a mail outside the series"
    if b4_version is not None and root.version != b4_version:
        return "reviewpatch: follow-up given on another version"
    return "reviewpatch: follow-up b4 did not apply"


@dataclass
class ThreadResult:
    cand: Candidate
    b4_version: int | None
    rp_version: int | None
    rp_previous: int | None
    patches: int = 0
    equal: int = 0
    error: str = ""
    differences: list[Difference] = field(default_factory=list)
    per_kind: dict[str, list[int]] = field(default_factory=dict)
    """kind -> [patches where both tools have the same set of that kind, patches where either has one]."""


def compare(cand: Candidate, b4: ToolSide, rp: ToolSide, thread: list[Mail]) -> ThreadResult:
    res = ThreadResult(cand, b4.version, rp.version, rp.previous)
    if b4.error or rp.error:
        res.error = "; ".join(e for e in (b4.error, rp.error) if e)
        return res
    newest = max(cand.versions)
    if b4.version != rp.version:
        res.error = f"versions differ: b4 v{b4.version}, reviewpatch v{rp.version}"
    for index in sorted(set(b4.patches) | set(rp.patches)):
        b4_tags = b4.patches.get(index, [])
        rp_tags = rp.patches.get(index, [])
        res.patches += 1
        if index not in b4.patches or index not in rp.patches:
            absent = "reviewpatch" if index not in rp.patches else "b4"
            has = "b4" if absent == "reviewpatch" else "reviewpatch"
            res.differences.append(
                Difference(
                    cand.list_name,
                    cand.msgid,
                    index,
                    rp.msgids.get(index) or b4.msgids.get(index, ""),
                    has,
                    "(patch)",
                    "",
                    f"{len(b4_tags) + len(rp_tags)} trailers",
                    (
                        "a different newest version"
                        if b4.version != rp.version
                        else f"{absent}: the patch is not in its series"
                    ),
                    (),
                )
            )
            continue
        b4_keys = {t.key for t in b4_tags}
        rp_keys = {t.key for t in rp_tags}
        for kind in KINDS:
            bk = {k for k in b4_keys if k[0] == kind}
            rk = {k for k in rp_keys if k[0] == kind}
            if bk or rk:
                counts = res.per_kind.setdefault(kind, [0, 0])
                counts[1] += 1
                counts[0] += int(bk == rk)
        if b4_keys == rp_keys:
            res.equal += 1
            continue
        pmsgid = rp.msgids.get(index) or b4.msgids.get(index, "")
        only_b4 = {t.key: t for t in b4_tags if t.key not in rp_keys}
        only_rp = {t.key: t for t in rp_tags if t.key not in b4_keys}
        names_rp = {(t.kind, _name(t.value)): t for t in only_rp.values()}
        names_b4 = {(t.kind, _name(t.value)) for t in only_b4.values()}
        for key in sorted(only_b4):
            tag = only_b4[key]
            sources = _sources(thread, tag)
            if b4.version != rp.version:
                cause = "a different newest version"
            elif (tag.kind, _name(tag.value)) in names_rp:
                cause = "address differs (same name, other address)"
            else:
                cause = _cause_b4_only(tag, index, rp, newest, sources)
            res.differences.append(
                Difference(
                    cand.list_name,
                    cand.msgid,
                    index,
                    pmsgid,
                    "b4",
                    tag.kind,
                    tag.email,
                    tag.value,
                    cause,
                    tuple(f"{s.where} v{s.version} depth {s.depth} {s.msgid}" for s in sources),
                )
            )
        for key in sorted(only_rp):
            tag = only_rp[key]
            if b4.version != rp.version:
                cause = "a different newest version"
            elif (tag.kind, _name(tag.value)) in names_b4:
                cause = "address differs (same name, other address)"
            else:
                cause = _cause_rp_only(tag, thread, b4.version, newest)
            res.differences.append(
                Difference(
                    cand.list_name,
                    cand.msgid,
                    index,
                    pmsgid,
                    "reviewpatch",
                    tag.kind,
                    tag.email,
                    tag.value,
                    cause,
                    (f"{tag.how} {tag.origin}",),
                )
            )
    return res


def _name(value: str) -> str:
    name = email.utils.parseaddr(value)[0] or value.split("<")[0]
    return " ".join(re.sub(r"[^\w\s]", " ", name.lower()).split())


# -- main -----------------------------------------------------------------------


def _read_msgids(path: Path) -> Iterator[tuple[str, str]]:
    """(list, msgid) per line of ``path``: ``LIST MSGID`` or ``MSGID`` (then
    the first list given)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BenchError(f"{path}: {exc.strerror or exc}") from exc
    for line in text.split("\n"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) == 1:
            yield "", _clean_msgid(parts[0])
        else:
            yield parts[0], _clean_msgid(parts[1])


def _archives(specs: Iterable[str]) -> dict[str, str]:
    out = dict(ARCHIVES)
    for spec in specs:
        name, sep, url = spec.partition("=")
        if not sep or not name or not url:
            raise BenchError(f"--archive {spec!r}: expected LIST=URL")
        out[name] = url.rstrip("/")
    return out


def _summary(results: list[ThreadResult]) -> dict[str, object]:
    ok = [r for r in results if not r.error or r.error.startswith("versions differ")]
    diffs = [d for r in ok for d in r.differences]
    causes = Counter(f"only in {d.side}: {d.cause}" for d in diffs)
    kinds: dict[str, list[int]] = {}
    for r in ok:
        for kind, (same, seen) in r.per_kind.items():
            acc = kinds.setdefault(kind, [0, 0])
            acc[0] += same
            acc[1] += seen
    return {
        "threads_drawn": len(results),
        "threads_examined": len(ok),
        "threads_failed": [
            {"msgid": r.cand.msgid, "error": r.error}
            for r in results
            if r.error and not r.error.startswith("versions differ")
        ],
        "patches_compared": sum(r.patches for r in ok),
        "patches_equal": sum(r.equal for r in ok),
        "differences": len(diffs),
        "by_kind": {k: {"equal": v[0], "patches": v[1]} for k, v in sorted(kinds.items())},
        "by_cause": dict(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _b4_version(b4: str) -> str:
    try:
        proc = subprocess.run([b4, "--version"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{b4}: cannot run ({exc})") from exc
    if proc.returncode != 0:
        raise BenchError(f"{b4} --version exited {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace").strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument(
        "--list",
        action="append",
        help="list to draw from (repeatable; default: every list of --archive)",
    )
    ap.add_argument(
        "--archive",
        action="append",
        default=[],
        metavar="LIST=URL",
        help="public-inbox base of one list (defaults: the local linux-arch and linux-pm)",
    )
    ap.add_argument("--limit", type=int, default=30, help="threads per list (default 30)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the draw (default 1)")
    ap.add_argument("--msgids", type=Path, help="file of 'LIST MSGID' lines instead of a draw")
    ap.add_argument("--b4", default=shutil.which("b4") or "b4", help="the b4 program")
    ap.add_argument("--reviewpatch", default=shutil.which("reviewpatch") or "reviewpatch")
    ap.add_argument("--timeout", type=float, default=300.0, help="per tool run, seconds")
    ap.add_argument("--json", type=Path, help="write every number and difference here")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except BenchError as exc:
        print(f"bench_b4: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    archives = _archives(args.archive)
    lists: list[str] = args.list or list(archives)
    for name in lists:
        if name not in archives:
            raise BenchError(f"--list {name}: no archive for it (give --archive {name}=URL)")
    b4_version = _b4_version(args.b4)
    log = not args.quiet
    cands: list[Candidate] = []
    if args.msgids is not None:
        for list_name, msgid in _read_msgids(args.msgids):
            name = list_name or lists[0]
            if name not in archives:
                raise BenchError(f"{args.msgids}: no archive for list {name}")
            thread = _thread(archives[name], msgid)
            cand = _judge(name, archives[name], thread)
            if cand is None:
                cand = Candidate(name, archives[name], msgid, (), len(thread), 0, 0)
            cands.append(cand)
    else:
        for name in lists:
            cands.extend(draw(name, archives[name], args.limit, args.seed, log))
    results: list[ThreadResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-b4-") as tmp:
        work = Path(tmp)
        for n, cand in enumerate(cands, 1):
            if log:
                print(f"[{n}/{len(cands)}] {cand.list_name} {cand.msgid}", file=sys.stderr)
            thread = _thread(cand.base, cand.msgid)
            if not cand.versions:
                cand = dataclasses.replace(
                    cand, versions=tuple(sorted({m.version for m in _series_mails(thread)}))
                )
            b4 = run_b4(args.b4, cand, work, args.timeout)
            rp = run_reviewpatch(args.reviewpatch, cand, work, args.timeout)
            results.append(compare(cand, b4, rp, thread))
    summary = _summary(results)
    _print(results, summary, b4_version)
    if args.json is not None:
        doc = {
            "b4_version": b4_version,
            "seed": args.seed,
            "limit": args.limit,
            "lists": lists,
            "summary": summary,
            "threads": [
                {
                    "list": r.cand.list_name,
                    "msgid": r.cand.msgid,
                    "versions": list(r.cand.versions),
                    "mails": r.cand.mails,
                    "review_replies": r.cand.review_replies,
                    "earlier_review_replies": r.cand.earlier_review_replies,
                    "b4_version": r.b4_version,
                    "reviewpatch_version": r.rp_version,
                    "reviewpatch_previous": r.rp_previous,
                    "patches": r.patches,
                    "equal": r.equal,
                    "error": r.error,
                    "differences": [dataclasses.asdict(d) for d in r.differences],
                }
                for r in results
            ],
        }
        args.json.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def _print(results: list[ThreadResult], summary: dict[str, object], b4_version: str) -> None:
    print(f"b4 {b4_version}")
    for r in results:
        if r.error and not r.error.startswith("versions differ"):
            print(f"failed  {r.cand.msgid}: {r.error}")
    for r in results:
        for d in r.differences:
            mark = "only-in-b4" if d.side == "b4" else "only-in-reviewpatch"
            print(f"differs {d.msgid} patch {d.patch}: {mark} {d.kind}: {d.value} -- {d.cause}")
    print(f"threads examined:  {summary['threads_examined']} of {summary['threads_drawn']}")
    print(f"patches compared:  {summary['patches_compared']}")
    print(f"patches equal:     {summary['patches_equal']}")
    print(f"differences:       {summary['differences']}")
    by_kind = summary["by_kind"]
    if isinstance(by_kind, dict):
        print("per kind (patches with the same set / patches where either has one):")
        for kind, v in by_kind.items():
            if isinstance(v, dict):
                print(f"  {kind:16} {v['equal']}/{v['patches']}")
    by_cause = summary["by_cause"]
    if isinstance(by_cause, dict):
        print("by cause:")
        for cause, count in by_cause.items():
            print(f"  {count:4}  {cause}")


if __name__ == "__main__":
    sys.exit(main())
