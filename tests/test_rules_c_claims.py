"""RP308 (no-functional-change claims) and RP309 (claimed changes the diff
does not make), on patches built from diff text, plus the real threads."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest
from test_rules_c_symbols import _seed_v16_diff, make_patch, make_series, run

from reviewpatch.csource import analyse_series
from reviewpatch.findings import Severity
from reviewpatch.rules.c.change_claims import claims
from reviewpatch.rules.c.claimed_change import claimed_change_missing
from reviewpatch.rules.c.claims import nfc_claim
from reviewpatch.rules.c.nfc_claim import nfc_claim_changes_behaviour
from reviewpatch.rules.registry import RuleContext

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-threads"
SEED_MESSAGE = """\
Streamline syscall_exit_to_user_mode_work().

1. Unconditional RSEQ Execution: Relocate rseq_syscall() from the slow-path
   helper to the very beginning of syscall_exit_to_user_mode_work().

2. Centralized Exit Work Gating: Introduce the `_TIF_SYSCALL_EXIT_WORK`
   mask to aggregate exit thread flags and gate the execution of
   syscall_exit_work().

[Changes]
- Introduce the `_TIF_SYSCALL_EXIT_WORK` mask to bundle exit-specific
  flags.

- Relocate rseq_syscall() to run unconditionally on the outermost layer.

No functional changes intended.
"""
MASK = """\
diff --git a/arch/arm64/include/asm/thread_info.h b/arch/arm64/include/asm/thread_info.h
--- a/arch/arm64/include/asm/thread_info.h
+++ b/arch/arm64/include/asm/thread_info.h
@@ -112,3 +112,6 @@ void arch_setup_new_exec(void);
 				 _TIF_SYSCALL_EMU)
 
+#define _TIF_SYSCALL_EXIT_WORK	(_TIF_SYSCALL_TRACE | _TIF_SYSCALL_AUDIT | \\
+				 _TIF_SYSCALL_TRACEPOINT)
+
 #ifdef CONFIG_SHADOW_CALL_STACK
"""


def _code_run(func, series):
    code = analyse_series(series)
    return [h for p in series.patches for h in func(RuleContext(series, p, {}, code))]


def test_nfc_claim_phrases():
    claim = nfc_claim("No functional changes intended.")
    assert claim is not None and claim.phrase == "No functional changes"
    assert claim.sentence == "No functional changes intended."
    assert nfc_claim("This is a pure refactor.")
    nfc = nfc_claim("NFC.")
    assert nfc is not None and nfc.phrase == "NFC"
    assert nfc_claim("no behaviour\nchange") is not None
    assert nfc_claim("This is not no functional change.") is None
    assert nfc_claim("Fix the NFC-A polling loop.") is None


def test_seed_gating_under_nfc_claim_fires():
    series = make_series(make_patch(_seed_v16_diff(True) + MASK, SEED_MESSAGE))
    hits = _code_run(nfc_claim_changes_behaviour, series)
    assert [h.symbol for h in hits] == ["syscall_exit_work"]
    assert hits[0].line == 134 and "_TIF_SYSCALL_EXIT_WORK" in hits[0].message


def test_same_change_without_claim_is_quiet():
    series = make_series(make_patch(_seed_v16_diff(True), "Gate syscall_exit_work()."))
    assert _code_run(nfc_claim_changes_behaviour, series) == []


def test_pure_motion_under_nfc_claim_is_quiet():
    diff = (
        _seed_v16_diff(True)
        .replace(
            "+\tif (unlikely(flags & _TIF_SYSCALL_EXIT_WORK) || flags & _TIF_SINGLESTEP)\n"
            "+\t\tsyscall_exit_work(regs, flags);\n",
            "+\tsyscall_exit_work(regs, flags);\n",
        )
        .replace("+128,10 @@", "+128,9 @@")
    )
    series = make_series(make_patch(diff, "Just moves code around. No functional change."))
    assert _code_run(nfc_claim_changes_behaviour, series) == []


def test_seed_claims_are_met():
    series = make_series(make_patch(_seed_v16_diff(True) + MASK, SEED_MESSAGE))
    found = claims(SEED_MESSAGE)
    assert {c.action for c in found} == {"add", "move"}
    assert run(claimed_change_missing, series) == []


def test_claim_parsing_is_conservative():
    text = (
        "A later patch will remove foo_bar().\n\n"
        'Commit 123 ("x: remove baz_qux()") broke it.\n\n'
        "We cannot drop FOO_BAR yet.\n\n"
        "Rename old_name() to new_name() and remove stale_fn().\n"
    )
    got = claims(text)
    assert [(c.action, c.names, c.target) for c in got] == [
        ("rename", ("old_name",), "new_name"),
        ("remove", ("stale_fn",), None),
    ]


def test_claimed_removal_not_in_diff_fires():
    series = make_series(make_patch(MASK, "Remove the unused foo_wait_idle() helper."))
    hits = run(claimed_change_missing, series)
    assert [h.symbol for h in hits] == ["foo_wait_idle"]
    assert "never removes" in hits[0].message


def test_claimed_move_needs_both_sides():
    series = make_series(make_patch(MASK, "Move _TIF_SYSCALL_EXIT_WORK to thread_info.h."))
    hits = run(claimed_change_missing, series)
    assert [h.symbol for h in hits] == ["_TIF_SYSCALL_EXIT_WORK"]


@pytest.mark.parametrize(
    "name", ["initrd-v2", "initrd-v3", "initrd-v4", "ptrace-set-syscall-info-v3-partial"]
)
def test_real_threads_give_no_claim_or_symbol_findings(name):
    path = REAL / f"{name}.mbox.gz"
    if not path.exists():
        pytest.skip(f"real thread {path.name} is not available (shared/real-threads)")
    from reviewpatch.mail import read_mails
    from reviewpatch.rules.c.set_clear import set_clear_asymmetry
    from reviewpatch.rules.c.symbols import (
        moved_call_missing_include,
        removed_symbol_still_used,
    )
    from reviewpatch.series import assemble_series

    mails, _ = read_mails(gzip.decompress(path.read_bytes()), path.name)
    series = assemble_series(tuple(mails))
    rules = (
        claimed_change_missing,
        nfc_claim_changes_behaviour,
        removed_symbol_still_used,
        moved_call_missing_include,
        set_clear_asymmetry,
    )
    for func in rules:
        assert _code_run(func, series) == [], func.__name__


# -- helper extraction, readable conditions, half-done removals ------------------

HELPER = """\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -80,14 +80,21 @@ static void x_handle(struct x *x)
 	x_work(x);
 }
 
+static int x_map(struct platform_device *pdev, struct x *x)
+{
+	x->base = devm_platform_ioremap_resource(pdev, 0);
+	return PTR_ERR_OR_ZERO(x->base);
+}
+
 static int x_probe(struct platform_device *pdev)
 {
 	struct x *x;
+	int ret;
 
 	x = devm_kzalloc(&pdev->dev, sizeof(*x), GFP_KERNEL);
 	if (!x)
 		return -ENOMEM;
-	x->base = devm_platform_ioremap_resource(pdev, 0);
-	if (IS_ERR(x->base))
-		return PTR_ERR(x->base);
+	ret = x_map(pdev, x);
+	if (ret)
+		return ret;
 	x_reset(x);
 	x_start(x);
 	return 0;
"""


def test_helper_extraction_with_checked_result_is_quiet():
    series = make_series(make_patch(HELPER, "Split out x_map().\n\nNo functional change."))
    assert _code_run(nfc_claim_changes_behaviour, series) == []


def test_new_helper_check_that_replaces_nothing_gives_one_note():
    diff = HELPER.replace(
        "+\tx->base = devm_platform_ioremap_resource(pdev, 0);\n+\treturn PTR_ERR_OR_ZERO(x->base);",
        "+\treturn x_check(pdev);",
    )
    diff = diff.replace(
        "-\tx->base = devm_platform_ioremap_resource(pdev, 0);\n-\tif (IS_ERR(x->base))\n"
        "-\t\treturn PTR_ERR(x->base);\n",
        "",
    )
    diff = diff.replace("@@ -80,14 +80,21 @@", "@@ -80,11 +80,17 @@")
    hits = _code_run(
        nfc_claim_changes_behaviour, make_series(make_patch(diff, "No functional change."))
    )
    assert [(h.severity, h.symbol) for h in hits] == [(Severity.NOTE, "x_reset")]
    assert "x_reset() and x_start()" in hits[0].message
    assert "x_check()" in hits[0].message


EARLY = """\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -77,6 +77,9 @@ static void x_handle(struct x *x)
 {
 	unsigned long flags = READ_ONCE(x->flags);
 
+	if (!IS_ERR(x->base) && (flags & X_F_ON))
+		return;
+
 	x_work(x, flags);
 }
"""


def test_added_early_return_is_quoted_as_written():
    hits = _code_run(
        nfc_claim_changes_behaviour, make_series(make_patch(EARLY, "No functional change."))
    )
    assert len(hits) == 1
    msg = hits[0].message
    assert (
        "when flags has X_F_ON and !IS_ERR(x->base), x_work() ran before the patch and no longer"
        " runs" in msg
    )
    nos = [e.new_no for e in hits[0].evidence]
    assert nos == sorted(nos)


HALF = """\
diff --git a/drivers/x/x.c b/drivers/x/x.c
--- a/drivers/x/x.c
+++ b/drivers/x/x.c
@@ -30,12 +30,12 @@
 static void x_step(struct x *x)
 {
 	dev_dbg(x->dev, "step\\n");
 }
 
 void x_exit_work(struct x *x, unsigned long flags)
 {
 	if (flags & X_FLAG_STEP)
-		x_step(x);
+		dev_dbg(x->dev, "step\\n");
 }
 
 int x_enable(struct x *x)
"""


def test_remove_claim_with_only_the_calls_removed_fires_when_the_definition_shows():
    series = make_series(make_patch(HALF, "x_step() only prints; remove x_step() and fold it in."))
    hits = _code_run(claimed_change_missing, series)
    assert (
        len(hits) == 1
        and "only removes calls of x_step(); its definition stays (drivers/x/x.c:30)"
        in hits[0].message
    )
    calls_only = make_series(make_patch(HALF, "Remove the call to x_step() from x_exit_work()."))
    assert _code_run(claimed_change_missing, calls_only) == []
    hidden = HALF.replace("@@ -30,12 +30,12 @@", "@@ -37,5 +37,5 @@").split(" void x_exit_work")[1]
    hidden = (
        HALF.split("@@")[0]
        + "@@ -36,6 +36,6 @@ void x_exit_work(struct x *x, unsigned long flags)\n"
        + hidden.split("\n", 1)[1]
    )
    quiet = make_series(make_patch(hidden, "x_step() only prints; remove x_step() and fold it in."))
    assert _code_run(claimed_change_missing, quiet) == []


# -- regressions: hunk-mode exits, gotos, verbatim quotes ------------------------

EXIT = """\
diff --git a/drivers/y/y_irq.c b/drivers/y/y_irq.c
--- a/drivers/y/y_irq.c
+++ b/drivers/y/y_irq.c
@@ -48,7 +48,10 @@ irqreturn_t y_irq(int irq, void *data)
 	}
 
 	writel(status, y->ack);
+	if (y->state != Y_RUNNING)
+		goto out;
 	y_process(y, status);
+out:
 	spin_unlock_irqrestore(&y->lock, flags);
 
 	return IRQ_HANDLED;
"""


def test_rp308_new_early_exit_in_hunk_mode_names_only_what_it_skips():
    series = make_series(make_patch(EXIT, "Tidy up.\n\nNo functional change."))
    hits = _code_run(nfc_claim_changes_behaviour, series)
    assert len(hits) == 1 and hits[0].symbol == "y_process"
    assert '"No functional change."' in hits[0].message
    assert "spin_unlock_irqrestore" not in hits[0].message
    assert hits[0].mail_line is not None


def test_rp308_error_check_of_new_code_is_only_a_note():
    """What y_check(), newly called and not shown, returns is unseen code."""
    diff = EXIT.replace("+\tif (y->state != Y_RUNNING)\n", "+\tret = y_check(y);\n+\tif (ret)\n")
    diff = diff.replace("@@ -48,7 +48,10 @@", "@@ -48,7 +48,11 @@")
    series = make_series(make_patch(diff, "No functional change."))
    hits = _code_run(nfc_claim_changes_behaviour, series)
    assert [(h.severity, h.symbol) for h in hits] == [(Severity.NOTE, "y_process")]
    assert "what y_check(), which the patch newly calls, returns" in hits[0].message


def test_rp308_quotes_a_qualified_claim_whole_and_respects_its_config():
    gate = EXIT.replace("y->state != Y_RUNNING", "!IS_ENABLED(CONFIG_Y_FAST)")
    msg = "No functional change for CONFIG_Y_FAST=y."
    assert _code_run(nfc_claim_changes_behaviour, make_series(make_patch(gate, msg))) == []
    msg = "No functional change on arm64."
    hits = _code_run(nfc_claim_changes_behaviour, make_series(make_patch(EXIT, msg)))
    assert len(hits) == 1 and '"No functional change on arm64."' in hits[0].message
    assert hits[0].confidence is not None and hits[0].confidence.name == "LOW"


def test_rp309_quotes_the_body_verbatim_with_its_mail_line():
    body = "Some context first.\n\nRemove y_old() and print the status\nin hex.\n"
    patch = make_patch(EXIT, body, title="y: remove y_old()")
    patch = replace(patch, mail=replace(patch.mail, body=body + "---\n" + EXIT))
    hits = run(claimed_change_missing, make_series(patch))
    assert len(hits) == 1
    assert '"Remove y_old() and print the status in hex."' in hits[0].message
    assert hits[0].mail_line == 3 and hits[0].evidence[0].mail_line == 3


def test_rp309_subject_claim_quotes_the_subject_without_a_mail_line():
    patch = make_patch(EXIT, "Tidy up.", title="y: remove y_old()")
    hits = run(claimed_change_missing, make_series(patch))
    assert len(hits) == 1
    assert hits[0].message.startswith('the subject says "y: remove y_old()", but')
    assert hits[0].mail_line is None


CONFIG_SWAP = """\
diff --git a/drivers/video/fbdev/core/fbmon.c b/drivers/video/fbdev/core/fbmon.c
--- a/drivers/video/fbdev/core/fbmon.c
+++ b/drivers/video/fbdev/core/fbmon.c
@@ -1480,17 +1480,19 @@ int fb_validate_mode(const struct fb_var_screeninfo *var, struct fb_info *info)
 		-EINVAL : 0;
 }
 
-#if defined(CONFIG_FIRMWARE_EDID) && defined(CONFIG_X86)
+#if defined(CONFIG_FIRMWARE_EDID)
 const unsigned char *fb_firmware_edid(struct fb_info *info)
 {
 	unsigned char *edid = NULL;
 
+#if defined(CONFIG_ARCH_HAS_EDID_INFO)
 	/*
 	 * We need to ensure that the EDID block is only
 	 * returned for the primary graphics adapter.
 	 */
 	if (fb_is_primary_device(info))
 		edid = edid_info.dummy;
+#endif
 
 	return edid;
 }
"""


def test_rp308_one_config_option_tested_in_place_of_another_is_a_note():
    """Whether CONFIG_ARCH_HAS_EDID_INFO can differ from CONFIG_X86 is
    Kconfig's to say; the function's own ``#if`` counts, and the call is
    not also counted in the end of fb_validate_mode() the hunk starts in."""
    msg = "Guard usage of edid_info with CONFIG_ARCH_HAS_EDID_INFO instead\nof CONFIG_X86. No functional changes.\n"
    hits = _code_run(nfc_claim_changes_behaviour, make_series(make_patch(CONFIG_SWAP, msg)))
    assert [(h.severity, h.symbol) for h in hits] == [(Severity.NOTE, "fb_is_primary_device")]
    assert "CONFIG_ARCH_HAS_EDID_INFO can differ from CONFIG_X86" in hits[0].message
    assert "Kconfig decides" in hits[0].message


def test_rp308_a_config_option_dropped_from_a_function_s_if_is_a_note():
    """Only one option, and no other in its place: the function and its
    calls now exist where they did not, but whether anything calls it
    there (or a stub) is its callers' to say."""
    diff = (
        CONFIG_SWAP.replace("+#if defined(CONFIG_ARCH_HAS_EDID_INFO)\n", "")
        .replace("+#endif\n", "")
        .replace("@@ -1480,17 +1480,19 @@", "@@ -1480,17 +1480,17 @@")
    )
    hits = _code_run(
        nfc_claim_changes_behaviour, make_series(make_patch(diff, "No functional change."))
    )
    assert [(h.severity, h.symbol) for h in hits] == [(Severity.NOTE, "fb_is_primary_device")]
    assert "CONFIG_X86 is disabled" in hits[0].message and "now runs" in hits[0].message
    assert "changes the #if that fb_firmware_edid() is built under" in hits[0].message


def test_rp308_ignores_a_claim_in_a_changelog():
    """ "Changes since v2: * No functional changes." speaks of v3 against
    v2, not of the change."""
    series = make_series(
        make_patch(EXIT, "Tidy up.\n\nChanges since v2:\n * Rebased.\n * No functional changes.\n")
    )
    assert _code_run(nfc_claim_changes_behaviour, series) == []
    cover = make_patch("", "Tidy up.\n\nChanges since v2:\n * No functional changes.\n", index=0)
    series = replace(make_series(make_patch(EXIT, "Tidy up.")), cover=cover)
    assert _code_run(nfc_claim_changes_behaviour, series) == []
    cover = make_patch("", "Tidy up the driver. No functional changes.\n", index=0)
    series = replace(make_series(make_patch(EXIT, "Tidy up.")), cover=cover)
    assert [h.symbol for h in _code_run(nfc_claim_changes_behaviour, series)] == ["y_process"]


def test_rp308_a_claim_that_opens_on_its_condition_is_a_note():
    msg = "If y_check() is not defined, there is no functional change."
    hits = _code_run(nfc_claim_changes_behaviour, make_series(make_patch(EXIT, msg)))
    assert [h.severity for h in hits] == [Severity.NOTE]
    assert "limited to a case" in hits[0].message


def test_always_about_another_call_in_the_sentence_is_no_claim():
    from reviewpatch.rules.c.claims import read_claims

    msg = (
        "This causes the governor to always take the full overhead of\n"
        "get_typical_interval() with the assumption that the cost will be\n"
        "amortized by skipping the tick_nohz_get_sleep_length() call.\n"
    )
    kinds = [(c.kind, c.symbol) for c in read_claims(msg, ["tick_nohz_get_sleep_length"])]
    assert ("always", "tick_nohz_get_sleep_length") not in kinds
    plain = "Call tick_nohz_get_sleep_length() unconditionally at the start.\n"
    kinds = [(c.kind, c.symbol) for c in read_claims(plain, ["tick_nohz_get_sleep_length"])]
    assert ("always", "tick_nohz_get_sleep_length") in kinds


def test_a_reason_naming_the_call_and_a_constant_of_the_case_explains_it():
    from reviewpatch.rules.c.claims import explanation

    msg = (
        "Because calling foo_sleep_length() costs more now, compute the\n"
        "prediction first; if it is above RESIDENCY_THRESHOLD_NS, call it.\n"
    )
    assert explanation(msg, "foo_sleep_length", ["RESIDENCY_THRESHOLD_NS >= predicted"])
    assert explanation(msg, "foo_sleep_length", ["regs->flags"]) is None


def test_rp308_a_cover_letter_claim_not_about_the_series_is_a_note():
    # "no functional changes introduced by this approach" in a cover may be
    # about one patch of it: the other patches draw a note at most
    cover = make_patch("", "Move to the new API. No functional changes by this approach.\n", 0)
    series = replace(make_series(make_patch(EXIT, "Add a mode.")), cover=cover)
    hits = _code_run(nfc_claim_changes_behaviour, series)
    assert [(h.severity, h.symbol) for h in hits] == [(Severity.NOTE, "y_process")]
    assert hits[0].message.endswith("does not say that the claim covers every patch)")
    cover = make_patch("", "This series has no functional change.\n", index=0)
    series = replace(make_series(make_patch(EXIT, "Add a mode.")), cover=cover)
    hits = _code_run(nfc_claim_changes_behaviour, series)
    assert [(h.severity, h.symbol) for h in hits] == [(None, "y_process")]


MOVED_WITHIN = """\
diff --git a/drivers/misc/y.c b/drivers/misc/y.c
--- a/drivers/misc/y.c
+++ b/drivers/misc/y.c
@@ -10,10 +10,11 @@ static void y_isr(struct y *y)
 static void y_isr(struct y *y)
 {
 	u32 status;
 
-	y_update_avg(y);
 	status = y_read_status(y);
+	if (status & Y_AVG_MASK)
+		y_update_avg(y);
 	if (status & Y_UPPER)
 		y_boost(y);
 	y_ack(y);
 }
"""


def test_rp301_a_call_gated_within_its_function_is_a_note_unless_claimed_unconditional():
    from reviewpatch.rules.c.moved_call import moved_call_conditional

    plain = make_series(make_patch(MOVED_WITHIN, "Update the average only when it moved."))
    hits = _code_run(moved_call_conditional, plain)
    assert [(h.severity, h.symbol) for h in hits] == [(Severity.NOTE, "y_update_avg")]
    claimed = make_series(make_patch(MOVED_WITHIN, "y_update_avg() still runs unconditionally."))
    hits = _code_run(moved_call_conditional, claimed)
    assert [(h.severity, h.symbol) for h in hits] == [(None, "y_update_avg")]


AUDIT_RENAME = """\
diff --git a/kernel/auditsc.c b/kernel/auditsc.c
--- a/kernel/auditsc.c
+++ b/kernel/auditsc.c
@@ -952,7 +952,7 @@ int audit_alloc(struct task_struct *tsk)
 
 	state = audit_filter_task(tsk, &key);
 	if (state == AUDIT_DISABLED) {
-		clear_tsk_thread_flag(tsk, TIF_SYSCALL_AUDIT);
+		clear_task_syscall_work(tsk, SYSCALL_AUDIT);
 		return 0;
 	}
 
@@ -964,7 +964,7 @@ int audit_alloc(struct task_struct *tsk)
 	context->filterkey = key;
 
 	audit_set_context(tsk, context);
-	set_tsk_thread_flag(tsk, TIF_SYSCALL_AUDIT);
+	set_task_syscall_work(tsk, SYSCALL_AUDIT);
 	return 0;
 }
 
"""


def test_a_test_before_a_gap_matches_the_same_test_on_the_other_side():
    # the local tested in the first hunk may be assigned anew in the hidden
    # lines, so the test seen from the second hunk is tied to that region on
    # both sides: audit_set_context() runs in the same cases before and after
    series = make_series(make_patch(AUDIT_RENAME, "Rename the calls. No functional change."))
    assert _code_run(nfc_claim_changes_behaviour, series) == []


def test_a_sentence_saying_the_call_may_now_be_skipped_explains_it() -> None:
    from reviewpatch.rules.c.claims import explanation

    message = (
        "Notice though that there is a functional change here: it's now possible\n"
        "to continue the notifier code without executing raw3270_activate_view().\n"
    )
    assert explanation(message, "raw3270_activate_view", []) is not None
    assert explanation("Call raw3270_activate_view() earlier.", "raw3270_activate_view", []) is None


def test_a_finding_located_in_another_patch_s_lines_is_about_the_patch_as_a_whole():
    """A flow finding of patch 2 whose case lies in a helper an earlier
    patch added (kvm memory caches moved to common code, then used by the
    arm64 and mips patches) is shown on patch 2 without a line, never
    under patch 1's lines."""
    from reviewpatch.flow.analysis import flow_of
    from reviewpatch.rules.c.common import hit_at

    series = make_series(make_patch(_seed_v16_diff(True), SEED_MESSAGE))
    changes = flow_of(analyse_series(series)).changes(1)
    occ = next(o for ch in changes for o in (*ch.new, *ch.old) if o.site is not None)
    here = hit_at(occ, "m", "f", (), patch=1)
    assert (here.patch_index, here.file) == (1, occ.piece.path) and here.line is not None
    there = hit_at(occ, "m", "f", (), patch=2)
    assert (there.patch_index, there.file, there.line, there.mail_line) == (2, None, None, None)
