"""Running one ``reviewpatch`` process for ``bench_hostile.py``: wall
timeout, peak memory (``os.wait4``), and the checks every run must pass."""

from __future__ import annotations

__all__ = [
    "DOCUMENTED",
    "MEMORY_CAP_KB",
    "Result",
    "Run",
    "child_env",
    "command",
    "common_checks",
    "run_process",
]

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DOCUMENTED = (0, 1, 2, 3, 4)
MEMORY_CAP_KB = 1 << 20


@dataclass(frozen=True)
class Run:
    """One finished process."""

    code: int
    seconds: float
    rss_kb: int
    stdout: bytes
    stderr: bytes
    timed_out: bool


@dataclass
class Result:
    """One checked run: what failed, and how to run it again."""

    category: str
    name: str
    fmt: str
    run: Run
    failures: list[str] = field(default_factory=list)
    repro: str = ""


def run_process(
    argv: Sequence[str], *, stdin: Path | None, env: dict[str, str], cwd: Path, timeout: float
) -> Run:
    """Run ``argv`` in its own process group; kill that group at ``timeout``."""
    killed = threading.Event()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        open(stdin or os.devnull, "rb") as inp,
    ):
        start = time.monotonic()
        proc = subprocess.Popen(
            list(argv), stdin=inp, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True
        )

        def kill() -> None:
            killed.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Run(
            proc.returncode, seconds, usage.ru_maxrss, out.read(), err.read(), killed.is_set()
        )


def command() -> list[str]:
    """The reviewpatch command, in the interpreter running the benchmark."""
    return [sys.executable, "-m", "reviewpatch.cli"]


def child_env(home: Path) -> dict[str, str]:
    """A clean environment: scratch HOME, no colour, no real archive."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWPATCH")}
    env.update(HOME=str(home), NO_COLOR="1", LC_ALL="C.UTF-8", GIT_CONFIG_NOSYSTEM="1")
    env["REVIEWPATCH_ARCHIVE"] = "http://127.0.0.1:9/none"
    return env


def common_checks(run: Run, timeout: float) -> list[str]:
    """What is wrong with any run: time, memory, traceback, exit code, error lines."""
    problems = []
    if run.timed_out or run.seconds >= timeout:
        problems.append(f"did not finish in {timeout:g} s")
    if run.rss_kb >= MEMORY_CAP_KB:
        problems.append(f"peak memory {run.rss_kb // 1024} MB")
    if b"Traceback (most recent call last)" in run.stderr:
        last = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1]
        problems.append(f"traceback: {last[:160]}")
    elif not run.timed_out and run.code not in DOCUMENTED:
        problems.append(f"undocumented exit code {run.code}")
    if run.code in (2, 3, 4) and not run.timed_out:
        errors = [ln for ln in run.stderr.splitlines() if not ln.startswith(b"reviewpatch: warn")]
        if len(errors) != 1 or not errors[0].startswith(b"reviewpatch: error:"):
            problems.append(f"error is not one line: {run.stderr[:160]!r}")
    return problems
