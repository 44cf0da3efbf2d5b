"""The ``reviewpatch`` command: a thin layer over ``reviewpatch.review``.

    reviewpatch SOURCE [options]      review a series
    reviewpatch rules [NAME]          list the rules, or explain one
    reviewpatch b4-check              b4 review check protocol (patch on stdin)

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage or configuration error, 3 fetch error, 4 the input holds no patch.
"""

from __future__ import annotations

__all__ = ["main", "build_parser", "Environment"]

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn, TextIO

from reviewpatch import __version__
from reviewpatch.config import check_archive_url, find_config, load_config, parse_limit
from reviewpatch.errors import ExitCode, ReviewpatchError, UsageError
from reviewpatch.findings import Report, Severity
from reviewpatch.render import formats
from reviewpatch.settings import DEFAULT_ARCHIVE, Settings, SettingsChanges

if TYPE_CHECKING:
    import requests

FORMATS = formats()


@dataclass
class Environment:
    """Everything the CLI touches outside itself, injectable for tests."""

    stdin: BinaryIO = field(default_factory=lambda: sys.stdin.buffer)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    session: requests.Session | None = None
    git_config: Callable[[str], str | None] | None = None
    clock: Callable[[], datetime] = field(default_factory=lambda: _now)


def _now() -> datetime:
    return datetime.now(UTC).astimezone()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit code 2
        raise UsageError(message)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="reviewpatch",
        description="Review a Linux kernel patch series from a public-inbox archive or mail files.",
        epilog="Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage/config error, "
        "3 fetch error, 4 no patch in the input.  Other commands: 'reviewpatch rules [NAME]', "
        "'reviewpatch b4-check'.",
    )
    p.add_argument(
        "source", help="Message-ID, archive URL, mbox/eml/patch file, directory, or - for stdin"
    )
    p.add_argument(
        "--version",
        dest="series_version",
        type=int,
        metavar="N",
        help="review version N of the series (default: the newest)",
    )
    p.add_argument(
        "--compare-with",
        metavar="PREVIOUS",
        help="the previous version to compare with: vN (in the same thread), a Message-ID, "
        "an archive URL or a file (default: the newest earlier version in the thread)",
    )
    p.add_argument(
        "--archive", metavar="URL", help=f"public-inbox base URL (default {DEFAULT_ARCHIVE})"
    )
    p.add_argument("--offline", action="store_true", help="use only the cache, never the network")
    p.add_argument("--refresh", action="store_true", help="fetch again even when cached")
    p.add_argument("--cache-dir", metavar="DIR", help="cache directory")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="timeout of one HTTP request")
    p.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    p.add_argument("--tree", metavar="PATH", help="git checkout of the target project (tree mode)")
    p.add_argument("--select", type=_codes, metavar="CODES", help="rule ids/prefixes/names to run")
    p.add_argument("--ignore", type=_codes, metavar="CODES", help="rule ids/prefixes/names to skip")
    p.add_argument("--extend-select", type=_codes, metavar="CODES", help="add to the selection")
    p.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        help="lowest severity for exit code 1 (default warning)",
    )
    p.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default=None,
        help="output format (default text, or by -o suffix)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    p.add_argument("--reply", metavar="INDEX|all", help="draft a reply to patch INDEX (or all)")
    p.add_argument(
        "--attach-report", action="store_true", help="attach the HTML report to the reply"
    )
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("-q", "--quiet", action="store_true", help="only findings and the summary")
    p.add_argument("-v", "--verbose", action="store_true", help="show evidence lines and progress")
    p.add_argument(
        "--limit",
        action="append",
        metavar="NAME=VALUE",
        help="raise or lower a limit on the input read: mails, mail-bytes, files, hunk-lines, "
        "line-bytes, decompressed-bytes (repeatable)",
    )
    return p


def _given(value: object) -> bool:
    """Whether an option was given on the command line (not its default)."""
    return value not in (None, False)


def _settings(args: argparse.Namespace, env: Environment) -> Settings:
    settings = Settings()
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise UsageError(f"--config {args.config}: no such file")
        settings = load_config(path, settings)
    else:
        found = find_config(Path(args.tree)) if args.tree else None
        found = found or find_config(env.cwd)
        if found:
            settings = load_config(found, settings)
    changes = _option_changes(args)
    limits = settings.limits
    for text in args.limit or ():
        limits = parse_limit(text, limits)
    if limits != settings.limits:
        changes["limits"] = limits
    if args.tree and not Path(args.tree).is_dir():
        raise UsageError(f"--tree {args.tree}: no such directory")
    return replace(settings, **changes)


def _option_changes(args: argparse.Namespace) -> SettingsChanges:
    """The settings given on the command line."""
    changes: SettingsChanges = {}
    if _given(args.select):
        changes["select"] = args.select
    if _given(args.ignore):
        changes["ignore"] = args.ignore
    if _given(args.extend_select):
        changes["extend_select"] = args.extend_select
    if _given(args.offline):
        changes["offline"] = args.offline
    if _given(args.refresh):
        changes["refresh"] = args.refresh
    if _given(args.tree):
        changes["tree"] = args.tree
    if _given(args.timeout):
        changes["timeout"] = args.timeout
    if args.archive:
        changes["archive"] = check_archive_url(args.archive, "--archive")
    if args.cache_dir:
        changes["cache_dir"] = args.cache_dir
    if args.series_version is not None:
        changes["version"] = args.series_version
    if args.compare_with:
        changes["compare_with"] = args.compare_with
    if args.fail_on:
        changes["fail_on"] = Severity.parse(args.fail_on)
    return changes


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.reply:
        return "reply"
    if args.output:
        suffix = Path(args.output).suffix.lower()
        return {
            ".html": "html",
            ".htm": "html",
            ".json": "json",
            ".eml": "reply",
            ".sarif": "sarif",
        }.get(suffix, "text")
    return "text"


def _render(
    report: Report, fmt: str, args: argparse.Namespace, env: Environment, color: bool
) -> str:
    from reviewpatch.render import render_report

    return render_report(
        report,
        fmt,
        color=color,
        verbose=args.verbose,
        quiet=args.quiet,
        reply=args.reply,
        attach_report=args.attach_report,
        warn=lambda msg: print(f"reviewpatch: warning: {msg}", file=env.stderr),
    )


def _with_reviewer(report: Report, env: Environment) -> Report:
    """Name the reviewer (git's user.name / user.email) as the draft's From,
    and date the draft (a draft is a mail, and a mail has a Date)."""
    from reviewpatch.fetch import read_git_config

    lookup = env.git_config or read_git_config
    name, email = lookup("user.name"), lookup("user.email")
    meta = report.meta + (("date", format_datetime(env.clock())),)
    if email:
        meta += (("reviewer", f"{name} <{email}>" if name else email),)
    return replace(report, meta=meta)


def _exit_code(report: Report, fail_on: Severity) -> int:
    worst = max((f.severity.rank for f in report.findings), default=-1)
    return int(ExitCode.FINDINGS if worst >= fail_on.rank else ExitCode.OK)


def _review(argv: Sequence[str], env: Environment) -> int:
    from reviewpatch.api import review

    args = build_parser().parse_args(list(argv))
    settings = _settings(args, env)
    fmt = _format(args)
    progress = None
    if args.verbose or (not args.quiet and getattr(env.stderr, "isatty", lambda: False)()):
        progress = lambda msg: print(f"reviewpatch: {msg}", file=env.stderr, flush=True)  # noqa: E731
    report = review(args.source, settings, stdin=env.stdin, session=env.session, progress=progress)
    if fmt == "reply":
        report = _with_reviewer(report, env)
    tty = getattr(env.stdout, "isatty", lambda: False)()
    color = args.color == "always" or (
        args.color == "auto" and tty and not args.output and "NO_COLOR" not in env.environ
    )
    text = _render(report, fmt, args, env, color and fmt == "text")
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"-o {args.output}: cannot write: {exc.strerror}") from None
        if not args.quiet:
            print(f"reviewpatch: wrote {args.output}", file=env.stderr)
    else:
        env.stdout.write(text)
    return _exit_code(report, settings.fail_on)


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run the command; return its exit code.  Errors are one line on stderr."""
    env = env or Environment()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["--version"] and len(args) == 1:
            env.stdout.write(f"reviewpatch {__version__}\n")
            return 0
        if args[:1] == ["rules"]:
            from reviewpatch.rulesdoc import rules_command

            return rules_command(args[1:], env.stdout)
        if args[:1] == ["b4-check"]:
            from reviewpatch.b4check import b4_check_command

            return b4_check_command(args[1:], env.stdin, env.stdout)
        return _review(args, env)
    except ReviewpatchError as exc:
        from reviewpatch.render.text import clean

        message = " ".join(clean(str(exc)).split())  # mail content: one safe line
        print(f"reviewpatch: error: {message}", file=env.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("reviewpatch: interrupted", file=env.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
