"""The differential engine: the solver's verdicts and witnesses, the
per-call comparison of a patch's old and new code, and the words a witness
is said in."""

from __future__ import annotations

import pytest
from test_rules_c_symbols import make_patch, make_series

from reviewpatch.csource import analyse_series
from reviewpatch.csource.formula import TRUE, AtomKind, atom, conj, disj, neg
from reviewpatch.flow.analysis import flow_of
from reviewpatch.flow.compare import Change
from reviewpatch.flow.describe import describe, negate_text, unseen_text, when
from reviewpatch.flow.solver import Literal, Solver, Verdict, Witness


def _bit(flag: str, var: str = "flags") -> object:
    return atom(AtomKind.BIT, f"{var}&{flag}", f"{var} & {flag}", var, flag, var)


A = atom(AtomKind.COND, "a", "a")
B = atom(AtomKind.COND, "b", "b")
HIDDEN = atom(AtomKind.UNSEEN, "lbl", "what label out: does")
REACHED = atom(AtomKind.REACH, "r", "the code before line 10 reaches it", name="r")


# -- the solver -----------------------------------------------------------------


def test_equivalent_conditions_written_differently() -> None:
    s = Solver()
    assert s.compare(conj(A, B), neg(disj(neg(A), neg(B)))).verdict is Verdict.EQUIVALENT
    assert s.compare(disj(A, conj(A, B)), A).verdict is Verdict.EQUIVALENT


def test_a_difference_carries_a_minimal_case_each_way() -> None:
    got = Solver().compare(A, conj(A, B))
    assert got.verdict is Verdict.DIFFERENT
    assert got.gained is None
    assert got.lost is not None and got.lost.robust
    assert [(lit.atom.text, lit.value) for lit in got.lost.literals] == [("a", True), ("b", False)]


def test_a_case_that_needs_unseen_code_is_not_robust() -> None:
    """new runs unless an unseen label's code decides otherwise: the
    difference exists only if that code does something."""
    got = Solver().compare(A, conj(A, HIDDEN))
    assert got.lost is not None and not got.lost.robust
    assert [a.key for a in got.lost.unseen] == [HIDDEN.atom.key]  # type: ignore[union-attr]
    assert unseen_text(got.lost) == "not: what label out: does"


def test_a_case_that_holds_whatever_the_unseen_code_does_is_robust() -> None:
    got = Solver().compare(conj(A, disj(HIDDEN, TRUE)), conj(B, disj(HIDDEN, A)))
    assert got.lost is not None and got.lost.robust
    assert all(lit.atom.seen for lit in got.lost.literals)


def test_reaching_a_fragment_is_assumed() -> None:
    """The code before a fragment reaches it: a REACH atom is taken as true,
    so a difference that needs it is still robust."""
    got = Solver().compare(conj(REACHED, A), conj(REACHED, neg(A)))
    assert got.lost is not None and got.lost.robust
    assert when(got.lost) == "when a"


def test_cases_of_one_switch_exclude_each_other() -> None:
    one = atom(AtomKind.CASE, "mode==M1", "mode == M1", "mode", "M1", "mode")
    two = atom(AtomKind.CASE, "mode==M2", "mode == M2", "mode", "M2", "mode")
    s = Solver()
    assert s.satisfiable(conj(one, two)) is False
    assert s.compare(conj(one, neg(two)), one).verdict is Verdict.EQUIVALENT


def test_over_the_atom_budget_the_comparison_is_cut_not_run() -> None:
    many = [atom(AtomKind.COND, f"c{i}", f"c{i}") for i in range(40)]
    got = Solver(max_atoms=30).compare(disj(*many), conj(*many))
    assert got.verdict is Verdict.CUT and got.lost is None and got.gained is None
    assert Solver(max_atoms=30).satisfiable(conj(*many)) is None


# -- words ----------------------------------------------------------------------


def test_bit_tests_are_said_per_variable() -> None:
    lits = (
        Literal(_bit("_TIF_SINGLESTEP").atom, True),  # type: ignore[attr-defined]
        Literal(_bit("_TIF_SYSCALL_AUDIT").atom, False),  # type: ignore[attr-defined]
        Literal(_bit("_TIF_SYSCALL_TRACE").atom, False),  # type: ignore[attr-defined]
        Literal(
            atom(AtomKind.CONFIG, "CONFIG_RSEQ", "CONFIG_RSEQ", name="CONFIG_RSEQ").atom, False
        ),  # type: ignore[union-attr]
    )
    w = Witness(lits, True)
    assert describe(w) == (
        "flags has _TIF_SINGLESTEP but none of _TIF_SYSCALL_AUDIT, _TIF_SYSCALL_TRACE"
        " and CONFIG_RSEQ is disabled"
    )
    assert when(Witness((), True)) == "in every case"


@pytest.mark.parametrize(
    "text, said",
    [("ret < 0", "ret >= 0"), ("!ptr", "ptr"), ("p->ready", "!p->ready"), ("a + b", "!(a + b)")],
)
def test_negations_are_said_plainly(text: str, said: str) -> None:
    assert negate_text(text) == said


# -- comparing a patch's old and new code ---------------------------------------


def _diff(path: str, start: int, body: str) -> str:
    lines = body.splitlines()
    old = sum(1 for ln in lines if not ln.startswith("+"))
    new = sum(1 for ln in lines if not ln.startswith("-"))
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -{start},{old} +{start},{new} @@\n{body}"
    )


def _changes(body: str, start: int = 10) -> tuple[Change, ...]:
    series = make_series(make_patch(_diff("drivers/misc/y.c", start, body)))
    return flow_of(analyse_series(series)).changes(1)


def _real(changes: tuple[Change, ...]) -> list[str]:
    return sorted(ch.callee for ch in changes if not ch.pseudo)


def test_code_moved_into_a_new_helper_on_the_same_path_is_no_change() -> None:
    body = """\
+static void y_start(struct y *y)
+{
+	if (y->ready)
+		y_kick(y);
+	y_log(y);
+}
+
 int y_run(struct y *y)
 {
 	int ret = 0;
 
-	if (y->ready)
-		y_kick(y);
-	y_log(y);
+	y_start(y);
 	return ret;
 }
"""
    assert _real(_changes(body)) == []


def test_a_condition_rewritten_into_an_early_return_is_no_change() -> None:
    body = """\
 void y_poll(struct y *y)
 {
-	if (y->active) {
-		y_read(y);
-		y_ack(y);
-	}
+	if (!y->active)
+		return;
+
+	y_read(y);
+	y_ack(y);
 }
"""
    assert _real(_changes(body)) == []


def test_braces_dropped_around_a_loop_macro_are_no_change() -> None:
    # the parser ends ``if (p) for_each_cpu(...)`` at the macro and leaves
    # its body as the next statement: that statement is still the loop's
    body = """\
 void y_release(struct y *y)
 {
 	policy = y_policy_get(y->cpu);
-	if (policy) {
+	if (policy)
 		for_each_cpu(y->cpu, policy->related_cpus)
 			per_cpu(y_per_cpu, y->cpu) = NULL;
-		y_policy_put(policy);
-	}
-
 	kfree(y);
 }
"""
    assert "per_cpu" not in _real(_changes(body))


def test_a_loop_macro_ending_an_else_branch_keeps_its_body() -> None:
    body = """\
 void y_flush(struct y *y)
 {
-	if (y->idle) {
-		y_wake(y);
-	} else {
-		while (y->busy)
-			list_for_each_entry(p, &y->list, node)
-				y_drop(p);
-	}
+	if (y->idle)
+		y_wake(y);
+	else
+		while (y->busy)
+			list_for_each_entry(p, &y->list, node)
+				y_drop(p);
 	y_done(y);
 }
"""
    assert _real(_changes(body)) == []


def test_a_check_of_a_helper_without_parameters_that_cannot_fail_is_no_change() -> None:
    # "ret = y_irqchip_init(); if (ret) return ret;" where the helper, shown
    # whole, returns 0: set_bit() still runs whenever it ran
    body = """\
+static int y_irqchip_init(void)
+{
+	return 0;
+}
+
 static int y_init(void)
 {
 	int ret;
 
 	if (!y_ready())
 		return -ENODEV;
 
+	ret = y_irqchip_init();
+	if (ret)
+		return ret;
+
 	set_bit(Y_INVALID, y_map);
 	return 0;
 }
"""
    assert _real(_changes(body)) == []
    # a helper that can fail does change when set_bit() runs
    failing = body.replace("+\treturn 0;\n", "+\treturn y_probe_irqchip();\n")
    assert _real(_changes(failing)) == ["set_bit"]


def test_a_renamed_local_is_no_change() -> None:
    body = """\
 void y_poll(struct y *y)
 {
-	bool on = y->active;
+	bool active = y->active;
 
-	if (on)
+	if (active)
 		y_read(y);
 }
"""
    assert _real(_changes(body)) == []


def test_a_call_put_under_a_flag_mask_differs_with_a_case_in_words() -> None:
    body = """\
 void y_exit(struct y *y, unsigned long flags)
 {
-	y_work(y, flags);
+	if (flags & (Y_TRACE | Y_AUDIT))
+		y_work(y, flags);
 	y_done(y);
 }
"""
    changes = _changes(body)
    assert _real(changes) == ["y_work"]
    (ch,) = [c for c in changes if not c.pseudo]
    assert ch.root == "y_exit" and ch.comparison.verdict is Verdict.DIFFERENT
    assert ch.comparison.gained is None and ch.comparison.lost is not None
    assert describe(ch.comparison.lost) == "flags has none of Y_AUDIT, Y_TRACE"
    assert ch.doubt(True) == ""


def test_a_call_moved_into_a_gated_callee_inherits_the_gate() -> None:
    """y_rseq() moves from y_exit() into y_work(), which y_exit() now calls
    only under a flag: the move loses every case without the flag."""
    body = """\
 static void y_work(struct y *y, unsigned long flags)
 {
+	y_rseq(y);
 	if (flags & Y_TRACE)
 		y_trace(y);
 }
 
 void y_exit(struct y *y, unsigned long flags)
 {
-	y_rseq(y);
-	y_work(y, flags);
+	if (flags & Y_TRACE)
+		y_work(y, flags);
 }
"""
    changes = _changes(body)
    moved = [c for c in changes if c.callee == "y_rseq" and c.root == "y_exit"]
    assert len(moved) == 1 and moved[0].comparison.lost is not None
    assert describe(moved[0].comparison.lost) == "flags lacks Y_TRACE"
    assert "y_trace" not in _real(changes)  # its own gate was already Y_TRACE


def _lost_doubt(body: str, callee: str) -> str:
    (ch,) = [c for c in _changes(body) if c.callee == callee]
    assert ch.comparison.lost is not None
    return ch.doubt(True)


def test_an_error_path_that_went_away_with_its_cause_is_in_doubt() -> None:
    """vmf_error() ran when set_direct_map_invalid_noflush() failed; the
    patch drops that call, and its error path with it."""
    body = """\
 static vm_fault_t y_fault(struct vm_fault *vmf)
 {
 	page = find_lock_page(mapping, offset);
 	if (!page) {
 		page = y_alloc_page(vmf->gfp_mask);
 		if (!page)
 			return VM_FAULT_OOM;
-		err = set_direct_map_invalid_noflush(page, 1);
-		if (err)
-			return vmf_error(err);
 		err = add_to_page_cache(page, mapping, offset, vmf->gfp_mask);
-		if (unlikely(err))
-			return vmf_error(err);
+		if (unlikely(err)) {
+			put_page(page);
+			if (err == -EEXIST)
+				goto retry;
+			return vmf_error(err);
+		}
 	}
 	vmf->page = page;
 	return VM_FAULT_LOCKED;
 }
"""
    assert "set_direct_map_invalid_noflush(), which y_fault() no longer calls" in _lost_doubt(
        body, "vmf_error"
    )


def test_a_value_now_computed_by_a_new_call_is_in_doubt() -> None:
    body = """\
 void *y_alloc(struct y_info *info, size_t size)
 {
-	return module_alloc(size);
+	if (!info)
+		return module_alloc(size);
+	return __vmalloc_node_range(size, info->align, info->start, info->end);
 }
"""
    assert "with __vmalloc_node_range() instead" in _lost_doubt(body, "module_alloc")


def test_a_call_gated_with_nothing_in_its_place_is_not_in_doubt() -> None:
    body = """\
 void *y_alloc(struct y_info *info, size_t size)
 {
-	return module_alloc(size);
+	if (!info)
+		return module_alloc(size);
+	pr_warn("no info\\n");
+	return NULL;
 }
"""
    assert _lost_doubt(body, "module_alloc") == ""


IRQ_H = """\
diff --git a/include/linux/y_irq.h b/include/linux/y_irq.h
--- a/include/linux/y_irq.h
+++ b/include/linux/y_irq.h
@@ -553,6 +553,7 @@ enum {
 	IRQCHIP_EOI_THREADED		= (1 <<  6),
 	IRQCHIP_SUPPORTS_LEVEL_MSI	= (1 <<  7),
 	IRQCHIP_SUPPORTS_NMI		= (1 <<  8),
+	IRQCHIP_SHUTDOWN_ON_SUSPEND	= (1 <<  9),
 };
 
 #include <linux/irqdesc.h>
"""
SUSPEND = """\
 	desc->istate |= IRQS_SUSPENDED;
-	__disable_irq(desc);
+	if (irq_desc_get_chip(desc)->flags & IRQCHIP_SHUTDOWN_ON_SUSPEND)
+		irq_shutdown(desc);
+	else
+		__disable_irq(desc);
 	return true;
 }
"""


def test_a_case_that_needs_a_flag_the_series_adds_is_in_doubt() -> None:
    """The enum value is added inside a hunk that starts within the enum:
    it is read as an enumerator, and only chips that set the new flag stop
    calling __disable_irq()."""
    diff = IRQ_H + _diff("kernel/irq/y_pm.c", 85, SUSPEND)
    series = make_series(make_patch(diff))
    [ch] = [c for c in flow_of(analyse_series(series)).changes(1) if c.callee == "__disable_irq"]
    assert "IRQCHIP_SHUTDOWN_ON_SUSPEND, a flag the series adds" in ch.doubt(lost=True)


def test_a_call_swapped_for_another_on_the_same_argument_is_in_doubt() -> None:
    """With a flag that existed before, what is in doubt is the swap: in
    that case irq_shutdown(desc) runs instead of __disable_irq(desc)."""
    series = make_series(make_patch(_diff("kernel/irq/y_pm.c", 85, SUSPEND)))
    [ch] = [c for c in flow_of(analyse_series(series)).changes(1) if c.callee == "__disable_irq"]
    assert "calls irq_shutdown() on the same argument instead" in ch.doubt(lost=True)


FOLDED = """\
 static void y_cache_free(struct y_cache *mc)
 {
-	while (mc->nobjs)
-		kmem_cache_free(mc->slab, mc->objects[--mc->nobjs]);
-}
-
-static void y_cache_free_page(struct y_cache *mc)
-{
-	while (mc->nobjs)
-		free_page((unsigned long)mc->objects[--mc->nobjs]);
+	while (mc->nobjs) {
+		if (mc->slab)
+			kmem_cache_free(mc->slab, mc->objects[--mc->nobjs]);
+		else
+			free_page((unsigned long)mc->objects[--mc->nobjs]);
+	}
 }
 
 static void y_caches_free(struct y_vcpu *vcpu)
 {
 	y_cache_free(&vcpu->desc_cache);
-	y_cache_free_page(&vcpu->page_cache);
+	y_cache_free(&vcpu->page_cache);
 }
"""


def test_two_helpers_folded_into_one_that_picks_by_a_test_are_in_doubt() -> None:
    """kmem_cache_free() no longer runs for a cache without a slab: there
    the folded helper calls free_page() on the same object (through a
    cast), a call the old code also made, for the other cache."""
    series = make_series(make_patch(_diff("arch/y/mmu.c", 1080, FOLDED)))
    changes = flow_of(analyse_series(series)).changes(1)
    lost = [c for c in changes if c.callee == "kmem_cache_free" and c.comparison.lost]
    assert lost
    for ch in lost:
        assert "calls free_page() on the same argument instead" in ch.doubt(lost=True)


def test_a_call_dropped_in_a_case_with_nothing_in_its_place_is_not_in_doubt() -> None:
    body = SUSPEND.replace("irq_shutdown(desc);", 'pr_info("kept\\n");')
    series = make_series(make_patch(_diff("kernel/irq/y_pm.c", 85, body)))
    [ch] = [c for c in flow_of(analyse_series(series)).changes(1) if c.callee == "__disable_irq"]
    assert ch.doubt(lost=True) == ""


def test_a_clock_read_moved_to_where_its_value_is_used_is_in_doubt() -> None:
    body = """\
 static int y_poll(struct y_dev *dev, int limit)
 {
-	u64 time_start;
-
-	time_start = local_clock();
 	dev->timed_out = false;
 	if (!y_pending()) {
+		u64 time_start = local_clock();
+
 		while (!y_done(dev)) {
 			if (local_clock() - time_start > limit) {
 				dev->timed_out = true;
 				break;
 			}
 		}
 	}
 	return 0;
 }
"""
    assert "local_clock() only reads the time" in _lost_doubt(body, "local_clock")


def test_tests_of_one_value_against_numbers_are_tied() -> None:
    """``ret`` (non-zero), ``ret < 0`` and ``5 < ret`` speak of one integer:
    ``!ret && ret < 0`` is no case, ``ret < 0 && 5 < ret`` neither."""
    ret = atom(AtomKind.COND, "f ( x )", "ret")
    below = atom(AtomKind.COND, "f ( x ) < 0", "ret < 0")
    above = atom(AtomKind.COND, "5 < f ( x )", "5 < ret")
    three = atom(AtomKind.CASE, "d -> n == 3", "d->n == 3", "d->n", "3", "d -> n")
    n = atom(AtomKind.COND, "d -> n", "d->n")
    s = Solver()
    assert s.satisfiable(conj(neg(ret), below)) is False
    assert s.satisfiable(conj(below, above)) is False
    assert s.satisfiable(conj(neg(n), three)) is False
    assert s.satisfiable(conj(ret, below)) is True
    assert s.compare(below, conj(ret, below)).verdict is Verdict.EQUIVALENT


STUB_H = """\
diff --git a/include/asm/y.h b/include/asm/y.h
--- a/include/asm/y.h
+++ b/include/asm/y.h
@@ -31,6 +31,4 @@ static inline u64 y_get_register(unsigned int reg)
 void y_vector_handler(struct pt_regs *regs);
 
-static inline void y_disable_irq(int irq) {}
-
 #if IS_ENABLED(CONFIG_Y)
 extern void *y_page;
"""
STUB_CALL = """\
 static int y_shutdown(struct clock_event_device *evt)
 {
 	y_set_register(Y_COUNT, 0);
-	y_disable_irq(y_irq);
+	if (y_irq >= 0)
+		y_disable_irq(y_irq);
 	return 0;
 }
"""


def test_a_call_of_an_empty_stub_that_no_longer_runs_is_in_doubt() -> None:
    diff = STUB_H + _diff("drivers/clocksource/y_timer.c", 85, STUB_CALL)
    series = make_series(make_patch(diff))
    [ch] = [c for c in flow_of(analyse_series(series)).changes(1) if c.callee == "y_disable_irq"]
    assert "y_disable_irq() has an empty body where the diff shows it" in ch.doubt(lost=True)
    alone = make_series(make_patch(_diff("drivers/clocksource/y_timer.c", 85, STUB_CALL)))
    [ch] = [c for c in flow_of(analyse_series(alone)).changes(1) if c.callee == "y_disable_irq"]
    assert ch.doubt(lost=True) == ""


VERSION_H = """\
diff --git a/drivers/thermal/y/y.h b/drivers/thermal/y/y.h
--- a/drivers/thermal/y/y.h
+++ b/drivers/thermal/y/y.h
@@ -30,5 +30,6 @@ enum y_ver {
+	VER_0 = 0,
 	VER_0_1,
 	VER_1_X,
 	VER_2_X,
 };
 
"""
VALID = """\
 int y_get_temp_valid(const struct y_sensor *s, int *temp)
 {
-	ret = regmap_field_read(priv->rf[VALID], &valid);
-	if (ret)
-		return ret;
+	if (y_version(priv) >= VER_0_1) {
+		ret = regmap_field_read(priv->rf[VALID], &valid);
+		if (ret)
+			return ret;
+	}
 	return y_read_temp(s, temp);
 }
"""


def test_a_case_only_a_new_enum_value_reaches_is_in_doubt() -> None:
    """VER_0, added by the series, is the only version below VER_0_1: the
    versions that existed still read the valid bit."""
    series = make_series(make_patch(VERSION_H + _diff("drivers/thermal/y/y.c", 580, VALID)))
    [ch] = [
        c for c in flow_of(analyse_series(series)).changes(1) if c.callee == "regmap_field_read"
    ]
    assert "where only VER_0, which the series adds, may be" in ch.doubt(lost=True)
    alone = make_series(make_patch(_diff("drivers/thermal/y/y.c", 580, VALID)))
    [ch] = [c for c in flow_of(analyse_series(alone)).changes(1) if c.callee == "regmap_field_read"]
    assert ch.doubt(lost=True) == ""


def test_a_hunk_after_the_end_of_the_function_its_header_names_is_another_function() -> None:
    """git names the hunk after the last line its pattern matched; a
    function head it did not match (``__visible noinstr long foo(...)``)
    leaves the hunk under the previous function's name."""
    from reviewpatch.flow.bodies import Bodies

    diff = """\
diff --git a/arch/y/entry.c b/arch/y/entry.c
--- a/arch/y/entry.c
+++ b/arch/y/entry.c
@@ -10,6 +10,7 @@
 static bool __y_fast(struct pt_regs *regs)
 {
+	instrumentation_begin();
 	y_work(regs);
 	return true;
 }
@@ -40,4 +41,3 @@ static bool __y_fast(struct
 	regs->ip = landing_pad;
-	instrumentation_begin();
 	y_enter(regs);
 }
"""
    series = make_series(make_patch(diff))
    names = sorted(fv.name for fv in Bodies(analyse_series(series), 1).functions("new").values())
    assert names[0].startswith("<") and names[1] == "__y_fast"


def test_a_case_resting_on_a_local_set_in_branches_is_in_doubt() -> None:
    body = """\
 void y_set_trip_temp(struct y_zone *tz, struct y_trip *trip, int temp)
 {
+	struct list_head *list;
+
 	if (trip->temperature == temp)
 		return;
+	if (trip->temperature == Y_INVALID)
+		list = NULL;
+	else
+		list = &tz->below;
 	WRITE_ONCE(trip->temperature, temp);
-	if (temp == Y_INVALID)
-		y_trip_down(tz, trip);
+	if (!list)
+		return;
+	if (temp == Y_INVALID)
+		y_trip_down(tz, trip);
 }
"""
    assert "list is a local the new code sets on some paths" in _lost_doubt(body, "y_trip_down")


def test_a_test_function_called_only_in_conditions_is_in_doubt() -> None:
    body = """\
 static int y_cpu_init(struct y_policy *policy)
 {
-	if (check_y_hwpstate_cpu(cpu) && !y_strict)
+	if (y_vendor_is_amd() && check_y_hwpstate_cpu(cpu) && !y_strict)
 		cpumask_clear(policy->cpus);
 	return 0;
 }
"""
    assert "check_y_hwpstate_cpu() is a test called only in conditions" in _lost_doubt(
        body, "check_y_hwpstate_cpu"
    )
    locked = body.replace("check_y_hwpstate_cpu(cpu)", "y_trylock_cpu(cpu)")
    assert "a test called only in conditions" not in _lost_doubt(locked, "y_trylock_cpu")


def test_a_dispatch_moved_into_the_callee_is_in_doubt() -> None:
    """The caller chose between y_ti_get() and y_get(); now y_get() makes
    that choice itself: y_get() runs in the TI case too, and hands off."""
    body = """\
+static int y_get(struct y_chip *chip, int psp)
+{
+	if (chip->flags & Y_FLAGS_TI)
+		return y_ti_get(chip, psp);
+	return y_read(chip, psp);
+}
+
 static int y_get_property(struct y_chip *chip, int psp)
 {
-	if (chip->flags & Y_FLAGS_TI)
-		ret = y_ti_get(chip, psp);
-	else
-		ret = y_get(chip, psp);
+	ret = y_get(chip, psp);
 	return ret;
 }
"""
    (ch,) = [c for c in _changes(body) if c.callee == "y_get"]
    assert ch.comparison.gained is not None
    assert "y_get() now calls y_ti_get() itself" in ch.doubt(False)
