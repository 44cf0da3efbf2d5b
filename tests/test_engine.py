from reviewpatch.engine import INTERNAL_ERROR_ID, run_rules
from reviewpatch.findings import Confidence, Severity
from reviewpatch.model import Mail, Patch, Person, Series, Subject
from reviewpatch.rules.registry import Hit, Scope, rule, spec_of
from reviewpatch.selection import RuleSelector

DOC = """Summary.

What it does
    x
Why it matters
    x
Example
    x
Use instead
    x
"""


def _patch(index, message="A change."):
    person = Person("A U Thor", "author@example.org")
    mail = Mail(f"p{index}@x", f"[PATCH {index}/2] x", person, "", None, (), message)
    return Patch(mail, Subject(raw="x", title="x", counter=index, total=2), index, person, message)


def _series(*patches):
    return Series(version=1, total=2, subject="x", cover=None, patches=tuple(patches))


def _spec(func, **kw):
    func.__doc__ = DOC
    defaults = dict(id="RP900", name="test-rule", severity=Severity.WARNING)
    defaults.update(kw)
    return spec_of(rule(**defaults)(func))


def _opts(_name):
    return {}


def test_patch_scope_runs_per_patch_and_stamps_fields():
    def check(ctx):
        yield Hit(f"patch {ctx.patch.index}", file="b.c", line=3)

    spec = _spec(check)
    found = run_rules(_series(_patch(2), _patch(1)), (spec,), RuleSelector(), options=_opts)
    assert [f.location.patch_index for f in found] == [1, 2]
    assert found[0].rule_id == "RP900" and found[0].rule_name == "test-rule"
    assert found[0].severity is Severity.WARNING and found[0].confidence is Confidence.HIGH


def test_crash_becomes_internal_error_and_others_still_run():
    def broken(ctx):
        if ctx.patch.index == 1:
            raise KeyError("boom")
        yield Hit("fine")

    def other(ctx):
        yield Hit("other")

    specs = (_spec(broken), _spec(other, id="RP901", name="other-rule"))
    found = run_rules(_series(_patch(1), _patch(2)), specs, RuleSelector(), options=_opts)
    crashes = [f for f in found if f.rule_id == INTERNAL_ERROR_ID]
    assert len(crashes) == 1
    assert "RP900 test-rule crashed on patch 1" in crashes[0].message
    assert "KeyError" in crashes[0].message
    assert sum(1 for f in found if f.rule_id == "RP901") == 2
    assert sum(1 for f in found if f.rule_id == "RP900") == 1


def test_explained_hit_drops_to_note():
    msg = "Gate foo_exit() behind the mask. This is safe because the flag is static."

    def check(ctx):
        yield Hit("foo_exit() is skipped", symbol="foo_exit", explained=True)
        yield Hit("bar() is skipped", symbol="bar")

    spec = _spec(check)
    found = run_rules(_series(_patch(1, msg)), (spec,), RuleSelector(), options=_opts)
    by_symbol = {f.location.symbol: f for f in found}
    assert by_symbol["foo_exit"].explained
    assert by_symbol["foo_exit"].severity is Severity.NOTE
    assert by_symbol["foo_exit"].original_severity is Severity.WARNING
    assert not by_symbol["bar"].explained
    assert by_symbol["bar"].severity is Severity.WARNING


def test_selection_per_file_ignore_and_severity_override():
    def check(ctx):
        yield Hit("doc", file="Documentation/x.rst")
        yield Hit("code", file="kernel/x.c")

    spec = _spec(check)
    sel = RuleSelector(
        per_file_ignores=(("Documentation/*", ("RP9",)),),
        severity_overrides=(("test-rule", Severity.ERROR),),
    )
    found = run_rules(_series(_patch(1)), (spec,), sel, options=_opts)
    assert [(f.message, f.severity) for f in found] == [("code", Severity.ERROR)]
    assert (
        run_rules(_series(_patch(1)), (spec,), RuleSelector(ignore=("RP900",)), options=_opts) == ()
    )


def test_series_scope_and_code_factory_only_when_needed():
    calls = []

    def factory():
        calls.append(1)
        return "CODE"

    def series_rule(ctx):
        assert ctx.patch is None
        yield Hit("whole series")

    def code_rule(ctx):
        yield Hit(f"code is {ctx.code}")

    s1 = _spec(series_rule, scope=Scope.SERIES)
    found = run_rules(
        _series(_patch(1)), (s1,), RuleSelector(), options=_opts, code_factory=factory
    )
    assert found[0].location.patch_index is None and calls == []
    s2 = _spec(code_rule, id="RP902", name="code-rule", needs_code=True)
    found = run_rules(
        _series(_patch(1), _patch(2)), (s1, s2), RuleSelector(), options=_opts, code_factory=factory
    )
    assert calls == [1]
    assert {f.message for f in found} == {"whole series", "code is CODE"}


def test_analysis_crash_skips_code_rules_only():
    def factory():
        raise RuntimeError("parser exploded")

    def code_rule(ctx):
        yield Hit("never")

    def plain(ctx):
        yield Hit("plain")

    specs = (_spec(code_rule, needs_code=True), _spec(plain, id="RP901", name="plain-rule"))
    found = run_rules(
        _series(_patch(1)), specs, RuleSelector(), options=_opts, code_factory=factory
    )
    assert [f.rule_id for f in found] == [INTERNAL_ERROR_ID, "RP901"]
    assert "parser exploded" in found[0].message


def test_at_most_one_warning_per_rule_patch_and_symbol():
    def check(ctx):
        yield Hit("first foo", symbol="foo", line=1)
        yield Hit("worse foo", symbol="foo", line=2, severity=Severity.ERROR)
        yield Hit("third foo", symbol="foo", line=3)
        yield Hit("bar", symbol="bar", line=4)
        yield Hit("no symbol", line=5)
        yield Hit("no symbol either", line=6)

    found = run_rules(_series(_patch(1), _patch(2)), (_spec(check),), RuleSelector(), options=_opts)
    for index in (1, 2):
        mine = {f.message: f.severity for f in found if f.location.patch_index == index}
        assert mine == {
            "first foo": Severity.NOTE,
            "worse foo": Severity.ERROR,
            "third foo": Severity.NOTE,
            "bar": Severity.WARNING,
            "no symbol": Severity.WARNING,
            "no symbol either": Severity.WARNING,
        }


def test_a_misspelt_rule_module_is_an_error() -> None:
    import pytest

    from reviewpatch.rules import RULE_MODULES, all_rules

    with pytest.raises(ModuleNotFoundError):
        all_rules((*RULE_MODULES, "reviewpatch.rules.c.no_such_rule"))
    with pytest.raises(ValueError, match="declares no rule"):
        all_rules((*RULE_MODULES, "reviewpatch.rules.c.text"))


def test_rule_options_must_be_declared_and_typed() -> None:
    import pytest

    from reviewpatch.api import build_selector
    from reviewpatch.errors import ConfigError
    from reviewpatch.settings import Settings

    ok = Settings(rule_options=(("bad-fixes-tag", (("min-sha-length", 16),)),))
    build_selector(ok)
    unknown = Settings(rule_options=(("bad-fixes-tag", (("min-sha", 16),)),))
    with pytest.raises(ConfigError, match="'min-sha' is not an option of RP105"):
        build_selector(unknown)
    typed = Settings(rule_options=(("RP105", (("min-sha-length", "16"),)),))
    with pytest.raises(ConfigError, match="is not a int"):
        build_selector(typed)
    none = Settings(rule_options=(("missing-spdx", (("x", 1),)),))
    with pytest.raises(ConfigError, match="it takes no options"):
        build_selector(none)


def test_min_sha_length_option_is_used() -> None:
    from dataclasses import replace

    from test_rules_c_symbols import make_patch, make_series

    from reviewpatch.rules.registry import RuleContext
    from reviewpatch.rules.trailers import bad_fixes_tag
    from reviewpatch.trailers import parse_trailer_block

    body = 'Fix it.\n\nFixes: 1f2e3d4c5b6a ("mm: fix foo")\nSigned-off-by: A <a@b.org>\n'
    patch = make_patch("", body)
    patch = replace(patch, mail=replace(patch.mail, body=body + "---\n"))
    patch = replace(
        patch, trailers=parse_trailer_block(body.splitlines(), "p1@example.org", 1, None)
    )
    series = make_series(patch)
    assert list(bad_fixes_tag(RuleContext(series, patch, {}, None))) == []
    hits = list(bad_fixes_tag(RuleContext(series, patch, {"min-sha-length": 16}, None)))
    assert len(hits) == 1 and "use at least 16" in hits[0].message
