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
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import unquote, urlsplit

from reviewpatch.errors import NoPatchError, ReviewpatchError, UsageError
from reviewpatch.model import InputProblem
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
# Compressed bytes handed to the inflater at a time.
_GZIP_STEP = 1 << 16


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
    Message-ID to) are set when the mails came from an archive.
    ``problems`` are the files of a directory that could not be read, or
    read only in part (a truncated gzip file): the others are reviewed."""

    blobs: tuple[Blob, ...]
    msgid: str | None
    archive_url: str | None
    kind: str
    problems: tuple[InputProblem, ...] = ()


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
    from reviewpatch.fetch import normalize_msgid  # a local file never pays for the client

    mid = normalize_msgid(source)
    if "@" in mid and not any(ch.isspace() for ch in mid) and "\0" not in mid:
        return "msgid"
    raise UsageError(f"{source}: no such file or directory, and not a Message-ID or URL")


def parse_archive_url(url: str) -> tuple[str, str]:
    """(base URL, Message-ID) of a public-inbox message URL."""
    from reviewpatch.fetch import canonical_base, normalize_msgid

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
    limit = settings.limits.decompressed_bytes
    if kind == "stdin":
        return _from_stdin(stdin, limit)
    if kind == "path":
        return _from_path(source, limit)
    from reviewpatch.fetch import archive_base, normalize_msgid, read_git_config

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

    from reviewpatch.fetch import ArchiveClient, Cache, message_url

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


def _from_stdin(stdin: BinaryIO | None, limit: int) -> SourceData:
    """Read all of stdin (gunzipped when it is gzip)."""
    stream = stdin if stdin is not None else sys.stdin.buffer
    try:
        data = stream.read()
    except OSError as exc:
        raise UsageError(f"<stdin>: cannot read: {exc.strerror or exc}") from exc
    blob, problem = _blob(data, "<stdin>", False, limit)
    if not blob.data.strip():
        raise NoPatchError(problem.message if problem else "<stdin>: empty input")
    return SourceData(
        blobs=(blob,),
        msgid=None,
        archive_url=None,
        kind="stdin",
        problems=(problem,) if problem else (),
    )


def _from_path(source: str, limit: int) -> SourceData:
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
        return _from_files(source, files, kind, limit)
    blob, problem = _read_file(path, source, limit)
    if not blob.data.strip():
        raise NoPatchError(problem.message if problem else f"{source}: empty file")
    problems = (problem,) if problem else ()
    return SourceData(blobs=(blob,), msgid=None, archive_url=None, kind="file", problems=problems)


def _from_files(source: str, files: tuple[Path, ...], kind: str, limit: int) -> SourceData:
    """Read the files of a directory; one that cannot be read (or only in
    part) is a problem of the review, not the end of it."""
    blobs: list[Blob] = []
    problems: list[InputProblem] = []
    for path in files:
        try:
            blob, problem = _read_file(path, str(path), limit)
        except ReviewpatchError as exc:
            problems.append(InputProblem(str(path), exc.message))
            continue
        if problem is not None:
            problems.append(problem)
        if blob.data.strip():
            blobs.append(blob)
    if not blobs:
        detail = f": {problems[0].message}" if problems else ""
        raise NoPatchError(f"{source}: every file is empty or unreadable{detail}")
    return SourceData(
        blobs=tuple(blobs), msgid=None, archive_url=None, kind=kind, problems=tuple(problems)
    )


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


def _read_file(path: Path, origin: str, limit: int) -> tuple[Blob, InputProblem | None]:
    """The bytes of one file, gunzipped when it is gzip (see ``_blob``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{origin}: cannot read: {exc.strerror or exc}") from exc
    return _blob(data, origin, path.name.lower().endswith(".gz"), limit)


def _blob(data: bytes, origin: str, gz_name: bool, limit: int) -> tuple[Blob, InputProblem | None]:
    """``data`` as a Blob, gunzipped when it starts with the gzip magic (or
    has a ``.gz`` name and is not plain text).  Damaged gzip data gives what
    came out before the damage and a problem; more than ``limit`` bytes
    out gives nothing and a problem."""
    if not (data[:2] == b"\x1f\x8b" or (gz_name and data and not data[:5].isascii())):
        return Blob(origin, data), None
    out, trouble = _gunzip(data, limit)
    if trouble is None:
        return Blob(origin, out), None
    if trouble == "limit":
        message = (
            f"{origin}: decompresses to more than {limit:,} bytes, the limit "
            "(limit decompressed-bytes); the file was not read"
        )
        return Blob(origin, b""), InputProblem(origin, message, skipped=True)
    if out.strip():
        trouble += f"; the {len(out):,} bytes before the damage were read"
    else:
        trouble += "; nothing could be read"
    return Blob(origin, out), InputProblem(origin, f"{origin}: {trouble}")


def _gunzip(data: bytes, limit: int) -> tuple[bytes, str | None]:
    """Inflate every gzip member of ``data``, at most ``limit`` bytes out.
    Returns the bytes out and None, or what came out before the trouble
    and a few words on it ("limit" when past the limit)."""
    out = bytearray()
    rest = data
    while rest.strip(b"\0"):  # members, then maybe zero padding
        inflater = zlib.decompressobj(wbits=31)
        for start in range(0, len(rest), _GZIP_STEP):
            try:
                out += inflater.decompress(rest[start : start + _GZIP_STEP], limit + 1 - len(out))
            except zlib.error:
                return bytes(out), "damaged gzip data"
            if len(out) > limit or inflater.unconsumed_tail:
                return b"", "limit"
            if inflater.eof:
                break
        if not inflater.eof:
            return bytes(out), "the gzip data ends early (a truncated file)"
        rest = inflater.unused_data
    return bytes(out), None
