"""RP308 (no-functional-change claims) and RP309 (claimed changes the diff
does not make), on patches built from diff text, plus the real threads."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from test_rules_semantic_symbols import _seed_v16_diff, make_patch, make_series, run

from reviewpatch.csource import analyse_series
from reviewpatch.rules.registry import RuleContext
from reviewpatch.rules.semantic_claims import (
    claimed_change_missing,
    claims,
    nfc_claim,
    nfc_claim_changes_behaviour,
)

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
    assert nfc_claim("No functional changes intended.") == "No functional changes"
    assert nfc_claim("This is a pure refactor.")
    assert nfc_claim("NFC.") == "NFC"
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
    diff = _seed_v16_diff(True).replace(
        "+\tif (unlikely(flags & _TIF_SYSCALL_EXIT_WORK) || flags & _TIF_SINGLESTEP)\n"
        "+\t\tsyscall_exit_work(regs, flags);\n",
        "+\tsyscall_exit_work(regs, flags);\n",
    ).replace("+128,10 @@", "+128,9 @@")
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


@pytest.mark.parametrize("name", ["initrd-v2", "initrd-v3", "initrd-v4", "ptrace-set-syscall-info-v3-partial"])
def test_real_threads_give_no_claim_or_symbol_findings(name):
    path = REAL / f"{name}.mbox.gz"
    if not path.exists():
        pytest.skip(f"real thread {path.name} is not available (shared/real-threads)")
    from reviewpatch.mail import read_mails
    from reviewpatch.rules.semantic_pairs import set_clear_asymmetry
    from reviewpatch.rules.semantic_symbols import (
        moved_call_missing_include,
        removed_symbol_still_used,
    )
    from reviewpatch.series import assemble_series

    mails, _ = read_mails(gzip.decompress(path.read_bytes()), path.name)
    series = assemble_series(tuple(mails))
    rules = (claimed_change_missing, nfc_claim_changes_behaviour, removed_symbol_still_used,
             moved_call_missing_include, set_clear_asymmetry)
    for func in rules:
        assert _code_run(func, series) == [], func.__name__
