"""The public-inbox client: the only HTTP in reviewpatch.

``ArchiveClient`` fetches a whole thread (``<base>/<msgid>/t.mbox.gz``) or one
raw mail (``<base>/<msgid>/raw``) from a public-inbox archive such as
lore.kernel.org, through the verified on-disk ``Cache`` (reviewpatch.cache).
Everything it needs is injected: the requests Session, the ``Cache``, the
timeout, the number of retries, the ``sleep`` used between them and the
clocks, so tests run against 127.0.0.1 without waiting.

Every fetch is bounded.  Each attempt must deliver its whole answer within
``timeout`` seconds (a server that drips one byte every few seconds is cut
off, not only one that falls silent), and a whole fetch, the fall-back from
thread to raw mail included, ends within ``timeout x (retries + 1)`` plus the
backoff between attempts.  An answer is refused as soon as it grows past
``max_bytes`` (compressed or not), and only a complete, checked answer is
returned or cached (reviewpatch.download).

``archive_base`` picks the archive: an explicit setting, then the
``REVIEWPATCH_ARCHIVE`` environment variable, then b4's ``b4.midmask`` git
configuration, then the default.
"""

from __future__ import annotations

__all__ = [
    "ENV_ARCHIVE",
    "MAX_MBOX_BYTES",
    "ArchiveClient",
    "Cache",
    "archive_base",
    "canonical_base",
    "default_cache_dir",
    "fetch_budget",
    "gunzip_bytes",
    "message_url",
    "normalize_msgid",
    "quote_msgid",
    "read_git_config",
    "user_agent",
]

import re
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from reviewpatch import __version__
from reviewpatch.atom import SearchResult
from reviewpatch.cache import Cache, CacheLookup, default_cache_dir, normalize_msgid
from reviewpatch.download import (
    MAX_MBOX_BYTES,
    Collect,
    MboxSniffer,
    Sink,
    download,
    gunzip_bytes,
)
from reviewpatch.errors import CorruptArchiveError, FetchError, NotFoundError, ReviewpatchError
from reviewpatch.settings import DEFAULT_ARCHIVE, Settings

if TYPE_CHECKING:
    import requests

ENV_ARCHIVE = "REVIEWPATCH_ARCHIVE"
# Characters public-inbox leaves unescaped in a Message-ID path segment;
# everything else, '/' included, is percent-encoded.
_MID_SAFE = "-._~!$&'()*+,;=:@"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_GONE_STATUS = frozenset({404, 410})
_BACKOFF_FIRST = 0.5
_BACKOFF_MAX = 8.0
_LORE_ALL = "https://lore.kernel.org/all"
# (host, path) of redirectors -> the archive base they stand for.
_REDIRECTORS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("lore.kernel.org", ""): _LORE_ALL,
        ("lore.kernel.org", "/r"): _LORE_ALL,
        ("patch.msgid.link", ""): _LORE_ALL,
    }
)
# The first line of a raw mail: a header field or an mbox separator.
_MAIL_START = re.compile(rb"(From |[!-9;-~]+[ \t]*:)")

Progress = Callable[[str], None]


def user_agent() -> str:
    """The User-Agent every request sends."""
    return f"reviewpatch/{__version__}"


def quote_msgid(msgid: str) -> str:
    """The Message-ID as a public-inbox path segment (``/`` becomes ``%2F``,
    ``@`` stays)."""
    return quote(normalize_msgid(msgid), safe=_MID_SAFE)


def message_url(base: str, msgid: str) -> str:
    """The archive page of one message: ``<base>/<quoted msgid>/``."""
    return f"{base.rstrip('/')}/{quote_msgid(msgid)}/"


def _backoff(attempt: int) -> float:
    """The wait before retry number ``attempt`` (1, 2, ...)."""
    return min(_BACKOFF_MAX, _BACKOFF_FIRST * 2.0 ** (attempt - 1))


def fetch_budget(timeout: float, retries: int) -> float:
    """The longest a whole fetch may take: every attempt to its deadline,
    and the backoff between them."""
    attempts = max(0, retries) + 1
    return max(0.0, timeout) * attempts + sum(_backoff(a) for a in range(1, attempts))


def _no_progress(_message: str) -> None:
    """The default progress callback: say nothing."""


def _short(text: str, limit: int = 200) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


@dataclass(frozen=True)
class ArchiveClient:
    """A public-inbox client with a verified cache.

    ``offline`` reads only the cache; ``refresh`` ignores the cache and
    rewrites it.  A cached thread older than ``max_age`` seconds is fetched
    again (replies keep coming); when that fetch fails the old copy is used
    and the progress callback says so.  A single raw mail never changes and
    never expires.  A damaged cache entry is fetched again, or refused
    offline.  ``timeout`` is the deadline of one attempt, whole answer
    included; ``retries`` is the number of retries after the first attempt on
    5xx answers, timeouts, resets and answers cut short; ``sleep`` waits
    between them (exponential backoff).  ``max_bytes`` caps an answer and a
    cache entry.  ``clock`` (wall time) dates cache entries, ``monotonic``
    times attempts.
    """

    session: requests.Session
    base_url: str
    cache: Cache
    timeout: float = 30.0
    retries: int = 3
    sleep: Callable[[float], None] = time.sleep
    offline: bool = False
    refresh: bool = False
    agent: str = field(default_factory=user_agent)
    progress: Progress = _no_progress
    max_age: float | None = None
    clock: Callable[[], float] = time.time
    max_bytes: int = MAX_MBOX_BYTES
    monotonic: Callable[[], float] = time.monotonic

    @property
    def base(self) -> str:
        """The base URL without a trailing slash."""
        return self.base_url.rstrip("/")

    def thread_mbox(self, msgid: str) -> bytes:
        """The mbox of the whole thread holding ``msgid``.  When the archive
        has no thread for it but serves the mail itself, that one mail."""
        mid = normalize_msgid(msgid)
        cached = self._cached(mid, "thread")
        if cached is not None and (self.offline or self._fresh(mid, "thread")):
            return cached
        if self.offline:
            raw = self._cached(mid, "raw")
            if raw is not None:
                return raw
            raise self._not_cached(mid)
        end = self.monotonic() + fetch_budget(self.timeout, self.retries)
        url = f"{message_url(self.base, mid)}t.mbox.gz"
        try:
            data = self._get(url, mid, end, lambda: MboxSniffer(url, self.max_bytes))
        except NotFoundError:
            return self._raw(mid, end)
        except FetchError as exc:
            if cached is None:
                raise
            self.progress(f"using the cached thread of <{mid}>: {exc}")
            return cached
        self._store(mid, "thread", data)
        return data

    def search(self, query: str) -> SearchResult:
        """The Atom feed of the archive's search for ``query`` (one attempt
        within ``timeout``), or why there is none: ``--offline``, an
        archive without search (HTTP 501) or any other failure.  A search
        is a hint, never a reason to stop the review: nothing is raised."""
        if self.offline:
            return SearchResult(None, "not searched (--offline)")
        url = f"{self.base}/?q={quote(query, safe='')}&x=A"
        self.progress(f"searching {url}")
        try:
            answer = download(
                self.session,
                url,
                headers={"User-Agent": self.agent, "Accept-Encoding": "gzip"},
                deadline=self.monotonic() + self.timeout,
                limit=self.max_bytes,
                make_sink=lambda: Collect(url, self.max_bytes),
                monotonic=self.monotonic,
            )
        except ReviewpatchError as exc:
            return SearchResult(None, f"the search failed: {_short(str(exc))}")
        if answer.status == 501:
            return SearchResult(None, "the archive has no search (HTTP 501)", unsupported=True)
        if answer.problem is not None or answer.status != 200:
            why = answer.problem or f"HTTP {answer.status}"
            return SearchResult(None, f"the search failed: {_short(why)}")
        return SearchResult(answer.data)

    def raw(self, msgid: str) -> bytes:
        """The one mail ``msgid`` as the archive stores it."""
        mid = normalize_msgid(msgid)
        return self._raw(mid, self.monotonic() + fetch_budget(self.timeout, self.retries))

    def _raw(self, mid: str, end: float) -> bytes:
        cached = self._cached(mid, "raw")
        if cached is not None:
            return cached
        if self.offline:
            raise self._not_cached(mid)
        url = f"{message_url(self.base, mid)}raw"
        data = self._get(url, mid, end, lambda: Collect(url, self.max_bytes))
        if not data.strip():
            raise CorruptArchiveError(f"{url}: the archive answered with an empty mail")
        if not _MAIL_START.match(data.lstrip(b"\r\n")):
            raise CorruptArchiveError(f"{url}: the archive answered with something not a mail")
        self._store(mid, "raw", data)
        return data

    def _cached(self, mid: str, kind: str) -> bytes | None:
        """The verified cache entry; a damaged one is refused offline and
        otherwise fetched again."""
        if self.refresh:
            return None
        found = self.cache.lookup(self.base, mid, kind)
        if found.problem is not None:
            if self.offline:
                raise self._damaged(mid, kind, found)
            self.progress(f"the cached {kind} of <{mid}> {found.problem}; fetching it again")
            return None
        if found.data is not None:
            self.progress(f"using cached {kind} of <{mid}> (--refresh fetches it again)")
        return found.data

    def _fresh(self, mid: str, kind: str) -> bool:
        if self.max_age is None:
            return True
        age = self.cache.age(self.base, mid, kind, self.clock())
        return age is not None and age <= self.max_age

    def _not_cached(self, mid: str) -> NotFoundError:
        return NotFoundError(
            f"Message-ID <{mid}> is not cached for {self.base}; run without --offline to fetch it"
        )

    def _damaged(self, mid: str, kind: str, found: CacheLookup) -> CorruptArchiveError:
        return CorruptArchiveError(
            f"the cached {kind} of <{mid}> ({found.path}) {found.problem}; "
            "run without --offline to fetch it again"
        )

    def _store(self, mid: str, kind: str, data: bytes) -> None:
        try:
            self.cache.put(self.base, mid, kind, data)
        except OSError as exc:
            self.progress(f"warning: could not cache <{mid}> under {self.cache.root}: {exc}")

    def _get(self, url: str, mid: str, end: float, make_sink: Callable[[], Sink]) -> bytes:
        """GET ``url`` with retries, every attempt within ``timeout`` and
        all of them by ``end``; 404 -> NotFoundError, gives up with
        FetchError."""
        attempts = max(0, self.retries) + 1
        problem = "no attempt made"
        headers = {"User-Agent": self.agent, "Accept-Encoding": "gzip"}
        made = 0
        for attempt in range(attempts):
            if attempt:
                self.sleep(_backoff(attempt))
            deadline = min(self.monotonic() + self.timeout, end)
            if deadline <= self.monotonic():
                problem = f"{problem}; no time left"
                break
            self.progress(f"fetching {url}")
            made += 1
            answer = download(
                self.session,
                url,
                headers=headers,
                deadline=deadline,
                limit=self.max_bytes,
                make_sink=make_sink,
                monotonic=self.monotonic,
            )
            if answer.problem is not None:
                problem = answer.problem
                continue
            if answer.status == 200:
                return answer.data
            if answer.status in _GONE_STATUS:
                raise NotFoundError(f"Message-ID <{mid}> not found at {self.base}")
            if answer.status in _RETRY_STATUS:
                problem = f"HTTP {answer.status}"
                continue
            raise FetchError(f"{url}: the archive answered HTTP {answer.status}")
        raise FetchError(
            f"archive {self.base} is unreachable ({problem}; {made} attempt(s), "
            f"{self.timeout:g} s each at most); "
            "use --offline if the thread is cached, or pass a local mbox"
        )


def read_git_config(key: str) -> str | None:
    """``git config --get KEY``, or None when unset or git is unavailable."""
    try:
        result = subprocess.run(
            ["git", "config", "--get", key],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = result.stdout.strip()
    return value if result.returncode == 0 and value else None


def _base_from_midmask(mask: str) -> str | None:
    """The archive base of a b4 ``midmask`` such as
    ``https://lore.kernel.org/all/%s``."""
    head, sep, _tail = mask.partition("%s")
    if not sep or not head.startswith(("http://", "https://")):
        return None
    base = head.rstrip("/")
    return base if base.split("://", 1)[1] else None


def archive_base(
    settings: Settings,
    *,
    environ: Mapping[str, str],
    git_config: Callable[[str], str | None],
) -> str:
    """The archive base URL: explicit setting, ``$REVIEWPATCH_ARCHIVE``,
    b4's ``b4.midmask``, then the default (lore.kernel.org/all)."""
    if settings.archive and settings.archive.rstrip("/") != DEFAULT_ARCHIVE:
        return canonical_base(settings.archive)
    env = environ.get(ENV_ARCHIVE, "").strip()
    if env:
        return canonical_base(env)
    mask = git_config("b4.midmask")
    if mask:
        base = _base_from_midmask(mask.strip())
        if base:
            return canonical_base(base)
    return DEFAULT_ARCHIVE


def canonical_base(base: str) -> str:
    """``base`` without a trailing slash; a redirector that only knows
    single messages (``https://lore.kernel.org/r``, ``patch.msgid.link``)
    becomes the archive it redirects to."""
    trimmed = base.strip().rstrip("/")
    parts = urlsplit(trimmed)
    key = (parts.netloc.lower(), parts.path.rstrip("/"))
    return _REDIRECTORS.get(key, trimmed)
