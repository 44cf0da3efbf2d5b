import pytest

from reviewpatch.config import find_config, load_config
from reviewpatch.errors import ConfigError
from reviewpatch.findings import Severity
from reviewpatch.settings import Settings


def test_pyproject_table_is_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.reviewpatch]\nselect = ["RP1"]\nignore = ["RP105"]\nfail-on = "error"\n'
        '[tool.reviewpatch.per-file-ignores]\n"Documentation/*" = ["RP3"]\n'
        '[tool.reviewpatch.severity]\nRP202 = "note"\n'
        "[tool.reviewpatch.rules.bad-fixes-tag]\nmin-sha-length = 16\n"
    )
    path = find_config(tmp_path)
    assert path == tmp_path / "pyproject.toml"
    s = load_config(path)
    assert s.select == ("RP1",) and s.ignore == ("RP105",)
    assert s.fail_on is Severity.ERROR
    assert s.per_file_ignores == (("Documentation/*", ("RP3",)),)
    assert s.severity_overrides == (("RP202", Severity.NOTE),)
    assert s.options_for("bad-fixes-tag") == {"min-sha-length": 16}
    assert s.options_for("other") == {}


def test_pyproject_without_table_is_not_a_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(tmp_path) is None


def test_dot_file_top_level_keys_win_over_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.reviewpatch]\nselect = ["RP1"]\n')
    (tmp_path / ".reviewpatch.toml").write_text(
        'select = ["RP2"]\narchive = "http://127.0.0.1:1/x"\n'
    )
    s = load_config(find_config(tmp_path))
    assert s.select == ("RP2",)
    assert s.archive == "http://127.0.0.1:1/x"


@pytest.mark.parametrize(
    "text, words",
    [
        ('selekt = ["RP"]\n', "unknown configuration key(s): selekt"),
        ('select = "RP1"\nfail-on = "fatal"\n', "fail-on"),
        ("timeout = -1\n", "timeout"),
        ("select = [1]\n", "select"),
        ("select = [\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path, text, words):
    path = tmp_path / ".reviewpatch.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, Settings())
    assert words in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_rule_options_keep_every_toml_value_type(tmp_path):
    import datetime
    import tomllib

    from reviewpatch.config import _options, settings_from_table

    # the values as read, before the rules check their keys (no rule takes
    # these made-up options: a configuration file with them is refused)
    table = tomllib.loads(
        'names = ["a", 2, 3.5, true]\nsince = 2024-01-02\n'
        "limits = { low = 1, high = { at = 07:30:00 } }\n"
    )
    assert dict(_options(table, "rules.bad-fixes-tag", "t")) == {
        "names": ["a", 2, 3.5, True],
        "since": datetime.date(2024, 1, 2),
        "limits": {"low": 1, "high": {"at": datetime.time(7, 30)}},
    }
    with pytest.raises(ConfigError, match=r"'rules.bad-fixes-tag.x' is not a TOML value"):
        settings_from_table({"rules": {"bad-fixes-tag": {"x": object()}}}, Settings(), "t")
    (tmp_path / ".reviewpatch.toml").write_text("[rules.bad-fixes-tag]\nsince = 2024-01-02\n")
    with pytest.raises(ConfigError, match="'since' is not an option of RP105"):
        load_config(tmp_path / ".reviewpatch.toml")
