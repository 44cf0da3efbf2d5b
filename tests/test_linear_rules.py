"""The rules and the C facts stay linear on hostile input: each pass runs
in a child Python on inputs that would take minutes if it were quadratic
or backtracked, and must finish within the timeout (no timing asserted)."""

from __future__ import annotations

from test_limits import _bounded  # a child Python with a timeout


def test_a_trailer_value_of_100000_word_characters() -> None:
    _bounded(
        """
        from reviewpatch.rules.trailer_util import address_problem
        for ch in ("a", ".", "@", " ", "<"):
            assert address_problem(ch * 100_000 + "!") is not None
        assert address_problem("Joe <joe@example.org>") is None
        """
    )


def test_5000_nested_conditionals() -> None:
    _bounded(
        """
        from reviewpatch.csource.ppcond import line_conditions
        lines = [f"#ifdef CONFIG_X{i}" for i in range(5000)] + ["x();"]
        lines += ["#endif"] * 5000
        out = line_conditions(lines)
        assert len(out) == len(lines) and len(out[5000]) == 64
        """
    )


def test_20000_distinct_callees_are_classified_quickly() -> None:
    _bounded(
        """
        from reviewpatch.rules.c.pairs import by_result, is_acquire, is_lock, known_pair
        for i in range(200_000):
            name = f"foo_{i}_get"
            is_acquire(name); known_pair(name); is_lock(name); by_result(name)
        """
    )
