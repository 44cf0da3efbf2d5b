"""Path conditions of calls (csource.flowwalk, condexpr, ppcond) and the
formulas they are made of (csource.formula)."""

from __future__ import annotations

import textwrap

from reviewpatch.csource.facts import build_fragment
from reviewpatch.csource.flowmodel import FlowPiece
from reviewpatch.csource.formula import (
    FALSE,
    TRUE,
    AtomKind,
    Formula,
    atom,
    atoms_of,
    conj,
    disj,
    implies_text,
    neg,
    rename_atoms,
    size,
)
from reviewpatch.csource.views import text_view
from reviewpatch.flow.solver import Solver, Verdict


def _piece(code: str) -> FlowPiece:
    pieces = build_fragment(text_view(textwrap.dedent(code), "x.c")).flows
    assert len(pieces) == 1, pieces
    return pieces[0]


def _conds(code: str) -> dict[str, Formula]:
    """callee -> the disjunction of its sites' conditions."""
    out: dict[str, list[Formula]] = {}
    for s in _piece(code).sites:
        out.setdefault(s.callee, []).append(s.cond)
    return {k: disj(*v) for k, v in out.items()}


def _same(a: Formula, b: Formula) -> bool:
    return Solver().compare(a, b).verdict is Verdict.EQUIVALENT


def _a(name: str) -> Formula:
    return atom(AtomKind.COND, name, name)


# -- formulas ---------------------------------------------------------------------


def test_constructors_fold_flatten_and_factor() -> None:
    a, b, c = _a("a"), _a("b"), _a("c")
    assert conj(a, TRUE) == a and conj(a, FALSE) == FALSE and disj(a, TRUE) == TRUE
    assert conj(a, neg(a)) == FALSE and disj(a, neg(a)) == TRUE
    assert neg(neg(a)) == a
    assert conj(conj(a, b), c) == conj(a, conj(b, c)) == conj(c, b, a)
    # (p && c) || (p && !c) is p: an if/else that falls through merges back
    assert disj(conj(a, c), conj(a, neg(c))) == a
    assert disj(conj(a, b), conj(a, c)) == conj(a, disj(b, c))


def test_formulas_of_any_depth_hash_and_compare_without_recursion() -> None:
    f = _a("x0")
    for i in range(1, 5000):
        f = disj(conj(f, _a(f"y{i}")), _a(f"x{i}"))
    g = f
    assert f == g and hash(f) == hash(g)
    assert size(f) > 5000 and len(atoms_of(f)) == 9999
    renamed = rename_atoms(f, lambda a: None)
    assert renamed == f
    assert len(implies_text(f, 100)) <= 100


def test_a_long_conjunction_chain_grows_linearly() -> None:
    rest = TRUE
    for i in range(3000):
        rest = conj(rest, neg(_a(f"c{i}")))
    assert size(rest) < 3 * 3000 + 100


# -- conditions of kernel constructs ----------------------------------------------


def test_if_else_chain_switch_loops_and_short_circuits() -> None:
    c = _conds(
        """
        void f(unsigned long flags, int mode)
        {
        	if (a)
        		one();
        	else if (b)
        		two();
        	else
        		three();
        	switch (mode) {
        	case M_A:
        		four();
        	case M_B:
        		five();
        		break;
        	default:
        		six();
        	}
        	while (more())
        		seven();
        	do {
        		eight();
        	} while (again());
        	ok = check() && nine();
        	v = cond ? ten() : eleven();
        }
        """
    )
    a, b = _a("a"), _a("b")
    assert c["one"] == a and c["two"] == conj(neg(a), b) and c["three"] == conj(neg(a), neg(b))
    case_a = "mode == M_A"
    assert implies_text(c["four"]) == case_a
    assert set(implies_text(c["five"]).split(" || ")) == {case_a, "mode == M_B"}
    assert _same(c["six"], neg(disj(c["four"], atom(AtomKind.CASE, "mode == M_B", "b"))))
    assert implies_text(c["seven"]) == "more()"  # the body runs when the loop condition holds
    assert c["eight"].is_true  # a do-while body runs once
    assert implies_text(c["nine"]) == "check()"
    assert implies_text(c["ten"]) == "cond" and implies_text(c["eleven"]) == "!cond"


def test_early_return_goto_and_labels() -> None:
    c = _conds(
        """
        int f(struct dev *dev)
        {
        	if (!dev)
        		return -EINVAL;
        	ret = prepare(dev);
        	if (ret)
        		goto out;
        	work(dev);
        out:
        	finish(dev);
        	return ret;
        }
        """
    )
    dev = _a("dev")
    assert c["prepare"] == dev
    assert _same(c["work"], conj(dev, neg(atom(AtomKind.COND, "prepare ( dev )", "x"))))
    assert c["finish"] == dev  # reached by falling through or by the goto


def test_an_early_return_is_the_same_as_the_if_it_replaces() -> None:
    before = _conds("void f(void)\n{\n\tif (ready && ok)\n\t\tgo();\n}\n")
    after = _conds(
        "void f(void)\n{\n\tif (!ready)\n\t\treturn;\n\tif (!ok)\n\t\treturn;\n\tgo();\n}\n"
    )
    assert _same(before["go"], after["go"])


def test_bit_tests_are_split_per_flag_and_normalised() -> None:
    c = _conds(
        """
        void f(unsigned long flags, void *p, int n)
        {
        	if (unlikely(flags & (_TIF_A | _TIF_B)))
        		one();
        	if ((flags & _TIF_C) == 0)
        		two();
        	if (p != NULL && n >= 3)
        		three();
        	if (WARN_ON(!p))
        		four();
        	if (IS_ENABLED(CONFIG_FOO))
        		five();
        }
        """
    )
    assert {a.name for a in atoms_of(c["one"])} == {"_TIF_A", "_TIF_B"}
    assert all(a.kind is AtomKind.BIT for a in atoms_of(c["one"]))
    assert implies_text(c["two"]) == "!(flags has _TIF_C)"
    assert sorted(implies_text(c["three"]).split(" && ")) == ["!(n < 3)", "p"]
    assert implies_text(c["four"]) == "!p"
    assert implies_text(c["four"]) == "!p"
    (config,) = atoms_of(c["five"])
    assert config.kind is AtomKind.CONFIG and config.name == "CONFIG_FOO"


def test_preprocessor_blocks_are_atoms_like_is_enabled() -> None:
    c = _conds(
        """
        void f(void)
        {
        #ifdef CONFIG_FOO
        	one();
        #else
        	two();
        #endif
        #if IS_ENABLED(CONFIG_BAR) && !defined(CONFIG_BAZ)
        	three();
        #endif
        	four();
        }
        """
    )
    foo = atoms_of(c["one"])[0]
    assert foo.kind is AtomKind.CONFIG and c["two"] == neg(c["one"])
    assert {a.name for a in atoms_of(c["three"])} == {"CONFIG_BAR", "CONFIG_BAZ"}
    assert c["four"].is_true


def test_a_local_stands_for_its_value_and_loop_macros_may_not_run() -> None:
    c = _conds(
        """
        void f(struct dev *dev)
        {
        	int ret = probe_hw(dev);

        	if (ret < 0)
        		return;
        	list_for_each_entry(pos, &dev->list, node) {
        		visit(pos);
        	}
        	scoped_guard(mutex, &dev->lock) {
        		locked(dev);
        	}
        	BUG();
        	never(dev);
        }
        """
    )
    compared = [a for a in atoms_of(c["visit"]) if a.kind is AtomKind.COND]
    assert [a.key for a in compared] == ["cond:probe_hw ( dev ) < 0"]  # ret is probe_hw(dev)
    assert [a.text for a in compared] == ["ret < 0"]  # as written
    loop = [a for a in atoms_of(c["visit"]) if a.kind is AtomKind.LOOP]
    assert loop and loop[0].name == "list_for_each_entry"
    assert not [a for a in atoms_of(c["locked"]) if a.kind is AtomKind.LOOP]
    assert c["never"].is_false  # BUG() does not return


def test_a_fragment_inside_a_block_or_switch_keeps_its_structure() -> None:
    view = text_view(
        "\t\t\tgoto fail;\n\t\t}\n\t\tzero();\n\t\tbreak;\n\tcase MODE_B:\n\t\tone();\n"
        "\t\tbreak;\n\t}\n\ttwo();\n",
        "x.c",
    )
    view = type(view)(view.path, view.side, 1, 0, view.lines, False)  # a hunk, not a file
    (piece,) = build_fragment(view, "int f(int mode)").flows
    assert not piece.head_visible
    conds = {s.callee: s.cond for s in piece.sites}
    # the goto in the block the fragment starts inside of does not kill the rest
    assert not conds["two"].is_false and not conds["one"].is_false
    assert any(a.kind is AtomKind.CASE for a in atoms_of(conds["one"]))


def test_a_thousand_branch_else_if_chain_and_or_terms_stay_linear() -> None:
    branches = "\n".join(f"\telse if (x == {i})\n\t\tcall{i}();" for i in range(1, 1000))
    code = f"void f(int x)\n{{\n\tif (x == 0)\n\t\tcall0();\n{branches}\n\tdone();\n}}\n"
    piece = _piece(code)
    assert len(piece.sites) == 1001 and piece.sites[-1].cond.is_true
    terms = " || ".join(f"flags & F{i}" for i in range(1000))
    piece = _piece(f"void g(unsigned long flags)\n{{\n\tif ({terms})\n\t\tgo();\n}}\n")
    assert len(atoms_of(piece.sites[0].cond)) == 1000
