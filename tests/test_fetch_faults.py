"""Archive faults against a misbehaving HTTP server on 127.0.0.1
(``faultserver.py``): slow drips, huge bodies, gzip bombs, truncated gzip,
wrong content, 5xx, resets.  Every fault ends in a FetchError (exit 3 from
the command) and leaves nothing in the cache.  Nothing here sleeps: a
dripping server is cut off by a short deadline, and the backoff between
retries is an injected no-op."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
import requests
from faultserver import Fault, FaultServer, serve_faults

from reviewpatch.cli import Environment, main
from reviewpatch.download import Collect, Gunzip, MboxSniffer, gunzip_bytes
from reviewpatch.errors import CorruptArchiveError, FetchError, NotFoundError
from reviewpatch.fetch import MAX_MBOX_BYTES, ArchiveClient, Cache, fetch_budget

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = (ROOT / "fixtures" / "sample" / "arm64-exit-work.mbox").read_bytes()
MID = "20250101000000.1-1-dev@example.org"
MBOX = b"From x@y Thu Jan  1 00:00:00 1970\nMessage-ID: <a@b>\n\nbody\n"
CAP = 1 << 20  # a small size cap keeps the huge cases quick


def no_sleep(_seconds: float) -> None:
    """Backoff that does not wait."""


def client(server: FaultServer, tmp_path: Path, **kw: object) -> ArchiveClient:
    options: dict[str, object] = {"timeout": 5.0, "retries": 1, "sleep": no_sleep}
    options.update(kw)
    return ArchiveClient(
        session=requests.Session(),
        base_url=server.base_url,
        cache=Cache(tmp_path / "cache"),
        **options,  # type: ignore[arg-type]
    )


def cached_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


# --- time: a deadline for the whole answer -----------------------------------


def test_a_body_dripping_forever_is_cut_off_at_the_deadline(tmp_path: Path) -> None:
    drip = Fault(body=MBOX, drip=0.3, length=None)
    with serve_faults({"t.mbox.gz": [drip]}) as server:
        with pytest.raises(FetchError, match=r"unreachable \(timed out; 2 attempt") as info:
            client(server, tmp_path, timeout=1.0).thread_mbox("a@b")
        assert server.hits["t.mbox.gz"] == 2
    assert not isinstance(info.value, NotFoundError)
    assert cached_files(tmp_path) == []


def test_headers_dripping_forever_are_cut_off_at_the_deadline(tmp_path: Path) -> None:
    drip = Fault(body=MBOX, drip=0.3, drip_headers=True)
    with (
        serve_faults({"t.mbox.gz": [drip]}) as server,
        pytest.raises(FetchError, match=r"timed out; 1 attempt"),
    ):
        client(server, tmp_path, timeout=1.0, retries=0).thread_mbox("a@b")
    assert cached_files(tmp_path) == []


def test_a_fetch_never_outlives_its_budget(tmp_path: Path) -> None:
    """The thread answer 404s and the raw mail 503s: the fall-back shares
    the budget of the fetch (5 s x 4 + 3.5 s) instead of starting a new one.
    The clock is moved 10 s by every backoff."""
    now = [0.0]

    def slow_sleep(seconds: float) -> None:
        now[0] += 10.0

    script = {"t.mbox.gz": [Fault(status=404)], "raw": [Fault(status=503)]}
    with serve_faults(script) as server:
        one = client(server, tmp_path, retries=3, sleep=slow_sleep, monotonic=lambda: now[0])
        with pytest.raises(FetchError, match=r"HTTP 503; no time left; 3 attempt"):
            one.thread_mbox("a@b")
        assert server.hits == {"t.mbox.gz": 1, "raw": 3}
    assert fetch_budget(5.0, 3) == 23.5
    assert fetch_budget(2.0, 0) == 2.0


# --- size: refused while streaming, never cached ---------------------------------


def test_a_huge_announced_body_is_refused_before_reading(tmp_path: Path) -> None:
    huge = Fault(body=MBOX, pad=2 * CAP)
    with serve_faults({"t.mbox.gz": [huge]}) as server:
        with pytest.raises(CorruptArchiveError, match=f"announces {len(MBOX) + 2 * CAP} bytes"):
            client(server, tmp_path, max_bytes=CAP).thread_mbox("a@b")
        assert server.hits["t.mbox.gz"] == 1
    assert cached_files(tmp_path) == []


def test_a_huge_unannounced_mbox_is_refused_while_streaming(tmp_path: Path) -> None:
    huge = Fault(body=MBOX, pad=4 * CAP, pad_byte=b"y", length=None)
    with serve_faults({"t.mbox.gz": [huge], "raw": [huge]}) as server:
        with pytest.raises(CorruptArchiveError, match=f"exceeds {CAP} bytes"):
            client(server, tmp_path, max_bytes=CAP).thread_mbox("a@b")
        with pytest.raises(CorruptArchiveError, match=f"exceeds {CAP} bytes"):
            client(server, tmp_path, max_bytes=CAP).raw("a@b")
    assert cached_files(tmp_path) == []


def test_a_gzip_bomb_is_refused_at_the_cap(tmp_path: Path) -> None:
    bomb = gzip.compress(MBOX + b"\0" * (64 * CAP), compresslevel=9)
    assert len(bomb) < CAP // 4
    with (
        serve_faults({"t.mbox.gz": [Fault(body=bomb)]}) as server,
        pytest.raises(CorruptArchiveError, match=f"decompressed data exceeds {CAP}"),
    ):
        client(server, tmp_path, max_bytes=CAP).thread_mbox("a@b")
    assert cached_files(tmp_path) == []


def test_the_default_cap_is_far_below_a_gigabyte() -> None:
    assert 16 << 20 <= MAX_MBOX_BYTES <= 128 << 20


# --- content: complete and of the right kind -----------------------------------


def test_a_truncated_gzip_body_is_corrupt_and_not_cached(tmp_path: Path) -> None:
    body = gzip.compress(SAMPLE)
    with (
        serve_faults({"t.mbox.gz": [Fault(body=body[: len(body) // 2])]}) as server,
        pytest.raises(CorruptArchiveError, match="truncated gzip"),
    ):
        client(server, tmp_path).thread_mbox("a@b")
    assert cached_files(tmp_path) == []


def test_an_html_page_is_wrong_content(tmp_path: Path) -> None:
    page = b"<html><script>alert(1)</script></html>"
    script = {"t.mbox.gz": [Fault(body=page)], "raw": [Fault(body=page)]}
    with serve_faults(script) as server:
        with pytest.raises(CorruptArchiveError, match="neither gzip nor mbox"):
            client(server, tmp_path).thread_mbox("a@b")
        with pytest.raises(CorruptArchiveError, match="not a mail"):
            client(server, tmp_path).raw("a@b")
        assert server.hits == {"t.mbox.gz": 1, "raw": 1}  # not retried
    assert cached_files(tmp_path) == []


def test_gzip_of_something_else_is_wrong_content(tmp_path: Path) -> None:
    with (
        serve_faults({"t.mbox.gz": [Fault(body=gzip.compress(b"<html>"))]}) as server,
        pytest.raises(CorruptArchiveError, match="neither gzip nor mbox"),
    ):
        client(server, tmp_path).thread_mbox("a@b")


def test_content_encoding_gzip_and_gzip_members_are_decoded(tmp_path: Path) -> None:
    half = len(SAMPLE) // 2
    members = gzip.compress(SAMPLE[:half]) + gzip.compress(SAMPLE[half:]) + b"\0" * 8
    encoded = Fault(body=gzip.compress(SAMPLE), headers=(("Content-Encoding", "gzip"),))
    script = {"1@x/t.mbox.gz": [Fault(body=members)], "2@x/t.mbox.gz": [encoded]}
    with serve_faults(script) as server:
        assert client(server, tmp_path).thread_mbox("1@x") == SAMPLE
        assert client(server, tmp_path).thread_mbox("2@x") == SAMPLE


def test_an_unknown_content_encoding_is_refused(tmp_path: Path) -> None:
    odd = Fault(body=b"xx", headers=(("Content-Encoding", "br"),))
    with (
        serve_faults({"t.mbox.gz": [odd]}) as server,
        pytest.raises(CorruptArchiveError, match="Content-Encoding"),
    ):
        client(server, tmp_path).thread_mbox("a@b")


# --- transient faults: retried, then given up -----------------------------------


def test_5xx_is_retried_then_given_up(tmp_path: Path) -> None:
    with serve_faults({"t.mbox.gz": [Fault(status=500, body=b"oops")]}) as server:
        with pytest.raises(FetchError, match=r"HTTP 500; 3 attempt"):
            client(server, tmp_path, retries=2).thread_mbox("a@b")
        assert server.hits["t.mbox.gz"] == 3


def test_a_reset_mid_body_is_retried(tmp_path: Path) -> None:
    body = gzip.compress(SAMPLE)
    script = {"t.mbox.gz": [Fault(body=body, reset_after=len(body) // 3), Fault(body=body)]}
    with serve_faults(script) as server:
        assert client(server, tmp_path).thread_mbox("a@b") == SAMPLE
        assert server.hits["t.mbox.gz"] == 2


def test_resets_forever_give_up(tmp_path: Path) -> None:
    body = gzip.compress(SAMPLE)
    with (
        serve_faults({"t.mbox.gz": [Fault(body=body, reset_after=10)]}) as server,
        pytest.raises(FetchError, match="unreachable.*2 attempt") as info,
    ):
        client(server, tmp_path).thread_mbox("a@b")
    assert not isinstance(info.value, CorruptArchiveError)
    assert cached_files(tmp_path) == []


def test_a_body_cut_short_of_its_length_is_retried(tmp_path: Path) -> None:
    short = Fault(body=SAMPLE[:100], length=len(SAMPLE))
    script = {"t.mbox.gz": [short, Fault(body=SAMPLE)]}
    with serve_faults(script) as server:
        assert client(server, tmp_path).thread_mbox("a@b") == SAMPLE
        assert server.hits["t.mbox.gz"] == 2
    with (
        serve_faults({"t.mbox.gz": [short]}) as server,
        pytest.raises(FetchError, match="unreachable"),
    ):
        client(server, tmp_path, refresh=True).thread_mbox("a@b")


# --- the command: exit 3, one line ---------------------------------------------


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (Fault(body=MBOX, drip=0.3, length=None), "timed out"),
        (Fault(status=502), "HTTP 502"),
        (Fault(body=b"<html>hello</html>"), "neither gzip nor mbox"),
        (Fault(body=gzip.compress(SAMPLE)[:200]), "truncated gzip"),
        (Fault(body=gzip.compress(SAMPLE), reset_after=50), "unreachable"),
    ],
)
def test_the_command_exits_3_with_one_line(tmp_path: Path, fault: Fault, words: str) -> None:
    config = tmp_path / "rp.toml"
    config.write_text("retries = 0\n")
    with serve_faults({"t.mbox.gz": [fault]}) as server:
        argv = [MID, "--archive", server.base_url, "--cache-dir", str(tmp_path / "cache")]
        argv += ["--timeout", "1", "--config", str(config)]
        out, err = io.StringIO(), io.StringIO()
        code = main(argv, Environment(stdout=out, stderr=err, environ={}, cwd=tmp_path))
    assert code == 3
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reviewpatch: error:"), lines
    assert words in lines[0]
    assert out.getvalue() == ""
    assert cached_files(tmp_path) == []


# --- the decoders on their own -------------------------------------------------


def test_gunzip_streaming_matches_one_shot() -> None:
    data = SAMPLE * 20
    packed = gzip.compress(data)
    stream = Gunzip("x", Collect("x", 1 << 30))
    for start in range(0, len(packed), 7):
        stream.feed(packed[start : start + 7])
    assert stream.finish() == data
    assert gunzip_bytes(packed, "x") == data
    assert gunzip_bytes(b"", "x") == b""


def test_gunzip_refuses_trailing_garbage_and_partial_members() -> None:
    with pytest.raises(CorruptArchiveError, match="corrupt"):
        gunzip_bytes(gzip.compress(b"a") + b"junk", "x")
    with pytest.raises(CorruptArchiveError, match="truncated"):
        gunzip_bytes(gzip.compress(b"a") + gzip.compress(b"b")[:5], "x")


def test_sniffer_needs_a_whole_first_line_start() -> None:
    sniffer = MboxSniffer("x", 100)
    sniffer.feed(b"Fr")
    with pytest.raises(CorruptArchiveError, match="neither"):
        sniffer.finish()
    with pytest.raises(CorruptArchiveError, match="empty"):
        MboxSniffer("x", 100).finish()


# --- search: a hint, never a failure ------------------------------------------


def test_a_search_the_archive_cannot_answer_gives_no_feed_and_says_why(tmp_path: Path) -> None:
    with serve_faults({"&x=A": [Fault(status=501, body=b"no search")]}) as server:
        got = client(server, tmp_path).search('s:"x" f:a@b')
    assert (got.feed, got.unsupported) == (None, True)
    assert got.problem == "the archive has no search (HTTP 501)"
    with serve_faults({"&x=A": [Fault(status=500, body=b"")]}) as server:
        got = client(server, tmp_path).search('s:"x" f:a@b')
    assert (got.feed, got.unsupported) == (None, False)
    assert got.problem is not None and got.problem.startswith("the search failed")
    with serve_faults({"&x=A": [Fault(body=b"<feed/>")]}) as server:
        assert client(server, tmp_path).search('s:"x"').feed == b"<feed/>"
        offline = client(server, tmp_path, offline=True).search('s:"x"')
        assert offline.feed is None and offline.problem == "not searched (--offline)"
