"""Flag tests through helper functions (reviewpatch.csource.helpers)."""

from __future__ import annotations

from faketree import StubTree

from reviewpatch.csource import SeriesCode
from reviewpatch.csource.facts import build_fragment
from reviewpatch.csource.helpers import branch_is_veto, reach, uses_var
from reviewpatch.csource.views import text_view

CODE = """static bool want(unsigned long f)
{
	if (f & _TIF_EMU)
		return false;
	if (f & _TIF_FORCE)
		return true;
	return f & _TIF_STEP;
}

static void deep(struct pt_regs *regs, unsigned long w)
{
	if (w & _TIF_DEEP)
		do_deep(regs);
}

static void mid(struct pt_regs *regs, unsigned long m)
{
	unsigned long bits = m & ~_TIF_EMU;

	if (bits & _TIF_MID)
		do_mid(regs);
	deep(regs, bits);
}

void work(struct pt_regs *regs, unsigned long flags)
{
	bool step = want(flags);

	if (step)
		report(regs);
	mid(regs, flags);
}
"""


def _bodies() -> dict[str, object]:
    fragment = build_fragment(text_view(CODE, "k.c"))
    return {b.function.name: b for b in fragment.bodies}


def _code() -> SeriesCode:
    """A SeriesCode whose tree knows every function of CODE."""
    bodies = _bodies()

    class Tree(StubTree):
        def find_definition(self, name: str) -> tuple[str, str] | None:
            body = bodies.get(name)
            return ("k.c", "".join(ln.text + "\n" for ln in body.lines)) if body else None  # type: ignore[attr-defined]

    return SeriesCode(patches=(), tree=Tree())


def test_uses_var_matches_the_variable_not_a_member() -> None:
    assert uses_var("flags & MASK", "flags")
    assert uses_var("(u32)flags", "flags")
    assert not uses_var("regs->flags", "regs")
    assert not uses_var("p->flags", "flags")
    assert not uses_var("other", "flags")


def test_veto_branches_are_recognised() -> None:
    want = _bodies()["want"]
    kinds = [(t.text, branch_is_veto(want, t)) for t in want.tests]  # type: ignore[attr-defined]
    assert kinds == [("f & _TIF_EMU", True), ("f & _TIF_FORCE", False)]


def test_reach_follows_two_levels_and_maps_parameters() -> None:
    code = _code()
    work = code.function_body("work")
    assert work is not None
    found = reach(code, work, "flags")
    verdict = found.predicate("step")
    assert verdict is not None and verdict.helper == "want"
    assert set(verdict.names) == {"_TIF_FORCE", "_TIF_STEP"}
    tested = {(u.condition.text, u.via, u.veto) for u in found.uses}
    assert ("bits & _TIF_MID", ("mid",), False) in tested
    assert ("w & _TIF_DEEP", ("mid", "deep"), False) in tested
    assert ("f & _TIF_EMU", ("want",), True) in tested
    assert ("step", (), False) in tested
    assert [n for n, _, _ in found.helpers] == ["want", "mid", "deep"]
