"""The symbol index of tree mode (``reviewpatch.kernel.index``) on real git
repositories: built once per tree id with the real universal-ctags and
id-utils, reused, kept out of the checkout, and giving the answers the
``git grep`` search gives.  The opt-in test at the end runs on a real Linux
checkout named by ``REVIEWPATCH_KERNEL_TREE``."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from treehelp import build_repo, commit, git, seed_series, series_from_mbox

from reviewpatch.kernel.index import index_tools
from reviewpatch.kernel.tree import TreeSource
from reviewpatch.model import Series

pytestmark = pytest.mark.skipif(
    index_tools() is None, reason="universal-ctags and id-utils (mkid, lid) are not installed"
)

PTRACE = "arch/arm64/kernel/ptrace.c"
SYSCALL = "arch/arm64/include/asm/syscall.h"
RSEQ = "include/linux/rseq.h"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Series:
    """The seed series without a base-commit: it applies on HEAD, which has
    the files ``repo`` adds."""
    series = series_from_mbox(seed_series(tmp_path_factory.mktemp("authors"), "seed"))
    patches = tuple(dataclasses.replace(p, base_commit=None) for p in series.patches)
    cover = series.cover and dataclasses.replace(series.cover, base_commit=None)
    return dataclasses.replace(series, base_commit=None, cover=cover, patches=patches)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "linux"
    build_repo(path)
    (path / "init").mkdir()
    (path / "init" / "Kconfig").write_text(
        'config RSEQ\n\tbool "Enable rseq() system call"\n\n'
        'menuconfig DEBUG_RSEQ\n\tbool "Debug rseq"\n\tdepends on RSEQ\n'
    )
    (path / "kernel").mkdir()
    (path / "kernel" / "Makefile").write_text("obj-$(CONFIG_RSEQ) += rseq.o\n")
    (path / "kernel" / "rseq.c").write_text(
        '#include <linux/rseq.h>\n#include "internal.h"\n\n'
        "void rseq_syscall(struct pt_regs *regs)\n{\n\tif (!current->rseq)\n\t\treturn;\n}\n"
    )
    git(path, "add", "-A")
    commit(path, "add rseq")
    return path


def _open(repo: Path, series: Series, cache: Path | None) -> TreeSource:
    return TreeSource.open(str(repo), series, cache=cache)


def _state(repo: Path) -> tuple[str, str, bytes, str]:
    """Everything a review must not change: refs, status, index, files."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    status = git(repo, "status", "--porcelain", "--ignored")
    index = (repo / ".git" / "index").read_bytes()
    files = git(repo, "ls-files", "-o", "--exclude-standard")
    return refs, status, index, files


def test_index_is_built_once_per_tree_and_reused(repo: Path, seed: Series, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    calls: list[tuple[int, int]] = []
    with TreeSource.open(str(repo), seed, cache=cache, progress=lambda d, t: calls.append((d, t))):
        pass
    tree_id = git(repo, "rev-parse", "HEAD^{tree}")
    assert [p.name for p in (cache / "tree-index").iterdir()] == [tree_id]
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1] and len(calls) >= 3
    calls.clear()
    with TreeSource.open(str(repo), seed, cache=cache, progress=lambda d, t: calls.append((d, t))):
        pass
    assert calls == []  # opened, not built again
    # a half-built index (no meta.json) is never used: it is built again
    (cache / "tree-index" / tree_id / "meta.json").unlink()
    with TreeSource.open(str(repo), seed, cache=cache, progress=lambda d, t: calls.append((d, t))):
        pass
    assert calls and (cache / "tree-index" / tree_id / "meta.json").is_file()


def test_checkout_untouched_by_index_build_and_review(
    repo: Path, seed: Series, tmp_path: Path
) -> None:
    before = _state(repo)
    with _open(repo, seed, tmp_path / "cache") as tree:
        assert tree.find_definitions("rseq_syscall")
        assert tree.grep("rseq_syscall")
    assert _state(repo) == before
    assert not list((repo / ".git").glob("*.lock"))


def test_index_gives_the_answers_of_git_grep(repo: Path, seed: Series, tmp_path: Path) -> None:
    names = [
        "rseq_syscall",
        "syscall_exit_work",
        "report_syscall_exit",
        "SYSCALL_MAX_ARGS",
        "set_regs_spsr_ss",
        "DBG_MDSCR_MASK",
        "no_such_name",
    ]
    with _open(repo, seed, None) as slow, _open(repo, seed, tmp_path / "cache") as fast:
        assert slow.index_note.startswith("no symbol index")
        assert fast.index_note.startswith("symbol index of tree ")
        for name in names:
            assert fast.find_definitions(name) == slow.find_definitions(name), name
            assert fast.find_definition(name) == slow.find_definition(name), name
            code = {h for h in slow.grep(name) if not h[0].endswith((".txt", ".rst"))}
            assert set(fast.grep(name)) == code, name
        wanted = ["RSEQ", "DEBUG_RSEQ", "NOT_THERE"]
        assert fast.config_symbols(wanted) == slow.config_symbols(wanted) == {"RSEQ", "DEBUG_RSEQ"}
        # identifier uses in Kconfig files and Makefiles are found too
        assert ("kernel/Makefile", 1, "obj-$(CONFIG_RSEQ) += rseq.o") in fast.grep("CONFIG_RSEQ")
        assert ("init/Kconfig", 6, "\tdepends on RSEQ") in fast.grep("RSEQ")


def test_includes_of_a_header_come_from_the_index(repo: Path, seed: Series, tmp_path: Path) -> None:
    with _open(repo, seed, tmp_path / "cache") as tree:
        hits = tree.grep("linux/rseq.h")
        assert ("kernel/rseq.c", 1, "#include <linux/rseq.h>") in hits
        assert all("rseq.h" in text for _p, _n, text in hits)


def test_files_the_series_changes_are_read_after_the_series(
    repo: Path, seed: Series, tmp_path: Path
) -> None:
    with _open(repo, seed, None) as slow, _open(repo, seed, tmp_path / "cache") as fast:
        changed = {fd.path for p in seed.patches for fd in p.files}
        assert PTRACE in changed
        # the series' post-image, not the indexed base, answers for its files
        for name in ("syscall_exit_work", "rseq_syscall"):
            assert [h for h in fast.grep(name) if h[0] in changed] == [
                h for h in slow.grep(name) if h[0] in changed
            ]
        body = fast.find_definition("syscall_exit_work")
        assert body is not None and body == slow.find_definition("syscall_exit_work")
        assert body[1] in (fast.new_file(body[0]) or "")


def test_a_modified_checkout_file_is_read_from_git_not_from_disk(
    repo: Path, seed: Series, tmp_path: Path
) -> None:
    rseq = repo / "kernel" / "rseq.c"
    rseq.write_text(rseq.read_text() + "\nvoid only_on_disk(void)\n{\n}\n")
    before = _state(repo)
    with _open(repo, seed, tmp_path / "cache") as tree:
        assert tree.find_definitions("only_on_disk") == ()
        assert tree.grep("only_on_disk") == ()
        # the function in the .c file first, then the header's stub, each
        # with the preprocessor conditions it is built under
        found = [(d.path, d.conditions) for d in tree.find_definitions("rseq_syscall")]
        # (the header's include guard is no condition)
        assert found == [("kernel/rseq.c", ()), (RSEQ, ("!(defined(CONFIG_DEBUG_RSEQ))",))]
    assert _state(repo) == before


def test_macros_of_a_register_dump_are_found_without_being_stored(
    repo: Path, seed: Series, tmp_path: Path
) -> None:
    regs = repo / "include" / "regs.h"
    regs.write_text("".join(f"#define mmREG_{n:05d} 0x{n:x}\n" for n in range(2500)))
    git(repo, "add", "-A")
    commit(repo, "registers")
    with _open(repo, seed, tmp_path / "cache") as tree:
        found = tree.find_definitions("mmREG_01234")
        assert [(d.path, d.line, d.kind) for d in found] == [("include/regs.h", 1235, "macro")]
        assert found[0].text == "#define mmREG_01234 0x4d2\n"
    db = sqlite3.connect(next((tmp_path / "cache" / "tree-index").iterdir()) / "tags.sqlite")
    stored = db.execute(
        "SELECT count(*) FROM tags t JOIN files f ON f.id = t.file WHERE f.path = ?",
        ("include/regs.h",),
    ).fetchone()
    bulk = db.execute("SELECT f.path FROM bulk b JOIN files f ON f.id = b.file").fetchall()
    db.close()
    assert stored == (0,) and bulk == [("include/regs.h",)]


def test_without_the_indexers_tree_mode_falls_back_to_git_grep(
    repo: Path, seed: Series, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", _path_with_git_only(tmp_path))
    with _open(repo, seed, tmp_path / "cache") as tree:
        assert tree.index_note.startswith("no symbol index: universal-ctags and id-utils")
        assert [d.path for d in tree.find_definitions("rseq_syscall")] == ["kernel/rseq.c", RSEQ]
    assert not (tmp_path / "cache" / "tree-index").exists()


def _path_with_git_only(tmp_path: Path) -> str:
    """A PATH directory holding only git (no ctags, mkid or lid)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    real = subprocess.run(
        ["sh", "-c", "command -v git"], capture_output=True, text=True, check=True
    )
    (bindir / "git").symlink_to(real.stdout.strip())
    return str(bindir)


# -- opt-in: a real Linux checkout ------------------------------------------------

_KERNEL = os.environ.get("REVIEWPATCH_KERNEL_TREE", "")
_INITRD = Path(__file__).resolve().parents[2] / "shared" / "real-threads" / "initrd-v4.mbox.gz"


@pytest.mark.skipif(
    not _KERNEL,
    reason="set REVIEWPATCH_KERNEL_TREE to a Linux checkout (../shared/tools/kernel-tree.sh)",
)
@pytest.mark.skipif(
    not _INITRD.is_file(), reason="../shared/real-threads/initrd-v4.mbox.gz is absent"
)
def test_real_kernel_tree_review(tmp_path: Path) -> None:
    from reviewpatch.api import review
    from reviewpatch.findings import Severity
    from reviewpatch.settings import Settings

    cache = os.environ.get("REVIEWPATCH_KERNEL_INDEX_CACHE") or str(tmp_path / "cache")
    repo = Path(_KERNEL)
    before = _state(repo)
    report = review(str(_INITRD), Settings(tree=str(repo), cache_dir=cache))
    assert _state(repo) == before
    mode = report.meta_value("mode") or ""
    assert mode.startswith("tree (") and "C file changes seen whole:" in mode
    # the checkout lacks the series' base and some pre-images: no RP001 error
    assert not [f for f in report.findings if f.rule_id == "RP001" and f.severity is Severity.ERROR]
