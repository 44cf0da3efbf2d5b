"""The whole product through its command line, fetching from a real
public-inbox-httpd on 127.0.0.1: by Message-ID, by archive URL, then
offline from the cache; and the real kernel threads served the same way,
whose collected review trailers must match what b4 collects."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from publicinbox import PublicInbox, fixture_mails, public_inbox_missing, serve_inbox
from test_real_threads import B4_COLLECTS, REVIEW_TRAILERS, THREADS

from reviewpatch.cli import Environment, main

ROOT = Path(__file__).resolve().parents[1]
V1V2 = ROOT / "fixtures" / "threads" / "v1-v2-replies.mbox"

ROOTS = {
    "initrd-v2": "20251010094047.3111495-1-safinaskar@gmail.com",
    "initrd-v3": "20251017060956.1151347-1-safinaskar@gmail.com",
    "initrd-v4": "20251119222407.3333257-1-safinaskar@gmail.com",
    "ptrace-set-syscall-info-v3-partial": "20250128091445.GA8257@strace.io",
}


def run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(b""), stdout=out, stderr=err, environ={}, cwd=cwd)
    code = main(argv, env)
    return code, out.getvalue(), err.getvalue()


def _essentials(doc: dict) -> dict:
    """What must not depend on where the mails came from."""
    series = doc["series"]
    return {
        "version": series["version"],
        "patches": [
            (p["index"], p["msgid"], sorted((t["name"], t["value"]) for t in p["trailers"]))
            for p in series["patches"]
        ],
        "findings": [(f["rule_id"], f["patch_index"], f["message"]) for f in doc["findings"]],
    }


def _cover_msgid(version: int = 2) -> str:
    """The Message-ID of the cover letter of ``version`` in V1V2."""
    label = "[PATCH 0/2]" if version == 1 else f"[PATCH v{version} 0/2]"
    lines = V1V2.read_text(encoding="utf-8").splitlines()
    for no, line in enumerate(lines):
        if line.startswith("Subject: ") and label in line:
            for after in lines[no:]:
                if after.lower().startswith("message-id:"):
                    return after.split(":", 1)[1].strip().strip("<>")
    raise AssertionError(f"{V1V2.name} has no {label} cover letter")


def test_fetch_by_msgid_url_and_offline_match_the_local_file(
    public_inbox: PublicInbox, tmp_path: Path
) -> None:
    _, local, _ = run([str(V1V2), "--format", "json"], tmp_path)
    want = _essentials(json.loads(local))
    cache = ["--cache-dir", str(tmp_path / "cache")]
    msgid = _cover_msgid()
    assert msgid in public_inbox.msgids
    base = ["--archive", public_inbox.base_url, *cache, "--format", "json"]
    code, fetched, err = run([msgid, *base], tmp_path)
    assert code in (0, 1), err
    doc = json.loads(fetched)
    assert _essentials(doc) == want
    assert doc["series"]["archive_url"] == public_inbox.base_url
    _, by_url, _ = run([f"{public_inbox.base_url}/{msgid}/", *cache, "--format", "json"], tmp_path)
    assert _essentials(json.loads(by_url)) == want
    _, offline, _ = run([f"<{msgid}>", *base, "--offline"], tmp_path)
    assert _essentials(json.loads(offline)) == want
    # the v1 cover letter's Message-ID asks for v1; v2 is listed, not reviewed
    _, first, _ = run([_cover_msgid(1), *base], tmp_path)
    doc = json.loads(first)
    assert doc["series"]["version"] == 1
    assert [o["msgid"] for o in doc["series"]["others"]] == [msgid]


def test_unknown_msgid_exits_3_with_one_line(public_inbox: PublicInbox, tmp_path: Path) -> None:
    code, out, err = run(
        [
            "no-such-mail@example.org",
            "--archive",
            public_inbox.base_url,
            "--cache-dir",
            str(tmp_path),
        ],
        tmp_path,
    )
    assert code == 3 and out == ""
    assert "no-such-mail@example.org" in err and len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def real_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicInbox]:
    reason = public_inbox_missing()
    if reason:
        pytest.skip(reason)
    if not THREADS.is_dir():
        pytest.skip("../shared/real-threads is absent")
    root = tmp_path_factory.mktemp("real-archive")
    files = []
    for name in sorted(ROOTS):
        path = root / f"{name}.mbox"
        path.write_bytes(gzip.decompress((THREADS / f"{name}.mbox.gz").read_bytes()))
        files.append(path)
    with serve_inbox(root / "inbox", "linux-arch", fixture_mails(files)) as inbox:
        yield inbox


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_real_threads_from_a_real_archive_match_b4(
    real_archive: PublicInbox, tmp_path: Path, name: str
) -> None:
    version, expected = B4_COLLECTS[name]
    code, out, err = run(
        [
            ROOTS[name],
            "--archive",
            real_archive.base_url,
            "--cache-dir",
            str(tmp_path),
            "--format",
            "json",
        ],
        tmp_path,
    )
    assert code in (0, 1), err
    doc = json.loads(out)
    assert doc["series"]["version"] == version
    got = {
        p["index"]: {
            (t["name"], (t["email"] or t["value"]).lower())
            for t in p["trailers"]
            if t["followup"] and t["name"] in REVIEW_TRAILERS
        }
        for p in doc["series"]["patches"]
    }
    assert got == expected


def test_the_previous_version_is_found_by_searching_the_archive(
    real_archive: PublicInbox, tmp_path: Path
) -> None:
    # the v4 thread does not hold v3: the archive's search (title and
    # author) finds it, and the review compares with it
    import requests

    probe = requests.get(f"{real_archive.base_url}/?q=s:initrd&x=A", timeout=30)
    if probe.status_code != 200:
        pytest.skip(f"the test archive has no search (HTTP {probe.status_code}): Xapian missing")
    code, out, err = run(
        [
            ROOTS["initrd-v4"],
            "--archive",
            real_archive.base_url,
            "--cache-dir",
            str(tmp_path),
            "--format",
            "json",
        ],
        tmp_path,
    )
    assert code in (0, 1), err
    since = json.loads(out)["since"]
    assert since is not None and since["version"] == 3
    assert [p["status"] for p in since["patches"]] == ["unchanged", "changed", "unchanged"]
