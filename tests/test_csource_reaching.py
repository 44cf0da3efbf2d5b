"""Tests of the conditions a moved call inherits from its old function's
call site (``SeriesCode.moved_calls``) and of ``csource.reaching``: flag
bit values and the tree's callers of a function."""

from __future__ import annotations

from typing import Any

from faketree import StubTree
from test_csource import _diff, _series

from reviewpatch.csource import analyse_series
from reviewpatch.csource.reaching import bits_overlap, call_sites_only, flag_bits

UP_TO_CALLER = """\
 static void dev_finish(struct dev *d)
 {
-\tdev_count(d);
 \tdev_release(d);
 }
 
 static int dev_run(struct dev *d, unsigned int ev)
 {
 \tif (!ev)
 \t\treturn 0;
 
+\tdev_count(d);
 \tdev_finish(d);
 \treturn 1;
 }"""


def test_call_moved_up_into_caller_inherits_call_site_conditions() -> None:
    code = analyse_series(_series(_diff("d.c", "", UP_TO_CALLER)))
    (move,) = code.moved_calls(1)
    assert [c.key for c in move.inherited] == ["!early:!ev"]
    assert {c.key for c in move.added.conditions} <= {c.key for c in move.removed.conditions}


def test_call_moved_before_the_early_exit_keeps_it_as_lost() -> None:
    text = UP_TO_CALLER.replace("+\tdev_count(d);\n", "").replace(
        " \tif (!ev)", "+\tdev_count(d);\n \tif (!ev)"
    )
    code = analyse_series(_series(_diff("d.c", "", text)))
    (move,) = code.moved_calls(1)
    assert [c.key for c in move.removed.conditions] == ["!early:!ev"]
    assert not move.added.conditions


def test_call_moved_to_an_unrelated_function_inherits_nothing() -> None:
    text = UP_TO_CALLER.replace(" \tdev_finish(d);", " \tdev_other(d);")
    code = analyse_series(_series(_diff("d.c", "", text)))
    (move,) = code.moved_calls(1)
    assert move.inherited == ()
    assert move.removed.conditions == ()


def test_open_coded_helper_inherits_the_removed_call_site() -> None:
    text = """\
-static void dev_fail(struct dev *d)
-{
-\tdev_log(d);
-}
-
 static void dev_irq(struct dev *d, u32 st)
 {
-\tif (st & DEV_ERR)
-\t\tdev_fail(d);
+\tif (st & DEV_ERR)
+\t\tdev_log(d);
 }"""
    code = analyse_series(_series(_diff("d.c", "", text)))
    (move,) = code.moved_calls(1)
    assert move.removed.function == "dev_fail"
    assert [c.key for c in move.inherited] == ["if:st & DEV_ERR"]


FLAGS = """\
+#define TIF_STEP\t\t21
+#define _TIF_STEP\t\t(1 << TIF_STEP)
+#define _TIF_TRACE\t\tBIT(21)
+#define _TIF_AUDIT\t\tBIT_ULL(3)
+#define _TIF_ALIAS\t\t_TIF_AUDIT
+#define _TIF_HEX\t\t0x10
+#define _TIF_ODD\t\tfoo(3)
 context"""


def test_flag_bits_and_overlap() -> None:
    code = analyse_series(_series(_diff("f.h", "", FLAGS)))
    assert flag_bits(code, "_TIF_STEP") == 1 << 21
    assert flag_bits(code, "_TIF_TRACE") == 1 << 21
    assert flag_bits(code, "_TIF_ALIAS") == 8
    assert flag_bits(code, "_TIF_HEX") == 16
    assert flag_bits(code, "_TIF_ODD") is None
    assert flag_bits(code, "_TIF_UNKNOWN") is None
    assert bits_overlap(code, ("_TIF_STEP",), ("_TIF_HEX", "_TIF_TRACE"))
    assert not bits_overlap(code, ("_TIF_STEP",), ("_TIF_HEX", "_TIF_ODD", "_TIF_UNKNOWN"))


class _Grep(StubTree):
    def __init__(self, hits: tuple[tuple[str, int, str], ...]) -> None:
        self.hits = hits

    def grep(self, name: str) -> tuple[tuple[str, int, str], ...]:
        return self.hits


def _with_tree(tree: Any) -> Any:
    code = analyse_series(_series(_diff("f.h", "", FLAGS)))
    return type(code)(patches=code.patches, tree=tree)


def test_call_sites_only_reads_the_tree_callers() -> None:
    proto = ("a.h", 3, "void work(struct x *x);")
    define = ("a.c", 9, "void work(struct x *x)")
    comment = ("a.c", 8, " * work() does the work")
    call = ("a.c", 20, "\tif (ready)\n\t\twork(x);")
    assert call_sites_only(_with_tree(_Grep((proto, define, comment, call))), "work", 1)
    other = ("b.c", 5, "\twork(y);")
    assert call_sites_only(_with_tree(_Grep((proto, call, other))), "work", 1) is False
    pointer = ("b.c", 7, "\t.op = work,")
    assert call_sites_only(_with_tree(_Grep((call, pointer))), "work", 1) is False
    export = ("a.c", 30, "EXPORT_SYMBOL(work);")
    assert call_sites_only(_with_tree(_Grep((call, export))), "work", 1) is False
    assert call_sites_only(_with_tree(_Grep((proto,))), "work", 1) is None
    assert call_sites_only(_with_tree(None), "work", 1) is None
