"""Tests of the C analysis (reviewpatch.csource) on small diffs."""

from __future__ import annotations

import textwrap
from pathlib import Path

from faketree import StubTree

from reviewpatch.csource import NEW, OLD, analyse_series
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


def test_seed_enclosing_functions_ignore_hunk_header() -> None:
    code = analyse_series(_seed_series())
    removed = {c.callee: c for c in code.calls_removed()}
    # the ptrace.c hunk header names syscall_trace_enter: the call is in syscall_exit_work
    assert removed["rseq_syscall"].function == "syscall_exit_work"
    assert removed["rseq_syscall"].context_complete
    added = {c.callee: c for c in code.calls_added()}
    assert added["rseq_syscall"].function == "syscall_exit_to_user_mode_work"
    assert added["rseq_syscall"].conditions == ()


def test_seed_move_and_guard_recognised() -> None:
    code = analyse_series(_seed_series())
    moves = [(m.removed.function, m.added.function, m.added.callee) for m in code.moved_calls()]
    assert moves == [("syscall_exit_work", "syscall_exit_to_user_mode_work", "rseq_syscall")]
    guarded = code.guarded_calls()
    assert [g.new.callee for g in guarded] == ["syscall_exit_work"]
    (cond,) = guarded[0].guard
    assert cond.text.startswith("(flags & _TIF_SYSCALL_EXIT_WORK) ||")
    names = [t.names for d in cond.any_of for t in d.tests]
    assert names == [("_TIF_SYSCALL_EXIT_WORK",), ("_TIF_SINGLESTEP",)]


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
    assert [t.text for t in body.tests] == ["flags & _TIF_SYSCALL_TRACEPOINT"]


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
    assert [c.key for c in call.conditions] == ["!early:x"]


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
    keys = {c.callee: [k.key for k in c.conditions] for c in code.calls_added()}
    assert keys["one"] == ["case:MODE_A"]
    assert keys["two"] == ["if:(flags & F_X) && ready()"]
    assert keys["three"] == ["!else:(flags & F_X) && ready()"]
    assert keys["four"] == ["!or:check()"]
    assert keys["five"] == ["ternary:c"] and keys["six"] == ["!ternary:c"]
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
