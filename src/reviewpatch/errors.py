"""The one error hierarchy of reviewpatch.

Every error carries a short ``slug`` (stable, for JSON and tests) and an
``exit_code`` that the CLI returns.  Messages are one line and name the mail,
file or URL concerned.
"""

from __future__ import annotations

__all__ = [
    "ReviewpatchError",
    "UsageError",
    "ConfigError",
    "FetchError",
    "NotFoundError",
    "CorruptArchiveError",
    "ParseError",
    "NoPatchError",
    "TreeError",
    "ExitCode",
]

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes of the ``reviewpatch`` command."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    FETCH = 3
    NO_PATCH = 4


class ReviewpatchError(Exception):
    """Base class of every error reviewpatch raises on purpose."""

    slug = "error"
    exit_code: int = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(ReviewpatchError):
    """The command line is wrong."""

    slug = "usage"
    exit_code = ExitCode.USAGE


class ConfigError(ReviewpatchError):
    """A configuration file or value is wrong (unknown key, bad type)."""

    slug = "config"
    exit_code = ExitCode.USAGE


class FetchError(ReviewpatchError):
    """The archive could not be reached or answered with an error."""

    slug = "fetch"
    exit_code = ExitCode.FETCH


class NotFoundError(FetchError):
    """The archive does not know the Message-ID (HTTP 404), or not in cache."""

    slug = "not-found"


class CorruptArchiveError(FetchError):
    """The archive answered, but the data is truncated or corrupt."""

    slug = "corrupt"


class ParseError(ReviewpatchError):
    """A mail or file could not be parsed.  Names the mail or file."""

    slug = "parse"
    exit_code = ExitCode.NO_PATCH


class NoPatchError(ReviewpatchError):
    """The input holds no patch at all."""

    slug = "no-patch"
    exit_code = ExitCode.NO_PATCH


class TreeError(ReviewpatchError):
    """The --tree checkout cannot be used (not a git repository, ...)."""

    slug = "tree"
    exit_code = ExitCode.USAGE
