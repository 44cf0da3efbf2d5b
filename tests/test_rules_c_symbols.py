"""RP305-RP307: set/clear pairs, removed symbols still used, moved calls
that lose their include.  Patches are built from diff text by a small
factory so the rules are tested apart from the mail parsers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from faketree import StubTree

from reviewpatch.csource import analyse_series
from reviewpatch.findings import Severity
from reviewpatch.model import (
    DiffLine,
    FileDiff,
    Hunk,
    LineKind,
    Mail,
    Patch,
    Person,
    Series,
    Subject,
)
from reviewpatch.rules.c.set_clear import set_clear_asymmetry
from reviewpatch.rules.c.symbols import moved_call_missing_include, removed_symbol_still_used
from reviewpatch.rules.registry import RuleContext

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_KIND = {" ": LineKind.CONTEXT, "+": LineKind.ADDED, "-": LineKind.REMOVED}


def _hunk(header: str, body: list[tuple[int, str]], at: int) -> Hunk:
    m = _HUNK_RE.match(header)
    assert m, header
    old_no, new_no = int(m.group(1)), int(m.group(3))
    lines = []
    for mail_line, raw in body:
        kind = _KIND[raw[:1] or " "]
        lines.append(
            DiffLine(
                kind,
                raw[1:],
                None if kind is LineKind.ADDED else old_no,
                None if kind is LineKind.REMOVED else new_no,
                mail_line,
            )
        )
        old_no += kind is not LineKind.ADDED
        new_no += kind is not LineKind.REMOVED
    return Hunk(
        int(m.group(1)),
        int(m.group(2) or 1),
        int(m.group(3)),
        int(m.group(4) or 1),
        m.group(5),
        tuple(lines),
        at,
    )


def parse_diff(text: str, first_line: int = 1) -> tuple[FileDiff, ...]:
    """A minimal unified diff reader: ``diff --git``, ``---``/``+++``, hunks."""
    files: list[FileDiff] = []
    old = new = ""
    hunks: list[Hunk] = []
    header, body, at = "", [], 0

    def flush_hunk() -> None:
        nonlocal header, body
        if header:
            hunks.append(_hunk(header, body, at))
        header, body = "", []

    def flush_file() -> None:
        nonlocal hunks
        flush_hunk()
        if old or new:
            files.append(FileDiff(old, new, tuple(hunks)))
        hunks = []

    for no, raw in enumerate(text.splitlines(), first_line):
        if raw.startswith("diff --git "):
            flush_file()
            old = new = ""
        elif raw.startswith("--- ") and not header:
            old = raw[4:].removeprefix("a/")
        elif raw.startswith("+++ ") and not header:
            new = raw[4:].removeprefix("b/")
        elif raw.startswith("@@ "):
            flush_hunk()
            header, at = raw, no
        elif header and raw[:1] in (" ", "+", "-", ""):
            body.append((no, raw))
    flush_file()
    return tuple(files)


def make_patch(
    diff: str, message: str = "Change things.", index: int = 1, title: str = "x: y"
) -> Patch:
    person = Person("A U Thor", "author@example.org")
    mail = Mail(f"p{index}@example.org", f"[PATCH {index}/1] {title}", person, "", None, (), diff)
    subject = Subject(raw=mail.subject, title=title, counter=index, total=1, is_patch=True)
    return Patch(mail, subject, index, person, message, files=parse_diff(diff))


def make_series(*patches: Patch) -> Series:
    return Series(version=1, total=len(patches), subject="x", cover=None, patches=patches)


def run(func: Any, series: Series, tree: Any = None) -> list[Any]:
    """Run one rule over every patch, with the C analysis of the series
    (in tree mode when ``tree`` is given)."""
    code = analyse_series(series, tree)
    return [h for p in series.patches for h in func(RuleContext(series, p, {}, code))]


# -- RP306 ---------------------------------------------------------------------

REMOVE_MACRO = """\
diff --git a/include/linux/initrd.h b/include/linux/initrd.h
--- a/include/linux/initrd.h
+++ b/include/linux/initrd.h
@@ -3,8 +3,6 @@
 #ifndef __LINUX_INITRD_H
 #define __LINUX_INITRD_H
 
-#define INITRD_MINOR 250 /* shouldn't collide with /dev/ram* */
-
 /* starting block # of image */
 extern int rd_image_start;
 
diff --git a/init/do_mounts_rd.c b/init/do_mounts_rd.c
--- a/init/do_mounts_rd.c
+++ b/init/do_mounts_rd.c
@@ -40,6 +40,6 @@ static int __init rd_setup(void)
 {
 	int err;
 
-	err = create_dev("/dev/ram", MKDEV(RAMDISK_MAJOR, 0));
+	err = create_dev("/dev/ram", MKDEV(RAMDISK_MAJOR, INITRD_MINOR));
 	/* INITRD_MINOR was the old minor */
 	return err;
"""


def test_removed_macro_still_used_fires_on_the_use():
    hits = run(removed_symbol_still_used, make_series(make_patch(REMOVE_MACRO)))
    assert len(hits) == 1
    hit = hits[0]
    assert hit.symbol == "INITRD_MINOR" and hit.file == "init/do_mounts_rd.c" and hit.line == 43
    assert [e.label for e in hit.evidence] == ["definition removed", "still used"]


REMOVE_FLAG_TWO_USES = """\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -20,9 +20,10 @@ int x_enable(struct x *x)
 	x->ctrl |= X_CTRL_EN;
 	if (x->legacy)
 		x->ctrl |= X_CTRL_LEGACY;
+	dev_dbg(x->dev, "on\\n");
 	return 0;
 }
 
 void x_disable(struct x *x)
 {
 	x->ctrl &= ~X_CTRL_LEGACY;
diff --git a/include/linux/x.h b/include/linux/x.h
--- a/include/linux/x.h
+++ b/include/linux/x.h
@@ -3,4 +3,3 @@
 #define X_CTRL_EN	BIT(0)
-#define X_CTRL_LEGACY	BIT(7)
 
 #define X_FLAG_TRACE	BIT(0)
"""


def test_removed_macro_is_one_finding_per_file_never_explained():
    message = "Remove X_CTRL_LEGACY, it is no longer needed."
    hits = run(removed_symbol_still_used, make_series(make_patch(REMOVE_FLAG_TWO_USES, message)))
    assert len(hits) == 1
    assert "x.c:22 and 29" in hits[0].message and hits[0].line == 22
    used = [e.new_no for e in hits[0].evidence if e.label == "still used"]
    assert used == sorted(used) == [22, 29]
    assert not hits[0].explained


def test_use_removed_by_a_later_patch_is_quiet():
    later = make_patch(
        """\
diff --git a/init/do_mounts_rd.c b/init/do_mounts_rd.c
--- a/init/do_mounts_rd.c
+++ b/init/do_mounts_rd.c
@@ -40,6 +40,6 @@ static int __init rd_setup(void)
 {
 	int err;
 
-	err = create_dev("/dev/ram", MKDEV(RAMDISK_MAJOR, INITRD_MINOR));
+	err = create_dev("/dev/ram", MKDEV(RAMDISK_MAJOR, 0));
 	/* INITRD_MINOR was the old minor */
 	return err;
""",
        index=2,
    )
    assert run(removed_symbol_still_used, make_series(make_patch(REMOVE_MACRO), later)) == []


def test_readded_or_declared_symbol_is_quiet():
    diff = REMOVE_MACRO.replace("-\n /* starting", "-\n+#define INITRD_MINOR 251\n /* starting")
    diff = diff.replace("@@ -3,8 +3,6 @@", "@@ -3,8 +3,7 @@")
    assert run(removed_symbol_still_used, make_series(make_patch(diff))) == []


REMOVE_FUNC = """\
diff --git a/fs/init.c b/fs/init.c
--- a/fs/init.c
+++ b/fs/init.c
@@ -27,12 +27,6 @@ int __init init_mount(const char *dev_name, const char *dir_name,
 	return ret;
 }
 
-int __init init_umount(const char *name, int flags)
-{
-	return path_umount(name, flags);
-}
-
 int __init init_chdir(const char *filename)
 {
 	struct path path;
"""


def test_removed_function_with_only_member_or_comment_uses_is_quiet():
    other = """\
diff --git a/init/main.c b/init/main.c
--- a/init/main.c
+++ b/init/main.c
@@ -10,3 +10,4 @@ static void foo(void)
 {
 	ops->init_umount(x);
+	/* init_umount() is gone */
 }
"""
    assert run(removed_symbol_still_used, make_series(make_patch(REMOVE_FUNC + other))) == []
    used = other.replace("+\t/* init_umount() is gone */", '+\tinit_umount("/old", 0);')
    hits = run(removed_symbol_still_used, make_series(make_patch(REMOVE_FUNC + used)))
    assert [h.symbol for h in hits] == ["init_umount"]


def test_arch_definition_used_by_generic_code_is_only_a_note():
    diff = """\
diff --git a/arch/arm64/include/asm/foo.h b/arch/arm64/include/asm/foo.h
--- a/arch/arm64/include/asm/foo.h
+++ b/arch/arm64/include/asm/foo.h
@@ -1,3 +1,2 @@
 #include <x.h>
-#define arch_foo_flags() 0
 #include <y.h>
diff --git a/kernel/foo.c b/kernel/foo.c
--- a/kernel/foo.c
+++ b/kernel/foo.c
@@ -1,3 +1,3 @@
 {
-	a = 1;
+	a = arch_foo_flags();
 }
diff --git a/arch/x86/kernel/foo.c b/arch/x86/kernel/foo.c
--- a/arch/x86/kernel/foo.c
+++ b/arch/x86/kernel/foo.c
@@ -1,3 +1,3 @@
 {
-	b = 1;
+	b = arch_foo_flags();
 }
"""
    hits = run(removed_symbol_still_used, make_series(make_patch(diff)))
    assert len(hits) == 1 and hits[0].file == "kernel/foo.c"
    assert hits[0].severity is not None and hits[0].severity.value == "note"


class FakeTree(StubTree):
    """A stand-in for TreeSource: no pre-images (the analysis keeps the
    hunks), post-images and definitions from dicts, grep over them."""

    def __init__(self, files: dict[str, str], defs: dict[str, tuple[str, str]] | None = None):
        self.files, self.defs = files, defs or {}

    def new_file(self, path: str) -> str | None:
        return self.files.get(path)

    def find_definition(self, name: str) -> tuple[str, str] | None:
        return self.defs.get(name)

    def grep(self, name: str) -> tuple[tuple[str, int, str], ...]:
        out = []
        for path, text in self.files.items():
            for no, line in enumerate(text.splitlines(), 1):
                if re.search(rf"\b{name}\b", line):
                    out.append((path, no, line))
        return tuple(out)


def test_tree_mode_quiet_when_defined_elsewhere_and_reports_tree_uses():
    series = make_series(make_patch(REMOVE_FUNC))
    tree = FakeTree({"fs/namei.c": 'void f(void)\n{\n\tinit_umount("/", 0);\n}\n'})
    hits = run(removed_symbol_still_used, series, tree)
    assert [(h.file, h.line) for h in hits] == [("fs/namei.c", 3)]
    tree.defs["init_umount"] = ("fs/other.c", "int init_umount(...)")
    assert run(removed_symbol_still_used, series, tree) == []


# -- RP307 ---------------------------------------------------------------------


def _seed_v16_diff(with_include: bool) -> str:
    include = "+#include <linux/rseq.h>\n" if with_include else ""
    head = "@@ -8,6 +8,7 @@" if with_include else "@@ -8,6 +8,6 @@"
    return f"""\
diff --git a/arch/arm64/include/asm/syscall.h b/arch/arm64/include/asm/syscall.h
--- a/arch/arm64/include/asm/syscall.h
+++ b/arch/arm64/include/asm/syscall.h
{head}
 #include <uapi/linux/audit.h>
 #include <linux/compat.h>
 #include <linux/err.h>
{include} 
 typedef long (*syscall_fn_t)(const struct pt_regs *regs);
 
@@ -127,7 +128,10 @@ static __always_inline void syscall_exit_to_user_mode_work(struct pt_regs *regs)
 {{
 	unsigned long flags = read_thread_flags();
 
-	syscall_exit_work(regs, flags);
+	rseq_syscall(regs);
+
+	if (unlikely(flags & _TIF_SYSCALL_EXIT_WORK) || flags & _TIF_SINGLESTEP)
+		syscall_exit_work(regs, flags);
 }}
 
 #endif	/* __ASM_SYSCALL_H */
diff --git a/arch/arm64/kernel/ptrace.c b/arch/arm64/kernel/ptrace.c
--- a/arch/arm64/kernel/ptrace.c
+++ b/arch/arm64/kernel/ptrace.c
@@ -28,7 +28,6 @@
 #include <linux/hw_breakpoint.h>
 #include <linux/regset.h>
 #include <linux/elf.h>
-#include <linux/rseq.h>
 
 #include <asm/compat.h>
 #include <asm/cpufeature.h>
@@ -2455,8 +2454,6 @@ int syscall_trace_enter(struct pt_regs *regs, unsigned long flags)
 
 void syscall_exit_work(struct pt_regs *regs, unsigned long flags)
 {{
-	rseq_syscall(regs);
-
 	audit_syscall_exit(regs);
 
 	if (flags & _TIF_SYSCALL_TRACEPOINT)
"""


def test_seed_move_with_include_is_quiet_and_without_fires():
    good = make_series(make_patch(_seed_v16_diff(True)))
    assert run(moved_call_missing_include, good) == []
    assert run(removed_symbol_still_used, good) == []
    bad = run(moved_call_missing_include, make_series(make_patch(_seed_v16_diff(False))))
    assert len(bad) == 1 and bad[0].symbol == "rseq_syscall"
    assert bad[0].file == "arch/arm64/include/asm/syscall.h"
    assert bad[0].severity is Severity.NOTE  # hunk mode: other includes may bring it in
    assert "do not name it" in bad[0].message


def test_include_block_not_visible_gives_a_note():
    diff = _seed_v16_diff(False)
    start = diff.index("@@ -8,6")
    diff = diff[:start] + diff[diff.index("@@ -127") :]
    series = make_series(make_patch(diff))
    hits = run(moved_call_missing_include, series)
    assert len(hits) == 1 and hits[0].severity is not None and hits[0].severity.value == "note"
    # tree mode settles it: see test_rules_c_tree.py


# -- RP305 ---------------------------------------------------------------------

SINGLE_STEP = """\
diff --git a/arch/arm64/kernel/debug-monitors.c b/arch/arm64/kernel/debug-monitors.c
--- a/arch/arm64/kernel/debug-monitors.c
+++ b/arch/arm64/kernel/debug-monitors.c
@@ -385,11 +385,18 @@ void user_enable_single_step(struct task_struct *task)
 	if (!test_and_set_ti_thread_flag(ti, TIF_SINGLESTEP))
 		set_regs_spsr_ss(task_pt_regs(task));
+
+	/*
+	 * Ensure that a trap is triggered once stepping out of a system
+	 * call prior to executing any user instruction.
+	 */
+	set_task_syscall_work(task, SYSCALL_EXIT_TRAP);
 }
 NOKPROBE_SYMBOL(user_enable_single_step);
 
 void user_disable_single_step(struct task_struct *task)
 {
 	clear_ti_thread_flag(task_thread_info(task), TIF_SINGLESTEP);
+	clear_task_syscall_work(task, SYSCALL_EXIT_TRAP);
 }
 NOKPROBE_SYMBOL(user_disable_single_step);
"""


def test_seed_set_with_matching_clear_is_quiet():
    assert run(set_clear_asymmetry, make_series(make_patch(SINGLE_STEP))) == []


def test_set_without_clear_in_visible_partner_fires():
    diff = SINGLE_STEP.replace("+\tclear_task_syscall_work(task, SYSCALL_EXIT_TRAP);\n", "")
    hits = run(set_clear_asymmetry, make_series(make_patch(diff)))
    assert len(hits) == 1
    assert hits[0].symbol == "SYSCALL_EXIT_TRAP" and hits[0].line == 392
    assert "user_disable_single_step" in hits[0].message


def test_partner_not_visible_says_nothing():
    diff = SINGLE_STEP.split(" NOKPROBE_SYMBOL(user_enable_single_step);")[0]
    diff = diff.replace("@@ -385,11 +385,18 @@", "@@ -385,2 +385,8 @@")
    diff = diff.replace(
        "+\tset_task_syscall_work(task, SYSCALL_EXIT_TRAP);\n",
        "+\tset_task_syscall_work(task, SYSCALL_EXIT_TRAP);\n+\tset_task_syscall_work(task, SYSCALL_X);\n",
    )
    diff = diff.replace("@@ -385,2 +385,8 @@", "@@ -385,2 +385,9 @@")
    assert run(set_clear_asymmetry, make_series(make_patch(diff))) == []
    # with the partner only in the tree: see test_rules_c_tree.py


PARTIAL = """\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -52,6 +52,7 @@ void x_exit_work(struct x *x)
 int x_enable(struct x *x)
 {
 	x->ctrl |= X_CTRL_EN;
+	x->ctrl |= X_CTRL_IRQ;
 	writel(x->ctrl, x->base);
 	return 0;
 }
@@ -63,5 +64,6 @@ void x_disable(struct x *x)
 	x->ctrl &= ~X_CTRL_EN;
 	writel(x->ctrl, x->base);
+	x->users--;
 }
 
 static void x_reset(struct x *x)
"""


def test_partner_whose_start_is_not_shown_is_not_judged():
    # the lines of x_disable() before the hunk may clear the flag
    assert run(set_clear_asymmetry, make_series(make_patch(PARTIAL))) == []
    fixed = PARTIAL.replace(" \tx->ctrl &= ~X_CTRL_EN;", " \tx->ctrl &= ~(X_CTRL_EN | X_CTRL_IRQ);")
    assert run(set_clear_asymmetry, make_series(make_patch(fixed))) == []


@pytest.mark.parametrize(
    "clear",
    [
        "x->ctrl = 0;",
        "x->ctrl &= X_CTRL_KEEP;",
        "memset(x, 0, sizeof(*x));",
        "x_ctrl_clear_all(x);",
    ],
)
def test_assigning_zero_or_wiping_clears_every_bit(clear):
    diff = f"""\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -10,12 +10,12 @@ static void x_start(struct x *x)
 {{
 	x->ctrl |= X_CTRL_RUN;
+	x->ctrl |= X_CTRL_IRQ;
 	writel(x->ctrl, x->base);
 }}
 
 static void x_stop(struct x *x)
 {{
-	x->ctrl &= ~X_CTRL_RUN;
+	{clear}
 	writel(x->ctrl, x->base);
 }}
"""
    assert run(set_clear_asymmetry, make_series(make_patch(diff))) == []
    kept = diff.replace(f"+\t{clear}", "+\tx->ctrl = X_CTRL_IRQ;")
    assert [h.symbol for h in run(set_clear_asymmetry, make_series(make_patch(kept)))] == [
        "X_CTRL_IRQ"
    ]


def test_or_assign_flag_needs_and_not_in_partner():
    diff = """\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -10,12 +10,13 @@ static void x_start(struct x *x)
 {
 	x->ctrl |= X_CTRL_RUN;
+	x->ctrl |= X_CTRL_IRQ;
 	writel(x->ctrl, x->base);
 }
 
 static void x_stop(struct x *x)
 {
 	x->ctrl &= ~X_CTRL_RUN;
 	writel(x->ctrl, x->base);
 }
"""
    hits = run(set_clear_asymmetry, make_series(make_patch(diff)))
    assert [h.symbol for h in hits] == ["X_CTRL_IRQ"]
    fixed = diff.replace("\tx->ctrl &= ~X_CTRL_RUN;", "\tx->ctrl &= ~(X_CTRL_RUN | X_CTRL_IRQ);")
    assert run(set_clear_asymmetry, make_series(make_patch(fixed))) == []


def test_clear_removed_from_partner_fires():
    diff = """\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -10,11 +10,10 @@ static void x_enable(struct x *x)
 {
 	set_bit(X_FLAG_ON, &x->flags);
 }
 
 static void x_disable(struct x *x)
 {
-	clear_bit(X_FLAG_ON, &x->flags);
 	x_flush(x);
 }
"""
    hits = run(set_clear_asymmetry, make_series(make_patch(diff)))
    assert [h.symbol for h in hits] == ["X_FLAG_ON"] and hits[0].side == "old"


PROBE = """\
diff --git a/drivers/spi/spi-qux.c b/drivers/spi/spi-qux.c
--- a/drivers/spi/spi-qux.c
+++ b/drivers/spi/spi-qux.c
@@ -200,10 +200,13 @@ static int qux_spi_probe(struct platform_device *pdev)
 	if (ret)
 		return ret;
 
+	qux->seed = get_random_u32();
+	set_bit(QUX_FLAG_PROBED, &qux->flags);
+	pm_runtime_enable(&pdev->dev);
 	return devm_spi_register_controller(&pdev->dev, host);
 }
 
 static void qux_spi_remove(struct platform_device *pdev)
 {
 	clk_disable_unprepare(qux->clk);
 }
"""


def test_probe_enable_without_disable_fires_but_object_flags_and_getters_do_not():
    hits = run(set_clear_asymmetry, make_series(make_patch(PROBE)))
    assert [h.symbol for h in hits] == ["pm_runtime_enable"]
    assert "never undoes it" in hits[0].message
    fixed = PROBE.replace(
        " \tclk_disable_unprepare", " \tpm_runtime_disable(&pdev->dev);\n \tclk_disable_unprepare"
    )
    fixed = fixed.replace("@@ -200,10 +200,13 @@", "@@ -200,11 +200,14 @@")
    assert run(set_clear_asymmetry, make_series(make_patch(fixed))) == []


def test_only_the_flag_added_to_an_existing_set_is_reported():
    diff = """\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -10,11 +10,11 @@ static void x_enable(struct x *x)
 {
-	x->flags |= X_FLAG_IRQ;
+	x->flags |= X_FLAG_IRQ | X_FLAG_ERR;
 	writel(1, x->base);
 }
 
 static void x_disable(struct x *x)
 {
 	x->flags &= ~X_FLAG_IRQ;
 	writel(0, x->base);
 }
"""
    hits = run(set_clear_asymmetry, make_series(make_patch(diff)))
    assert [h.symbol for h in hits] == ["X_FLAG_ERR"]


def test_definition_an_earlier_patch_added_elsewhere_still_counts():
    """Patch 1 gives x86 its own xor_unlock(); patch 2 drops the generic
    one.  The x86 definition outlives the removal."""
    arch = """\
diff --git a/arch/x86/include/asm/bitops.h b/arch/x86/include/asm/bitops.h
--- a/arch/x86/include/asm/bitops.h
+++ b/arch/x86/include/asm/bitops.h
@@ -100,3 +100,9 @@ static __always_inline void arch_clear_bit(long nr, volatile unsigned long *addr)
 }
 
+static __always_inline bool arch_xor_unlock(unsigned long mask, volatile unsigned long *addr)
+{
+	return x86_xor_unlock(mask, addr);
+}
+#define arch_xor_unlock arch_xor_unlock
+
 static __always_inline void arch___clear_bit(long nr, volatile unsigned long *addr)
"""
    generic = """\
diff --git a/include/asm-generic/bitops/lock.h b/include/asm-generic/bitops/lock.h
--- a/include/asm-generic/bitops/lock.h
+++ b/include/asm-generic/bitops/lock.h
@@ -60,8 +60,3 @@ static inline void arch___clear_bit_unlock(unsigned int nr, volatile unsigned long *p)
 }
 
-#ifndef arch_xor_unlock
-#define arch_xor_unlock generic_xor_unlock
-#endif
-
-
 #endif /* _ASM_GENERIC_BITOPS_LOCK_H_ */
diff --git a/include/linux/page-flags.h b/include/linux/page-flags.h
--- a/include/linux/page-flags.h
+++ b/include/linux/page-flags.h
@@ -700,3 +700,3 @@ static inline bool folio_xor_flags_has_waiters(struct folio *folio, unsigned long mask)
 {
-	return xor_unlock(mask, folio_flags(folio, 0));
+	return arch_xor_unlock(mask, folio_flags(folio, 0));
 }
"""
    series = make_series(make_patch(arch, index=1), make_patch(generic, index=2))
    assert run(removed_symbol_still_used, series) == []
    alone = make_series(make_patch(generic, index=1))
    assert [h.symbol for h in run(removed_symbol_still_used, alone)] == ["arch_xor_unlock"]


def test_uses_in_macro_bodies_and_names_redefined_as_variables_are_quiet():
    """A removed macro named only inside another macro's body is used only
    where that macro expands; one that gives way to a variable is defined."""
    stub = """\
diff --git a/include/asm-generic/pgtable-nopud.h b/include/asm-generic/pgtable-nopud.h
--- a/include/asm-generic/pgtable-nopud.h
+++ b/include/asm-generic/pgtable-nopud.h
@@ -59,3 +59,2 @@ static inline pud_t *pud_offset(p4d_t *p4d, unsigned long address)
 #define pud_free(mm, x)				do { } while (0)
-#define __pud_free_tlb(tlb, x, a)		do { } while (0)
 
diff --git a/include/asm-generic/tlb.h b/include/asm-generic/tlb.h
--- a/include/asm-generic/tlb.h
+++ b/include/asm-generic/tlb.h
@@ -590,5 +590,5 @@ static inline void tlb_end_vma(struct mmu_gather *tlb, struct vm_area_struct *vma)
 		tlb_flush_pud_range(tlb, address, PAGE_SIZE);	\\
-		__pud_free_tlb(tlb, pudp, address);		\\
+		__pud_free_tlb(tlb, pudp, address);	\\
 	} while (0)
 #endif
 
"""
    assert run(removed_symbol_still_used, make_series(make_patch(stub))) == []
    variable = """\
diff --git a/include/asm-generic/vdso/vsyscall.h b/include/asm-generic/vdso/vsyscall.h
--- a/include/asm-generic/vdso/vsyscall.h
+++ b/include/asm-generic/vdso/vsyscall.h
@@ -10,3 +10,2 @@
 #ifndef __ASSEMBLY__
-#define vdso_k_rng_data __arch_get_k_vdso_rng_data()
 
diff --git a/include/vdso/datapage.h b/include/vdso/datapage.h
--- a/include/vdso/datapage.h
+++ b/include/vdso/datapage.h
@@ -150,2 +150,3 @@ struct vdso_rng_data {
 
+extern struct vdso_rng_data vdso_k_rng_data;
 
diff --git a/drivers/char/random.c b/drivers/char/random.c
--- a/drivers/char/random.c
+++ b/drivers/char/random.c
@@ -290,3 +290,3 @@ static void crng_reseed(struct work_struct *work)
 	 */
-	WRITE_ONCE(vdso_k_rng_data->generation, next_gen + 1);
+	smp_store_release((unsigned long *)&vdso_k_rng_data.generation, next_gen + 1);
 
"""
    assert run(removed_symbol_still_used, make_series(make_patch(variable))) == []
    gone = variable.replace("+extern struct vdso_rng_data vdso_k_rng_data;\n", "+\n")
    assert [h.symbol for h in run(removed_symbol_still_used, make_series(make_patch(gone)))] == [
        "vdso_k_rng_data"
    ]


GENERIC_OVERRIDE = """\
diff --git a/arch/mips/include/asm/io.h b/arch/mips/include/asm/io.h
--- a/arch/mips/include/asm/io.h
+++ b/arch/mips/include/asm/io.h
@@ -117,11 +117,6 @@ static inline phys_addr_t virt_to_phys(const volatile void *x)
 	return __virt_to_phys(x);
 }
 
-#define phys_to_virt phys_to_virt
-static inline void * phys_to_virt(unsigned long address)
-{
-	return __va(address);
-}
 /*
  * ISA I/O bus memory addresses are 1:1 with the physical address.
  */
@@ -596,4 +591,9 @@ void __ioread64_copy(void *to, const void __iomem *from, size_t count);
 
 #include <asm-generic/io.h>
 
+static inline void *isa_bus_to_virt(unsigned long address)
+{
+	return phys_to_virt(address);
+}
+
 #endif /* _ASM_IO_H */
"""


def test_removing_an_arch_override_of_a_generic_fallback_is_a_note() -> None:
    hits = run(removed_symbol_still_used, make_series(make_patch(GENERIC_OVERRIDE)))
    assert [(h.symbol, h.severity) for h in hits] == [("phys_to_virt", Severity.NOTE)]
    assert "#define phys_to_virt phys_to_virt" in hits[0].message
    plain = GENERIC_OVERRIDE.replace("-#define phys_to_virt phys_to_virt\n", "").replace(
        "@@ -117,11 +117,6 @@", "@@ -117,10 +117,6 @@"
    )
    hits = run(removed_symbol_still_used, make_series(make_patch(plain)))
    # still a note: another header the diff does not show may define it
    assert [(h.symbol, h.severity) for h in hits] == [("phys_to_virt", Severity.NOTE)]
    assert "a header the diff does not show" in hits[0].message


FILE_LOCAL = """\
diff --git a/drivers/misc/foo.c b/drivers/misc/foo.c
--- a/drivers/misc/foo.c
+++ b/drivers/misc/foo.c
@@ -10,7 +10,6 @@
 #include <linux/io.h>
 
-#define FOO_LEGACY_MODE	0x4
 #define FOO_FAST_MODE	0x8
 
 static int foo_mode(struct foo *foo)
@@ -40,4 +39,4 @@ static int foo_start(struct foo *foo)
 {
-	return foo_write(foo, FOO_FAST_MODE);
+	return foo_write(foo, FOO_LEGACY_MODE);
 }
"""


def test_a_file_local_macro_removed_while_used_is_an_error_in_hunk_mode() -> None:
    hits = run(removed_symbol_still_used, make_series(make_patch(FILE_LOCAL)))
    assert [(h.symbol, h.severity) for h in hits] == [("FOO_LEGACY_MODE", None)]


BITOPS = """\
diff --git a/include/linux/bitops.h b/include/linux/bitops.h
--- a/include/linux/bitops.h
+++ b/include/linux/bitops.h
@@ -30,7 +30,7 @@ extern unsigned long __sw_hweight64(__u64 w);
 #include <asm-generic/bitops/generic-non-atomic.h>
 
-#define __set_bit arch___set_bit
+#define __set_bit(nr, addr)		bitop(___set_bit, nr, addr)
 
 #define __check_bitop_pr(name)						\\
 	static_assert(__same_type(_##name, generic_##name))
 
@@ -58,3 +58,4 @@ extern unsigned long __sw_hweight64(__u64 w);
 __check_bitop_pr(__set_bit);
+x = __set_bit;
 
 #undef __check_bitop_pr
"""


def test_a_name_passed_to_a_pasting_macro_is_not_a_bare_use() -> None:
    from reviewpatch.rules.c.macro_arity import macro_call_mismatch

    hits = run(macro_call_mismatch, make_series(make_patch(BITOPS)))
    assert [(h.line, h.symbol) for h in hits] == [(59, "__set_bit")]


ARCH_NUMA = """\
diff --git a/arch/alpha/Kconfig b/arch/alpha/Kconfig
--- a/arch/alpha/Kconfig
+++ b/arch/alpha/Kconfig
@@ -540,12 +540,6 @@ config NR_CPUS
 	  MARVEL support can handle a maximum of 32 CPUs, all the others
 	  with working support have a maximum of 4 CPUs.
 
-config NUMA
-	bool "NUMA Support (EXPERIMENTAL)"
-	depends on DISCONTIGMEM && BROKEN
-	help
-	  Say Y to compile the kernel to support NUMA.
-
 config NODES_SHIFT
 	int
 	default "7"
diff --git a/mm/Kconfig b/mm/Kconfig
--- a/mm/Kconfig
+++ b/mm/Kconfig
@@ -66,5 +66,5 @@ config SPARSEMEM_MANUAL
 
 config NEED_MULTIPLE_NODES
-	def_bool y
+	def_bool NUMA
 	depends on DISCONTIGMEM || NUMA
 
"""


def test_an_architectures_own_option_removed_leaves_the_others_alone() -> None:
    from reviewpatch.rules.c.config_symbol import undefined_config_symbol

    hits = run(undefined_config_symbol, make_series(make_patch(ARCH_NUMA)))
    assert hits == []  # mm/Kconfig's NUMA is defined by the other architectures
    alpha = ARCH_NUMA.replace("mm/Kconfig", "arch/alpha/Kconfig.debug")
    hits = run(undefined_config_symbol, make_series(make_patch(alpha)))
    assert [h.symbol for h in hits] == ["CONFIG_NUMA"]
