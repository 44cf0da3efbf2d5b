"""Tree mode: pre- and post-images from a real git repository built from
fixtures/trees/mini-arm64, with series made by ``git format-patch``."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from pathlib import Path

import pytest
from treehelp import MINI_ARM64, build_repo, commit, edit, git, seed_series, series_from_mbox

from reviewpatch.errors import TreeError
from reviewpatch.kernel.tree import TreeSource
from reviewpatch.model import Series

PTRACE = "arch/arm64/kernel/ptrace.c"
SYSCALL = "arch/arm64/include/asm/syscall.h"
DEBUG = "arch/arm64/kernel/debug-monitors.c"
THREAD = "arch/arm64/include/asm/thread_info.h"


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("authors")


@pytest.fixture(scope="module")
def seed(series_dir: Path) -> Series:
    return series_from_mbox(seed_series(series_dir, "seed"))


@pytest.fixture(scope="module")
def broken(series_dir: Path) -> Series:
    return series_from_mbox(seed_series(series_dir, "not-applying"))


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "linux"
    build_repo(path)
    return path


def _blob(series: Series, index: int, path: str) -> str | None:
    patch = series.patch(index)
    assert patch is not None
    return next(f.old_blob for f in patch.files if f.path == path)


def _blob_new(series: Series, index: int, path: str) -> str | None:
    patch = series.patch(index)
    assert patch is not None
    return next(f.new_blob for f in patch.files if f.path == path)


def _with_base(series: Series, base: str | None) -> Series:
    """The series naming ``base`` (None: no base-commit) everywhere."""
    cover = series.cover and dataclasses.replace(series.cover, base_commit=base)
    patches = tuple(dataclasses.replace(p, base_commit=base) for p in series.patches)
    return dataclasses.replace(series, base_commit=base, cover=cover, patches=patches)


def _fixture_text(path: str) -> str:
    return (MINI_ARM64 / path).read_text()


def test_pre_image_from_blob_id(repo: Path, seed: Series) -> None:
    blob = _blob(seed, 1, PTRACE)
    assert blob is not None and len(blob) < 40  # abbreviated on the index line
    with TreeSource.open(str(repo), seed) as tree:
        text, note = tree.old_file_with_source(PTRACE, blob)
        assert text == _fixture_text(PTRACE)
        assert note == f"file from blob {blob}"
        assert tree.old_file(PTRACE, "0000000") is None


def test_pre_image_from_base_commit_not_head(repo: Path, seed: Series) -> None:
    edit(repo, PTRACE, "void ptrace_disable(", "void ptrace_disable_later(")
    commit(repo, "local change on top of the base")
    with TreeSource.open(str(repo), seed) as tree:
        assert tree.base_note.startswith("pre-image from base-commit ")
        assert tree.base == seed.base_commit
        text, note = tree.old_file_with_source(PTRACE, None)
        assert text == _fixture_text(PTRACE)
        assert note == tree.base_note
        assert tree.old_file(PTRACE, "deadbeef") == _fixture_text(PTRACE)
        assert tree.problems == ()


def test_pre_image_falls_back_to_head_with_note(repo: Path, seed: Series) -> None:
    edit(repo, PTRACE, "void ptrace_disable(", "void ptrace_disable_later(")
    head = commit(repo, "local change on top of the base")
    unknown = _with_base(seed, "1234567890abcdef1234")
    with TreeSource.open(str(repo), unknown) as tree:
        assert tree.base == head
        assert tree.base_note.startswith(f"pre-image from HEAD {head[:12]}")
        assert "base-commit 1234567890abcdef1234 not in the tree" in tree.base_note
        assert "ptrace_disable_later" in (tree.old_file(PTRACE, None) or "")
    none = _with_base(seed, None)
    with TreeSource.open(str(repo), none) as tree:
        assert tree.base_note.endswith("the series names no base-commit")


def test_post_image_after_applying(repo: Path, seed: Series) -> None:
    with TreeSource.open(str(repo), seed) as tree:
        assert tree.problems == ()
        assert tree.applied(1) and tree.applied(2)
        new = tree.new_file(SYSCALL) or ""
        assert "#include <linux/rseq.h>" in new
        assert "|| flags & _TIF_SINGLESTEP)\n\t\tsyscall_exit_work(regs, flags);" in new
        assert "#include <linux/rseq.h>" not in (tree.new_file(PTRACE) or "")
        assert "_TIF_SYSCALL_EXIT_WORK" in (tree.new_file(THREAD) or "")
        after1 = tree.file_after(1, DEBUG)
        assert after1 == _fixture_text(DEBUG)
        assert "SYSCALL_EXIT_TRAP" in (tree.file_after(2, DEBUG) or "")
        assert tree.new_file("no/such/file.c") is None
        # the pre-image of patch 2's file as patch 2 saw it
        assert tree.old_file(DEBUG, None, patch_index=2) == _fixture_text(DEBUG)
        # the post-image blob of a patch that applied is readable by its id
        after = tree.old_file(SYSCALL, _blob_new(seed, 1, SYSCALL))
        assert after is not None and after == tree.file_after(1, SYSCALL)


def test_patch_that_does_not_apply_is_recorded(repo: Path, broken: Series) -> None:
    with TreeSource.open(str(repo), broken) as tree:
        assert [p.patch_index for p in tree.problems] == [1]
        problem = tree.problems[0]
        assert problem.git_error == f"error: patch failed: {PTRACE}:127"
        assert problem.git_error in problem.message
        assert problem.message.startswith("patch 1 does not apply on base-commit ")
        assert not tree.applied(1) and tree.applied(2)
        assert tree.file_after(1, PTRACE) is None
        # nothing of patch 1 is left half-applied; patch 2 still is applied
        assert tree.file_after(2, SYSCALL) == _fixture_text(SYSCALL)
        assert tree.file_after(2, PTRACE) == _fixture_text(PTRACE)
        assert "set_task_syscall_work" in (tree.new_file(DEBUG) or "")
        # the files of a patch that did not apply have no known post-image
        assert tree.new_file(SYSCALL) is None and tree.new_file(PTRACE) is None
        # nor are they searched for references
        assert {p for p, _, _ in tree.grep("rseq_syscall")} == {"include/linux/rseq.h"}
        patch = broken.patch(1)
        assert patch is not None
        by_path = {f.path: f for f in patch.files}
        assert tree.old_file(PTRACE, by_path[PTRACE].new_blob) is None
        # its pre-image: by blob when git has it, else unknown
        assert tree.old_file(SYSCALL, by_path[SYSCALL].old_blob) == _fixture_text(SYSCALL)
        text, note = tree.old_file_with_source(PTRACE, by_path[PTRACE].old_blob)
        assert (text, note) == (None, "patch 1 did not apply")


def test_three_way_when_context_moved_but_blobs_exist(repo: Path, seed: Series) -> None:
    edit(
        repo,
        DEBUG,
        "\tif (!test_and_set_ti_thread_flag(ti, TIF_SINGLESTEP))\n",
        "\tif (!test_and_set_ti_thread_flag(ti, TIF_SINGLESTEP)) /* first */\n",
    )
    commit(repo, "reword the stepping helpers")
    calls: list[tuple[list[str], int]] = []

    def runner(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        res = subprocess.run(args, **kwargs)  # type: ignore[call-overload]
        calls.append((args, res.returncode))
        return res  # type: ignore[no-any-return]

    with TreeSource.open(str(repo), _with_base(seed, None), runner=runner) as tree:
        assert tree.problems == ()
        text = tree.new_file(DEBUG) or ""
        assert "TIF_SINGLESTEP)) /* first */\n" in text
        assert "set_task_syscall_work(task, SYSCALL_EXIT_TRAP);" in text
        # the mail's post-image (the author's file) is readable by its blob
        # id, as the 3-way merge stored it; it differs from the merged file
        new_blob = _blob_new(seed, 2, DEBUG)
        author, note = tree.old_file_with_source(DEBUG, new_blob)
        assert note == f"file from blob {new_blob}"
        assert author is not None and author != text
        assert "SYSCALL_EXIT_TRAP" in author and "/* first */" not in author
    applies = [(a[2:], rc) for a, rc in calls if a[1] == "apply"]
    assert applies[-2:] == [
        (["--cached", "--whitespace=nowarn"], 1),
        (["--cached", "--3way", "--whitespace=nowarn"], 0),
    ]


def test_three_way_conflict_is_a_problem_and_leaves_no_trace(repo: Path, seed: Series) -> None:
    edit(repo, PTRACE, "{\n\trseq_syscall(regs);\n", "{\n\trseq_syscall(regs);\t/* keep */\n")
    head_ptrace = (repo / PTRACE).read_text()
    commit(repo, "a conflicting local change")
    with TreeSource.open(str(repo), _with_base(seed, None)) as tree:
        assert [p.patch_index for p in tree.problems] == [1]
        assert tree.problems[0].message.startswith("patch 1 does not apply on HEAD ")
        assert tree.new_file(PTRACE) is None
        assert tree.file_after(2, PTRACE) == head_ptrace
        assert tree.file_after(2, SYSCALL) == _fixture_text(SYSCALL)
        assert tree.applied(2)


def test_post_image_blob_of_a_patch_applied_with_offset(repo: Path, seed: Series) -> None:
    edit(
        repo, DEBUG, "#include <linux/cpu.h>\n", "#include <linux/cpu.h>\n#include <linux/bug.h>\n"
    )
    commit(repo, "one more include")
    with TreeSource.open(str(repo), _with_base(seed, None)) as tree:
        assert tree.problems == ()
        new_blob = _blob_new(seed, 2, DEBUG)
        text, note = tree.old_file_with_source(DEBUG, new_blob)
        assert note == "file as patch 2 left it"
        assert text == tree.new_file(DEBUG)
        assert text is not None and "#include <linux/bug.h>" in text


def test_find_definition_function_and_macro(repo: Path, seed: Series) -> None:
    with TreeSource.open(str(repo), seed) as tree:
        path, text = tree.find_definition("syscall_exit_work") or ("", "")
        assert path == PTRACE
        assert text.startswith(
            "void syscall_exit_work(struct pt_regs *regs, unsigned long flags)\n{"
        )
        assert text.endswith("\t\treport_syscall(regs, PTRACE_SYSCALL_EXIT);\n}\n")
        assert "rseq_syscall" not in text  # post-image
        path, text = tree.find_definition("_TIF_SYSCALL_EXIT_WORK") or ("", "")
        assert path == THREAD
        assert text == (
            "#define _TIF_SYSCALL_EXIT_WORK\t(_TIF_SYSCALL_TRACE | _TIF_SYSCALL_AUDIT | \\\n"
            "\t\t\t\t _TIF_SYSCALL_TRACEPOINT)\n"
        )
        # a prototype is not a definition; the static inline stub is
        path, text = tree.find_definition("rseq_syscall") or ("", "")
        assert path == "include/linux/rseq.h"
        assert text == "static inline void rseq_syscall(struct pt_regs *regs)\n{\n}\n"
        path, text = tree.find_definition("syscall_get_return_value") or ("", "")
        assert text.count("\n") == 10 and text.endswith("\treturn val;\n}\n")
        assert tree.find_definition("no_such_function") is None
        assert tree.find_definition("a|b") is None
        assert tree.find_definition("-e") is None


def test_prefetch_definitions_in_one_search(repo: Path, seed: Series) -> None:
    calls: list[list[str]] = []

    def runner(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(args)
        return subprocess.run(args, **kwargs)  # type: ignore[call-overload, no-any-return]

    names = ("syscall_exit_work", "_TIF_SINGLESTEP", "report_single_step", "nope", "bad name")
    with TreeSource.open(str(repo), seed, runner=runner) as tree:
        tree.prefetch_definitions(names)
        # one search of the base (the files the series leaves alone) and one
        # of the series' own small tree, for all the names at once
        greps = sum(1 for a in calls if a[1] == "grep")
        assert greps == 2
        assert tree.find_definition("_TIF_SINGLESTEP") == (
            THREAD,
            "#define _TIF_SINGLESTEP\t\t(1 << TIF_SINGLESTEP)\n",
        )
        path, text = tree.find_definition("report_single_step") or ("", "")
        assert path == PTRACE and text.startswith("static inline bool report_single_step(")
        assert tree.find_definition("nope") is None
        assert sum(1 for a in calls if a[1] == "grep") == 2


def test_find_definition_with_return_type_on_previous_line(repo: Path, seed: Series) -> None:
    edit(repo, DEBUG, "static u32 mdscr_read(void)\n", "static u32\nmdscr_read(void)\n")
    commit(repo, "split a definition line")
    moved = _with_base(seed, None)
    with TreeSource.open(str(repo), moved) as tree:
        found = tree.find_definitions("mdscr_read")
        assert [(d.path, d.kind) for d in found] == [(DEBUG, "function")]
        assert found[0].text.startswith("static u32\nmdscr_read(void)\n{")
        assert found[0].text.splitlines()[0] == "static u32"


def test_grep_word_references_in_post_image(repo: Path, seed: Series) -> None:
    with TreeSource.open(str(repo), seed) as tree:
        hits = tree.grep("rseq_syscall")
        assert (SYSCALL, 89, "\trseq_syscall(regs);") in hits
        assert not any(path == PTRACE for path, _, _ in hits)
        assert {p for p, _, _ in hits} == {SYSCALL, "include/linux/rseq.h"}
        # whole words only
        assert all("syscall_exit_work" not in t for _, _, t in tree.grep("syscall_exit"))
        assert tree.grep("no_such_symbol_anywhere") == ()
        assert len(tree.grep("regs", limit=3)) == 3


def _snapshot(repo: Path) -> tuple[object, ...]:
    files = sorted(
        (str(p.relative_to(repo)), hashlib.sha1(p.read_bytes()).hexdigest())
        for p in repo.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    )
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "status", "--porcelain"),
        git(repo, "worktree", "list", "--porcelain"),
        git(repo, "for-each-ref"),
        git(repo, "count-objects", "-v"),
        hashlib.sha1((repo / ".git" / "index").read_bytes()).hexdigest(),
        tuple(files),
    )


def test_user_checkout_is_unchanged(repo: Path, seed: Series, broken: Series) -> None:
    (repo / PTRACE).write_text(_fixture_text(PTRACE) + "/* uncommitted */\n")
    (repo / "untracked.txt").write_text("mine\n")
    before = _snapshot(repo)
    for series in (seed, broken):
        tree = TreeSource.open(str(repo), series)
        tmp = Path(tree._tmp)
        assert tmp.is_dir()
        tree.find_definition("syscall_exit_work")
        tree.close()
        tree.close()
        assert not tmp.exists()
    assert _snapshot(repo) == before


def test_not_a_git_checkout(tmp_path: Path, seed: Series) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(TreeError, match=r"^tree .*plain: not a git checkout"):
        TreeSource.open(str(plain), seed)
    with pytest.raises(TreeError, match="not a directory"):
        TreeSource.open(str(tmp_path / "missing"), seed)


def test_git_that_cannot_run_is_a_tree_error(repo: Path, seed: Series) -> None:
    def runner(*args: object, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        raise FileNotFoundError("git")

    with pytest.raises(TreeError, match="git rev-parse failed"):
        TreeSource.open(str(repo), seed, runner=runner)


def test_unborn_head_is_a_tree_error(tmp_path: Path, seed: Series) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    nobase = _with_base(seed, None)
    with pytest.raises(TreeError, match="HEAD unborn"):
        TreeSource.open(str(empty), nobase)


def test_rp001_one_hit_per_patch_that_does_not_apply(
    repo: Path, broken: Series, seed: Series
) -> None:
    from reviewpatch.csource import analyse_series
    from reviewpatch.rules.builtin import apply_problems, patch_does_not_apply
    from reviewpatch.rules.registry import RuleContext, spec_of

    spec = spec_of(patch_does_not_apply)
    assert spec is not None and spec.id == "RP001" and spec.needs_code
    with TreeSource.open(str(repo), broken) as tree:
        code = analyse_series(broken, tree)
        hits = list(patch_does_not_apply(RuleContext(broken, code=code)))
        assert [h.patch_index for h in hits] == [1]
        assert "error: patch failed: arch/arm64/kernel/ptrace.c:127" in hits[0].message
    with TreeSource.open(str(repo), seed) as tree:
        assert list(patch_does_not_apply(RuleContext(seed, code=analyse_series(seed, tree)))) == []
    # hunk mode: no tree, nothing to say
    assert apply_problems(analyse_series(seed, None)) == ()
    assert apply_problems(None) == ()


def test_series_from_the_real_parser_applies_the_same(repo: Path, series_dir: Path) -> None:
    try:
        from reviewpatch.mail import read_mails
        from reviewpatch.series import assemble_series
    except ImportError as exc:  # pragma: no cover - the parser is another module
        pytest.skip(f"mail parser not available: {exc}")
    (series_dir / "real-parser").mkdir(exist_ok=True)
    mbox = seed_series(series_dir / "real-parser", "not-applying")
    mails, _ = read_mails(mbox.encode(), "not-applying.mbox")
    series = assemble_series(tuple(mails))
    with TreeSource.open(str(repo), series) as tree:
        assert tree.base_note.startswith("pre-image from base-commit ")
        assert [p.patch_index for p in tree.problems] == [1]
        assert tree.applied(2)


def test_tree_source_and_the_stub_have_every_member_of_the_protocol(
    repo: Path, seed: Series
) -> None:
    from faketree import StubTree

    from reviewpatch.kernel import KernelTree

    members = {name for name in vars(KernelTree) if not name.startswith("_")}
    assert members == {
        "problems",
        "base_note",
        "old_file",
        "new_file",
        "file_after",
        "find_definition",
        "find_definitions",
        "prefetch_definitions",
        "grep",
        "config_symbols",
        "commit_subject",
    }
    with TreeSource.open(str(repo), seed) as tree:
        assert all(hasattr(tree, name) for name in members)
    assert all(hasattr(StubTree(), name) for name in members)


def test_a_patch_that_only_conflicts_with_head_is_not_certain(repo: Path, seed: Series) -> None:
    # HEAD moved on in the lines the patch changes; its own pre-images (the
    # blobs on its index lines) are in the repository and it applies there
    edit(repo, PTRACE, "{\n\trseq_syscall(regs);\n", "{\n\trseq_syscall(regs);\t/* keep */\n")
    commit(repo, "a conflicting local change")
    with TreeSource.open(str(repo), _with_base(seed, None)) as tree:
        problem = tree.problems[0]
        assert not problem.certain
        assert problem.message.endswith(
            "; it applies to the pre-images its index lines name, not to HEAD"
        )
        # the same failure on the declared base is certain
    with TreeSource.open(str(repo), seed) as tree:
        assert tree.problems == ()


def test_a_patch_that_fails_on_its_own_pre_images_is_certain(repo: Path, seed: Series) -> None:
    # a context line damaged in the mail: the blobs are there, the hunk
    # does not fit them
    patch = seed.patch(1)
    assert patch is not None
    lines = patch.mail.body.split("\n")
    start = lines.index(f"+++ b/{PTRACE}")
    at = next(i for i in range(start, len(lines)) if lines[i].startswith(" \t"))
    lines[at] += " /* damaged */"
    mail = dataclasses.replace(patch.mail, body="\n".join(lines))
    damaged = _with_base(seed, None)
    damaged = dataclasses.replace(
        damaged,
        patches=tuple(
            dataclasses.replace(p, mail=mail) if p.index == 1 else p for p in damaged.patches
        ),
    )
    with TreeSource.open(str(repo), damaged) as tree:
        problem = tree.problems[0]
        assert problem.certain
        assert problem.message.endswith("; it does not apply to its own pre-images either")


def test_a_patch_made_on_another_tree_is_not_certain(repo: Path, broken: Series) -> None:
    # the not-applying variant was made on a tree whose ptrace.c differs:
    # this repository lacks its pre-image
    with TreeSource.open(str(repo), _with_base(broken, None)) as tree:
        problem = tree.problems[0]
        assert not problem.certain
        assert problem.message.endswith(f"; the tree lacks the pre-image of {PTRACE}")


def test_a_patch_whose_pre_image_the_tree_lacks_is_not_certain(repo: Path, seed: Series) -> None:
    edit(repo, PTRACE, "{\n\trseq_syscall(regs);\n", "{\n\trseq_syscall(regs);\t/* keep */\n")
    commit(repo, "a conflicting local change")
    patch = seed.patch(1)
    assert patch is not None
    files = tuple(
        dataclasses.replace(f, old_blob="abcdef1") if f.path == PTRACE else f for f in patch.files
    )
    lacking = dataclasses.replace(
        _with_base(seed, None),
        patches=tuple(
            dataclasses.replace(p, files=files, base_commit=None) if p.index == 1 else p
            for p in _with_base(seed, None).patches
        ),
    )
    with TreeSource.open(str(repo), lacking) as tree:
        problem = tree.problems[0]
        assert not problem.certain
        assert problem.message.endswith(f"; the tree lacks the pre-image of {PTRACE}")


def test_conditions_of_a_definition_follow_if_elif_else() -> None:
    from reviewpatch.kernel.treedefs import conditions_at

    lines = (
        "#ifdef CONFIG_A\n#if X > 1 /* big */\nint a;\n#elif defined(Y)\nint b;\n"
        "#else\nint c;\n#endif\n#else\nint d;\n#endif\nint e;\n#endif\nint f;\n"
    ).splitlines()
    assert conditions_at(lines, 2) == ("defined(CONFIG_A)", "X > 1")
    assert conditions_at(lines, 4) == ("defined(CONFIG_A)", "!(X > 1) && (defined(Y))")
    assert conditions_at(lines, 6) == ("defined(CONFIG_A)", "!(X > 1) && !(defined(Y))")
    assert conditions_at(lines, 9) == ("!(defined(CONFIG_A))",)
    assert conditions_at(lines, 11) == ()
    # an #endif whose #if lies above the file's first line changes nothing
    assert conditions_at(lines, 13) == ()
    guarded = "#ifndef _X_H\n#define _X_H\n#ifdef CONFIG_B\nint g;\n#endif\n#endif\n"
    assert conditions_at(guarded.splitlines(), 3) == ("defined(CONFIG_B)",)
    # an #ifndef that is not followed by its #define is a condition
    plain = "#ifndef CONFIG_C\nint h;\n#endif\n"
    assert conditions_at(plain.splitlines(), 1) == ("!defined(CONFIG_C)",)
