"""Tests of reviewpatch.fetch: a real public-inbox-httpd on 127.0.0.1 for the
happy paths and the cache, a scripted requests adapter for the faults."""

from __future__ import annotations

import gzip
import socket
from pathlib import Path

import pytest
import requests
from publicinbox import PublicInbox, free_port, split_mbox

from reviewpatch import __version__
from reviewpatch.errors import CorruptArchiveError, FetchError, NotFoundError
from reviewpatch.fetch import (
    ArchiveClient,
    Cache,
    archive_base,
    canonical_base,
    default_cache_dir,
    gunzip_bytes,
    message_url,
    normalize_msgid,
    quote_msgid,
    read_git_config,
)
from reviewpatch.settings import DEFAULT_ARCHIVE, Settings

COVER = "cover.v2/demo@example.org"
THREAD = (COVER, "patch1.v2/demo@example.org", "patch2.v2/demo@example.org", "reply1@example.net")
SINGLE = "single+typo@example.org"
STUB = "http://stub.invalid/inbox"


class Sleeps:
    """An injected sleep that only records what it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class ScriptedAdapter(requests.adapters.BaseAdapter):
    """Answers each URL ending from a script: (status, body) pairs or
    exceptions to raise, the last one repeating."""

    def __init__(self, script: dict[str, list[object]]) -> None:
        super().__init__()
        self.script = script
        self.seen: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def, override]
        self.seen.append(request)
        ending = next(e for e in self.script if str(request.url).endswith(e))
        steps = self.script[ending]
        action = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(action, BaseException):
            raise action
        status, body = action  # type: ignore[misc]
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to close."""


class FailingSession(requests.Session):
    """A session that must not be used (the cache should answer)."""

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        raise AssertionError(f"unexpected network access: {args} {kwargs}")


def stub_client(tmp_path: Path, script: dict[str, list[object]], **kw: object):  # type: ignore[no-untyped-def]
    session = requests.Session()
    adapter = ScriptedAdapter(script)
    session.mount("http://stub.invalid/", adapter)
    sleeps = Sleeps()
    options: dict[str, object] = {"retries": 3, "timeout": 5.0}
    options.update(kw)
    client = ArchiveClient(
        session=session, base_url=STUB, cache=Cache(tmp_path / "cache"), sleep=sleeps, **options
    )  # type: ignore[arg-type]
    return client, adapter, sleeps


def msgids_in(mbox: bytes) -> list[str]:
    out = []
    for mail in split_mbox(mbox):
        for line in mail.splitlines():
            if line.lower().startswith(b"message-id:"):
                out.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
                break
    return out


def live_client(inbox: PublicInbox, cache_root: Path, **kw: object) -> ArchiveClient:
    return ArchiveClient(
        session=requests.Session(),
        base_url=inbox.base_url,
        cache=Cache(cache_root),
        timeout=10.0,
        retries=0,
        **kw,  # type: ignore[arg-type]
    )


# --- against a real public-inbox-httpd --------------------------------------


def test_thread_by_cover_msgid_returns_every_mail(
    public_inbox: PublicInbox, tmp_path: Path
) -> None:
    data = live_client(public_inbox, tmp_path).thread_mbox(f"<{COVER}>")
    assert sorted(msgids_in(data)) == sorted(THREAD)


def test_thread_by_reply_msgid_returns_the_whole_thread(
    public_inbox: PublicInbox, tmp_path: Path
) -> None:
    data = live_client(public_inbox, tmp_path).thread_mbox("reply1@example.net")
    assert sorted(msgids_in(data)) == sorted(THREAD)


def test_every_imported_mail_is_found_in_its_thread(
    public_inbox: PublicInbox, tmp_path: Path
) -> None:
    client = live_client(public_inbox, tmp_path)
    for mid in public_inbox.msgids:
        assert mid in msgids_in(client.thread_mbox(mid)), mid


def test_raw_returns_the_single_mail(public_inbox: PublicInbox, tmp_path: Path) -> None:
    data = live_client(public_inbox, tmp_path).raw(SINGLE)
    assert msgids_in(data) == [SINGLE]
    assert b"recieve" in data


def test_unknown_msgid_is_not_found(public_inbox: PublicInbox, tmp_path: Path) -> None:
    client = live_client(public_inbox, tmp_path)
    with pytest.raises(NotFoundError) as info:
        client.thread_mbox("no-such-mail@example.org")
    assert "<no-such-mail@example.org>" in str(info.value)
    assert public_inbox.base_url in str(info.value)
    assert not any((tmp_path).rglob("*.thread"))


def test_cache_then_offline_without_network(public_inbox: PublicInbox, tmp_path: Path) -> None:
    fetched = live_client(public_inbox, tmp_path).thread_mbox(COVER)
    offline = ArchiveClient(
        session=FailingSession(),
        base_url=public_inbox.base_url,
        cache=Cache(tmp_path),
        offline=True,
    )
    assert offline.thread_mbox(COVER) == fetched
    # a cached thread also answers without --offline, still without network
    cached = ArchiveClient(
        session=FailingSession(), base_url=public_inbox.base_url, cache=Cache(tmp_path)
    )
    assert cached.thread_mbox(f"<{COVER}>") == fetched


def test_offline_missing_says_not_cached(tmp_path: Path) -> None:
    client = ArchiveClient(
        session=FailingSession(), base_url=STUB, cache=Cache(tmp_path), offline=True
    )
    with pytest.raises(NotFoundError, match="not cached.*without --offline"):
        client.thread_mbox("absent@example.org")
    with pytest.raises(NotFoundError, match="not cached"):
        client.raw("absent@example.org")


def test_refresh_refetches_and_rewrites(public_inbox: PublicInbox, tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put(public_inbox.base_url, COVER, "thread", b"From stale\n\nold\n")
    assert live_client(public_inbox, tmp_path).thread_mbox(COVER) == b"From stale\n\nold\n"
    fresh = live_client(public_inbox, tmp_path, refresh=True).thread_mbox(COVER)
    assert sorted(msgids_in(fresh)) == sorted(THREAD)
    assert cache.get(public_inbox.base_url, COVER, "thread") == fresh


def test_stale_thread_is_fetched_again(public_inbox: PublicInbox, tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    path = cache.put(public_inbox.base_url, COVER, "thread", b"From stale\n\nold\n")
    written = path.stat().st_mtime
    young = live_client(public_inbox, tmp_path, max_age=600.0, clock=lambda: written + 10)
    assert young.thread_mbox(COVER) == b"From stale\n\nold\n"
    old = live_client(public_inbox, tmp_path, max_age=600.0, clock=lambda: written + 601)
    assert sorted(msgids_in(old.thread_mbox(COVER))) == sorted(THREAD)


def test_stale_thread_is_used_when_the_archive_is_down(tmp_path: Path) -> None:
    said: list[str] = []
    client, adapter, _ = stub_client(
        tmp_path,
        {"t.mbox.gz": [(503, b"busy")]},
        max_age=1.0,
        clock=lambda: 1e12,
        progress=said.append,
    )
    client.cache.put(STUB, "a@b", "thread", MBOX)
    assert client.thread_mbox("a@b") == MBOX
    assert adapter.seen, "a stale entry must be fetched again first"
    assert any("using the cached thread" in m for m in said)


def test_cache_is_keyed_by_base_url(public_inbox: PublicInbox, tmp_path: Path) -> None:
    live_client(public_inbox, tmp_path).thread_mbox(COVER)
    other = ArchiveClient(
        session=FailingSession(), base_url=STUB, cache=Cache(tmp_path), offline=True
    )
    with pytest.raises(NotFoundError):
        other.thread_mbox(COVER)


# --- faults, on a scripted adapter -------------------------------------------


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


MBOX = b"From x@y Thu Jan  1 00:00:00 1970\nMessage-ID: <a@b>\n\nbody\n"


def test_5xx_then_success_retries_with_injected_backoff(tmp_path: Path) -> None:
    client, adapter, sleeps = stub_client(
        tmp_path, {"t.mbox.gz": [(503, b"busy"), (502, b""), (200, gz(MBOX))]}
    )
    assert client.thread_mbox("a@b") == MBOX
    assert len(adapter.seen) == 3
    assert sleeps.calls == [0.5, 1.0]


def test_5xx_forever_gives_up_with_advice(tmp_path: Path) -> None:
    client, adapter, sleeps = stub_client(tmp_path, {"t.mbox.gz": [(500, b"oops")]}, retries=2)
    with pytest.raises(FetchError) as info:
        client.thread_mbox("a@b")
    assert not isinstance(info.value, NotFoundError)
    text = str(info.value)
    assert "unreachable" in text and "--offline" in text and "mbox" in text and STUB in text
    assert "HTTP 500" in text
    assert len(adapter.seen) == 3
    assert sleeps.calls == [0.5, 1.0]


def test_timeouts_and_connection_errors_are_retried(tmp_path: Path) -> None:
    client, _adapter, sleeps = stub_client(
        tmp_path,
        {
            "t.mbox.gz": [
                requests.ReadTimeout("slow"),
                requests.ConnectionError("reset"),
                (200, gz(MBOX)),
            ]
        },
    )
    assert client.thread_mbox("a@b") == MBOX
    assert len(sleeps.calls) == 2


def test_404_is_not_retried(tmp_path: Path) -> None:
    client, adapter, sleeps = stub_client(
        tmp_path, {"t.mbox.gz": [(404, b"")], "raw": [(404, b"")]}
    )
    with pytest.raises(
        NotFoundError, match=r"Message-ID <a@b> not found at http://stub\.invalid/inbox"
    ):
        client.thread_mbox("<a@b>")
    assert sleeps.calls == []
    assert [str(r.url).rsplit("/", 1)[1] for r in adapter.seen] == ["t.mbox.gz", "raw"]


def test_thread_404_falls_back_to_raw(tmp_path: Path) -> None:
    client, _adapter, _ = stub_client(
        tmp_path, {"t.mbox.gz": [(404, b"")], "raw": [(200, b"Message-ID: <a@b>\n\nbody\n")]}
    )
    assert client.thread_mbox("a@b") == b"Message-ID: <a@b>\n\nbody\n"
    offline = ArchiveClient(
        session=FailingSession(), base_url=STUB, cache=Cache(tmp_path / "cache"), offline=True
    )
    assert offline.thread_mbox("a@b") == b"Message-ID: <a@b>\n\nbody\n"


def test_truncated_gzip_is_corrupt_and_names_the_url(tmp_path: Path) -> None:
    body = gz(MBOX * 50)
    client, _, _ = stub_client(tmp_path, {"t.mbox.gz": [(200, body[: len(body) // 2])]})
    with pytest.raises(CorruptArchiveError, match=r"stub\.invalid/inbox/a@b/t\.mbox\.gz"):
        client.thread_mbox("a@b")
    assert not any((tmp_path / "cache").rglob("*.thread"))


def test_garbage_answer_is_corrupt(tmp_path: Path) -> None:
    client, _, _ = stub_client(tmp_path, {"t.mbox.gz": [(200, b"<html>login</html>")]})
    with pytest.raises(CorruptArchiveError):
        client.thread_mbox("a@b")


def test_already_decoded_mbox_is_accepted(tmp_path: Path) -> None:
    client, _, _ = stub_client(tmp_path, {"t.mbox.gz": [(200, MBOX)]})
    assert client.thread_mbox("a@b") == MBOX


def test_other_4xx_fails_at_once(tmp_path: Path) -> None:
    client, adapter, sleeps = stub_client(tmp_path, {"t.mbox.gz": [(403, b"no")]})
    with pytest.raises(FetchError, match="HTTP 403"):
        client.thread_mbox("a@b")
    assert len(adapter.seen) == 1 and sleeps.calls == []


def test_user_agent_and_quoting(tmp_path: Path) -> None:
    client, adapter, _ = stub_client(tmp_path, {"t.mbox.gz": [(200, gz(MBOX))]})
    client.thread_mbox("<x/y z@b>")
    request = adapter.seen[0]
    assert request.headers["User-Agent"] == f"reviewpatch/{__version__}"
    assert request.url == f"{STUB}/x%2Fy%20z@b/t.mbox.gz"


def test_cache_write_failure_still_returns_data(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    messages: list[str] = []
    session = requests.Session()
    session.mount("http://stub.invalid/", ScriptedAdapter({"t.mbox.gz": [(200, gz(MBOX))]}))
    client = ArchiveClient(
        session=session, base_url=STUB, cache=Cache(blocker), progress=messages.append
    )
    assert client.thread_mbox("a@b") == MBOX
    assert any(m.startswith("warning: could not cache") for m in messages)


def test_connection_refused_on_closed_port(tmp_path: Path) -> None:
    port = free_port()
    sleeps = Sleeps()
    client = ArchiveClient(
        session=requests.Session(),
        base_url=f"http://127.0.0.1:{port}/inbox",
        cache=Cache(tmp_path),
        timeout=2.0,
        retries=2,
        sleep=sleeps,
    )
    with pytest.raises(FetchError, match="unreachable \\(Connection refused; 3 attempt") as info:
        client.thread_mbox("a@b")
    assert not isinstance(info.value, NotFoundError)
    assert sleeps.calls == [0.5, 1.0]


def test_real_read_timeout_is_retried_then_fails(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # accepts connections, never answers
        port = server.getsockname()[1]
        sleeps = Sleeps()
        client = ArchiveClient(
            session=requests.Session(),
            base_url=f"http://127.0.0.1:{port}/inbox",
            cache=Cache(tmp_path),
            timeout=0.2,
            retries=1,
            sleep=sleeps,
        )
        with pytest.raises(FetchError, match="unreachable \\(timed out; 2 attempt"):
            client.raw("a@b")
    assert sleeps.calls == [0.5]


# --- pure helpers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("<a@b>", "a@b"),
        (" a@b ", "a@b"),
        ("id:<a@b>", "a@b"),
        ("mid:a@b", "a@b"),
    ],
)
def test_normalize_msgid(given: str, expected: str) -> None:
    assert normalize_msgid(given) == expected


def test_quote_msgid_follows_public_inbox() -> None:
    assert quote_msgid("<20240101.a/b+c=d@host.example>") == "20240101.a%2Fb+c=d@host.example"
    assert quote_msgid("a?b#c%d@e") == "a%3Fb%23c%25d@e"
    assert (
        message_url("https://lore.kernel.org/all/", "x/y@z")
        == "https://lore.kernel.org/all/x%2Fy@z/"
    )


def test_gunzip_bytes_handles_members_and_limits() -> None:
    assert gunzip_bytes(gz(b"one ") + gz(b"two"), "x") == b"one two"
    with pytest.raises(CorruptArchiveError, match="exceeds"):
        gunzip_bytes(gz(b"a" * 5000), "x", limit=1000)
    with pytest.raises(CorruptArchiveError, match="corrupt"):
        gunzip_bytes(b"\x1f\x8bnot really", "where")


def test_cache_put_is_atomic_and_keyed(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    path = cache.put("http://a/x", "<m@id>", "thread", b"data")
    assert cache.get("http://a/x/", "m@id", "thread") == b"data"
    assert cache.get("http://b/x", "m@id", "thread") is None
    assert cache.get("http://a/x", "m@id", "raw") is None
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    cache.put("http://a/x", "m@id", "thread", b"new")
    assert cache.get("http://a/x", "m@id", "thread") == b"new"
    assert path.read_bytes().endswith(b"\nnew")
    with pytest.raises(ValueError):
        cache.path_for("http://a/x", "m@id", "other")


def test_cache_location_from_settings(tmp_path: Path) -> None:
    assert Cache.from_settings(Settings(cache_dir=str(tmp_path))).root == tmp_path
    assert Cache.from_settings(Settings()).root == default_cache_dir()
    assert default_cache_dir().name.lower() == "reviewpatch"


def no_git(_key: str) -> str | None:
    return None


def test_archive_base_precedence() -> None:
    mask = {"b4.midmask": "https://lore.example.org/lkml/%s"}.get
    env = {"REVIEWPATCH_ARCHIVE": "http://127.0.0.1:9/env/"}
    explicit = Settings(archive="http://127.0.0.1:9/explicit/")
    assert archive_base(explicit, environ=env, git_config=mask) == "http://127.0.0.1:9/explicit"
    assert archive_base(Settings(), environ=env, git_config=mask) == "http://127.0.0.1:9/env"
    assert archive_base(Settings(), environ={}, git_config=mask) == "https://lore.example.org/lkml"
    assert archive_base(Settings(), environ={}, git_config=no_git) == DEFAULT_ARCHIVE


@pytest.mark.parametrize(
    ("mask", "base"),
    [
        ("https://lore.kernel.org/%s", "https://lore.kernel.org/all"),
        ("https://lore.kernel.org/r/%s", "https://lore.kernel.org/all"),
        ("https://patch.msgid.link/%s", "https://lore.kernel.org/all"),
        ("http://127.0.0.1:8080/inbox/%s/", "http://127.0.0.1:8080/inbox"),
    ],
)
def test_archive_base_from_midmask_forms(mask: str, base: str) -> None:
    assert archive_base(Settings(), environ={}, git_config={"b4.midmask": mask}.get) == base


def test_canonical_base() -> None:
    assert canonical_base(" https://lore.kernel.org/r/ ") == "https://lore.kernel.org/all"
    assert canonical_base("https://lore.kernel.org/lkml/") == "https://lore.kernel.org/lkml"
    assert canonical_base("http://127.0.0.1:9/r") == "http://127.0.0.1:9/r"


def test_archive_base_ignores_a_midmask_without_placeholder() -> None:
    bad = {"b4.midmask": "https://lore.example.org/all/"}.get
    assert archive_base(Settings(), environ={}, git_config=bad) == DEFAULT_ARCHIVE


def test_read_git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[b4]\n\tmidmask = https://lore.example.org/all/%s\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.chdir(tmp_path)
    assert read_git_config("b4.midmask") == "https://lore.example.org/all/%s"
    assert read_git_config("b4.nosuchkey") is None
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert read_git_config("b4.midmask") is None
