"""One bounded HTTP GET: a deadline for the whole answer, a cap on its size.

``download`` makes one attempt at fetching a URL and gives an ``Answer``
by a deadline, whatever the server does: it may drip a byte every few
seconds (each read is then quick, so a read timeout alone never fires),
stall in the middle of its headers, or send a gigabyte.  The attempt runs
in a worker thread that checks the deadline between reads and shortens the
socket's timeout to the time left; the caller waits for it no longer than
the deadline, so even a server that drips its headers cannot hold a fetch.

The body streams through a ``Sink`` that decodes it as it arrives (gzip,
members one after another) and refuses it as soon as it exceeds the cap,
compressed or decompressed: nothing larger than the cap is ever held whole,
and nothing is returned that was not complete.

Transient faults (connection refused or reset, timeouts, a body cut short)
come back as ``Answer.problem`` for the caller to retry; a corrupt or
oversized answer raises ``CorruptArchiveError``.
"""

from __future__ import annotations

__all__ = [
    "MAX_MBOX_BYTES",
    "Answer",
    "Collect",
    "Gunzip",
    "MboxSniffer",
    "Sink",
    "download",
    "gunzip_bytes",
    "short_reason",
]

import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from reviewpatch.errors import CorruptArchiveError, FetchError, ReviewpatchError

if TYPE_CHECKING:
    import requests

# The largest thread (decompressed) or download reviewpatch accepts: the
# biggest kernel threads on lore are a few MB; more is a gzip bomb or a
# misconfigured archive, not a patch series.
MAX_MBOX_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
# The most decompressed output one step of the gzip decoder may produce.
_STEP = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_MBOX_START = b"From "
# How much later than the deadline the caller looks at a worker (its own
# deadline message is more precise than the caller's).
_GRACE = 0.05
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^\"')\]]+)")


class Sink(Protocol):
    """Where the body goes as it arrives."""

    def feed(self, data: bytes) -> None:
        """Take the next bytes; raise when they make the answer unacceptable."""

    def finish(self) -> bytes:
        """The whole decoded answer; raise when it is incomplete."""


class Collect:
    """Keeps the bytes, refusing more than ``limit`` of them."""

    def __init__(
        self, origin: str, limit: int, error: type[ReviewpatchError] = CorruptArchiveError
    ) -> None:
        self._origin, self._limit, self._error = origin, limit, error
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            self._parts.clear()
            raise self._error(
                f"{self._origin}: decompressed data exceeds {self._limit} bytes "
                "(no patch series is that large)"
            )
        self._parts.append(data)

    def finish(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class Gunzip:
    """Decompresses gzip data (one member after another, zero padding
    between them allowed) into ``downstream``, never more than one step of
    output at a time."""

    def __init__(
        self, origin: str, downstream: Sink, error: type[ReviewpatchError] = CorruptArchiveError
    ) -> None:
        self._origin, self._downstream, self._error = origin, downstream, error
        self._inflate = zlib.decompressobj(wbits=31)
        self._between = True  # no member begun, or the last one ended

    def feed(self, data: bytes) -> None:
        try:
            self._feed(data)
        except zlib.error as exc:
            raise self._error(f"{self._origin}: corrupt gzip data ({exc})") from exc

    def _feed(self, data: bytes) -> None:
        while True:
            if self._between:
                data = data.lstrip(b"\0")
                if not data:
                    return
                self._inflate = zlib.decompressobj(wbits=31)
                self._between = False
            out = self._inflate.decompress(data, _STEP)
            if out:
                self._downstream.feed(out)
            if self._inflate.eof:
                data, self._between = self._inflate.unused_data, True
                continue
            data = self._inflate.unconsumed_tail
            if not data and len(out) < _STEP:
                return

    def finish(self) -> bytes:
        if not self._between:
            raise self._error(f"{self._origin}: truncated gzip data (the stream ends early)")
        return self._downstream.finish()


class MboxSniffer:
    """A thread answer: gzip of an mbox, or an mbox as it is (a server that
    used Content-Encoding).  Anything else is refused at its first bytes."""

    def __init__(self, origin: str, limit: int, *, gzip_allowed: bool = True) -> None:
        self._origin, self._limit, self._gzip_allowed = origin, limit, gzip_allowed
        self._head = b""
        self._sink: Sink | None = None

    def feed(self, data: bytes) -> None:
        if self._sink is None:
            self._head += data
            if len(self._head) < len(_MBOX_START):
                return
            self._sink = self._choose()
            data, self._head = self._head, b""
        self._sink.feed(data)

    def _choose(self) -> Sink:
        if self._gzip_allowed and self._head.startswith(_GZIP_MAGIC):
            inner = MboxSniffer(self._origin, self._limit, gzip_allowed=False)
            return Gunzip(self._origin, inner)
        if self._head.startswith(_MBOX_START):
            return Collect(self._origin, self._limit)
        raise CorruptArchiveError(
            f"{self._origin}: the archive answered with neither gzip nor mbox data"
        )

    def finish(self) -> bytes:
        if self._sink is None:
            if self._head.strip():
                self._choose()  # raises: too short to be either
            raise CorruptArchiveError(f"{self._origin}: the archive answered with an empty thread")
        return self._sink.finish()


def gunzip_bytes(
    data: bytes,
    origin: str,
    error: type[ReviewpatchError] = CorruptArchiveError,
    limit: int = MAX_MBOX_BYTES,
) -> bytes:
    """Decompress gzip ``data`` (all members); truncated, corrupt or
    oversized input raises ``error`` naming ``origin``."""
    stream = Gunzip(origin, Collect(origin, limit, error), error)
    for start in range(0, len(data), _STEP):
        stream.feed(data[start : start + _STEP])
    return stream.finish()


@dataclass(frozen=True)
class Answer:
    """The outcome of one attempt: an HTTP status and, for 200, the whole
    decoded body; or a ``problem`` (a few words) worth another attempt."""

    status: int = 0
    data: bytes = b""
    problem: str | None = None


def download(
    session: requests.Session,
    url: str,
    *,
    headers: Mapping[str, str],
    deadline: float,
    limit: int,
    make_sink: Callable[[], Sink],
    monotonic: Callable[[], float] = time.monotonic,
) -> Answer:
    """GET ``url`` once: the whole answer by ``deadline`` (a ``monotonic()``
    time), the body through a new ``make_sink()``, at most ``limit`` bytes
    on the wire.  Raises FetchError for a request that cannot be made and
    CorruptArchiveError for an unacceptable body."""
    box: list[Answer | BaseException] = []
    cancel = threading.Event()
    attempt = _Attempt(session, url, dict(headers), deadline, limit, make_sink, monotonic, cancel)

    def work() -> None:
        try:
            box.append(attempt.run())
        except BaseException as exc:  # noqa: BLE001 (handed to the caller, raised there)
            box.append(exc)

    worker = threading.Thread(target=work, name="reviewpatch-download", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - monotonic()) + _GRACE)
    if worker.is_alive() or not box:
        cancel.set()  # the worker stops at its next read; nobody waits for it
        return Answer(problem="timed out")
    result = box[0]
    if isinstance(result, BaseException):
        raise result
    return result


@dataclass(frozen=True)
class _Attempt:
    session: requests.Session
    url: str
    headers: dict[str, str]
    deadline: float
    limit: int
    make_sink: Callable[[], Sink]
    monotonic: Callable[[], float]
    cancel: threading.Event

    def left(self) -> float:
        return self.deadline - self.monotonic()

    def run(self) -> Answer:
        import requests

        left = self.left()
        if left <= 0:
            return Answer(problem="timed out")
        try:
            response = self.session.get(
                self.url, headers=self.headers, timeout=(left, left), stream=True
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            return Answer(problem=short_reason(exc))
        except requests.RequestException as exc:
            raise FetchError(f"{self.url}: request failed: {short_reason(exc)}") from exc
        try:
            if response.status_code != 200:
                return Answer(status=response.status_code)
            return self._body(response)
        finally:
            if response.raw is not None:  # a canned answer has nothing to close
                response.close()

    def _body(self, response: requests.Response) -> Answer:
        declared = _declared_length(response)
        if declared is not None and declared > self.limit:
            raise CorruptArchiveError(
                f"{self.url}: the archive announces {declared} bytes, more than the "
                f"{self.limit} an answer may have"
            )
        sink = self.make_sink()
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            sink = Gunzip(self.url, sink)
        elif encoding not in ("identity", ""):
            raise CorruptArchiveError(f"{self.url}: unsupported Content-Encoding {encoding!r}")
        received, problem = self._pump(response, sink)
        if problem is not None:
            return Answer(problem=problem)
        if declared is not None and received < declared:
            return Answer(problem=f"connection closed after {received} of {declared} bytes")
        return Answer(status=200, data=sink.finish())

    def _pump(self, response: requests.Response, sink: Sink) -> tuple[int, str | None]:
        """Feed the body to ``sink`` as it arrives, read without decoding,
        each read bounded by the time left: (bytes received, the transient
        problem that stopped it or None)."""
        import urllib3

        raw = response.raw
        if not isinstance(raw, urllib3.BaseHTTPResponse):  # a test adapter's canned answer
            return self._pump_content(response, sink)
        sock = _socket_of(raw)
        received = 0
        while True:
            left = self.left()
            if left <= 0 or self.cancel.is_set():
                return received, "timed out"
            if sock is not None:
                sock.settimeout(left)
            try:
                chunk = raw.read1(_CHUNK, decode_content=False)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                return received, short_reason(exc)
            if not chunk:
                return received, None
            received = self._take(received, chunk, sink)

    def _pump_content(self, response: requests.Response, sink: Sink) -> tuple[int, str | None]:
        """A body that is no urllib3 stream (an adapter's canned answer)."""
        import requests

        try:
            content = response.content
        except requests.RequestException as exc:
            return 0, short_reason(exc)
        received = 0
        for start in range(0, len(content), _CHUNK):
            received = self._take(received, content[start : start + _CHUNK], sink)
        return received, None

    def _take(self, received: int, chunk: bytes, sink: Sink) -> int:
        received += len(chunk)
        if received > self.limit:
            raise CorruptArchiveError(
                f"{self.url}: the answer exceeds {self.limit} bytes (no patch series is that large)"
            )
        sink.feed(chunk)
        return received


def _declared_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    try:
        return max(0, int(value.strip()))
    except ValueError:
        return None


def _socket_of(raw: object) -> socket.socket | None:
    """The socket under a urllib3 response, when it shows it."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def short_reason(exc: BaseException) -> str:
    """A few words about a requests or urllib3 exception: the operating
    system's reason when one is buried in it ("Connection refused", "Name or
    service not known"), "timed out" for a timeout, else its class and first
    line."""
    import requests
    import urllib3

    text = str(exc)
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
        return "timed out"
    found: list[str] = _ERRNO_TEXT.findall(text)
    if found:
        return found[-1].strip().rstrip(".")
    first = text.splitlines()[0] if text else ""
    name = type(exc).__name__
    return f"{name}: {first}"[:200] if first else name
