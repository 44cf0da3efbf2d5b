"""Tests of the C analysis (reviewpatch.csource) on small diffs."""

from __future__ import annotations

import textwrap
from pathlib import Path

from faketree import StubTree

from reviewpatch.csource import NEW, OLD, SeriesCode, analyse_series
from reviewpatch.csource.flowmodel import FlowPiece, Site
from reviewpatch.csource.formula import implies_text
from reviewpatch.csource.prepare import prepare
from reviewpatch.diff import parse_diff
from reviewpatch.model import Mail, Patch, Person, Series, Subject

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "fixtures" / "rules" / "gated-callee-side-effects" / "bad-seed-v16-11.mbox"


def _series(*diffs: str) -> Series:
    who = Person("A", "a@example.org")
    patches = []
    for i, text in enumerate(diffs, start=1):
        mail = Mail(f"m{i}@x", "s", who, "", None, (), text)
        files = parse_diff(text, 1)
        patches.append(
            Patch(
                mail=mail, subject=Subject("s", "s"), index=i, author=who, message="", files=files
            )
        )
    return Series(version=1, total=len(patches), subject="s", cover=None, patches=tuple(patches))


def _seed_series() -> Series:
    text = SEED.read_text()
    return _series(text[text.index("diff --git") :])


def _diff(path: str, header: str, lines: str) -> str:
    body = textwrap.dedent(lines).strip("\n").splitlines()
    old = sum(1 for ln in body if not ln.startswith("+"))
    new = sum(1 for ln in body if not ln.startswith("-"))
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -10,{old} +10,{new} @@ {header}\n"
        + "\n".join(body)
        + "\n"
    )


def _pieces(code: SeriesCode, side: str) -> list[FlowPiece]:
    return [p for fr in code.fragments(side) for p in fr.flows]


def _site(code: SeriesCode, side: str, function: str, callee: str) -> Site:
    for p in _pieces(code, side):
        if p.function == function:
            for s in p.sites:
                if s.callee == callee:
                    return s
    raise AssertionError(f"no {callee}() in {function}() on the {side} side")


def test_seed_enclosing_functions_ignore_hunk_header() -> None:
    code = analyse_series(_seed_series())
    removed = {c.callee: c for c in code.calls_removed()}
    # the ptrace.c hunk header names syscall_trace_enter: the call is in syscall_exit_work
    assert removed["rseq_syscall"].function == "syscall_exit_work"
    assert removed["rseq_syscall"].context_complete
    added = {c.callee: c for c in code.calls_added()}
    assert added["rseq_syscall"].function == "syscall_exit_to_user_mode_work"
    assert _site(code, NEW, "syscall_exit_to_user_mode_work", "rseq_syscall").cond.is_true


def test_seed_guard_is_a_formula_of_flag_bits() -> None:
    code = analyse_series(_seed_series())
    old = _site(code, OLD, "syscall_exit_to_user_mode_work", "syscall_exit_work")
    new = _site(code, NEW, "syscall_exit_to_user_mode_work", "syscall_exit_work")
    assert old.cond.is_true
    text = implies_text(new.cond)
    assert "flags has _TIF_SYSCALL_EXIT_WORK" in text and "flags has _TIF_SINGLESTEP" in text
    assert [g.text for g in new.guards] == [
        "unlikely(flags & _TIF_SYSCALL_EXIT_WORK) || flags & _TIF_SINGLESTEP"
    ]


def test_seed_macro_expanded_and_definitions() -> None:
    code = analyse_series(_seed_series())
    assert code.macro("_TIF_SYSCALL_EXIT_WORK") == (
        "_TIF_SYSCALL_TRACE",
        "_TIF_SYSCALL_AUDIT",
        "_TIF_SYSCALL_TRACEPOINT",
    )
    assert code.macro("_TIF_SYSCALL_EXIT_WORK", OLD) is None
    assert [d.name for d in code.definitions_added()] == ["_TIF_SYSCALL_EXIT_WORK"]
    assert [i.target for i in code.includes(NEW) if i.line.kind == "+"] == ["linux/rseq.h"]
    assert [i.target for i in code.includes(OLD) if i.line.kind == "-"] == ["linux/rseq.h"]


def test_seed_partial_body_of_callee() -> None:
    body = analyse_series(_seed_series()).function_body("syscall_exit_work")
    assert body is not None and not body.complete and body.source == "hunk"
    assert [c.callee for c in body.calls] == ["audit_syscall_exit"]


def test_fragment_inside_function_is_unknown() -> None:
    diff = _diff(
        "a.c",
        "int wrong_guess(void)",
        """
         \tif (x)
         \t\treturn;
        -\tfoo(a);
        +\tbar(a);
         \tdone(a);
        """,
    )
    code = analyse_series(_series(diff))
    (call,) = code.calls_added()
    assert call.function is None and not call.context_complete
    (piece,) = _pieces(code, NEW)
    assert not piece.head_visible and piece.section == "wrong_guess"
    (site,) = [s for s in piece.sites if s.callee == "bar"]
    # reached when the code before the fragment reaches it and x is false
    assert sorted(implies_text(site.cond).split(" && ")) == [
        "!x",
        "the code before line 10 reaches it",
    ]


def test_mask_expanded_across_patches_and_recursively() -> None:
    first = _diff("a.h", "", "+#define MASK_A\t(FLAG_A | \\\n+\t\t FLAG_B)\n context")
    second = _diff("b.h", "", "+#define MASK_ALL\t(MASK_A | FLAG_C)\n context")
    code = analyse_series(_series(first, second))
    assert code.macro("MASK_ALL") == ("FLAG_A", "FLAG_B", "FLAG_C")
    assert code.expand(("MASK_ALL", "OTHER")) == ("FLAG_A", "FLAG_B", "FLAG_C", "OTHER")


def test_conditions_of_kernel_constructs() -> None:
    diff = _diff(
        "a.c",
        "",
        """
         static __always_inline int __init f(unsigned long flags)
         {
        +\tswitch (mode) {
        +\tcase MODE_A:
        +\t\tone();
        +\t\tbreak;
        +\t}
        +\tif (unlikely(flags & F_X) && ready())
        +\t\ttwo();
        +\telse
        +\t\tthree();
        +\tok = check() || four();
        +\tv = c ? five() : six();
         }
         NOKPROBE_SYMBOL(f);
        """,
    )
    code = analyse_series(_series(diff))
    (piece,) = _pieces(code, NEW)
    conds = {s.callee: implies_text(s.cond) for s in piece.sites}
    assert conds["one"] == "mode == MODE_A"
    assert conds["ready"] == "flags has F_X"
    assert conds["two"] in ("flags has F_X && ready()", "ready() && flags has F_X")
    assert conds["three"] == "!(flags has F_X && ready())" or conds["three"] == (
        "!(ready() && flags has F_X)"
    )
    assert conds["four"] == "!check()"
    assert conds["five"] == "c" and conds["six"] == "!c"
    assert {c.function for c in code.calls_added()} == {"f"}


def test_body_first_fragment_uses_header_head() -> None:
    diff = _diff("a.h", "static inline void g(struct s *p)", " {\n-\tfoo(p);\n+\tbar(p);\n }")
    (call,) = analyse_series(_series(diff)).calls_added()
    assert call.function == "g" and call.context_complete


def test_prepare_blanks_orphan_macro_tail_and_attributes() -> None:
    prep = prepare(["\t\t A | \\", "\t\t B)", "", "asmlinkage void noinstr h(void)", "{", "}"])
    lines = prep.text.splitlines()
    assert lines[0].strip() == "" and lines[1].strip() == ""
    assert "asmlinkage" not in prep.text and "noinstr" not in prep.text
    assert prep.offset == 0


class _Tree(StubTree):
    def __init__(self, defs: dict[str, str]) -> None:
        self.defs = defs

    def find_definition(self, name: str) -> tuple[str, str] | None:
        text = self.defs.get(name)
        return ("x.c", text) if text else None


def test_tree_mode_reads_whole_callee_body() -> None:
    body_text = "void syscall_exit_work(struct pt_regs *regs, unsigned long flags)\n{\n\taudit_syscall_exit(regs);\n\tif (flags & _TIF_SINGLESTEP)\n\t\tstep(regs);\n}\n"
    code = analyse_series(_seed_series(), _Tree({"syscall_exit_work": body_text}))
    assert code.tree_mode
    body = code.function_body("syscall_exit_work")
    assert body is not None and body.complete and body.source == "tree"
    assert [c.callee for c in body.calls] == ["audit_syscall_exit", "step"]
