"""reviewpatch.versions.patchid: the patch-id of git patch-id --stable."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from test_versions_support import FIXTURES, SHARED, foo_diff, load_mails, patch_mail

from reviewpatch.model import Patch
from reviewpatch.patch import parse_patch
from reviewpatch.series import assemble_series
from reviewpatch.subject import parse_subject
from reviewpatch.versions import patch_id


def _patches(path: Path) -> list[Patch]:
    mails = load_mails(path)
    out: list[Patch] = []
    for version in assemble_series(mails).versions:
        out.extend(assemble_series(mails, version=version).patches)
    return out


def _git_patch_id(body: str) -> str | None:
    done = subprocess.run(
        ["git", "patch-id", "--stable"], input=body.encode(), capture_output=True, check=True
    )
    words = done.stdout.decode().split()
    return words[0] if words else None


def _sources() -> list[Path]:
    out = sorted(FIXTURES.glob("*.mbox"))
    out += sorted((SHARED / "real-threads").glob("*.mbox.gz"))
    return out


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.name)
def test_patch_id_is_gits(path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    patches = _patches(path)
    assert patches
    for patch in patches:
        assert patch_id(patch) == _git_patch_id(patch.mail.body), patch.subject.raw


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.name)
def test_patch_id_from_files_alone(path: Path) -> None:
    """Rebuilt from the parsed diff (no mail), the id is the same when
    the diff has no extended header lines."""
    for patch in _patches(path):
        if all(not f.is_new and not f.is_deleted and not f.is_rename for f in patch.files):
            assert patch_id(patch.files) == patch_id(patch)


def _one(diff: str) -> Patch:
    mail = patch_mail("a@x", "[PATCH] foo: check", "Check it.", diff)
    return parse_patch(mail, parse_subject(mail.subject))


def test_patch_id_ignores_line_numbers_and_whitespace() -> None:
    base = patch_id(_one(foo_diff()))
    assert base is not None and len(base) == 40
    assert patch_id(_one(foo_diff(start=250))) == base
    assert patch_id(_one(foo_diff(cond="ret  <  0"))) == base
    assert patch_id(_one(foo_diff(cond="ret"))) != base
    assert patch_id(_one(foo_diff(blank="\t"))) == base  # whitespace-only context


def test_patch_id_ignores_file_order() -> None:
    one = _one(foo_diff())
    other = foo_diff().replace("drivers/foo.c", "drivers/zed.c")
    two = _one(foo_diff() + "\n" + other)
    swapped = dataclasses.replace(two, files=tuple(reversed(two.files)))
    assert patch_id(swapped) == patch_id(two) != patch_id(one)


def test_no_diff_no_patch_id() -> None:
    assert patch_id(()) is None
    cover = patch_mail("c@x", "[PATCH 0/1] foo", "Cover.", None)
    assert patch_id(parse_patch(cover, parse_subject(cover.subject))) is None
