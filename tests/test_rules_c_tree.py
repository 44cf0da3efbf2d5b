"""RP305-RP309 in tree mode, through ``reviewpatch.api.review`` with a real
git repository built from fixtures/trees/mini-arm64 and series made with
``git format-patch`` (see tests/treehelp.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_rules_c_symbols import make_patch, make_series, run
from treehelp import MINI_ARM64, build_repo, commit, edit, format_series, seed_series

from reviewpatch.api import review
from reviewpatch.rules.c.set_clear import set_clear_asymmetry
from reviewpatch.settings import Settings

DEBUG = "arch/arm64/kernel/debug-monitors.c"
PTRACE = "arch/arm64/kernel/ptrace.c"
THREAD_INFO = "arch/arm64/include/asm/thread_info.h"
ENABLE_END = "\t\tset_regs_spsr_ss(task_pt_regs(task));\n}\nNOKPROBE_SYMBOL(user_enable"
DISABLE_CLEAR = "\tclear_ti_thread_flag(task_thread_info(task), TIF_SINGLESTEP);\n"
NFC_MESSAGE = (
    "Relocate rseq_syscall() to the start of syscall_exit_to_user_mode_work()\n"
    "and introduce the `_TIF_SYSCALL_EXIT_WORK` mask to gate\n"
    "syscall_exit_work().\n\n"
    "No functional changes intended."
)


def _findings(mbox: str, work: Path, rule_id: str, tree: Path | None) -> list:
    path = work / "series.mbox"
    path.write_text(mbox)
    settings = Settings(tree=str(tree)) if tree is not None else Settings()
    return [f for f in review(str(path), settings).findings if f.rule_id == rule_id]


def _series(repo: Path, base: str, *changes: tuple[str, str, str, str]) -> str:
    """Apply (path, old, new, subject) edits as one commit each; the
    series from ``base``."""
    for path, old, new, subject in changes:
        edit(repo, path, old, new)
        commit(repo, subject, "A change made for the tree-mode tests.")
    return format_series(repo, base)


def _set_trap() -> tuple[str, str, str, str]:
    new = ENABLE_END.replace("}\n", "\n\tset_task_syscall_work(task, SYSCALL_EXIT_TRAP);\n}\n", 1)
    return (DEBUG, ENABLE_END, new, "arm64: debug: trap on syscall exit while stepping")


# -- RP305 ---------------------------------------------------------------------


def test_rp305_partner_only_in_the_tree_without_the_clear_fires(tmp_path: Path) -> None:
    repo = tmp_path / "linux"
    base = build_repo(repo)
    mbox = _series(repo, base, _set_trap())
    assert _findings(mbox, tmp_path, "RP305", None) == []  # the partner is not in the hunks
    hits = _findings(mbox, tmp_path, "RP305", repo)
    assert len(hits) == 1
    hit = hits[0]
    assert hit.location.symbol == "SYSCALL_EXIT_TRAP" and hit.location.file == DEBUG
    assert "user_disable_single_step" in hit.message and "in the tree" in hit.message


def test_rp305_partner_in_the_tree_with_the_clear_is_quiet(tmp_path: Path) -> None:
    repo = tmp_path / "linux"
    build_repo(repo)
    edit(
        repo,
        DEBUG,
        DISABLE_CLEAR,
        DISABLE_CLEAR + "\tclear_task_syscall_work(task, SYSCALL_EXIT_TRAP);\n",
    )
    base = commit(repo, "arm64: debug: clear the exit trap on disable")
    mbox = _series(repo, base, _set_trap())
    assert "clear_task_syscall_work" not in mbox  # only the tree shows the clear
    assert _findings(mbox, tmp_path, "RP305", repo) == []


# -- RP306 ---------------------------------------------------------------------


def test_rp306_removed_macro_used_elsewhere_in_the_tree_fires(tmp_path: Path) -> None:
    repo = tmp_path / "linux"
    base = build_repo(repo)
    mbox = _series(
        repo,
        base,
        (THREAD_INFO, "#define TIF_SINGLESTEP\t\t21\n", "", "arm64: drop TIF_SINGLESTEP"),
    )
    assert _findings(mbox, tmp_path, "RP306", None) == []  # no use in the hunks
    hits = _findings(mbox, tmp_path, "RP306", repo)
    files = {h.location.file for h in hits}
    # grep finds the uses; thread_info.h names it only in a #define's body,
    # which is expanded (and fails) only where that macro is used
    assert {DEBUG, PTRACE} <= files and THREAD_INFO not in files
    assert all(h.location.symbol == "TIF_SINGLESTEP" for h in hits)


def test_rp306_uses_in_a_tree_the_series_does_not_apply_to_are_notes(tmp_path: Path) -> None:
    """The tree moved on where the definition is (the line the patch
    removes changed) and the series names no base-commit: the patch does
    not apply to that file, the tree is not the series' base there, and
    its uses are notes that say so (a real 2025 cpufreq series reviewed
    against 6.12: an error on a driver the base had already converted).
    A failure on another file of the series leaves them errors."""
    repo = tmp_path / "linux"
    base = build_repo(repo)
    mbox = _series(
        repo,
        base,
        (THREAD_INFO, "#define TIF_SINGLESTEP\t\t21\n", "", "arm64: drop TIF_SINGLESTEP"),
    )
    mbox = "\n".join(ln for ln in mbox.split("\n") if not ln.startswith("base-commit:"))
    shutil.rmtree(repo)
    build_repo(repo)
    edit(repo, THREAD_INFO, "#define TIF_SINGLESTEP\t\t21\n", "#define TIF_SINGLESTEP\t\t22\n")
    commit(repo, "arm64: renumber TIF_SINGLESTEP")
    hits = _findings(mbox, tmp_path, "RP306", repo)
    assert hits and {h.location.file for h in hits} >= {DEBUG, PTRACE}
    for hit in hits:
        assert hit.severity.value == "note"
        assert (
            f"the tree may not be the series' base (patch 1 did not apply to {THREAD_INFO} in it)"
            in hit.message
        )


def test_rp306_removed_function_still_called_in_its_file_fires(tmp_path: Path) -> None:
    repo = tmp_path / "linux"
    base = build_repo(repo)
    text = (repo / PTRACE).read_text()
    start = text.index("static inline bool report_single_step(")
    end = text.index("}\n", start) + 3
    mbox = _series(
        repo, base, (PTRACE, text[start:end], "", "arm64: ptrace: drop report_single_step()")
    )
    hits = _findings(mbox, tmp_path, "RP306", repo)
    assert [(h.location.symbol, h.location.file) for h in hits] == [("report_single_step", PTRACE)]
    assert "bool step = report_single_step(flags);" in hits[0].evidence[-1].text


def test_rp306_symbols_removed_with_all_their_users_are_quiet(tmp_path: Path) -> None:
    repo = tmp_path / "linux"
    base = build_repo(repo)
    text = (repo / DEBUG).read_text()
    start = text.index("void user_rewind_single_step(")
    end = text.index("NOKPROBE_SYMBOL(user_rewind_single_step);\n") + len(
        "NOKPROBE_SYMBOL(user_rewind_single_step);\n\n"
    )
    mbox = _series(
        repo,
        base,
        (
            THREAD_INFO,
            "#define TIF_32BIT\t\t22\t/* 32bit process */\n",
            "",
            "arm64: drop TIF_32BIT",
        ),
        (THREAD_INFO, "#define _TIF_32BIT\t\t(1 << TIF_32BIT)\n", "", "arm64: drop _TIF_32BIT"),
        (DEBUG, text[start:end], "", "arm64: debug: drop user_rewind_single_step()"),
    )
    assert _findings(mbox, tmp_path, "RP306", repo) == []
    assert _findings(mbox, tmp_path, "RP306", None) == []


# -- RP307, RP308, RP309 on the seed --------------------------------------------


def test_rp307_include_left_behind_fires_only_in_tree_mode(tmp_path: Path) -> None:
    mbox = seed_series(tmp_path, "no-include-move")
    assert _findings(mbox, tmp_path, "RP307", None) == []  # no include removed: cannot tell
    repo = tmp_path / "linux"
    build_repo(repo)
    hits = _findings(mbox, tmp_path, "RP307", repo)
    assert [(h.location.symbol, h.location.file) for h in hits] == [
        ("rseq_syscall", "arch/arm64/include/asm/syscall.h")
    ]
    assert "linux/rseq.h" in hits[0].message


def test_rp307_header_reached_through_other_headers_is_quiet(tmp_path: Path) -> None:
    """syscall.h includes <linux/err.h>, which includes <linux/compiler.h>,
    which includes <linux/rseq.h> (a commented-out include does not count):
    the moved call still sees its declaration."""
    source = tmp_path / "mini"
    shutil.copytree(MINI_ARM64, source)
    (source / "include/linux/err.h").write_text(
        "/* #include <linux/rseq.h> */\n#include <linux/compiler.h>\n"
    )
    (source / "include/linux/compiler.h").write_text("#include <linux/rseq.h>\n")
    repo = tmp_path / "linux"
    build_repo(repo, source)
    mbox = seed_series(tmp_path, "no-include-move")
    assert _findings(mbox, tmp_path, "RP307", repo) == []
    (source / "include/linux/compiler.h").write_text("/* #include <linux/rseq.h> */\n")
    other = tmp_path / "linux2"
    build_repo(other, source)
    hits = _findings(mbox, tmp_path, "RP307", other)
    assert [(h.location.symbol, h.location.file) for h in hits] == [
        ("rseq_syscall", "arch/arm64/include/asm/syscall.h")
    ]


def test_rp307_include_moved_with_the_call_is_quiet(tmp_path: Path) -> None:
    mbox = seed_series(tmp_path, "seed")
    repo = tmp_path / "linux"
    build_repo(repo)
    assert _findings(mbox, tmp_path, "RP307", repo) == []
    assert _findings(mbox, tmp_path, "RP307", None) == []


@pytest.fixture
def seed_nfc(tmp_path: Path) -> tuple[str, Path]:
    """The seed series whose first patch claims no functional change, and
    a tree to review it against."""
    mbox = seed_series(tmp_path, "seed")
    old = "Call rseq_syscall() before any exit work and only call\nsyscall_exit_work() when one of the exit flags is set."
    assert old in mbox
    repo = tmp_path / "linux"
    build_repo(repo)
    return mbox.replace(old, NFC_MESSAGE), repo


def test_rp308_seed_gating_under_nfc_claim_fires_in_tree_mode(
    seed_nfc: tuple[str, Path], tmp_path: Path
) -> None:
    mbox, repo = seed_nfc
    hits = _findings(mbox, tmp_path, "RP308", repo)
    assert [(h.location.symbol, h.location.file) for h in hits] == [
        ("syscall_exit_work", "arch/arm64/include/asm/syscall.h")
    ]
    assert "_TIF_SYSCALL_EXIT_WORK" in hits[0].message


def test_rp309_seed_claims_are_met_in_tree_mode(seed_nfc: tuple[str, Path], tmp_path: Path) -> None:
    mbox, repo = seed_nfc
    assert _findings(mbox, tmp_path, "RP309", repo) == []


# -- RP305 regressions, hunk mode (patches built from diff text) ----------------


PAIR = """\
diff --git a/drivers/y/y.c b/drivers/y/y.c
--- a/drivers/y/y.c
+++ b/drivers/y/y.c
@@ -10,8 +10,10 @@ struct y;
 int y_enable(struct y *y)
 {
+	clk_prepare_enable(y->pclk);
 	writel(1, y->base);
 	return 0;
 }
 
 void y_disable(struct y *y)
 {
 	writel(0, y->base);
+	CLEAR;
 }
"""


@pytest.mark.parametrize(
    ("clear", "fires"),
    [
        ("clk_disable_unprepare(y->pclk)", False),
        ("clk_disable_unprepare(y->clk)", True),
        ("clk_disable(y->pclk)", True),
    ],
)
def test_rp305_knows_the_clk_prepare_enable_pair(clear: str, fires: bool) -> None:
    hits = run(set_clear_asymmetry, make_series(make_patch(PAIR.replace("CLEAR", clear))))
    assert bool(hits) is fires


@pytest.mark.parametrize(
    ("setter", "clear"),
    [
        ("set_bit(Y_POLL, &y->flags)", "assign_bit(Y_POLL, &y->flags, false)"),
        ("__set_bit(Y_POLL, &y->flags)", "clear_bit_unlock(Y_POLL, &y->flags)"),
        ("set_bit(Y_POLL, &y->flags)", "WRITE_ONCE(y->flags, 0)"),
        ("netif_start_queue(y->ndev)", "netif_stop_queue(y->ndev)"),
        ("pm_runtime_get_sync(y->dev)", "pm_runtime_put_autosuspend(y->dev)"),
        ("napi_enable(&y->napi)", "napi_disable(&y->napi)"),
    ],
)
def test_rp305_other_clearing_spellings_are_quiet(setter: str, clear: str) -> None:
    diff = PAIR.replace("clk_prepare_enable(y->pclk)", setter).replace("CLEAR", clear)
    assert run(set_clear_asymmetry, make_series(make_patch(diff))) == []


def test_rp305_assign_bit_true_is_not_a_clear() -> None:
    diff = PAIR.replace("clk_prepare_enable(y->pclk)", "set_bit(Y_POLL, &y->flags)")
    diff = diff.replace("CLEAR", "assign_bit(Y_POLL, &y->flags, true)")
    assert [h.symbol for h in run(set_clear_asymmetry, make_series(make_patch(diff)))] == ["Y_POLL"]


MOVED = """\
diff --git a/drivers/y/y.c b/drivers/y/y.c
--- a/drivers/y/y.c
+++ b/drivers/y/y.c
@@ -10,4 +10,2 @@ struct y;
-int y_enable(struct y *y)
-{
-	return clk_prepare_enable(y->clk);
-}
diff --git a/drivers/y/y_hw.c b/drivers/y/y_hw.c
--- /dev/null
+++ b/drivers/y/y_hw.c
@@ -0,0 +1,8 @@
+int y_enable(struct y *y)
+{
+	return clk_prepare_enable(y->clk);
+}
+
+void y_disable(struct y *y)
+{
+}
"""


def test_rp305_a_set_moved_by_the_series_is_not_new() -> None:
    assert run(set_clear_asymmetry, make_series(make_patch(MOVED))) == []
    fresh = MOVED.replace("-\treturn clk_prepare_enable(y->clk);", "-\treturn 0;")
    assert len(run(set_clear_asymmetry, make_series(make_patch(fresh)))) == 1


PARTLY = """\
diff --git a/drivers/y/y.c b/drivers/y/y.c
--- a/drivers/y/y.c
+++ b/drivers/y/y.c
@@ -10,6 +10,7 @@ struct y;
 int y_enable(struct y *y)
 {
 	writel(1, y->base);
+	set_bit(Y_POLL, &y->flags);
 	return 0;
 }
 
@@ -30,6 +31,7 @@ void y_disable(struct y *y)
 	writel(0, y->base);
 	writel(0, y->irq);
+	y->users--;
 	writel(0, y->ctrl);
 	writel(0, y->stat);
 	writel(0, y->dma);
"""


def test_rp305_partner_partly_in_view_is_not_judged() -> None:
    assert run(set_clear_asymmetry, make_series(make_patch(PARTLY))) == []
    cleared = PARTLY.replace("+\ty->users--;", "+\tclear_bit(Y_POLL, &y->flags);")
    assert run(set_clear_asymmetry, make_series(make_patch(cleared))) == []


def test_rp305_a_call_renamed_by_the_series_is_not_new() -> None:
    renamed = MOVED.replace(
        "+\treturn clk_prepare_enable(y->clk);", "+\treturn clk_enable(y->clk);"
    )
    assert run(set_clear_asymmetry, make_series(make_patch(renamed))) == []


def test_rp306_a_definition_left_only_under_a_config_is_a_note(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "include/linux").mkdir(parents=True)
    (src / "drivers/foo").mkdir(parents=True)
    (src / "include/linux/foo.h").write_text(
        "#ifndef _FOO_H\n#define _FOO_H\n\n#ifdef CONFIG_FOO_SYNC\nvoid foo_sync(void);\n"
        "#else\nstatic inline void foo_sync(void)\n{\n}\n#endif\n\n#endif\n"
    )
    (src / "drivers/foo/sync.c").write_text(
        "#include <linux/foo.h>\n\n#ifdef CONFIG_FOO_SYNC\nvoid foo_sync(void)\n{\n\tfoo_flush();\n}\n#endif\n"
    )
    (src / "drivers/foo/bar.c").write_text(
        "#include <linux/foo.h>\n\nvoid bar_stop(void)\n{\n\tbar_halt();\n\tfoo_sync();\n}\n"
    )
    repo = tmp_path / "linux"
    base = build_repo(repo, src)
    stub = "#else\nstatic inline void foo_sync(void)\n{\n}\n"
    mbox = _series(repo, base, ("include/linux/foo.h", stub, "", "foo: drop the foo_sync() stub"))
    hits = _findings(mbox, tmp_path, "RP306", repo)
    # the remaining definition is under CONFIG_FOO_SYNC; the call is not
    assert [(h.severity.value, h.location.symbol) for h in hits] in (
        [],  # the call is in no hunk of the series: nothing the diff shows uses it
        [("note", "foo_sync")],
    )
    # the same removal with the call in the series: a note naming the condition
    edit(repo, "drivers/foo/bar.c", "\tbar_halt();\n", "\tbar_halt();\n\tbar_log();\n")
    commit(repo, "bar: log the stop", "A change made for the tree-mode tests.")
    mbox = format_series(repo, base)
    hits = _findings(mbox, tmp_path, "RP306", repo)
    assert [(h.severity.value, h.location.symbol) for h in hits] == [("note", "foo_sync")]
    assert "CONFIG_FOO_SYNC" in hits[0].message
