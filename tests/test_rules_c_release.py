"""RP310 early-exit-skips-release: the severity and the words of its
findings on the fixtures, and the exits it leaves alone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from test_rules_c_symbols import make_patch, make_series, run

from reviewpatch.api import review
from reviewpatch.findings import Severity
from reviewpatch.rules.c.early_exit_release import early_exit_skips_release
from reviewpatch.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "early-exit-skips-release"


def _rp310(name: str) -> list[tuple[Severity, str]]:
    report = review(str(FIXTURES / name), Settings(offline=True))
    return [(f.severity, f.message) for f in report.findings if f.rule_id == "RP310"]


def test_two_different_fields_are_not_taken_for_one_value() -> None:
    # !zd->nr_trips and tz->debugfs have one shape (x->x) but name two
    # values: the witness is not in doubt, the finding is a warning.
    [(severity, message)] = _rp310("bad-new-function-returns-with-lock-held.mbox")
    assert severity is Severity.WARNING
    assert "mutex_unlock(&dbg->lock)" in message
    assert "to differ" not in message


def test_new_return_above_a_goto_whose_label_frees() -> None:
    [(severity, message)] = _rp310("bad-return-above-releasing-goto.mbox")
    assert severity is Severity.WARNING
    assert "leaves pd taken" in message and "goto free_pd" in message
    assert "when id < 0" in message


def test_object_taken_between_the_return_and_the_goto() -> None:
    assert _rp310("good-return-above-goto-whose-object-comes-later.mbox") == []


BARE_ABOVE = """\
diff --git a/drivers/foo/foo.c b/drivers/foo/foo.c
--- a/drivers/foo/foo.c
+++ b/drivers/foo/foo.c
@@ -40,14 +40,17 @@ static int foo_probe(struct foo *foo)
 	ret = foo_reset(foo);
 	if (ret)
 		return ret;
+	ret = foo_set_mode(foo);
+	if (ret)
+		return ret;
 
 	ret = foo_start(foo);
 	if (ret)
 		goto free_buf;
 
 	return 0;
 
 free_buf:
 	kfree(foo->buf);
 	return ret;
 }
"""


def test_unchanged_bare_return_above_sets_the_model() -> None:
    # The function already returns directly just above, with nothing taken
    # between: the new return follows it (whatever the label frees was
    # taken or not the same way at both).
    hits = run(early_exit_skips_release, make_series(make_patch(BARE_ABOVE)))
    assert hits == []


def test_same_shape_without_the_bare_return_is_reported() -> None:
    diff = BARE_ABOVE.replace(
        " \tret = foo_reset(foo);\n \tif (ret)\n \t\treturn ret;\n",
        " \tret = foo_reset(foo);\n \tfoo->ready = true;\n \tfoo_log(foo);\n",
    )
    hits = run(early_exit_skips_release, make_series(make_patch(diff)))
    assert [h.symbol for h in hits] == ["kfree"]
    assert "leaves foo->buf taken" in hits[0].message


def test_new_return_above_an_unlock_keeps_the_lock() -> None:
    [(severity, message)] = _rp310("bad-return-above-unlock.mbox")
    assert severity is Severity.WARNING
    assert "leaves charger->lock held" in message
    assert "mutex_unlock(&charger->lock) at line 218" in message


def test_lock_dropped_and_retaken_below_the_return() -> None:
    assert _rp310("good-return-above-unlock-of-a-lock-retaken.mbox") == []


def test_unlock_in_a_branch_of_its_own_says_nothing() -> None:
    diff = """\
diff --git a/drivers/foo/foo.c b/drivers/foo/foo.c
--- a/drivers/foo/foo.c
+++ b/drivers/foo/foo.c
@@ -40,8 +40,11 @@ static int foo_set(struct foo *foo, int mode)
 	foo->mode = mode;
 	foo_log(foo);
 
+	if (mode > 3)
+		return -EINVAL;
+
 	if (foo->locked)
 		mutex_unlock(&foo->lock);
 
 	return 0;
 }
"""
    assert run(early_exit_skips_release, make_series(make_patch(diff))) == []


LABEL_BETWEEN = """\
diff --git a/fs/y.c b/fs/y.c
--- a/fs/y.c
+++ b/fs/y.c
@@ -71,9 +71,9 @@ static int y_get_path(struct path *path, struct y_ns *ns)
 got_it:
 	path->mnt = mntget(mnt);
 	path->dentry = dentry;
-	return NULL;
+	return 0;
 slow:
 	rcu_read_unlock();
 	inode = new_inode_pseudo(mnt->mnt_sb);
 	if (!inode)
 		return -ENOMEM;
"""


def test_an_unlock_after_a_label_is_another_path() -> None:
    # and the return replaces one that was there: the exit is not new
    assert run(early_exit_skips_release, make_series(make_patch(LABEL_BETWEEN))) == []


LOCK_BY_VALUE = """\
diff --git a/kernel/y.c b/kernel/y.c
--- a/kernel/y.c
+++ b/kernel/y.c
@@ -40,0 +41,17 @@ static DEFINE_SPINLOCK(info_lock);
+static bool y_claim_info(unsigned long *flags, int type)
+{
+	for (;;) {
+		spin_lock_irqsave(&info_lock, *flags);
+		if (type == 1) {
+			info.ptr = NULL;
+			spin_unlock_irqrestore(&info_lock, *flags);
+			return false;
+		}
+		if (info.ptr)
+			return true;
+		spin_unlock_irqrestore(&info_lock, *flags);
+	}
+}
+
+static void y_next(void)
+{
"""


def test_a_function_that_says_by_its_value_whether_it_holds_the_lock() -> None:
    assert run(early_exit_skips_release, make_series(make_patch(LOCK_BY_VALUE))) == []
    named = LOCK_BY_VALUE.replace("y_claim_info", "y_claim_or_lock_info").replace(
        "return false;", "return true;"
    )
    assert run(early_exit_skips_release, make_series(make_patch(named))) == []
    plain = LOCK_BY_VALUE.replace("return false;", "return true;")
    assert [h.symbol for h in run(early_exit_skips_release, make_series(make_patch(plain)))] == [
        "spin_unlock_irqrestore"
    ]


def test_a_return_on_a_failed_trylock_holds_nothing() -> None:
    diff = """\
diff --git a/kernel/y.c b/kernel/y.c
--- a/kernel/y.c
+++ b/kernel/y.c
@@ -180,6 +180,8 @@ static int y_load(unsigned long entry)
 	 * one at a time.
 	 */
+	if (!mutex_trylock(&y_mutex))
+		return -EBUSY;
 	ret = y_do_load(entry);
 	mutex_unlock(&y_mutex);
 
 	return ret;
"""
    assert run(early_exit_skips_release, make_series(make_patch(diff))) == []


REORDERED = """\
diff --git a/drivers/devfreq/y-bus.c b/drivers/devfreq/y-bus.c
--- a/drivers/devfreq/y-bus.c
+++ b/drivers/devfreq/y-bus.c
@@ -399,18 +399,18 @@ static int y_bus_probe(struct platform_device *pdev)
 	bus->dev = &pdev->dev;
 	platform_set_drvdata(pdev, bus);
 
-	ret = y_bus_parse_of(np, bus);
-	if (ret < 0)
-		return ret;
-
 	profile = devm_kzalloc(dev, sizeof(*profile), GFP_KERNEL);
-	if (!profile) {
-		ret = -ENOMEM;
-		goto err;
-	}
+	if (!profile)
+		return -ENOMEM;
+
+	ret = y_bus_parse_of(np, bus);
+	if (ret < 0)
+		return ret;
 
 	return 0;
 err:
 	regulator_disable(bus->regulator);
 	return ret;
 }
"""


def test_a_goto_replaced_where_the_acquisition_moved_below() -> None:
    # y_bus_parse_of() (which enables the regulator) now runs after the
    # allocation: where the new return leaves, nothing is enabled yet.
    assert run(early_exit_skips_release, make_series(make_patch(REORDERED))) == []
    kept = REORDERED.replace(
        "+\n+\tret = y_bus_parse_of(np, bus);\n+\tif (ret < 0)\n+\t\treturn ret;\n", ""
    ).replace("@@ -399,18 +399,18 @@", "@@ -399,18 +399,14 @@")
    hits = run(early_exit_skips_release, make_series(make_patch(kept)))
    assert [h.symbol for h in hits] == ["regulator_disable"]


DEVRES = """\
diff --git a/drivers/power/supply/y_hwmon.c b/drivers/power/supply/y_hwmon.c
--- a/drivers/power/supply/y_hwmon.c
+++ b/drivers/power/supply/y_hwmon.c
@@ -10,0 +11,20 @@ struct y;
+int y_add_hwmon(struct y_supply *psy)
+{
+	struct device *dev = &psy->dev;
+	int ret;
+
+	if (!devres_open_group(dev, y_add_hwmon, GFP_KERNEL))
+		return -ENOMEM;
+
+	ret = y_hwmon_setup(psy);
+	if (ret)
+		goto error;
+
+	devres_close_group(dev, y_add_hwmon);
+	return 0;
+error:
+	devres_release_group(dev, NULL);
+	return ret;
+}
+
+int y_other(void)
"""


def test_a_group_opened_is_released_by_its_release_call() -> None:
    # devres_release_group() undoes devres_open_group() on the error path
    assert run(early_exit_skips_release, make_series(make_patch(DEVRES))) == []
    leak = DEVRES.replace("\tdevres_release_group(dev, NULL);\n", "\ty_log(dev);\n")
    hits = run(early_exit_skips_release, make_series(make_patch(leak)))
    assert [h.symbol for h in hits] == ["devres_close_group"]


HANDED = """\
diff --git a/drivers/cpufreq/y-cpufreq.c b/drivers/cpufreq/y-cpufreq.c
--- a/drivers/cpufreq/y-cpufreq.c
+++ b/drivers/cpufreq/y-cpufreq.c
@@ -10,0 +11,20 @@ struct y;
+static int y_probe(struct platform_device *pdev)
+{
+	struct y_drv *drv;
+	int ret;
+
+	drv = kzalloc(sizeof(*drv), GFP_KERNEL);
+	if (!drv)
+		return -ENOMEM;
+	drv->tables = kcalloc(4, sizeof(*drv->tables), GFP_KERNEL);
+	if (!drv->tables) {
+		ret = -ENOMEM;
+		goto free_drv;
+	}
+	platform_set_drvdata(pdev, drv);
+	return 0;
+free_drv:
+	kfree(drv);
+	return ret;
+}
+
"""


def test_an_object_handed_over_with_the_structure_it_hangs_off() -> None:
    hits = run(early_exit_skips_release, make_series(make_patch(HANDED)))
    assert [h.symbol for h in hits if "tables" in h.message] == []


PUD = """\
diff --git a/arch/y/mm/pgd.c b/arch/y/mm/pgd.c
--- a/arch/y/mm/pgd.c
+++ b/arch/y/mm/pgd.c
@@ -10,0 +11,16 @@ struct y;
+pgd_t *y_pgd_alloc(struct mm_struct *mm, pgd_t *new_pgd)
+{
+	pud_t *new_pud;
+
+	new_pud = pud_alloc(mm, new_pgd, 0);
+	if (!new_pud)
+		return NULL;
+	if (y_setup(mm))
+		return NULL;
+	pud_free(mm, new_pud);
+	return new_pgd;
+}
+
+int y_other(void)
+{
+}
"""


def test_an_allocator_takes_its_result_not_its_first_argument() -> None:
    [hit] = run(early_exit_skips_release, make_series(make_patch(PUD)))
    assert "leaves new_pud taken by pud_alloc()" in hit.message
    assert "pud_free(mm)" in hit.message or "pud_free(" in hit.message


def test_passing_the_structure_does_not_hand_over_its_lock() -> None:
    diff = """\
diff --git a/drivers/power/supply/y_charger.c b/drivers/power/supply/y_charger.c
--- a/drivers/power/supply/y_charger.c
+++ b/drivers/power/supply/y_charger.c
@@ -10,0 +11,15 @@ struct y;
+static int y_set_otg(struct y_charger *charger)
+{
+	int ret;
+
+	mutex_lock(&charger->lock);
+	ret = regmap_update_bits(charger->regmap, Y_CTRL, Y_MASK, 1);
+	if (ret)
+		return -EINVAL;
+	mutex_unlock(&charger->lock);
+	return 0;
+}
+
+static int y_other(void)
+{
+}
"""
    hits = run(early_exit_skips_release, make_series(make_patch(diff)))
    assert [h.symbol for h in hits] == ["mutex_unlock"]


def test_a_rewritten_return_after_an_unchanged_lock_is_not_new() -> None:
    diff = """\
diff --git a/drivers/devfreq/y.c b/drivers/devfreq/y.c
--- a/drivers/devfreq/y.c
+++ b/drivers/devfreq/y.c
@@ -254,7 +254,7 @@ static struct y_governor *y_request_governor(const char *name)
 		/* Restore previous state before return */
 		mutex_lock(&y_list_lock);
 		if (err)
-			return NULL;
+			return ERR_PTR(err);
 
 		governor = y_find_governor(name);
 	}
"""
    assert run(early_exit_skips_release, make_series(make_patch(diff))) == []


def test_a_status_code_from_a_lookalike_function_holds_no_reference() -> None:
    diff = """\
diff --git a/drivers/memory/y-dmc.c b/drivers/memory/y-dmc.c
--- a/drivers/memory/y-dmc.c
+++ b/drivers/memory/y-dmc.c
@@ -10,0 +11,14 @@ struct y;
+static int y_dmc_probe(struct platform_device *pdev)
+{
+	int ret;
+
+	ret = of_get_dram_timings(pdev);
+	if (ret)
+		goto remove_clocks;
+	return 0;
+remove_clocks:
+	y_clocks_off(pdev);
+	return ret;
+}
+
+static int y_other(void)
"""
    assert run(early_exit_skips_release, make_series(make_patch(diff))) == []


def test_value_getters_of_reference_families_take_nothing() -> None:
    from reviewpatch.rules.c.pairs import by_result, is_acquire, known_pair

    for name in ("of_get_child_by_name", "of_find_node_by_name", "of_get_cpu_node"):
        assert known_pair(name) and by_result(name) and is_acquire(name), name
    for name in (
        "of_get_available_child_count",
        "of_get_child_count",
        "of_find_property",
        "of_get_mac_address",
        "of_get_named_gpio",
        "fwnode_get_phy_mode",
        "power_supply_get_battery_info",  # devres owns its memory
    ):
        assert not known_pair(name) and not by_result(name) and not is_acquire(name), name


MOVED_FILE = """\
diff --git a/drivers/cpufreq/foo_old.c b/drivers/cpufreq/foo_old.c
deleted file mode 100644
index 1111111..0000000
--- a/drivers/cpufreq/foo_old.c
+++ /dev/null
@@ -1,16 +0,0 @@
-static int foo_get_table(struct device *dev, struct foo *foo)
-{
-	int ret;
-
-	ret = dev_pm_opp_init_cpufreq_table(dev, &foo->table);
-	if (ret)
-		return ret;
-
-	foo->clk = clk_get(dev, NULL);
-	if (!IS_ERR(foo->clk))
-		return 0;
-
-	ret = PTR_ERR(foo->clk);
-	dev_pm_opp_free_cpufreq_table(dev, &foo->table);
-	return ret;
-}
diff --git a/drivers/cpufreq/foo.c b/drivers/cpufreq/foo.c
index 2222222..3333333 100644
--- a/drivers/cpufreq/foo.c
+++ b/drivers/cpufreq/foo.c
@@ -10,0 +11,16 @@ static int foo_probe(struct device *dev)
+static int foo_get_table(struct device *dev, struct foo *foo)
+{
+	int ret;
+
+	ret = dev_pm_opp_init_cpufreq_table(dev, &foo->table);
+	if (ret)
+		return ret;
+
+	foo->clk = clk_get(dev, NULL);
+	if (!IS_ERR(foo->clk))
+		return 0;
+
+	ret = PTR_ERR(foo->clk);
+	dev_pm_opp_free_cpufreq_table(dev, &foo->table);
+	return ret;
+}
"""


def test_a_function_moved_unchanged_to_another_file_is_not_new_code() -> None:
    # a driver merged into another file: the success return that keeps the
    # table was there before; nothing of the function is the patch's doing
    from reviewpatch.diff import parse_diff

    patch = make_patch(MOVED_FILE, "cpufreq: merge foo_old into foo")
    patch = dataclasses.replace(patch, files=parse_diff(MOVED_FILE, 1))  # a deleted file
    assert run(early_exit_skips_release, make_series(patch)) == []
    # the same function written new does draw the finding
    new_only = MOVED_FILE[MOVED_FILE.index("diff --git a/drivers/cpufreq/foo.c") :]
    assert run(early_exit_skips_release, make_series(make_patch(new_only))) != []


LOCK_GAP = """\
diff --git a/drivers/cpufreq/foo-cpufreq.c b/drivers/cpufreq/foo-cpufreq.c
--- a/drivers/cpufreq/foo-cpufreq.c
+++ b/drivers/cpufreq/foo-cpufreq.c
@@ -304,6 +304,7 @@ static int foo_reboot_notifier(struct notifier_block *this,
 {
 	struct foo_data *foo = &foo_cpufreq;
 	int ret;
+	struct cpufreq_policy *policy;
 
 	mutex_lock(&foo_lock);
 
@@ -318,7 +319,16 @@ static int foo_reboot_notifier(struct notifier_block *this,
 	 */
 	if (foo->is_dvs) {
 		pr_debug("cpufreq: leave dvs on reboot\\n");
-		ret = cpufreq_driver_target(cpufreq_cpu_get(0), FREQ_SLEEP, 0);
+
+		policy = cpufreq_cpu_get(0);
+		if (!policy) {
+			pr_debug("cpufreq: get no policy for cpu0\\n");
+			return NOTIFY_BAD;
+		}
+
+		ret = cpufreq_driver_target(policy, FREQ_SLEEP, 0);
+		cpufreq_cpu_put(policy);
+
 		if (ret < 0)
 			return NOTIFY_BAD;
 	}
"""


def test_unchanged_return_beside_the_new_one_after_a_hidden_gap() -> None:
    # The lock is taken in the first hunk; the second hunk's unchanged
    # "return NOTIFY_BAD" leaves as the new one does: either the hidden
    # lines between the hunks release it, or the function already leaves
    # holding it.  Not the patch's doing.
    assert run(early_exit_skips_release, make_series(make_patch(LOCK_GAP))) == []


SETTER_ZERO = """\
diff --git a/drivers/remoteproc/foo.c b/drivers/remoteproc/foo.c
--- a/drivers/remoteproc/foo.c
+++ b/drivers/remoteproc/foo.c
@@ -10,3 +10,17 @@ struct foo;
 
 #include <linux/pm_domain.h>
 
+static int foo_pds_enable(struct foo *foo)
+{
+	struct device *dev = foo->dev;
+
+	dev_pm_genpd_set_performance_state(dev, INT_MAX);
+	return pm_runtime_resume_and_get(dev);
+}
+
+static void foo_pds_disable(struct foo *foo)
+{
+	struct device *dev = foo->dev;
+
+	dev_pm_genpd_set_performance_state(dev, 0);
+}
"""


def test_a_setter_given_zero_in_the_partner_clears_what_it_set() -> None:
    from reviewpatch.rules.c.set_clear import set_clear_asymmetry

    hits = run(set_clear_asymmetry, make_series(make_patch(SETTER_ZERO)))
    assert not [h for h in hits if "INT_MAX" in h.message]


KFPU_END = """\
diff --git a/arch/loongarch/kernel/kfpu.c b/arch/loongarch/kernel/kfpu.c
new file mode 100644
--- /dev/null
+++ b/arch/loongarch/kernel/kfpu.c
@@ -0,0 +1,11 @@
+void kernel_fpu_end(void)
+{
+	if (!this_cpu_read(in_kernel_fpu))
+		return;
+
+	if (!is_fpu_owner())
+		disable_fpu();
+
+	this_cpu_write(in_kernel_fpu, false);
+	preempt_enable();
+}
"""


def test_a_release_helper_shown_whole_may_return_before_releasing() -> None:
    # nothing above the return takes what preempt_enable() gives back: the
    # caller holds it, and the function's own test says whether to release
    assert run(early_exit_skips_release, make_series(make_patch(KFPU_END))) == []


GET_IF_ACTIVE = """\
diff --git a/drivers/clk/clk.c b/drivers/clk/clk.c
--- a/drivers/clk/clk.c
+++ b/drivers/clk/clk.c
@@ -338,13 +338,8 @@ static bool clk_core_is_enabled(struct clk_core *core)
 	 * to call it from other places.
 	 */
-	if (core->rpm_enabled) {
-		pm_runtime_get_noresume(core->dev);
-		if (!pm_runtime_active(core->dev)) {
-			ret = false;
-			goto done;
-		}
-	}
+	if (clk_pm_runtime_get_if_active(core))
+		return false;
 
 	/*
 	 * This could be called with the enable lock held, or from atomic
@@ -359,8 +354,7 @@ static bool clk_core_is_enabled(struct clk_core *core)
 
 	ret = core->ops->is_enabled(core->hw);
 done:
-	if (core->rpm_enabled)
-		pm_runtime_put(core->dev);
+	clk_pm_runtime_put(core);
 
 	return ret;
 }
"""


def test_a_return_on_the_acquisitions_own_outcome_replaces_a_goto() -> None:
    assert run(early_exit_skips_release, make_series(make_patch(GET_IF_ACTIVE))) == []


THAW = """\
diff --git a/kernel/freezer.c b/kernel/freezer.c
--- a/kernel/freezer.c
+++ b/kernel/freezer.c
@@ -198,14 +198,10 @@ static int __restore_freezer_state(struct task_struct *p, void *arg)
 void __thaw_task(struct task_struct *p)
 {
-	unsigned long flags, flags2;
+	unsigned long flags;
 
 	spin_lock_irqsave(&freezer_lock, flags);
 	if (WARN_ON_ONCE(freezing(p)))
 		goto unlock;
 
-	if (lock_task_sighand(p, &flags2)) {
-		bool ret = task_call_func(p, __set_task_special, NULL);
-		unlock_task_sighand(p, &flags2);
-		if (ret)
-			goto unlock;
-	}
+	if (task_call_func(p, __restore_freezer_state, NULL))
+		goto unlock;
 
 	wake_up_state(p, TASK_FROZEN);
 unlock:
"""


def test_a_goto_to_a_label_whose_code_the_diff_does_not_show() -> None:
    # "unlock:" ends the hunk: what follows it is not shown, and an
    # unchanged goto to it already leaves the same way
    assert run(early_exit_skips_release, make_series(make_patch(THAW))) == []


TRYLOCK_RETRY = """\
diff --git a/drivers/cpufreq/qcom-cpufreq-hw.c b/drivers/cpufreq/qcom-cpufreq-hw.c
--- a/drivers/cpufreq/qcom-cpufreq-hw.c
+++ b/drivers/cpufreq/qcom-cpufreq-hw.c
@@ -283,6 +283,19 @@ static void qcom_lmh_dcvs_notify(struct qcom_cpufreq_data *data)
 	struct dev_pm_opp *opp;
 	unsigned int freq;
 
+retry:
+	if (unlikely(!down_read_trylock(&policy->rwsem))) {
+		mutex_lock(&data->throttle_lock);
+		if (data->cancel_throttle) {
+			mutex_unlock(&data->throttle_lock);
+			return;
+		}
+
+		mutex_unlock(&data->throttle_lock);
+		schedule();
+		goto retry;
+	}
 	/*
 	 * Get the h/w throttled frequency, normalize it using the
 	 * registered opp table and use it to calculate thermal pressure.
@@ -318,7 +331,7 @@ static void qcom_lmh_dcvs_notify(struct qcom_cpufreq_data *data)
 				 msecs_to_jiffies(10));
 
 out:
-	mutex_unlock(&data->throttle_lock);
+	up_read(&policy->rwsem);
 }
 
"""


def test_a_return_inside_the_branch_of_a_failed_trylock() -> None:
    hits = run(early_exit_skips_release, make_series(make_patch(TRYLOCK_RETRY)))
    assert not [h for h in hits if "rwsem" in h.message]
