"""RP301-RP304 (and RP001, RP307) in tree mode, end to end: a real git
repository built from fixtures/trees/mini-arm64, series made with
``git format-patch`` (tests/treehelp.py), reviewed with
``reviewpatch.api.review(mbox, Settings(tree=repo))``."""

from __future__ import annotations

from pathlib import Path

import pytest
from treehelp import build_repo, commit, edit, format_series, seed_series

from reviewpatch.api import review
from reviewpatch.findings import Finding, Severity
from reviewpatch.settings import Settings

SYSCALL_H = "arch/arm64/include/asm/syscall.h"
THREAD_INFO = "arch/arm64/include/asm/thread_info.h"
PTRACE = "arch/arm64/kernel/ptrace.c"
EXIT_CALL = "\tsyscall_exit_work(regs, flags);\n}\n\n#endif"
MASK_AFTER = "\t\t\t\t _TIF_SYSCALL_EMU)\n"
RSEQ_INCLUDE = "#include <linux/rseq.h>\n"
FLOW = ("RP301", "RP302", "RP303", "RP304")


def _review(work: Path, mbox: str, tree: bool = True) -> list[Finding]:
    path = work / "series.mbox"
    path.write_text(mbox)
    repo = work / "linux"
    if tree and not repo.exists():
        build_repo(repo)
    settings = Settings(tree=str(repo)) if tree else Settings()
    return list(review(str(path), settings).findings)


def _of(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule_id]


def _loud(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in _of(findings, rule_id) if f.severity is not Severity.NOTE]


def _variant(
    work: Path, *, members: str, guard: str, branch: str = "", move_rseq: bool = True
) -> str:
    """A one-patch series like the seed: a new mask of ``members``, the
    call of syscall_exit_work() gated by ``guard`` (empty: not gated),
    ``branch`` put in front of it inside the guard, rseq_syscall() moved out
    of syscall_exit_work() to before the gate (with its include)."""
    repo = work / "author"
    base = build_repo(repo)
    mask = f"\n#define _TIF_SYSCALL_EXIT_WORK\t({members})\n"
    edit(repo, THREAD_INFO, MASK_AFTER, MASK_AFTER + mask)
    call = "syscall_exit_work(regs, flags);"
    if guard:
        inner = f"\t\t{branch}\n\t\t{call}\n\t}}" if branch else f"\t\t{call}"
        gated = f"\tif (unlikely({guard})){' {' if branch else ''}\n{inner}\n"
    else:
        gated = f"\t{call}\n"
    front = "\trseq_syscall(regs);\n\n" if move_rseq else ""
    edit(repo, SYSCALL_H, EXIT_CALL, front + gated + "}\n\n#endif")
    if move_rseq or branch:
        edit(
            repo,
            PTRACE,
            "{\n\trseq_syscall(regs);\n\n\taudit_syscall_exit",
            "{\n\taudit_syscall_exit",
        )
        edit(repo, SYSCALL_H, "#include <linux/err.h>\n", "#include <linux/err.h>\n" + RSEQ_INCLUDE)
        edit(repo, PTRACE, "#include <linux/elf.h>\n" + RSEQ_INCLUDE, "#include <linux/elf.h>\n")
    commit(
        repo, "arm64: ptrace: gate syscall exit work", "Only call syscall_exit_work() when needed."
    )
    return format_series(repo, base, cover=None)


SEED_MEMBERS = "_TIF_SYSCALL_TRACE | _TIF_SYSCALL_AUDIT | _TIF_SYSCALL_TRACEPOINT"
SEED_GUARD = "flags & _TIF_SYSCALL_EXIT_WORK || flags & _TIF_SINGLESTEP"


# -- the seed series and its variants -------------------------------------------------


def test_seed_in_tree_mode_is_settled(tmp_path: Path) -> None:
    found = _review(tmp_path, seed_series(tmp_path, "seed"))
    assert not _of(found, "RP301"), "rseq_syscall() moved to a place that runs on every call"
    rp302 = _of(found, "RP302")
    assert [(f.location.symbol, f.severity, f.explained) for f in rp302] == [
        ("audit_syscall_exit", Severity.NOTE, True)
    ]
    assert "_TIF_SYSCALL_AUDIT, named after it" in rp302[0].message
    assert not _loud(found, "RP303")
    assert not _of(found, "RP304")
    assert not _of(found, "RP001")


def test_seed_without_singlestep_is_an_error_found_through_the_helper(tmp_path: Path) -> None:
    found = _review(tmp_path, seed_series(tmp_path, "no-singlestep"))
    rp304 = _of(found, "RP304")
    assert [(f.location.symbol, f.severity) for f in rp304] == [("_TIF_SINGLESTEP", Severity.ERROR)]
    assert "(step || flags & _TIF_SYSCALL_TRACE, through report_single_step())" in rp304[0].message
    assert "when flags has _TIF_SINGLESTEP but none of" in rp304[0].message
    labels = [e.label for e in rp304[0].evidence]
    assert "in syscall_exit_work()" in labels
    # _TIF_SYSCALL_EMU is tested by the helper only to return false: not dead work
    assert "_TIF_SYSCALL_EMU" not in rp304[0].message.split(" but ")[0]
    # in hunk mode the helper is not in the series: no guess
    assert not _of(
        _review(tmp_path, seed_series(tmp_path / "h", "no-singlestep"), tree=False), "RP304"
    )


def test_seed_without_include_move_gives_rp307(tmp_path: Path) -> None:
    found = _review(tmp_path, seed_series(tmp_path, "no-include-move"))
    rp307 = _of(found, "RP307")
    assert rp307 and rp307[0].location.symbol == "rseq_syscall"
    assert not _loud(found, "RP304") and not _of(found, "RP301")


def test_not_applying_series_falls_back_to_hunks(tmp_path: Path) -> None:
    found = _review(tmp_path, seed_series(tmp_path, "not-applying"))
    assert _of(found, "RP001")
    assert not [f for f in found if f.rule_id.startswith("RP9")], "no internal error"
    # the tree's syscall_exit_work() is the one before the series: not used
    assert not [f for f in _of(found, "RP302") if f.location.symbol == "rseq_syscall"]
    notes = [f for f in _of(found, "RP302") if f.location.symbol == "syscall_exit_work"]
    assert notes and notes[0].severity is Severity.NOTE and "only part" in notes[0].message


# -- held-back variants ---------------------------------------------------------------


def test_mask_without_audit_flag_warns_about_audit_call(tmp_path: Path) -> None:
    mbox = _variant(
        tmp_path, members="_TIF_SYSCALL_TRACE | _TIF_SYSCALL_TRACEPOINT", guard=SEED_GUARD
    )
    found = _review(tmp_path, mbox)
    rp302 = _of(found, "RP302")
    assert [(f.location.symbol, f.severity, f.explained) for f in rp302] == [
        ("audit_syscall_exit", Severity.WARNING, False)
    ]
    assert "ran whenever syscall_exit_work() was called" in rp302[0].message
    assert "when flags has none of _TIF_SINGLESTEP, _TIF_SYSCALL_TRACE" in rp302[0].message
    assert not _of(found, "RP304")


def test_mask_member_never_used_warns_in_tree_mode(tmp_path: Path) -> None:
    mbox = _variant(tmp_path, members=SEED_MEMBERS + " | _TIF_SECCOMP", guard=SEED_GUARD)
    found = _review(tmp_path, mbox)
    assert [(f.location.symbol, f.severity) for f in _of(found, "RP303")] == [
        ("_TIF_SECCOMP", Severity.WARNING)
    ]
    hunk = _review(tmp_path, mbox, tree=False)
    assert all(f.severity is Severity.NOTE for f in _of(hunk, "RP303"))


def test_rseq_moved_into_the_guarded_branch_warns(tmp_path: Path) -> None:
    mbox = _variant(
        tmp_path,
        members=SEED_MEMBERS,
        guard=SEED_GUARD,
        branch="rseq_syscall(regs);",
        move_rseq=False,
    )
    found = _review(tmp_path, mbox)
    rp301 = _of(found, "RP301")
    assert [(f.location.symbol, f.severity) for f in rp301] == [("rseq_syscall", Severity.WARNING)]
    assert "moved from syscall_exit_work() to syscall_exit_to_user_mode_work()" in rp301[0].message
    assert "when flags has none of" in rp301[0].message and "no longer runs" in rp301[0].message
    # the commit message of the variant claims nothing: not explained
    assert not rp301[0].explained


def test_pure_code_motion_is_quiet(tmp_path: Path) -> None:
    mbox = _variant(tmp_path, members=SEED_MEMBERS, guard="")
    found = _review(tmp_path, mbox)
    assert not [f for f in found if f.rule_id in FLOW + ("RP307",)]


@pytest.mark.parametrize("extra", ["", " || flags & _TIF_SINGLESTEP"])
def test_flags_passed_to_a_void_helper_are_followed(tmp_path: Path, extra: str) -> None:
    """syscall_exit_work() hands the flags to a helper that tests
    _TIF_SINGLESTEP itself: the test counts, and the helper is named."""
    repo = tmp_path / "author"
    base = build_repo(repo)
    edit(
        repo,
        PTRACE,
        "\tbool step = report_single_step(flags);\n",
        "\tstep_exit(regs, flags & ~_TIF_SYSCALL_EMU);\n\n\tbool step = report_single_step(flags);\n",
    )
    edit(
        repo,
        PTRACE,
        "int syscall_trace_enter(",
        "static void step_exit(struct pt_regs *regs, unsigned long work)\n{\n"
        "\tif (work & _TIF_SINGLESTEP)\n\t\tuser_rewind_single_step(current);\n}\n\n"
        "int syscall_trace_enter(",
    )
    base = commit(repo, "arm64: ptrace: rewind single step on exit")
    mask = f"\n#define _TIF_SYSCALL_EXIT_WORK\t({SEED_MEMBERS})\n"
    edit(repo, THREAD_INFO, MASK_AFTER, MASK_AFTER + mask)
    gated = f"\tif (unlikely(flags & _TIF_SYSCALL_EXIT_WORK{extra}))\n\t\tsyscall_exit_work(regs, flags);\n"
    edit(repo, SYSCALL_H, EXIT_CALL, gated + "}\n\n#endif")
    commit(repo, "arm64: ptrace: gate syscall exit work")
    build_repo(tmp_path / "linux")
    (tmp_path / "linux" / PTRACE).write_text((repo / PTRACE).read_text())
    commit(tmp_path / "linux", "arm64: ptrace: rewind single step on exit")
    found = _review(tmp_path, format_series(repo, base, cover=None))
    rp304 = _of(found, "RP304")
    if extra:
        assert not rp304
        return
    # one finding per flag: the helper's test is among the calls the same case skips
    assert [(f.location.symbol, f.severity) for f in rp304] == [("_TIF_SINGLESTEP", Severity.ERROR)]
    assert "more call" in rp304[0].message
    # the helper itself is judged by what it does, all of it under the flag
    assert not [f for f in _of(found, "RP302") if f.location.symbol == "step_exit"]
    # the helper's call is guarded by the flag: not reported as skipped work
    assert not [f for f in _of(found, "RP302") if f.location.symbol == "user_rewind_single_step"]


def test_rp314_a_deleted_header_still_included_elsewhere_in_the_tree(tmp_path: Path) -> None:
    """The patch deletes include/linux/foo_regs.h and fixes the one user it
    knows of; the tree has another user the diff never shows."""
    author = tmp_path / "author"
    build_repo(author)
    (author / "include/linux/foo_regs.h").write_text(
        "/* SPDX-License-Identifier: GPL-2.0 */\n#define FOO_CTRL 0x00\n"
    )
    (author / "arch/arm64/kernel/foo.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n#include <linux/foo_regs.h>\nint foo;\n"
    )
    (author / "arch/arm64/kernel/bar.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n#include <linux/foo_regs.h>\nint bar;\n"
    )
    base = commit(author, "foo: add the register names")
    (author / "include/linux/foo_regs.h").unlink()
    edit(author, "arch/arm64/kernel/foo.c", "#include <linux/foo_regs.h>\n", "")
    commit(author, "foo: drop the register header")
    mbox = format_series(author, base, cover=None)
    (tmp_path / "series.mbox").write_text(mbox)
    repo = tmp_path / "linux"
    import shutil

    shutil.copytree(author, repo)
    from treehelp import git

    git(repo, "reset", "-q", "--hard", base)
    hunk_only = review(str(tmp_path / "series.mbox"), Settings()).findings
    assert _of(list(hunk_only), "RP314") == []  # the diff shows no user left
    found = _of(
        list(review(str(tmp_path / "series.mbox"), Settings(tree=str(repo))).findings), "RP314"
    )
    assert [(f.severity, f.location.symbol) for f in found] == [
        (Severity.ERROR, "include/linux/foo_regs.h")
    ]
    assert "arch/arm64/kernel/bar.c:2" in found[0].message
    assert "foo.c" not in found[0].message


def test_rp315_a_misspelt_option_in_tree_mode(tmp_path: Path) -> None:
    """Only the tree says which options exist: CONFIG_FOO_DEBGU is defined
    by no Kconfig file, CONFIG_FOO_DEBUG is."""
    import shutil

    from treehelp import git

    author = tmp_path / "author"
    build_repo(author)
    (author / "arch/arm64/Kconfig.foo").write_text('config FOO_DEBUG\n\tbool "Foo debugging"\n')
    (author / "arch/arm64/kernel/foo.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\nint foo;\n\nvoid foo_start(void)\n{\n}\n"
    )
    base = commit(author, "foo: add the driver")
    edit(
        author,
        "arch/arm64/kernel/foo.c",
        "void foo_start(void)\n{\n}\n",
        "void foo_start(void)\n{\n#ifdef CONFIG_FOO_DEBGU\n\tfoo = 1;\n#endif\n"
        "#if IS_ENABLED(CONFIG_FOO_DEBUG)\n\tfoo = 2;\n#endif\n}\n",
    )
    commit(author, "foo: count starts when debugging")
    (tmp_path / "series.mbox").write_text(format_series(author, base, cover=None))
    repo = tmp_path / "linux"
    shutil.copytree(author, repo)
    git(repo, "reset", "-q", "--hard", base)
    assert _of(list(review(str(tmp_path / "series.mbox"), Settings()).findings), "RP315") == []
    found = _of(
        list(review(str(tmp_path / "series.mbox"), Settings(tree=str(repo))).findings), "RP315"
    )
    assert [(f.severity, f.location.symbol) for f in found] == [
        (Severity.WARNING, "CONFIG_FOO_DEBGU")
    ]


def _stub_tree(tmp_path: Path, makefile: str) -> tuple[Path, Path]:
    """A tree where include/linux/foo.h declares foo_pm_sync() only with
    CONFIG_FOO_PM and a series that calls it from drivers/misc/bar.c."""
    import shutil

    from treehelp import git

    author = tmp_path / "author"
    build_repo(author)
    (author / "include/linux/foo.h").write_text(
        "/* SPDX-License-Identifier: GPL-2.0 */\nstruct foo;\n\n#ifdef CONFIG_FOO_PM\n"
        "int foo_pm_init(struct foo *foo);\n#endif\n"
    )
    (author / "drivers/misc").mkdir(parents=True)
    (author / "drivers/misc/Makefile").write_text(makefile)
    (author / "drivers/Makefile").write_text("obj-y += misc/\n")
    (author / "drivers/misc/bar.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n#include <linux/foo.h>\n\n"
        "static int bar_resume(struct bar *bar)\n{\n\treturn bar_hw_init(bar);\n}\n"
    )
    base = commit(author, "foo: add the driver")
    edit(
        author,
        "include/linux/foo.h",
        "int foo_pm_init(struct foo *foo);\n",
        "int foo_pm_sync(struct foo *foo);\nint foo_pm_init(struct foo *foo);\n",
    )
    edit(author, "drivers/misc/bar.c", "{\n\treturn", "{\n\tfoo_pm_sync(bar->foo);\n\treturn")
    commit(author, "foo: sync the power state on resume")
    (tmp_path / "series.mbox").write_text(format_series(author, base, cover=None))
    repo = tmp_path / "linux"
    shutil.copytree(author, repo)
    git(repo, "reset", "-q", "--hard", base)
    return tmp_path / "series.mbox", repo


def test_rp318_call_without_stub_is_a_warning_when_the_tree_confirms_it(tmp_path: Path) -> None:
    mbox, repo = _stub_tree(tmp_path, "obj-$(CONFIG_BAR) += bar.o\n")
    hunk = _of(list(review(str(mbox), Settings()).findings), "RP318")
    assert [f.severity for f in hunk] == [Severity.NOTE]
    tree = _of(list(review(str(mbox), Settings(tree=str(repo))).findings), "RP318")
    assert [(f.severity, f.location.symbol) for f in tree] == [(Severity.WARNING, "foo_pm_sync")]
    assert "bar.o is built under CONFIG_BAR" in tree[0].message


def test_rp318_a_file_built_only_with_the_option_is_fine(tmp_path: Path) -> None:
    mbox, repo = _stub_tree(tmp_path, "obj-$(CONFIG_FOO_PM) += bar.o\n")
    assert _of(list(review(str(mbox), Settings(tree=str(repo))).findings), "RP318") == []
