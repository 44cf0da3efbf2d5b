"""Tests of reviewpatch.source: classifying SOURCE, reading files,
directories, maildirs and stdin, and fetching by Message-ID or URL from the
test public-inbox."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
import requests
from publicinbox import PublicInbox

from reviewpatch.errors import NoPatchError, NotFoundError, UsageError
from reviewpatch.settings import Settings
from reviewpatch.source import classify, load_source, parse_archive_url

FETCH = Path(__file__).resolve().parents[1] / "fixtures" / "fetch"
COVER = "cover.v2/demo@example.org"
MAIL = b"From: a@example.org\nSubject: [PATCH] x\nMessage-ID: <m1@example.org>\n\nbody\n"


def no_git(_key: str) -> str | None:
    return None


def settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(cache_dir=str(tmp_path / "cache"), retries=0, timeout=10.0, **kw)  # type: ignore[arg-type]


# --- classification -------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("-", "stdin"),
        ("20240101.abc@example.org", "msgid"),
        ("<20240101.abc@example.org>", "msgid"),
        ("https://lore.kernel.org/all/a@b/", "url"),
        ("HTTP://127.0.0.1:8080/inbox/a@b/", "url"),
        ("lore.kernel.org/all/a@b/", "url"),
        ("cover.v2/demo@example.org", "msgid"),
    ],
)
def test_classify(source: str, kind: str) -> None:
    assert classify(source) == kind


@pytest.mark.parametrize("source", ["no-such-file.mbox", "two words@example.org", "   "])
def test_classify_rejects_unknown(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError):
        classify(source)


def test_missing_path_error_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="series.mbox: no such file"):
        load_source("series.mbox", Settings())


def test_existing_path_wins_over_msgid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd@name").write_bytes(MAIL)
    data = load_source("odd@name", Settings(), session=None)
    assert data.kind == "file" and data.blobs[0].data == MAIL


# --- URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "msgid"),
    [
        (
            "https://lore.kernel.org/linux-arm-kernel/a.b@c.d/",
            "https://lore.kernel.org/linux-arm-kernel",
            "a.b@c.d",
        ),
        ("https://lore.kernel.org/all/a.b@c.d/T/", "https://lore.kernel.org/all", "a.b@c.d"),
        ("https://lore.kernel.org/all/a.b@c.d/T/#u", "https://lore.kernel.org/all", "a.b@c.d"),
        ("https://lore.kernel.org/all/a.b@c.d/t.mbox.gz", "https://lore.kernel.org/all", "a.b@c.d"),
        ("https://lore.kernel.org/all/a.b@c.d/raw", "https://lore.kernel.org/all", "a.b@c.d"),
        ("https://lore.kernel.org/all/a.b@c.d", "https://lore.kernel.org/all", "a.b@c.d"),
        ("http://127.0.0.1:8080/inbox/x%2Fy@z/", "http://127.0.0.1:8080/inbox", "x/y@z"),
        ("http://127.0.0.1:8080/x%2Fy@z/", "http://127.0.0.1:8080", "x/y@z"),
        ("https://lore.kernel.org/r/a.b@c.d", "https://lore.kernel.org/all", "a.b@c.d"),
        ("https://patch.msgid.link/a.b@c.d", "https://lore.kernel.org/all", "a.b@c.d"),
        ("https://lore.kernel.org/all/%3Ca.b@c.d%3E/", "https://lore.kernel.org/all", "a.b@c.d"),
        ("lore.kernel.org/lkml/a.b@c.d/", "https://lore.kernel.org/lkml", "a.b@c.d"),
        ("https://lore.kernel.org/a.b@c.d", "https://lore.kernel.org/all", "a.b@c.d"),
    ],
)
def test_parse_archive_url(url: str, base: str, msgid: str) -> None:
    assert parse_archive_url(url) == (base, msgid)


@pytest.mark.parametrize("url", ["https://lore.kernel.org/all/", "ftp://x/a@b/", "https:///a@b/"])
def test_parse_archive_url_rejects(url: str) -> None:
    with pytest.raises(UsageError):
        parse_archive_url(url)


# --- local files ----------------------------------------------------------------


def test_stdin_plain_and_gzip() -> None:
    plain = load_source("-", Settings(), stdin=io.BytesIO(MAIL))
    assert (plain.kind, plain.msgid, plain.archive_url) == ("stdin", None, None)
    assert plain.blobs[0].data == MAIL and plain.blobs[0].origin == "<stdin>"
    packed = load_source("-", Settings(), stdin=io.BytesIO(gzip.compress(MAIL)))
    assert packed.blobs[0].data == MAIL


def test_empty_stdin_is_no_patch() -> None:
    with pytest.raises(NoPatchError, match="<stdin>"):
        load_source("-", Settings(), stdin=io.BytesIO(b"\n  \n"))


def test_mbox_eml_and_gz_files(tmp_path: Path) -> None:
    mbox = FETCH / "thread-slash-msgid.mbox"
    data = load_source(str(mbox), Settings())
    assert data.kind == "file" and data.blobs[0].data == mbox.read_bytes()
    assert data.blobs[0].origin == str(mbox)
    packed = tmp_path / "t.mbox.gz"
    packed.write_bytes(gzip.compress(mbox.read_bytes()))
    assert load_source(str(packed), Settings()).blobs[0].data == mbox.read_bytes()
    eml = load_source(str(FETCH / "single.eml"), Settings())
    assert b"single+typo@example.org" in eml.blobs[0].data


def test_corrupt_gz_file_gives_what_came_before_the_damage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mbox.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 40)
    with pytest.raises(NoPatchError, match="bad.mbox.gz: damaged gzip data"):
        load_source(str(bad), Settings())
    whole = gzip.compress(MAIL * 200, compresslevel=0)
    bad.write_bytes(whole[: len(whole) // 2])
    data = load_source(str(bad), Settings())
    assert MAIL in data.blobs[0].data and len(data.blobs[0].data) < len(MAIL * 200)
    (problem,) = data.problems
    assert "bad.mbox.gz: the gzip data ends early" in problem.message and not problem.skipped


def test_empty_file_is_no_patch(tmp_path: Path) -> None:
    empty = tmp_path / "empty.patch"
    empty.write_bytes(b"")
    with pytest.raises(NoPatchError, match="empty.patch"):
        load_source(str(empty), Settings())


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    dangling = tmp_path / "gone.mbox"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="gone.mbox: cannot read"):
        load_source(str(dangling), Settings())


def test_format_patch_directory_sorted(tmp_path: Path) -> None:
    for name in (
        "0002-b.patch",
        "0000-cover-letter.patch",
        "0001-a.patch",
        "notes.txt",
        ".0003-x.patch",
    ):
        (tmp_path / name).write_bytes(name.encode() + b"\n" + MAIL)
    (tmp_path / "sub.patch").mkdir()
    data = load_source(str(tmp_path), Settings())
    assert data.kind == "directory"
    names = [Path(b.origin).name for b in data.blobs]
    assert names == ["0000-cover-letter.patch", "0001-a.patch", "0002-b.patch"]
    assert data.blobs[1].data.startswith(b"0001-a.patch\n")


def test_directory_without_mails_is_no_patch(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("nothing here")
    with pytest.raises(NoPatchError, match=r"\*\.patch"):
        load_source(str(tmp_path), Settings())


def test_maildir_reads_cur_and_new(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "new" / "1700000002.M1.host").write_bytes(b"second\n" + MAIL)
    (tmp_path / "cur" / "1700000001.M1.host:2,S").write_bytes(b"first\n" + MAIL)
    (tmp_path / "cur" / ".hidden").write_bytes(b"hidden\n")
    (tmp_path / "tmp" / "1700000003.M1.host").write_bytes(b"partial\n")
    data = load_source(str(tmp_path), Settings())
    assert data.kind == "maildir"
    assert [b.data.split(b"\n", 1)[0] for b in data.blobs] == [b"first", b"second"]


# --- archive sources (real public-inbox-httpd) -----------------------------------


def test_msgid_source_uses_environment_archive(public_inbox: PublicInbox, tmp_path: Path) -> None:
    messages: list[str] = []
    data = load_source(
        f"<{COVER}>",
        settings(tmp_path),
        environ={"REVIEWPATCH_ARCHIVE": public_inbox.base_url},
        git_config=no_git,
        progress=messages.append,
    )
    assert (data.kind, data.msgid) == ("msgid", COVER)
    assert data.archive_url == public_inbox.base_url
    assert data.blobs[0].data.count(b"\nMessage-ID: <") == 4
    assert any("t.mbox.gz" in m for m in messages)


def test_msgid_source_uses_b4_midmask(public_inbox: PublicInbox, tmp_path: Path) -> None:
    mask = {"b4.midmask": f"{public_inbox.base_url}/%s"}.get
    data = load_source("reply1@example.net", settings(tmp_path), environ={}, git_config=mask)
    assert data.blobs[0].data.count(b"\nMessage-ID: <") == 4


def test_url_source_gives_its_own_base(public_inbox: PublicInbox, tmp_path: Path) -> None:
    url = f"{public_inbox.base_url}/cover.v2%2Fdemo@example.org/T/#u"
    data = load_source(url, settings(tmp_path, archive="http://127.0.0.1:9/elsewhere"))
    assert (data.kind, data.msgid) == ("url", COVER)
    assert data.blobs[0].origin == f"{public_inbox.base_url}/cover.v2%2Fdemo@example.org/"
    assert b"patch2.v2/demo@example.org" in data.blobs[0].data


def test_url_source_for_a_single_mail(public_inbox: PublicInbox, tmp_path: Path) -> None:
    session = requests.Session()
    data = load_source(
        f"{public_inbox.base_url}/single+typo@example.org/raw", settings(tmp_path), session=session
    )
    assert data.blobs[0].data.count(b"\nMessage-ID: <") == 1


def test_offline_msgid_not_cached(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not cached"):
        load_source(
            "absent@example.org",
            settings(tmp_path, offline=True, archive="http://127.0.0.1:9/x"),
            environ={},
            git_config=no_git,
        )


def test_offline_and_refresh_conflict(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--offline and --refresh"):
        load_source(
            "absent@example.org",
            settings(tmp_path, offline=True, refresh=True),
            environ={},
            git_config=no_git,
        )


def test_unknown_msgid_not_found(public_inbox: PublicInbox, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="absent@example.org"):
        load_source(
            "absent@example.org",
            settings(tmp_path, archive=public_inbox.base_url),
            environ={},
            git_config=no_git,
        )
