"""Resolve the SOURCE argument into bytes of mails.

SOURCE is, in this order of precedence: ``-`` (stdin); an existing path (an
mbox, .eml, .patch or .gz file, a maildir, or a directory of ``git
format-patch`` output); an archive URL (``https://lore.kernel.org/<list>/
<msgid>/`` and its ``T/``, ``t.mbox.gz``, ``raw`` forms, or any public-inbox
base); or a Message-ID (something with an ``@`` and no blanks, ``<>``
optional).  Only URLs and Message-IDs touch the network, through
``reviewpatch.fetch``.
"""

from __future__ import annotations

__all__ = ["Blob", "SourceData", "classify", "load_source", "parse_archive_url"]

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import unquote, urlsplit

from reviewpatch.errors import NoPatchError, ParseError, UsageError
from reviewpatch.fetch import (
    ArchiveClient,
    Cache,
    archive_base,
    canonical_base,
    gunzip_bytes,
    message_url,
    normalize_msgid,
    read_git_config,
)
from reviewpatch.settings import Settings

if TYPE_CHECKING:
    import requests

Progress = Callable[[str], None]

# Files of a directory that hold mails (``git format-patch`` output and co).
_DIR_SUFFIXES = (".patch", ".eml", ".mbox", ".mbox.gz", ".patch.gz", ".eml.gz")
# Trailing path segments of a public-inbox message URL after the Message-ID.
_URL_SUFFIXES = frozenset({"T", "t", "raw", "t.mbox.gz", "t.atom", "f", "d", "s", "#R"})
# Hosts that may be given without a scheme.
_BARE_HOSTS = ("lore.kernel.org/", "patch.msgid.link/")


@dataclass(frozen=True)
class Blob:
    """The bytes of one mail or mbox, and where they came from (a path as
    given, a URL, or ``<stdin>``)."""

    origin: str
    data: bytes


@dataclass(frozen=True)
class SourceData:
    """What a SOURCE yielded.  ``kind`` is one of ``stdin``, ``file``,
    ``directory``, ``maildir``, ``url``, ``msgid``.  ``msgid`` and
    ``archive_url`` (the archive's base URL, which links append a
    Message-ID to) are set when the mails came from an archive."""

    blobs: tuple[Blob, ...]
    msgid: str | None
    archive_url: str | None
    kind: str


def classify(source: str) -> str:
    """``stdin``, ``path``, ``url`` or ``msgid``; UsageError when SOURCE is
    none of these."""
    if source == "-":
        return "stdin"
    if not source.strip():
        raise UsageError("empty SOURCE: give a Message-ID, an archive URL, a file or -")
    if os.path.lexists(os.path.expanduser(source)):
        return "path"
    if source.lower().startswith(("http://", "https://") + _BARE_HOSTS):
        return "url"
    mid = normalize_msgid(source)
    if "@" in mid and not any(ch.isspace() for ch in mid) and "\0" not in mid:
        return "msgid"
    raise UsageError(f"{source}: no such file or directory, and not a Message-ID or URL")


def parse_archive_url(url: str) -> tuple[str, str]:
    """(base URL, Message-ID) of a public-inbox message URL."""
    text = url.strip()
    if text.lower().startswith(_BARE_HOSTS):
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{url}: not an http(s) archive URL")
    segments = [s for s in parts.path.split("/") if s]
    while segments and segments[-1] in _URL_SUFFIXES:
        segments.pop()
    index = next((i for i in range(len(segments) - 1, -1, -1) if "@" in unquote(segments[i])), None)
    if index is None:
        raise UsageError(f"{url}: the URL names no Message-ID")
    msgid = normalize_msgid(unquote(segments[index]))
    prefix = "/" + "/".join(segments[:index]) if index else ""
    return canonical_base(f"{parts.scheme}://{parts.netloc}{prefix}"), msgid


def load_source(
    source: str,
    settings: Settings,
    *,
    stdin: BinaryIO | None = None,
    session: requests.Session | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    git_config: Callable[[str], str | None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> SourceData:
    """Read or fetch the mails named by ``source``.

    ``environ`` and ``git_config`` (default: the process environment and
    ``git config``) choose the archive for a bare Message-ID; ``sleep`` is
    the backoff between retries (default: time.sleep)."""
    kind = classify(source)
    if kind == "stdin":
        return _from_stdin(stdin)
    if kind == "path":
        return _from_path(source)
    if kind == "url":
        base, msgid = parse_archive_url(source)
    else:
        msgid = normalize_msgid(source)
        base = archive_base(
            settings,
            environ=os.environ if environ is None else environ,
            git_config=git_config or read_git_config,
        )
    return _from_archive(base, msgid, kind, settings, session, progress, sleep)


def _from_archive(
    base: str,
    msgid: str,
    kind: str,
    settings: Settings,
    session: requests.Session | None,
    progress: Progress | None,
    sleep: Callable[[float], None] | None,
) -> SourceData:
    """Fetch the thread of ``msgid`` from ``base`` (or the cache)."""
    if settings.offline and settings.refresh:
        raise UsageError("--offline and --refresh cannot be combined")
    import requests  # a local file never pays for importing it

    own = session is None
    http = requests.Session() if session is None else session
    try:
        client = ArchiveClient(
            session=http,
            base_url=base,
            cache=Cache.from_settings(settings),
            timeout=settings.timeout,
            retries=settings.retries,
            offline=settings.offline,
            refresh=settings.refresh,
            max_age=settings.cache_max_age,
            sleep=sleep or time.sleep,
            progress=progress or (lambda _m: None),
        )
        data = client.thread_mbox(msgid)
    finally:
        if own:
            http.close()
    url = message_url(base, msgid)
    return SourceData(blobs=(Blob(url, data),), msgid=msgid, archive_url=client.base, kind=kind)


def _from_stdin(stdin: BinaryIO | None) -> SourceData:
    """Read all of stdin (gunzipped when it is gzip)."""
    stream = stdin if stdin is not None else sys.stdin.buffer
    try:
        data = stream.read()
    except OSError as exc:
        raise UsageError(f"<stdin>: cannot read: {exc.strerror or exc}") from exc
    data = _decompress(data, "<stdin>", force=False)
    if not data.strip():
        raise NoPatchError("<stdin>: empty input")
    return SourceData(blobs=(Blob("<stdin>", data),), msgid=None, archive_url=None, kind="stdin")


def _from_path(source: str) -> SourceData:
    """Read a file, a maildir or a directory of patches."""
    path = Path(os.path.expanduser(source))
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            files, kind = _maildir_files(path), "maildir"
        else:
            files, kind = _patch_files(path), "directory"
        if not files:
            what = (
                "mails in cur/ or new/" if kind == "maildir" else "*.patch, *.eml or *.mbox files"
            )
            raise NoPatchError(f"{source}: no {what}")
        blobs = tuple(b for b in (_read_file(f, str(f)) for f in files) if b.data.strip())
        if not blobs:
            raise NoPatchError(f"{source}: every file is empty")
        return SourceData(blobs=blobs, msgid=None, archive_url=None, kind=kind)
    blob = _read_file(path, source)
    if not blob.data.strip():
        raise NoPatchError(f"{source}: empty file")
    return SourceData(blobs=(blob,), msgid=None, archive_url=None, kind="file")


def _maildir_files(path: Path) -> tuple[Path, ...]:
    """The mail files of a maildir's cur/ and new/, sorted by name."""
    found: list[Path] = []
    for sub in ("cur", "new"):
        folder = path / sub
        if folder.is_dir():
            found.extend(f for f in _listdir(folder) if f.is_file() and not f.name.startswith("."))
    return tuple(sorted(found, key=lambda f: f.name))


def _patch_files(path: Path) -> tuple[Path, ...]:
    """The *.patch / *.eml / *.mbox (and .gz) files of a directory, sorted."""
    return tuple(
        sorted(
            (
                f
                for f in _listdir(path)
                if f.name.lower().endswith(_DIR_SUFFIXES)
                and not f.name.startswith(".")
                and f.is_file()
            ),
            key=lambda f: f.name,
        )
    )


def _listdir(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError as exc:
        raise UsageError(f"{folder}: cannot list directory: {exc.strerror or exc}") from exc


def _read_file(path: Path, origin: str) -> Blob:
    """The bytes of one file, gunzipped when it is gzip."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{origin}: cannot read: {exc.strerror or exc}") from exc
    return Blob(origin, _decompress(data, origin, force=path.name.lower().endswith(".gz")))


def _decompress(data: bytes, origin: str, *, force: bool) -> bytes:
    """Gunzip ``data`` when it starts with the gzip magic (or ``force`` and
    it is not plain text already)."""
    if data[:2] == b"\x1f\x8b" or (force and data and not data[:5].isascii()):
        return gunzip_bytes(data, origin, error=ParseError)
    return data
