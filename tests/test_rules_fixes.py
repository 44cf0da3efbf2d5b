"""RP113 fixes-commit-mismatch: Fixes: tags looked up in a real git tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from treehelp import build_repo, commit, edit, format_series, git

from reviewpatch.api import review
from reviewpatch.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

PATH = "arch/arm64/kernel/debug-monitors.c"


def _review(tmp_path: Path, fixes: str) -> list[str]:
    """Commit a 'buggy' change, then a fix carrying ``fixes`` (with
    {sha} standing for the buggy commit), and review the fix against a
    clone of the tree that has the buggy commit."""
    repo = tmp_path / "repo"
    build_repo(repo)
    edit(repo, PATH, "local_daif_restore(flags);", "local_daif_restore(0);")
    buggy = commit(repo, "arm64: debug: break single step")
    edit(repo, PATH, "local_daif_restore(0);", "local_daif_restore(flags);")
    body = "Restore the saved flags.\n\n" + fixes.format(sha=buggy[:12])
    commit(repo, "arm64: debug: fix single step", body)
    mbox = tmp_path / "fix.mbox"
    mbox.write_text(format_series(repo, buggy, cover=None))
    tree = tmp_path / "tree"
    git(tmp_path, "clone", "-q", str(repo), str(tree))
    git(tree, "checkout", "-q", buggy)
    report = review(str(mbox), Settings(tree=str(tree)))
    return [f.message for f in report.findings if f.rule_name == "fixes-commit-mismatch"]


def test_right_id_and_title_is_quiet(tmp_path: Path) -> None:
    assert _review(tmp_path, 'Fixes: {sha} ("arm64: debug: break single step")') == []


def test_title_of_another_commit_fires(tmp_path: Path) -> None:
    found = _review(tmp_path, 'Fixes: {sha} ("arm64: debug: something else")')
    assert len(found) == 1
    assert '"arm64: debug: break single step"' in found[0]


def test_unknown_commit_fires(tmp_path: Path) -> None:
    found = _review(tmp_path, 'Fixes: 0123456789ab ("arm64: debug: break single step")')
    assert found == ["Fixes: names commit 0123456789ab, which the tree does not have"]


def test_hunk_mode_says_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    base = build_repo(repo)
    edit(repo, PATH, "local_daif_restore(flags);", "local_daif_restore(0);")
    commit(repo, "x: y", 'Fixes: 0123456789ab ("nothing")')
    mbox = tmp_path / "p.mbox"
    mbox.write_text(format_series(repo, base, cover=None))
    report = review(str(mbox), Settings())
    assert not [f for f in report.findings if f.rule_name == "fixes-commit-mismatch"]
