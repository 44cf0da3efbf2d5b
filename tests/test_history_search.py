"""Earlier versions found in the archive, through a real public-inbox-httpd:
by the change-id b4 writes into cover letters (the titles and the sender's
address changed), by patch-id (the title changed, the diff did not), by
title and author; and the note a review carries when there is no earlier
version to compare with (a file, --offline, an archive without search)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from faultserver import Fault, serve_faults
from publicinbox import PublicInbox
from test_end_to_end import run
from test_versions_support import load_mails, real_series

from reviewpatch.atom import SearchResult
from reviewpatch.series import assemble_series
from reviewpatch.versions import find_previous, history_queries
from reviewpatch.versions.history import QueryKind

HISTORY = Path(__file__).resolve().parents[1] / "fixtures" / "fetch" / "history.mbox"
CHANGE_ID = "20240201-baz-rework-0123456789ab"


def _review(base: str, msgid: str, tmp_path: Path, *extra: str) -> dict:
    code, out, err = run(
        [msgid, "--archive", base, "--cache-dir", str(tmp_path), "--format", "json", *extra],
        tmp_path,
    )
    assert code in (0, 1), err
    return json.loads(out)


def _notes(doc: dict, rule_id: str) -> list[str]:
    return [f["message"] for f in doc["findings"] if f["rule_id"] == rule_id]


def _searchable(inbox: PublicInbox) -> None:
    import requests

    probe = requests.get(f"{inbox.base_url}/?q=s:demo&x=A", timeout=30)
    if probe.status_code != 200:
        pytest.skip(f"the test archive has no search (HTTP {probe.status_code}): Xapian missing")


def test_queries_go_from_change_id_to_title_to_patch_ids() -> None:
    v3 = assemble_series(load_mails(HISTORY), version=3)
    kinds = [q.kind for q in history_queries(v3)]
    assert kinds == [QueryKind.CHANGE_ID, QueryKind.TITLE, QueryKind.PATCH_ID, QueryKind.PATCH_ID]
    assert history_queries(v3)[0].query == f'nq:"change-id: {CHANGE_ID}"'
    # no change-id: title first, then at most three patch-ids
    initrd = history_queries(real_series("initrd-v4"))
    assert [q.kind for q in initrd] == [QueryKind.TITLE] + [QueryKind.PATCH_ID] * 3
    assert all(len(q.query) == len("patchid:") + 40 for q in initrd[1:])


def test_the_change_id_finds_a_version_whose_titles_and_address_changed(
    public_inbox: PublicInbox, tmp_path: Path
) -> None:
    _searchable(public_inbox)
    doc = _review(public_inbox.base_url, "hist-cid-v3-0@example.org", tmp_path)
    since = doc["since"]
    assert since is not None and since["version"] == 2
    assert [p["status"] for p in since["patches"]] == ["changed", "changed"]
    assert _notes(doc, "RP206") == []


def test_the_patch_id_finds_a_retitled_patch(public_inbox: PublicInbox, tmp_path: Path) -> None:
    _searchable(public_inbox)
    asked: list[str] = []

    def search(query: str) -> SearchResult:
        import requests

        asked.append(query)
        answer = requests.get(
            f"{public_inbox.base_url}/", params={"q": query, "x": "A"}, timeout=30
        )
        return SearchResult(answer.content if answer.status_code == 200 else None)

    single = assemble_series(
        tuple(m for m in load_mails(HISTORY) if m.msgid == "hist-retitle-v2@example.org")
    )
    found = find_previous(single, search)
    assert found.problem is None and found.found is not None
    assert (found.found.msgid, found.found.reason) == (
        "hist-retitle-v1@example.org",
        "same patch-id",
    )
    assert found.searched == ("title and author", "patch-id")
    assert asked[0].startswith('s:"demo: bar: initialise the counter to 1"')
    doc = _review(public_inbox.base_url, "hist-retitle-v2@example.org", tmp_path)
    assert doc["since"] is not None and doc["since"]["version"] == 1
    assert [p["status"] for p in doc["since"]["patches"]] == ["unchanged"]


def test_the_search_stops_once_the_previous_version_is_found(
    public_inbox: PublicInbox,
) -> None:
    _searchable(public_inbox)
    v3 = assemble_series(load_mails(HISTORY), version=3)
    asked: list[str] = []

    def search(query: str) -> SearchResult:
        import requests

        asked.append(query)
        answer = requests.get(
            f"{public_inbox.base_url}/", params={"q": query, "x": "A"}, timeout=30
        )
        return SearchResult(answer.content)

    found = find_previous(v3, search)
    assert found.found is not None and found.found.version == 2
    assert found.found.reason == "same change-id"
    assert len(asked) == 1 and found.searched == ("change-id",)


def test_an_archive_without_search_gives_a_note_not_a_failure(tmp_path: Path) -> None:
    thread = gzip.compress(_retitled_v2())
    script = {
        "/t.mbox.gz": [Fault(body=thread, headers=(("Content-Type", "application/gzip"),))],
        "&x=A": [Fault(status=501, body=b"no search")],
    }
    with serve_faults(script) as server:
        doc = _review(server.base_url, "hist-retitle-v2@example.org", tmp_path)
    assert doc["since"] is None
    (note,) = _notes(doc, "RP206")
    assert note.startswith("v2 is reviewed without v1: the input holds no earlier version")
    assert "the archive has no search (HTTP 501) at http://127.0.0.1:" in note


def _retitled_v2() -> bytes:
    mails = [m for m in HISTORY.read_text().split("From mboxrd@z") if "hist-retitle-v2@" in m]
    return ("From mboxrd@z" + mails[0]).encode()


def test_offline_and_files_say_that_no_archive_was_searched(
    public_inbox: PublicInbox, tmp_path: Path
) -> None:
    single = tmp_path / "v2.mbox"
    single.write_bytes(_retitled_v2())
    code, out, _ = run([str(single), "--format", "json"], tmp_path)
    assert code in (0, 1)
    (note,) = _notes(json.loads(out), "RP206")
    assert note == (
        "v2 is reviewed without v1: the input holds no earlier version and no archive was"
        " searched; --compare-with names the version to compare with"
    )
    # fetched once into the cache, then reviewed --offline: not searched
    _review(public_inbox.base_url, "hist-retitle-v2@example.org", tmp_path)
    doc = _review(public_inbox.base_url, "hist-retitle-v2@example.org", tmp_path, "--offline")
    (note,) = _notes(doc, "RP206")
    assert "the archive was not searched (--offline)" in note
    # --compare-with gives the comparison: no note
    old = tmp_path / "v1.mbox"
    old.write_bytes(("From mboxrd@z" + HISTORY.read_text().split("From mboxrd@z")[1]).encode())
    code, out, _ = run([str(single), "--format", "json", "--compare-with", str(old)], tmp_path)
    doc = json.loads(out)
    assert doc["since"]["version"] == 1 and _notes(doc, "RP206") == []
