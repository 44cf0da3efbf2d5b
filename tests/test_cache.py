"""The verified cache: what is damaged is never served.  A truncated,
altered, oversized or header-less entry is fetched again from a real
public-inbox-httpd on 127.0.0.1, and refused with ``--offline`` (exit 3,
one line)."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest
import requests
from faultserver import Fault, serve_faults
from publicinbox import PublicInbox

from reviewpatch.cache import Cache
from reviewpatch.cli import Environment, main
from reviewpatch.errors import CorruptArchiveError, FetchError
from reviewpatch.fetch import MAX_MBOX_BYTES, ArchiveClient

COVER = "cover.v2/demo@example.org"
MBOX = b"From x@y Thu Jan  1 00:00:00 1970\nMessage-ID: <a@b>\n\nbody\n" * 20
BASE = "http://127.0.0.1:9/inbox"


class FailingSession(requests.Session):
    """A session that must not be used (the cache should answer)."""

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        raise AssertionError(f"unexpected network access: {args} {kwargs}")


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x20
    path.write_bytes(bytes(data))


def drop_header(path: Path) -> None:
    path.write_bytes(path.read_bytes().split(b"\n", 1)[1])


def grow(path: Path) -> None:
    with path.open("r+b") as handle:  # sparse: nothing is really written
        handle.truncate(MAX_MBOX_BYTES + (1 << 20))


DAMAGE = {
    "truncated": (truncate, "not the"),
    "altered": (flip_last_byte, "checksum"),
    "no header": (drop_header, "no checksum header"),
    "oversized": (grow, "more than the"),
}


# --- the cache itself -------------------------------------------------------


def test_an_entry_reads_back_only_as_written(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    path = cache.put(BASE, "<a@b>", "thread", MBOX)
    found = cache.lookup(BASE, "a@b", "thread")
    assert (found.data, found.problem, found.path) == (MBOX, None, path)
    assert path.read_bytes().startswith(b"reviewpatch-cache/1 sha256=")
    absent = cache.lookup(BASE, "a@b", "raw")
    assert (absent.data, absent.problem) == (None, None)


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_entry_is_refused_with_a_reason(tmp_path: Path, kind: str) -> None:
    cache = Cache(tmp_path, max_bytes=1 << 20)
    path = cache.put(BASE, "a@b", "thread", MBOX)
    damage, words = DAMAGE[kind]
    damage(path)
    found = cache.lookup(BASE, "a@b", "thread")
    assert found.data is None and cache.get(BASE, "a@b", "thread") is None
    assert found.problem is not None and words in found.problem


def test_an_entry_over_the_cap_is_never_written(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=100)
    with pytest.raises(OSError) as info:
        cache.put(BASE, "a@b", "thread", b"x" * 101)
    assert info.value.errno == errno.EFBIG
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    cache.put(BASE, "a@b", "thread", b"x" * 100)
    assert cache.get(BASE, "a@b", "thread") == b"x" * 100


def test_an_unreadable_entry_is_damaged_not_absent(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    path = cache.put(BASE, "a@b", "raw", MBOX)
    path.unlink()
    path.mkdir()  # something there that cannot be read as a file
    found = cache.lookup(BASE, "a@b", "raw")
    assert found.data is None and found.problem and "cannot be read" in found.problem


# --- the client: fetch again, or refuse offline --------------------------------


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_offline_refuses_a_damaged_thread(tmp_path: Path, kind: str) -> None:
    cache = Cache(tmp_path)
    damage, words = DAMAGE[kind]
    damage(cache.put(BASE, "a@b", "thread", MBOX))
    client = ArchiveClient(session=FailingSession(), base_url=BASE, cache=cache, offline=True)
    with pytest.raises(CorruptArchiveError, match="run without --offline") as info:
        client.thread_mbox("a@b")
    assert words in str(info.value) and "cached thread of <a@b>" in str(info.value)


def test_offline_refuses_a_damaged_raw_mail(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    truncate(cache.put(BASE, "a@b", "raw", MBOX))
    client = ArchiveClient(session=FailingSession(), base_url=BASE, cache=cache, offline=True)
    with pytest.raises(CorruptArchiveError, match="cached raw of <a@b>"):
        client.thread_mbox("a@b")
    with pytest.raises(CorruptArchiveError, match="cached raw of <a@b>"):
        client.raw("a@b")


def test_a_damaged_thread_is_fetched_again(public_inbox: PublicInbox, tmp_path: Path) -> None:
    said: list[str] = []
    live = ArchiveClient(
        session=requests.Session(),
        base_url=public_inbox.base_url,
        cache=Cache(tmp_path),
        timeout=10.0,
        retries=0,
        progress=said.append,
    )
    good = live.thread_mbox(COVER)
    path = Cache(tmp_path).path_for(public_inbox.base_url, COVER, "thread")
    truncate(path)
    assert live.thread_mbox(COVER) == good
    assert any("fetching it again" in m for m in said)
    assert Cache(tmp_path).get(public_inbox.base_url, COVER, "thread") == good


def test_a_stale_damaged_thread_is_not_served_when_the_archive_is_down(tmp_path: Path) -> None:
    with serve_faults({"t.mbox.gz": [Fault(status=503)]}) as server:
        cache = Cache(tmp_path)
        truncate(cache.put(server.base_url, "a@b", "thread", MBOX))
        client = ArchiveClient(
            session=requests.Session(),
            base_url=server.base_url,
            cache=cache,
            retries=0,
            max_age=1.0,
            clock=lambda: 1e12,
        )
        with pytest.raises(FetchError, match="HTTP 503"):
            client.thread_mbox("a@b")


def test_a_stale_good_thread_is_served_when_the_archive_is_down(tmp_path: Path) -> None:
    with serve_faults({"t.mbox.gz": [Fault(body=b"<html>maintenance</html>")]}) as server:
        cache = Cache(tmp_path)
        cache.put(server.base_url, "a@b", "thread", MBOX)
        said: list[str] = []
        client = ArchiveClient(
            session=requests.Session(),
            base_url=server.base_url,
            cache=cache,
            max_age=1.0,
            clock=lambda: 1e12,
            progress=said.append,
        )
        assert client.thread_mbox("a@b") == MBOX
        assert server.hits["t.mbox.gz"] == 1
    assert any("using the cached thread" in m for m in said)


def test_the_command_refuses_a_truncated_cache_offline(
    public_inbox: PublicInbox, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    argv = [COVER, "--archive", public_inbox.base_url, "--cache-dir", str(cache_dir)]
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ={}, cwd=tmp_path)
    assert main(argv, env) in (0, 1)
    truncate(Cache(cache_dir).path_for(public_inbox.base_url, COVER, "thread"))
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, environ={}, cwd=tmp_path)
    assert main([*argv, "--offline"], env) == 3
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "run without --offline" in lines[0], lines
    assert out.getvalue() == ""
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ={}, cwd=tmp_path)
    assert main(argv, env) in (0, 1)  # online: fetched again and rewritten
    assert Cache(cache_dir).get(public_inbox.base_url, COVER, "thread") is not None
    assert os.path.getsize(Cache(cache_dir).path_for(public_inbox.base_url, COVER, "thread")) > 0
