"""Running git for tree mode: a fixed environment, errors as TreeError.

Inherited ``GIT_*`` variables are dropped so that the caller's environment
cannot point git at another repository, index or object store.
"""

from __future__ import annotations

__all__ = [
    "BlobReader",
    "GitRunner",
    "Runner",
    "first_error",
    "clean_env",
    "open_repo",
    "worktree_of",
]

import os
import subprocess
import threading
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


def worktree_of(path: str, runner: Runner) -> str | None:
    """The top directory of the checkout at ``path``; None for a bare
    repository."""
    git = GitRunner(runner, path, clean_env({}), path)
    if git.out("rev-parse", "--is-bare-repository") != "false":
        return None
    top = git.out("rev-parse", "--show-toplevel")
    return top or None


class BlobReader:
    """One long-lived ``git cat-file --batch``: the text of any object
    name (``<tree>:<path>``, a blob id) without a process per file.
    Started on first use; ``close()`` ends it."""

    def __init__(self, git: GitRunner) -> None:
        self._git = git
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def read(self, spec: str) -> bytes | None:
        """The blob's bytes, or None when git has no such blob."""
        got = self.lookup(spec)
        return None if got is None else got[1]

    def lookup(self, spec: str) -> tuple[str, bytes] | None:
        """(full object id, bytes) of the blob ``spec`` names (an
        abbreviated id is resolved), or None when git has no such blob."""
        if not spec or "\n" in spec:
            return None
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
                proc.stdin.flush()
                header = proc.stdout.readline()
            except OSError as exc:
                self._stop()
                raise TreeError(f"tree {self._git.label}: git cat-file failed: {exc}") from None
            fields = header.split()
            if len(fields) != 3 or not fields[2].isdigit():
                if not header:
                    self._stop()
                    raise TreeError(f"tree {self._git.label}: git cat-file ended")
                return None  # "<spec> missing" or "ambiguous"
            size = int(fields[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)
            if len(data) != size:
                self._stop()
                raise TreeError(f"tree {self._git.label}: git cat-file ended early")
            return (fields[0].decode("ascii"), data) if fields[1] == b"blob" else None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self._git.cwd,
                    env=self._git.env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as exc:
                raise TreeError(f"tree {self._git.label}: git cat-file failed: {exc}") from None
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """End the git process.  Safe to call twice."""
        with self._lock:
            self._stop()
