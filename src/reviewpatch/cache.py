"""The on-disk cache of fetched mails: it keeps only what it can check.

Each entry is one file: a header line naming the format, the SHA-256 and
the size of the payload, then the payload (a thread mbox or one raw mail,
as it was verified when fetched: a complete gzip stream, within the size
cap).  Reading an entry checks all three; an entry that is truncated,
altered, larger than the cap or written without a header is *damaged*:
``lookup`` says why, and ``ArchiveClient`` fetches it again or, offline,
refuses it.  Writes are atomic (a temporary file, flushed, then renamed)
and an entry over the cap is never written.
"""

from __future__ import annotations

__all__ = ["ENTRY_FORMAT", "Cache", "CacheLookup", "default_cache_dir", "normalize_msgid"]

import errno
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reviewpatch.download import MAX_MBOX_BYTES
from reviewpatch.settings import Settings

ENTRY_FORMAT = "reviewpatch-cache/1"
_HEADER = re.compile(rb"reviewpatch-cache/1 sha256=([0-9a-f]{64}) size=(\d{1,12})\n")
_HEADER_MAX = 128
_KINDS = ("thread", "raw")


@dataclass(frozen=True)
class CacheLookup:
    """What the cache holds for one key: ``data`` when the entry is there
    and checks out; ``problem`` (a few words) when it is there but damaged;
    neither when there is no entry."""

    path: Path
    data: bytes | None = None
    problem: str | None = None


def default_cache_dir() -> Path:
    """The user cache directory of reviewpatch (platform dependent)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("reviewpatch"))


def normalize_msgid(msgid: str) -> str:
    """A Message-ID without surrounding blanks, ``<>`` or a ``mid:``/``id:``
    prefix (the form cache keys and archive URLs use)."""
    text = msgid.strip()
    for prefix in ("mid:", "id:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :].strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text


@dataclass(frozen=True)
class Cache:
    """Fetched mails on disk, keyed by archive base URL, Message-ID and kind
    (``thread`` or ``raw``); no entry holds more than ``max_bytes``."""

    root: Path
    max_bytes: int = MAX_MBOX_BYTES

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

    def lookup(self, base: str, msgid: str, kind: str) -> CacheLookup:
        """The entry, checked against its header."""
        path = self.path_for(base, msgid, kind)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return CacheLookup(path)
        except OSError as exc:
            return CacheLookup(path, problem=f"cannot be read: {exc.strerror or exc}")
        if size > self.max_bytes + _HEADER_MAX:
            return CacheLookup(
                path, problem=f"holds {size} bytes, more than the {self.max_bytes} it may"
            )
        try:
            content = path.read_bytes()
        except OSError as exc:
            return CacheLookup(path, problem=f"cannot be read: {exc.strerror or exc}")
        return _check(path, content)

    def get(self, base: str, msgid: str, kind: str) -> bytes | None:
        """The cached bytes when the entry is there and checks out, else None."""
        return self.lookup(base, msgid, kind).data

    def age(self, base: str, msgid: str, kind: str, now: float) -> float | None:
        """Seconds since the entry was written, or None when absent."""
        try:
            return max(0.0, now - self.path_for(base, msgid, kind).stat().st_mtime)
        except OSError:
            return None

    def put(self, base: str, msgid: str, kind: str, data: bytes) -> Path:
        """Store ``data`` with its checksum, atomically; raises OSError when
        the disk refuses or ``data`` is larger than ``max_bytes``."""
        if len(data) > self.max_bytes:
            raise OSError(
                errno.EFBIG, f"{len(data)} bytes is more than a cache entry may hold", kind
            )
        path = self.path_for(base, msgid, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = f"{ENTRY_FORMAT} sha256={hashlib.sha256(data).hexdigest()} size={len(data)}\n"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(header.encode("ascii"))
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def _check(path: Path, content: bytes) -> CacheLookup:
    """The payload of an entry's ``content``, or why it is damaged."""
    match = _HEADER.match(content[:_HEADER_MAX])
    if match is None:
        return CacheLookup(
            path, problem="has no checksum header (not written by this reviewpatch, or damaged)"
        )
    expected = int(match.group(2))
    payload = memoryview(content)[match.end() :]
    if len(payload) != expected:
        return CacheLookup(path, problem=f"holds {len(payload)} bytes, not the {expected} written")
    if hashlib.sha256(payload).hexdigest().encode("ascii") != match.group(1):
        return CacheLookup(path, problem="does not match its checksum")
    return CacheLookup(path, data=bytes(payload))
