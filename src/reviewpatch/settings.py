"""Settings: every knob of a review, as one frozen value.

Built by ``reviewpatch.config`` from defaults, a configuration file and the
command line (in that order, later wins).  Stages take what they need from
it; nothing reads the environment or files behind its back.
"""

from __future__ import annotations

__all__ = [
    "Settings",
    "SettingsChanges",
    "DEFAULT_ARCHIVE",
    "OptionValue",
    "Limits",
    "LIMIT_NAMES",
]

import datetime
from dataclasses import dataclass
from typing import TypeAlias, TypedDict

from reviewpatch.findings import Severity

DEFAULT_ARCHIVE = "https://lore.kernel.org/all"

# The value of one rule option: whatever a TOML file can hold.
OptionValue: TypeAlias = (
    str
    | int
    | float
    | bool
    | datetime.datetime
    | datetime.date
    | datetime.time
    | list["OptionValue"]
    | dict[str, "OptionValue"]
)


@dataclass(frozen=True)
class Limits:
    """How much of the input a review reads.  Past a limit the tool reviews
    what it can and a note (RP002) names what it left out and the limit.

    ``mails`` per thread (patch mails are kept first, then replies in input
    order); ``mail_bytes`` per mail (a bigger mail is not read);
    ``files`` per patch (the files after the limit are left out);
    ``hunk_lines`` per hunk and ``line_bytes`` (characters) per diff line
    (a file with a longer hunk or line is left out); ``decompressed_bytes``
    of one gzip file (a bigger one is not read).  The defaults are far above
    what real series need.
    """

    mails: int = 10_000
    mail_bytes: int = 10_000_000
    files: int = 10_000
    hunk_lines: int = 100_000
    line_bytes: int = 100_000
    decompressed_bytes: int = 256 * 1024 * 1024


# The names of the limits in configuration files and ``--limit NAME=VALUE``,
# and their fields in ``Limits``.
LIMIT_NAMES: tuple[tuple[str, str], ...] = (
    ("mails", "mails"),
    ("mail-bytes", "mail_bytes"),
    ("files", "files"),
    ("hunk-lines", "hunk_lines"),
    ("line-bytes", "line_bytes"),
    ("decompressed-bytes", "decompressed_bytes"),
)


@dataclass(frozen=True)
class Settings:
    """All settings of one review.

    Fetching: ``archive`` (public-inbox base URL), ``cache_dir`` (None: the
    user cache dir), ``offline`` (cache only), ``refresh`` (ignore the cache),
    ``timeout`` seconds per request, ``retries`` on 5xx / connection errors,
    ``cache_max_age`` seconds after which a cached thread is fetched again.

    Series: ``version`` picks a version of the series (None: the newest).
    ``compare_with`` names the previous version to compare with: ``vN`` (a
    version in the same thread), a Message-ID, an archive URL or a file
    (None: the newest earlier version the thread holds, if any).

    Rules: ``select`` / ``ignore`` / ``extend_select`` are rule id prefixes or
    rule names (longest prefix wins); ``per_file_ignores`` pairs a glob with
    codes; ``severity_overrides`` pairs a code with a severity;
    ``rule_options`` pairs a rule name with its option pairs.

    Tree mode: ``tree`` is the path of a git checkout, or None.

    ``fail_on``: the lowest severity that makes the exit code 1.

    ``limits``: how much of the input is read (see ``Limits``).
    """

    archive: str = DEFAULT_ARCHIVE
    cache_dir: str | None = None
    offline: bool = False
    refresh: bool = False
    timeout: float = 30.0
    retries: int = 3
    cache_max_age: float = 600.0
    version: int | None = None
    compare_with: str | None = None
    select: tuple[str, ...] = ("RP",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity_overrides: tuple[tuple[str, Severity], ...] = ()
    rule_options: tuple[tuple[str, tuple[tuple[str, OptionValue], ...]], ...] = ()
    tree: str | None = None
    fail_on: Severity = Severity.WARNING
    limits: Limits = Limits()

    def options_for(self, rule_name: str) -> dict[str, OptionValue]:
        """The options configured for one rule (by name)."""
        for name, pairs in self.rule_options:
            if name == rule_name:
                return dict(pairs)
        return {}


class SettingsChanges(TypedDict, total=False):
    """Some fields of ``Settings``, as a configuration file or the command
    line collects them, for ``dataclasses.replace(settings, **changes)``."""

    archive: str
    cache_dir: str | None
    offline: bool
    refresh: bool
    timeout: float
    retries: int
    cache_max_age: float
    version: int | None
    compare_with: str | None
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    extend_select: tuple[str, ...]
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...]
    severity_overrides: tuple[tuple[str, Severity], ...]
    rule_options: tuple[tuple[str, tuple[tuple[str, OptionValue], ...]], ...]
    tree: str | None
    fail_on: Severity
    limits: Limits
