"""Running git for tree mode: a fixed environment, errors as TreeError.

Inherited ``GIT_*`` variables are dropped so that the caller's environment
cannot point git at another repository, index or object store.
"""

from __future__ import annotations

__all__ = ["GitRunner", "Runner", "first_error", "clean_env", "open_repo"]

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from reviewpatch.errors import TreeError

Runner = Callable[..., "subprocess.CompletedProcess[bytes]"]

_TIMEOUT = 300.0


def first_error(stderr: bytes) -> str:
    """git's first ``error:`` line (else its first line), one line."""
    text = stderr.decode("utf-8", "replace").splitlines()
    for line in text:
        if line.startswith(("error:", "fatal:")):
            return line.strip()
    return next((ln.strip() for ln in text if ln.strip()), "git apply failed")


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The process environment without inherited GIT_* variables, plus a
    fixed locale and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"LC_ALL": "C", "LANG": "C", "GIT_TERMINAL_PROMPT": "0"})
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env.update(extra)
    return env


class GitRunner:
    """Runs git in one repository with one environment."""

    def __init__(self, runner: Runner, cwd: str, env: dict[str, str], label: str) -> None:
        self.runner = runner
        self.cwd = cwd
        self.env = env
        self.label = label

    def run(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run ``git args``; a git that cannot be started is a TreeError."""
        try:
            return self.runner(
                ["git", *args],
                cwd=self.cwd,
                env=self.env,
                input=data,
                capture_output=True,
                timeout=_TIMEOUT,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise TreeError(f"tree {self.label}: git {args[0]} failed: {exc}") from None

    def out(self, *args: str) -> str | None:
        """Stripped stdout of a successful call, else None."""
        res = self.run(*args)
        if res.returncode != 0:
            return None
        return res.stdout.decode("utf-8", "replace").strip()


def open_repo(path: str, runner: Runner) -> tuple[str, str]:
    """(absolute git dir, absolute objects dir) of the repository at path."""
    label = path
    if not Path(path).is_dir():
        raise TreeError(f"tree {label}: not a directory")
    git = GitRunner(runner, path, clean_env({}), label)
    res = git.run("rev-parse", "--absolute-git-dir", "--git-common-dir")
    if res.returncode != 0:
        err = first_error(res.stderr)
        raise TreeError(f"tree {label}: not a git checkout ({err})")
    lines = res.stdout.decode("utf-8", "surrogateescape").splitlines()
    git_dir = lines[0]
    common = Path(lines[1]) if len(lines) > 1 else Path(git_dir)
    if not common.is_absolute():
        common = Path(path).resolve() / common
    return git_dir, str(common.resolve() / "objects")
