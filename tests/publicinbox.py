"""Build a throw-away public-inbox and serve it with public-inbox-httpd.

Everything lives under one temporary directory: HOME, PI_CONFIG and the v2
inbox itself, so nothing touches the real home.  Mails are delivered one at a
time with ``public-inbox-mda``; the server listens on 127.0.0.1 only and is
stopped (its whole process group) at the end.
"""

from __future__ import annotations

__all__ = [
    "InboxError",
    "PublicInbox",
    "build_inbox",
    "fixture_mails",
    "free_port",
    "msgid_of",
    "public_inbox_missing",
    "serve_inbox",
    "split_mbox",
]

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_TOOLS = ("public-inbox-init", "public-inbox-mda", "public-inbox-httpd")
_FROM_LINE = re.compile(rb"^From \S+.*$")
_ESCAPED_FROM = re.compile(rb"^>(>*From )")
_MSGID = re.compile(rb"^message-id:[ \t]*<([^>\s]+)>", re.IGNORECASE | re.MULTILINE)
INBOX_ADDRESS = "test@example.org"


class InboxError(RuntimeError):
    """Building or serving the test inbox failed (a test-setup problem)."""


@dataclass(frozen=True)
class PublicInbox:
    """A served inbox: ``base_url`` (``http://127.0.0.1:PORT/NAME``), the
    Message-IDs it holds (in import order) and its directory."""

    base_url: str
    msgids: tuple[str, ...]
    root: Path
    port: int


def public_inbox_missing() -> str | None:
    """Why the public-inbox tests cannot run, or None when they can."""
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        return f"public-inbox is not installed ({', '.join(missing)} not on PATH)"
    return None


def split_mbox(data: bytes) -> tuple[bytes, ...]:
    """The mails of an mbox (mboxrd ``>From`` unescaped); a file without
    ``From `` separators is one mail."""
    lines = data.splitlines(keepends=True)
    if not lines or not _FROM_LINE.match(lines[0]):
        return (data,) if data.strip() else ()
    mails: list[bytes] = []
    current: list[bytes] = []
    previous_blank = True
    for line in lines:
        if previous_blank and _FROM_LINE.match(line):
            if current:
                mails.append(b"".join(current))
            current = []
        else:
            current.append(_ESCAPED_FROM.sub(rb"\1", line))
        previous_blank = not line.strip()
    if current:
        mails.append(b"".join(current))
    return tuple(m for m in mails if m.strip())


def msgid_of(mail: bytes) -> str | None:
    """The Message-ID of a raw mail (header part only), without ``<>``."""
    head = mail.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n")
    match = _MSGID.search(head)
    return match.group(1).decode("utf-8", "replace") if match else None


def fixture_mails(paths: Iterable[Path]) -> tuple[bytes, ...]:
    """Every mail of the given mbox / eml files, duplicates (same
    Message-ID) and mails without a Message-ID left out."""
    seen: set[str] = set()
    mails: list[bytes] = []
    for path in paths:
        for mail in split_mbox(path.read_bytes()):
            mid = msgid_of(mail)
            if mid and mid not in seen:
                seen.add(mid)
                mails.append(mail)
    return tuple(mails)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PI_", "GIT_"))}
    env.update(HOME=str(root), PI_CONFIG=str(root / "pi-config"), PI_DIR=str(root / "pi-dir"))
    env.update(GIT_CONFIG_NOSYSTEM="1", LC_ALL="C.UTF-8")
    return env


def _run(cmd: list[str], env: dict[str, str], stdin: bytes | None = None) -> None:
    result = subprocess.run(
        cmd, check=False, input=stdin, env=env, capture_output=True, timeout=120
    )
    if result.returncode != 0:
        err = result.stderr.decode("utf-8", "replace").strip()
        raise InboxError(f"{cmd[0]} failed ({result.returncode}): {err}")


def build_inbox(root: Path, name: str, mails: Iterable[bytes], port: int) -> tuple[str, ...]:
    """Create a v2 inbox NAME under ``root`` and deliver ``mails``; return
    the Message-IDs delivered (a mail that public-inbox-mda refuses is left
    out, so one odd fixture cannot break every fetch test)."""
    env = _env(root)
    url = f"http://127.0.0.1:{port}/{name}"
    _run(["public-inbox-init", "-V2", name, str(root / name), url, INBOX_ADDRESS], env)
    _run(["git", "config", "-f", env["PI_CONFIG"], "publicinboxmda.spamcheck", "none"], env)
    delivered: list[str] = []
    mda_env = dict(env, ORIGINAL_RECIPIENT=INBOX_ADDRESS)
    for mail in mails:
        try:
            _run(["public-inbox-mda", "--no-precheck"], mda_env, stdin=mail)
        except InboxError:
            continue  # a mail the archive refuses is simply not in the inbox
        mid = msgid_of(mail)
        if mid:
            delivered.append(mid)
    return tuple(delivered)


def _wait_listening(proc: subprocess.Popen[bytes], port: int, deadline: float) -> None:
    """Poll until ``port`` accepts connections; the wait between polls is
    the child's own wait(), which also notices an early exit."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            pass
        try:
            code = proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise InboxError(f"public-inbox-httpd exited with {code} before listening on {port}")
    raise InboxError(f"public-inbox-httpd did not listen on 127.0.0.1:{port} in time")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (it was started in a new session)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextmanager
def serve_inbox(root: Path, name: str, mails: Iterable[bytes]) -> Iterator[PublicInbox]:
    """Build the inbox and serve it on 127.0.0.1 for the ``with`` block."""
    port = free_port()
    msgids = build_inbox(root, name, mails, port)
    log = (root / "httpd.log").open("wb")
    cmd = ["public-inbox-httpd", "-W0", "-l", f"http://127.0.0.1:{port}"]
    proc = subprocess.Popen(
        cmd, env=_env(root), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _wait_listening(proc, port, time.monotonic() + 30)
        yield PublicInbox(f"http://127.0.0.1:{port}/{name}", msgids, root, port)
    finally:
        _stop(proc)
        log.close()
