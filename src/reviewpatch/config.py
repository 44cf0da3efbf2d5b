"""Configuration files: ``[tool.reviewpatch]`` in pyproject.toml, a
``.reviewpatch.toml`` (keys at the top level, or under ``[tool.reviewpatch]``),
or the file named by ``--config``.

Keys (unknown keys are errors)::

    select = ["RP"]                 # rule id prefixes or names
    ignore = ["RP203"]
    extend-select = []
    fail-on = "warning"             # note | warning | error
    archive = "https://lore.kernel.org/all"
    cache-dir = "~/.cache/reviewpatch"
    cache-max-age = 600             # seconds; a cached thread older is fetched again
    timeout = 30
    retries = 3

    [tool.reviewpatch.limits]       # how much input is read (see settings.Limits)
    mails = 10000                   # mails per thread
    mail-bytes = 10000000           # bytes per mail
    files = 10000                   # files per patch
    hunk-lines = 100000             # lines per hunk
    line-bytes = 100000             # characters per diff line
    decompressed-bytes = 268435456  # bytes of one gunzipped file

    [tool.reviewpatch.per-file-ignores]
    "Documentation/*" = ["RP3"]

    [tool.reviewpatch.severity]
    RP202 = "note"

    [tool.reviewpatch.rules.bad-fixes-tag]   # options of one rule
    min-sha-length = 12
"""

from __future__ import annotations

__all__ = [
    "find_config",
    "load_config",
    "settings_from_table",
    "check_archive_url",
    "parse_limit",
    "CONFIG_KEYS",
]

import datetime
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from reviewpatch.errors import ConfigError
from reviewpatch.findings import Severity
from reviewpatch.settings import LIMIT_NAMES, Limits, OptionValue, Settings, SettingsChanges

_TOML_SCALARS = (str, int, float, bool, datetime.datetime, datetime.date, datetime.time)

CONFIG_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "fail-on",
    "archive",
    "cache-dir",
    "timeout",
    "retries",
    "cache-max-age",
    "per-file-ignores",
    "severity",
    "rules",
    "limits",
)


def find_config(start: Path) -> Path | None:
    """The configuration file that applies in ``start`` (a directory): a
    ``.reviewpatch.toml`` there, or a pyproject.toml with a
    ``[tool.reviewpatch]`` table."""
    dot = start / ".reviewpatch.toml"
    if dot.is_file():
        return dot
    pyproject = start / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        if isinstance(data.get("tool"), dict) and "reviewpatch" in data["tool"]:
            return pyproject
    return None


def load_config(path: Path, base: Settings | None = None) -> Settings:
    """Read ``path`` and return ``base`` updated with its settings."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    tool = data.get("tool")
    if isinstance(tool, dict) and "reviewpatch" in tool:
        table = tool["reviewpatch"]
    elif path.name == "pyproject.toml":
        table = {}
    else:
        table = {k: v for k, v in data.items() if k != "tool"}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.reviewpatch] must be a table")
    return settings_from_table(table, base or Settings(), origin=str(path))


def check_archive_url(url: str, where: str) -> str:
    """``url`` when it is an http(s) URL; else a ConfigError naming
    ``where`` (the option or the file and key)."""
    value = url.strip()
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(f"{where}: {url!r} is not an http:// or https:// archive URL")
    return value


def _str_list(value: object, key: str, origin: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{origin}: '{key}' must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _severity(value: object, key: str, origin: str) -> Severity:
    if not isinstance(value, str):
        raise ConfigError(f"{origin}: '{key}' must be one of note, warning, error")
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{origin}: '{key}': {exc}") from None


def _number(value: object, key: str, origin: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{origin}: '{key}' must be a non-negative number")
    return float(value)


def _tables(value: object, key: str, origin: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ConfigError(f"{origin}: '{key}' must be a table")
    return value


def _option(value: object, key: str, origin: str) -> OptionValue:
    """A rule option's value as TOML gives it (every TOML value is one)."""
    if isinstance(value, _TOML_SCALARS):
        return value
    if isinstance(value, list):
        return [_option(v, key, origin) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _option(v, f"{key}.{k}", origin) for k, v in value.items()}
    raise ConfigError(f"{origin}: '{key}' is not a TOML value")


def _options(value: object, key: str, origin: str) -> tuple[tuple[str, OptionValue], ...]:
    """The options of one rule, sorted by name."""
    table = _tables(value, key, origin)
    return tuple((name, _option(v, f"{key}.{name}", origin)) for name, v in sorted(table.items()))


def settings_from_table(table: Mapping[str, object], base: Settings, origin: str) -> Settings:
    """Apply one configuration table to ``base``.  Unknown keys are errors."""
    unknown = sorted(set(table) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(
            f"{origin}: unknown configuration key(s): {', '.join(unknown)}"
            f" (known: {', '.join(CONFIG_KEYS)})"
        )
    changes: SettingsChanges = {}
    if "select" in table:
        changes["select"] = _str_list(table["select"], "select", origin)
    if "ignore" in table:
        changes["ignore"] = _str_list(table["ignore"], "ignore", origin)
    if "extend-select" in table:
        changes["extend_select"] = _str_list(table["extend-select"], "extend-select", origin)
    if "fail-on" in table:
        changes["fail_on"] = _severity(table["fail-on"], "fail-on", origin)
    if "archive" in table:
        archive = _string(table["archive"], "archive", origin)
        changes["archive"] = check_archive_url(archive, f"{origin}: 'archive'")
    if "cache-dir" in table:
        changes["cache_dir"] = os.path.expanduser(_string(table["cache-dir"], "cache-dir", origin))
    if "timeout" in table:
        changes["timeout"] = _number(table["timeout"], "timeout", origin)
    if "cache-max-age" in table:
        changes["cache_max_age"] = _number(table["cache-max-age"], "cache-max-age", origin)
    if "retries" in table:
        changes["retries"] = int(_number(table["retries"], "retries", origin))
    changes.update(_rule_tables(table, origin))
    if "limits" in table:
        limits = _tables(table["limits"], "limits", origin)
        current = base.limits
        for name, value in limits.items():
            current = _with_limit(current, name, value, f"{origin}: 'limits.{name}'")
        changes["limits"] = current
    settings = replace(base, **changes)
    _check_codes(settings, origin)
    return settings


def _string(value: object, key: str, origin: str) -> str:
    """A non-empty string setting, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{origin}: '{key}' must be a non-empty string")
    return value.strip()


def _rule_tables(table: Mapping[str, object], origin: str) -> SettingsChanges:
    """The per-file-ignores, severity and rules tables of ``table``."""
    changes: SettingsChanges = {}
    if "per-file-ignores" in table:
        pfi = _tables(table["per-file-ignores"], "per-file-ignores", origin)
        changes["per_file_ignores"] = tuple(
            (glob, _str_list(codes, f"per-file-ignores.{glob}", origin))
            for glob, codes in sorted(pfi.items())
        )
    if "severity" in table:
        sev = _tables(table["severity"], "severity", origin)
        changes["severity_overrides"] = tuple(
            (code, _severity(value, f"severity.{code}", origin))
            for code, value in sorted(sev.items())
        )
    if "rules" in table:
        rules = _tables(table["rules"], "rules", origin)
        changes["rule_options"] = tuple(
            (name, _options(opts, f"rules.{name}", origin)) for name, opts in sorted(rules.items())
        )
    return changes


def _with_limit(limits: Limits, name: str, value: object, where: str) -> Limits:
    """``limits`` with the limit called ``name`` (``mail-bytes``) set to
    ``value``, a positive whole number."""
    field = dict(LIMIT_NAMES).get(name)
    if field is None:
        known = ", ".join(n for n, _ in LIMIT_NAMES)
        raise ConfigError(f"{where}: no such limit (known: {known})")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: a limit must be a whole number of at least 1")
    return replace(limits, **{field: value})


def parse_limit(text: str, limits: Limits) -> Limits:
    """``limits`` with one ``NAME=VALUE`` of ``--limit`` applied (``_`` and
    ``,`` may group the digits: ``mail-bytes=20_000_000``)."""
    name, equals, value = text.partition("=")
    where = f"--limit {text}"
    digits = value.strip().replace("_", "").replace(",", "")
    if not equals or not digits.isdigit() or not digits.isascii():
        raise ConfigError(f"{where}: give NAME=NUMBER, e.g. mails=20000")
    return _with_limit(limits, name.strip(), int(digits), where)


def _check_codes(settings: Settings, origin: str) -> None:
    """Every rule code of the file must name a rule: say which file when not."""
    from reviewpatch.api import build_selector

    try:
        build_selector(settings)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
