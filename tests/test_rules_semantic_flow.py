"""Tests of the RP30x control-flow rules on the fixture mails, in hunk mode
and with a stand-in kernel tree."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest
from faketree import StubTree

from reviewpatch.csource import analyse_series
from reviewpatch.findings import Severity
from reviewpatch.mail import read_mails
from reviewpatch.model import Series
from reviewpatch.rules import semantic_flow
from reviewpatch.rules.explain import is_explained
from reviewpatch.rules.registry import Hit, RuleContext, specs_in
from reviewpatch.series import assemble_series

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "fixtures" / "rules"
SEED = RULES / "gated-callee-side-effects" / "bad-seed-v16-11.mbox"
REAL = ROOT.parent / "shared" / "real-threads"


def _series(path: Path) -> Series:
    mails, _problems = read_mails(path.read_bytes(), path.name)
    return assemble_series(mails)


def _run(series: Series, tree: object = None) -> list[tuple[str, Severity, bool, Hit]]:
    code = analyse_series(series, tree)
    out = []
    for patch in series.patches:
        for spec in specs_in(semantic_flow):
            for hit in spec.run(RuleContext(series, patch, {}, code)):
                explained = is_explained(patch.message, hit.symbol)
                out.append((spec.id, hit.severity or spec.severity, explained, hit))
    return out


def test_seed_results_in_hunk_mode() -> None:
    hits = _run(_series(SEED))
    assert not [h for rid, _, _, h in hits if rid == "RP301"], "rseq_syscall() stays unconditional"
    rp302 = [(sev, ex, h) for rid, sev, ex, h in hits if rid == "RP302"]
    audit = [h for _, ex, h in rp302 if h.symbol == "audit_syscall_exit" and ex]
    assert len(audit) == 1
    msg = audit[0].message
    for flag in (
        "_TIF_SYSCALL_TRACE",
        "_TIF_SYSCALL_AUDIT",
        "_TIF_SYSCALL_TRACEPOINT",
        "_TIF_SINGLESTEP",
    ):
        assert flag in msg
    assert "only part of syscall_exit_work()" in msg
    kinds = {e.kind for e in audit[0].evidence}
    assert {"-", "+"} <= kinds
    assert any(sev is Severity.NOTE and h.symbol == "syscall_exit_work" for sev, _, h in rp302)
    rp303 = [(sev, h.symbol) for rid, sev, _, h in hits if rid == "RP303"]
    assert rp303 == [(Severity.NOTE, "_TIF_SYSCALL_TRACE")]
    assert not [h for rid, _, _, h in hits if rid == "RP304"]


class _Tree(StubTree):
    """A stand-in kernel tree that only knows some definitions."""

    def __init__(
        self, defs: dict[str, str], refs: dict[str, tuple[tuple[str, int, str], ...]] | None = None
    ) -> None:
        self.defs = defs
        self.refs = refs or {}

    def find_definition(self, name: str) -> tuple[str, str] | None:
        text = self.defs.get(name)
        return ("arch/arm64/kernel/ptrace.c", text) if text else None

    def grep(self, name: str) -> tuple[tuple[str, int, str], ...]:
        return self.refs.get(name, ())


EXIT_WORK = """void syscall_exit_work(struct pt_regs *regs, unsigned long flags)
{
	audit_syscall_exit(regs);

	if (flags & _TIF_SYSCALL_TRACEPOINT)
		trace_sys_exit(regs, regs->regs[0]);

	if (flags & (_TIF_SYSCALL_TRACE | _TIF_SINGLESTEP))
		report_syscall(regs, PTRACE_SYSCALL_EXIT);
}
"""


def test_seed_in_tree_mode_is_settled() -> None:
    hits = _run(_series(SEED), _Tree({"syscall_exit_work": EXIT_WORK}))
    assert not [h for rid, _, _, h in hits if rid in ("RP301", "RP303", "RP304")]
    rp302 = [(ex, h.symbol) for rid, _, ex, h in hits if rid == "RP302"]
    assert rp302 == [(True, "audit_syscall_exit")]


def test_seed_without_singlestep_in_guard_is_an_error_in_tree_mode() -> None:
    text = SEED.read_text().replace(" || flags & _TIF_SINGLESTEP)", ")")
    path = SEED.parent / "never-written.mbox"
    mails, _ = read_mails(text.encode(), path.name)
    separate = EXIT_WORK.replace("(_TIF_SYSCALL_TRACE | _TIF_SINGLESTEP)", "_TIF_SYSCALL_TRACE")
    separate = separate.replace("\n}\n", "\n\tif (flags & _TIF_SINGLESTEP)\n\t\tstep(regs);\n}\n")
    defs = {"syscall_exit_work": separate}
    gated = ("arch/arm64/include/asm/syscall.h", 88, "\t\tsyscall_exit_work(regs, flags);")
    proto = ("arch/arm64/include/asm/syscall.h", 72, "void syscall_exit_work(struct pt_regs *r);")
    series = assemble_series(mails)
    hits = _run(series, _Tree(defs, {"syscall_exit_work": (proto, gated)}))
    rp304 = [(sev, h) for rid, sev, _, h in hits if rid == "RP304"]
    assert [(sev, h.symbol) for sev, h in rp304] == [(Severity.ERROR, "_TIF_SINGLESTEP")]
    assert "no longer runs when _TIF_SINGLESTEP is set without any of" in rp304[0][1].message
    # another caller reaches the branch without the guard: only a warning
    other = ("kernel/entry/common.c", 12, "\tsyscall_exit_work(regs, 0);")
    hits = _run(series, _Tree(defs, {"syscall_exit_work": (proto, gated, other)}))
    rp304 = [(sev, h) for rid, sev, _, h in hits if rid == "RP304"]
    assert [(sev, h.symbol) for sev, h in rp304] == [(Severity.WARNING, "_TIF_SINGLESTEP")]
    assert "other ways" in rp304[0][1].message
    # no way to know the other callers: a warning too
    hits = _run(series, _Tree(defs))
    assert [sev for rid, sev, _, _ in hits if rid == "RP304"] == [Severity.WARNING]


CASES = sorted(
    (p.parent.name, p)
    for name in (
        "moved-call-conditional",
        "gated-callee-side-effects",
        "mask-member-unused",
        "gate-misses-flag",
    )
    for p in (RULES / name).glob("*.mbox")
)
IDS = {s.name: s.id for s in specs_in(semantic_flow)}


@pytest.mark.parametrize("rule_name, path", CASES, ids=[f"{r}/{p.name}" for r, p in CASES])
def test_fixture(rule_name: str, path: Path) -> None:
    hits = [h for rid, _, _, h in _run(_series(path)) if rid == IDS[rule_name]]
    if path.name.startswith("bad"):
        assert hits
    else:
        assert not hits, [h.message for h in hits]


def test_moved_call_message_names_both_places() -> None:
    hits = _run(_series(RULES / "moved-call-conditional" / "bad-moved-into-branch.mbox"))
    (hit,) = [h for rid, _, _, h in hits if rid == "RP301"]
    assert "from finish_request() to handle_request()" in hit.message
    assert "REQ_MODE_SYNC" in hit.message and hit.symbol == "unlock_request"
    assert [e.kind for e in hit.evidence[:2]] == ["-", "+"]


@pytest.mark.skipif(not REAL.is_dir(), reason="shared/real-threads not present on this machine")
def test_real_threads_are_quiet_and_fast() -> None:
    for path in sorted(REAL.glob("*.mbox.gz")):
        mails, _ = read_mails(gzip.decompress(path.read_bytes()), path.name)
        series = assemble_series(mails)
        start = time.perf_counter()
        hits = _run(series)
        assert time.perf_counter() - start < 2.0, path.name
        loud = [h.message for rid, sev, ex, h in hits if sev is not Severity.NOTE and not ex]
        assert not loud, (path.name, loud)
