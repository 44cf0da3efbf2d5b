"""RP311-RP313: preprocessor balance, conflict markers and SPDX tags, on
diffs built in the test."""

from __future__ import annotations

from dataclasses import replace

from test_rules_c_symbols import make_patch, make_series, run

from reviewpatch.diff import parse_diff
from reviewpatch.findings import Severity
from reviewpatch.model import Patch
from reviewpatch.rules.c.conflict_marker import conflict_marker
from reviewpatch.rules.c.pp_balance import unbalanced_preprocessor_conditional
from reviewpatch.rules.c.spdx import missing_spdx

GUARDED = """\
diff --git a/include/asm-generic/y.h b/include/asm-generic/y.h
--- a/include/asm-generic/y.h
+++ b/include/asm-generic/y.h
@@ -10,4 +10,8 @@
  * common definitions are already in linux/y.h.
  */
 
+#ifndef CONFIG_HAVE_Y_ARGS
+struct y_regs {
+	struct pt_regs regs;
+};
 #endif /* __ASM_GENERIC_Y_H__ */
"""


def test_a_new_block_that_takes_the_include_guard_s_endif() -> None:
    [hit] = run(unbalanced_preprocessor_conditional, make_series(make_patch(GUARDED)))
    assert hit.line == 13 and hit.symbol == "#ifndef CONFIG_HAVE_Y_ARGS"
    assert "1 more opening conditional than #endif" in hit.message


def test_directives_spelt_with_spaces_and_elif_else_count_right() -> None:
    diff = GUARDED.replace("+};\n", "+};\n+# elif defined(Y)\n+#  else\n+#  endif\n").replace(
        "@@ -10,4 +10,8 @@", "@@ -10,4 +10,11 @@"
    )
    assert run(unbalanced_preprocessor_conditional, make_series(make_patch(diff))) == []


def test_a_file_that_is_not_preprocessed_is_left_alone() -> None:
    diff = GUARDED.replace("include/asm-generic/y.h", "Documentation/y.txt")
    assert run(unbalanced_preprocessor_conditional, make_series(make_patch(diff))) == []


def _real(diff: str) -> Patch:
    """A patch whose files come from the real diff parser (which knows new
    files by their /dev/null side)."""
    return replace(make_patch(""), files=parse_diff(diff, 1))


def _new_file(path: str, first: str) -> str:
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,3 @@\n+{first}\n+\n+obj-y += y.o\n"
    )


def test_spdx_one_finding_per_patch_and_a_note_for_documents() -> None:
    diff = (
        _new_file("drivers/y/Makefile", "# y driver")
        + _new_file("drivers/y/Kconfig", "config Y")
        + _new_file("Documentation/y.rst", "Y driver")
    )
    hits = run(missing_spdx, make_series(_real(diff)))
    assert [(h.severity, h.file) for h in hits] == [
        (None, "drivers/y/Makefile"),
        (Severity.NOTE, "Documentation/y.rst"),
    ]
    assert "2 new files" in hits[0].message and "drivers/y/Kconfig" in hits[0].message
    tagged = _new_file("drivers/y/Makefile", "# SPDX-License-Identifier: GPL-2.0")
    assert run(missing_spdx, make_series(_real(tagged))) == []


def test_a_heading_rule_in_a_document_is_no_conflict_marker() -> None:
    diff = _new_file("Documentation/y.rst", "=======")
    assert run(conflict_marker, make_series(_real(diff))) == []
    diff = _new_file("drivers/y/y.c", "=======")
    assert [h.symbol for h in run(conflict_marker, make_series(_real(diff)))] == ["======="]


def test_a_macro_whose_parameters_span_lines_is_function_like() -> None:
    from reviewpatch.csource.prepare import mask_comments
    from reviewpatch.csource.preproc import read_macros
    from reviewpatch.csource.views import hunk_view

    diff = """\
diff --git a/arch/y/include/asm/cmpxchg.h b/arch/y/include/asm/cmpxchg.h
--- a/arch/y/include/asm/cmpxchg.h
+++ b/arch/y/include/asm/cmpxchg.h
@@ -10,0 +11,4 @@
+#define __y_cmpxchg_masked(sc_sfx, cas_sfx,			\\
+			   r, p, o, n)				\\
+({								\\
+})
"""
    fd = parse_diff(diff, 1)[0]
    view = hunk_view(fd.hunks[0], "new", fd.new_path, 1, 0)
    [macro] = read_macros(view, tuple(mask_comments([ln.text for ln in view.lines])))
    assert macro.params == ("sc_sfx", "cas_sfx", "r", "p", "o", "n")
    assert macro.body == "({ })"


def test_kconfig_macro_calls_and_strings_name_no_option() -> None:
    from reviewpatch.rules.c.config_symbol import _tested

    line = "\tdepends on $(success,$(CC) -mfoo) && FOO_BAR && !BAZ_Q"
    assert _tested("arch/y/Kconfig", line) == {"FOO_BAR", "BAZ_Q"}
    assert _tested("arch/y/Kconfig", '\tdefault "ABC" if BAZ') == {"BAZ"}
    assert _tested("drivers/y/y.c", "#if IS_ENABLED(CONFIG_Y_PM) // CONFIG_OLD") == {"Y_PM"}


def test_a_patch_that_mends_an_earlier_patch_s_imbalance_is_not_reported() -> None:
    extra = """\
diff --git a/arch/y/kernel/compat.c b/arch/y/kernel/compat.c
--- a/arch/y/kernel/compat.c
+++ b/arch/y/kernel/compat.c
@@ -314,3 +314,4 @@ long y_epoll_wait(int epfd)
 }
 #endif
 
+#endif
"""
    mend = """\
diff --git a/arch/y/kernel/compat.c b/arch/y/kernel/compat.c
--- a/arch/y/kernel/compat.c
+++ b/arch/y/kernel/compat.c
@@ -314,4 +314,3 @@ long y_epoll_wait(int epfd)
 }
 #endif
 
-#endif
"""
    series = make_series(make_patch(extra, index=1), make_patch(mend, index=2))
    hits = run(unbalanced_preprocessor_conditional, series)
    # only the patch that broke it: the added #endif (new side), not the
    # removal that mends it (old side)
    assert [(h.side, h.line) for h in hits] == [("new", 317)]
    assert "1 more #endif than opening conditional" in hits[0].message


def test_a_tools_header_macro_is_not_the_kernel_s() -> None:
    from reviewpatch.rules.c.macro_arity import macro_call_mismatch

    diff = """\
diff --git a/tools/include/linux/bitops.h b/tools/include/linux/bitops.h
--- a/tools/include/linux/bitops.h
+++ b/tools/include/linux/bitops.h
@@ -30,3 +30,3 @@
 
-#define __set_bit	__y_set_bit
+#define __set_bit(nr, addr)	__y_set_bit(nr, addr)
 
diff --git a/include/linux/bitops.h b/include/linux/bitops.h
--- a/include/linux/bitops.h
+++ b/include/linux/bitops.h
@@ -57,3 +57,3 @@
 
-#define y_set	__set_bit
+#define y_set	 __set_bit
 y_use(__set_bit);
"""
    assert run(macro_call_mismatch, make_series(make_patch(diff))) == []
    # the same change to the kernel's own header: the bare use is reported
    same_tree = make_patch(diff.replace("tools/include", "include"))
    assert [h.symbol for h in run(macro_call_mismatch, make_series(same_tree))] == ["__set_bit"]
