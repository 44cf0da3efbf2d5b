"""The public-inbox client and its on-disk cache: the only HTTP in reviewpatch.

``ArchiveClient`` fetches a whole thread (``<base>/<msgid>/t.mbox.gz``) or one
raw mail (``<base>/<msgid>/raw``) from a public-inbox archive such as
lore.kernel.org.  Everything it needs is injected: the requests Session, the
``Cache``, the timeout, the number of retries and the ``sleep`` used between
them, so tests run against 127.0.0.1 without waiting.

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
    "gunzip_bytes",
    "message_url",
    "normalize_msgid",
    "quote_msgid",
    "read_git_config",
    "user_agent",
]

import gzip
import hashlib
import io
import os
import re
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from reviewpatch import __version__
from reviewpatch.errors import (
    CorruptArchiveError,
    FetchError,
    NotFoundError,
    ReviewpatchError,
)
from reviewpatch.settings import DEFAULT_ARCHIVE, Settings

if TYPE_CHECKING:
    import requests

ENV_ARCHIVE = "REVIEWPATCH_ARCHIVE"
# A decompressed thread larger than this is refused (a gzip bomb, not a thread).
MAX_MBOX_BYTES = 512 * 1024 * 1024
# Characters public-inbox leaves unescaped in a Message-ID path segment;
# everything else, '/' included, is percent-encoded.
_MID_SAFE = "-._~!$&'()*+,;=:@"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_GONE_STATUS = frozenset({404, 410})
_BACKOFF_FIRST = 0.5
_BACKOFF_MAX = 8.0
_KINDS = ("thread", "raw")
_LORE_ALL = "https://lore.kernel.org/all"
# (host, path) of redirectors -> the archive base they stand for.
_REDIRECTORS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("lore.kernel.org", ""): _LORE_ALL,
        ("lore.kernel.org", "/r"): _LORE_ALL,
        ("patch.msgid.link", ""): _LORE_ALL,
    }
)

Progress = Callable[[str], None]


def user_agent() -> str:
    """The User-Agent every request sends."""
    return f"reviewpatch/{__version__}"


def normalize_msgid(msgid: str) -> str:
    """A Message-ID without surrounding blanks, ``<>`` or a ``mid:``/``id:``
    prefix."""
    text = msgid.strip()
    for prefix in ("mid:", "id:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :].strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text


def quote_msgid(msgid: str) -> str:
    """The Message-ID as a public-inbox path segment (``/`` becomes ``%2F``,
    ``@`` stays)."""
    return quote(normalize_msgid(msgid), safe=_MID_SAFE)


def message_url(base: str, msgid: str) -> str:
    """The archive page of one message: ``<base>/<quoted msgid>/``."""
    return f"{base.rstrip('/')}/{quote_msgid(msgid)}/"


def gunzip_bytes(
    data: bytes,
    origin: str,
    error: type[ReviewpatchError] = CorruptArchiveError,
    limit: int = MAX_MBOX_BYTES,
) -> bytes:
    """Decompress gzip ``data`` (all members); truncated, corrupt or
    oversized input raises ``error`` naming ``origin``."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as stream:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
                if out.tell() > limit:
                    raise error(f"{origin}: decompressed data exceeds {limit} bytes")
    except EOFError as exc:
        raise error(f"{origin}: truncated gzip data ({exc})") from exc
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise error(f"{origin}: corrupt gzip data ({exc})") from exc
    return out.getvalue()


def default_cache_dir() -> Path:
    """The user cache directory of reviewpatch (platform dependent)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("reviewpatch"))


@dataclass(frozen=True)
class Cache:
    """Fetched mails on disk, keyed by archive base URL, Message-ID and kind
    (``thread`` or ``raw``).  Writes are atomic (temp file, then rename)."""

    root: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> Cache:
        """The cache under ``settings.cache_dir`` or the user cache dir."""
        if settings.cache_dir:
            return cls(Path(settings.cache_dir).expanduser())
        return cls(default_cache_dir())

    def path_for(self, base: str, msgid: str, kind: str) -> Path:
        """Where one entry lives (whether or not it exists)."""
        if kind not in _KINDS:
            raise ValueError(f"unknown cache kind {kind!r}")
        key = f"{base.rstrip('/')}\0{normalize_msgid(msgid)}".encode("utf-8", "surrogateescape")
        digest = hashlib.sha256(key).hexdigest()
        return self.root / "mail" / digest[:2] / f"{digest}.{kind}"

    def get(self, base: str, msgid: str, kind: str) -> bytes | None:
        """The cached bytes, or None when absent or unreadable."""
        try:
            return self.path_for(base, msgid, kind).read_bytes()
        except OSError:
            return None

    def age(self, base: str, msgid: str, kind: str, now: float) -> float | None:
        """Seconds since the entry was written, or None when absent."""
        try:
            return max(0.0, now - self.path_for(base, msgid, kind).stat().st_mtime)
        except OSError:
            return None

    def put(self, base: str, msgid: str, kind: str, data: bytes) -> Path:
        """Store ``data`` atomically; raises OSError when the disk refuses."""
        path = self.path_for(base, msgid, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def _no_progress(_message: str) -> None:
    """The default progress callback: say nothing."""


@dataclass(frozen=True)
class ArchiveClient:
    """A public-inbox client with a cache.

    ``offline`` reads only the cache; ``refresh`` ignores the cache and
    rewrites it.  A cached thread older than ``max_age`` seconds is fetched
    again (replies keep coming); when that fetch fails the old copy is used
    and the progress callback says so.  A single raw mail never changes and
    never expires.  ``retries`` is the number of retries after the first
    attempt on 5xx answers, timeouts and connection errors; ``sleep`` waits
    between them (exponential backoff).
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
            raw = self.cache.get(self.base, mid, "raw")
            if raw is not None:
                return raw
            raise self._not_cached(mid)
        url = f"{message_url(self.base, mid)}t.mbox.gz"
        try:
            body = self._get(url, mid)
        except NotFoundError:
            return self.raw(mid)
        except FetchError as exc:
            if cached is None:
                raise
            self.progress(f"using the cached thread of <{mid}>: {exc}")
            return cached
        data = _maybe_gunzip(body, url)
        self._store(mid, "thread", data)
        return data

    def raw(self, msgid: str) -> bytes:
        """The one mail ``msgid`` as the archive stores it."""
        mid = normalize_msgid(msgid)
        cached = self._cached(mid, "raw")
        if cached is not None:
            return cached
        if self.offline:
            raise self._not_cached(mid)
        url = f"{message_url(self.base, mid)}raw"
        data = self._get(url, mid)
        if not data.strip():
            raise CorruptArchiveError(f"{url}: the archive answered with an empty mail")
        self._store(mid, "raw", data)
        return data

    def _cached(self, mid: str, kind: str) -> bytes | None:
        if self.refresh:
            return None
        data = self.cache.get(self.base, mid, kind)
        if data is not None:
            self.progress(f"using cached {kind} of <{mid}> (--refresh fetches it again)")
        return data

    def _fresh(self, mid: str, kind: str) -> bool:
        if self.max_age is None:
            return True
        age = self.cache.age(self.base, mid, kind, self.clock())
        return age is not None and age <= self.max_age

    def _not_cached(self, mid: str) -> NotFoundError:
        return NotFoundError(
            f"Message-ID <{mid}> is not cached for {self.base}; run without --offline to fetch it"
        )

    def _store(self, mid: str, kind: str, data: bytes) -> None:
        try:
            self.cache.put(self.base, mid, kind, data)
        except OSError as exc:
            self.progress(f"warning: could not cache <{mid}> under {self.cache.root}: {exc}")

    def _get(self, url: str, mid: str) -> bytes:
        """GET ``url`` with retries; 404 -> NotFoundError, gives up with
        FetchError."""
        attempts = max(0, self.retries) + 1
        problem = "no attempt made"
        for attempt in range(attempts):
            if attempt:
                self.sleep(min(_BACKOFF_MAX, _BACKOFF_FIRST * 2 ** (attempt - 1)))
            self.progress(f"fetching {url}")
            import requests  # only what fetches pays for importing it

            try:
                response = self.session.get(
                    url, timeout=self.timeout, headers={"User-Agent": self.agent}
                )
                status, content = response.status_code, response.content
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = _short_reason(exc)
                continue
            except requests.RequestException as exc:
                raise FetchError(f"{url}: request failed: {_short_reason(exc)}") from exc
            if status == 200:
                return content
            if status in _GONE_STATUS:
                raise NotFoundError(f"Message-ID <{mid}> not found at {self.base}")
            if status in _RETRY_STATUS:
                problem = f"HTTP {status}"
                continue
            raise FetchError(f"{url}: the archive answered HTTP {status}")
        raise FetchError(
            f"archive {self.base} is unreachable ({problem}; {attempts} attempt(s)); "
            "use --offline if the thread is cached, or pass a local mbox"
        )


def _maybe_gunzip(body: bytes, url: str) -> bytes:
    """Gunzip a t.mbox.gz answer (already decoded when the server used
    Content-Encoding); an empty or non-mbox answer is corrupt."""
    if body[:2] == b"\x1f\x8b":
        data = gunzip_bytes(body, url)
    elif body.startswith(b"From "):
        data = body
    else:
        raise CorruptArchiveError(f"{url}: the archive answered with neither gzip nor mbox data")
    if not data.strip():
        raise CorruptArchiveError(f"{url}: the archive answered with an empty thread")
    return data


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^\"')\]]+)")


def _short_reason(exc: BaseException) -> str:
    """A few words about a requests exception: the operating system's
    reason when one is buried in it ("Connection refused", "Name or service
    not known"), "timed out" for a timeout, else its class and first line."""
    import requests

    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return "timed out"
    found: list[str] = _ERRNO_TEXT.findall(text)
    if found:
        return found[-1].strip().rstrip(".")
    first = text.splitlines()[0] if text else ""
    name = type(exc).__name__
    return f"{name}: {first}"[:200] if first else name


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
