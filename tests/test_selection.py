from reviewpatch.findings import Severity
from reviewpatch.selection import RuleSelector, specificity


def test_specificity_prefers_longer_prefix_and_names():
    assert specificity("RP", "RP105", "bad-fixes-tag") == 2
    assert specificity("RP1", "RP105", "bad-fixes-tag") == 3
    assert specificity("RP105", "RP105", "bad-fixes-tag") == 5
    assert specificity("bad-fixes-tag", "RP105", "bad-fixes-tag") == 6
    assert specificity("RP2", "RP105", "bad-fixes-tag") == 0
    assert specificity("rp10", "RP105", "bad-fixes-tag") == 4


def test_longest_prefix_wins():
    sel = RuleSelector(select=("RP",), ignore=("RP1",), extend_select=("RP105",))
    assert not sel.is_selected("RP101", "missing-signoff")
    assert sel.is_selected("RP105", "bad-fixes-tag")
    assert sel.is_selected("RP201", "missing-patches")


def test_equal_specificity_ignore_wins_and_name_beats_prefix():
    sel = RuleSelector(select=("RP1",), ignore=("RP1",))
    assert not sel.is_selected("RP101", "missing-signoff")
    sel = RuleSelector(select=("missing-signoff",), ignore=("RP101",))
    assert sel.is_selected("RP101", "missing-signoff")


def test_nothing_selected_means_ignored():
    sel = RuleSelector(select=("RP3",))
    assert not sel.is_selected("RP101", "missing-signoff")


def test_per_file_ignores_and_severity_overrides():
    sel = RuleSelector(
        per_file_ignores=(("Documentation/*", ("RP3",)),),
        severity_overrides=(("RP", Severity.NOTE), ("RP105", Severity.ERROR)),
    )
    assert sel.ignored_in_file("RP301", "x", "Documentation/a.rst")
    assert not sel.ignored_in_file("RP301", "x", "kernel/a.c")
    assert not sel.ignored_in_file("RP301", "x", None)
    assert sel.severity_for("RP105", "bad-fixes-tag", Severity.WARNING) is Severity.ERROR
    assert sel.severity_for("RP101", "missing-signoff", Severity.ERROR) is Severity.NOTE
    assert RuleSelector().severity_for("RP101", "m", Severity.ERROR) is Severity.ERROR
