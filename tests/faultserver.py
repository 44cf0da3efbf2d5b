"""A misbehaving HTTP archive on 127.0.0.1, only to inject faults.

The happy paths of fetching are tested against a real public-inbox-httpd
(``publicinbox.py``); this server plays the archive that public-inbox never
is: one that drips a byte at a time, sends a body far larger than any
thread, answers 5xx, resets the connection, cuts a gzip stream short or
answers with an HTML page.  Each path ending is scripted with a list of
``Fault`` steps (one per request, the last one repeating), like a tape.

The server thread and its handler threads stop when the ``with`` block of
``serve_faults`` ends; a dripping handler notices at its next byte.
"""

from __future__ import annotations

__all__ = ["Fault", "FaultServer", "serve_faults"]

import socket
import struct
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Fault:
    """What the server answers to one request.

    ``status``, ``headers`` and ``body`` are sent as given, with a
    Content-Length of the whole body when ``length`` is -1, of ``length``
    when it is another number, and none when it is None.  Then ``pad`` more bytes of ``pad_byte`` follow
    (a huge body without holding it in memory).  ``drip`` > 0 sends the
    body one byte every ``drip`` seconds and then keeps dripping ``pad_byte``
    forever; ``drip_headers`` drips the status line and headers instead.
    ``reset_after`` resets the connection (RST) after that many body bytes.
    """

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    length: int | None = -1
    pad: int = 0
    pad_byte: bytes = b"x"
    drip: float = 0.0
    drip_headers: bool = False
    reset_after: int | None = None


@dataclass
class FaultServer:
    """A running server: ``base_url`` is ``http://127.0.0.1:PORT/inbox``;
    ``hits`` counts the requests per scripted ending."""

    base_url: str
    script: dict[str, list[Fault]]
    stop: threading.Event
    hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self, path: str) -> tuple[str, Fault] | None:
        with self.lock:
            ending = next((e for e in self.script if path.endswith(e)), None)
            if ending is None:
                return None
            steps = self.script[ending]
            self.hits[ending] = self.hits.get(ending, 0) + 1
            return ending, steps.pop(0) if len(steps) > 1 else steps[0]


class _Handler(BaseHTTPRequestHandler):
    server_version = "faultserver"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        state: FaultServer = self.server.state  # type: ignore[attr-defined]
        found = state.next_fault(self.path)
        if found is None:
            self._plain(404, b"no script for this path\n")
            return
        try:
            self._answer(found[1], state.stop)
        except OSError:
            pass  # the client went away: that is what faults are for
        self.close_connection = True

    def _plain(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self, fault: Fault, stop: threading.Event) -> None:
        head = [f"HTTP/1.1 {fault.status} Scripted\r\n"]
        head += [f"{k}: {v}\r\n" for k, v in fault.headers]
        if fault.length == -1:
            head.append(f"Content-Length: {len(fault.body) + fault.pad}\r\n")
        elif fault.length is not None:
            head.append(f"Content-Length: {fault.length}\r\n")
        head.append("Connection: close\r\n\r\n")
        raw_head = "".join(head).encode("latin-1")
        if fault.drip_headers:
            self._drip(raw_head + fault.pad_byte * 1000000, fault.drip, stop)
            return
        self.wfile.write(raw_head)
        if fault.drip:
            self._drip(fault.body, fault.drip, stop)
            while not stop.is_set():
                self._drip(fault.pad_byte, fault.drip, stop)
            return
        body = fault.body
        if fault.reset_after is not None:
            self.wfile.write(body[: fault.reset_after])
            self.wfile.flush()
            self._reset()
            return
        self.wfile.write(body)
        left = fault.pad
        block = fault.pad_byte * _CHUNK
        while left > 0 and not stop.is_set():
            self.wfile.write(block[: min(left, _CHUNK)])
            left -= _CHUNK

    def _drip(self, data: bytes, every: float, stop: threading.Event) -> None:
        for index in range(len(data)):
            if stop.wait(every):
                return
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()

    def _reset(self) -> None:
        """Close with an RST instead of a FIN."""
        linger = struct.pack("ii", 1, 0)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        self.connection.close()


@contextmanager
def serve_faults(script: Mapping[str, Sequence[Fault]]) -> Iterator[FaultServer]:
    """Serve ``script`` on 127.0.0.1 for the ``with`` block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    stop = threading.Event()
    state = FaultServer(
        f"http://127.0.0.1:{port}/inbox", {k: list(v) for k, v in script.items()}, stop
    )
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
