"""Benchmark: review a large generated series in hunk mode and tree mode.

Builds the miniature kernel tree (fixtures/trees/mini-arm64) as a real git
repository, commits many small edits across its files, formats them with
``git format-patch --cover-letter --base=...`` into one mbox and reviews it
with ``reviewpatch.review``: once from the mail alone (hunk mode), once with
``Settings(tree=...)`` against a second repository at the base (tree mode).
It also times the tree plumbing alone (``TreeSource.open`` and lookups).

Prints patches per second (best of ``--repeat`` runs, without tracing) and
peak memory (tracemalloc's peak of one traced run, and the process's
maximum resident set size from ``resource.getrusage``).  Not a test: it
asserts nothing.  Run ``python benchmarks/bench_review.py --help``.
"""

from __future__ import annotations

__all__ = ["make_series", "main"]

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from treehelp import build_repo, commit, format_series, series_from_mbox  # noqa: E402

C_FILES = ("arch/arm64/kernel/ptrace.c", "arch/arm64/kernel/debug-monitors.c")
HEADERS = ("arch/arm64/include/asm/thread_info.h", "arch/arm64/include/asm/syscall.h")


@dataclass(frozen=True)
class Result:
    """One measured mode."""

    label: str
    patches: int
    best: float
    traced_peak: int
    maxrss_kib: int


def _append_helper(repo: Path, path: str, i: int) -> None:
    text = (repo / path).read_text()
    text += (
        f"\nstatic int bench_helper_{i}(struct pt_regs *regs, unsigned long flags)\n"
        "{\n"
        f"\tif (flags & _TIF_SYSCALL_TRACE)\n"
        f"\t\treturn {i};\n"
        "\treturn regs->syscallno;\n"
        "}\n"
    )
    (repo / path).write_text(text)


def _add_define(repo: Path, path: str, i: int) -> None:
    text = (repo / path).read_text()
    cut = text.rindex("#endif")
    line = f"#define BENCH_FLAG_{i}\t(_TIF_SYSCALL_TRACE | (1 << {i % 30}))\n\n"
    (repo / path).write_text(text[:cut] + line + text[cut:])


def _gate_helper(repo: Path, path: str, i: int) -> None:
    """Make an earlier helper's return conditional on another flag."""
    text = (repo / path).read_text()
    old = f"\t\treturn {i};\n"
    new = f"\t\treturn (flags & _TIF_SINGLESTEP) ? {i} : -{i};\n"
    (repo / path).write_text(text.replace(old, new, 1))


def make_series(work: Path, patches: int) -> tuple[Path, Path]:
    """(mbox path, reviewer repository at the base) for a generated series
    of ``patches`` patches."""
    author = work / "author"
    base = build_repo(author)
    appended: list[tuple[str, int]] = []
    for i in range(1, patches + 1):
        step = i % 3
        if step == 1 or not appended:
            path = C_FILES[i % len(C_FILES)]
            _append_helper(author, path, i)
            appended.append((path, i))
            what = f"add helper {i}"
        elif step == 2:
            path = HEADERS[i % len(HEADERS)]
            _add_define(author, path, i)
            what = f"add flag mask {i}"
        else:
            path, j = appended.pop(0)
            _gate_helper(author, path, j)
            what = f"gate helper {j} on single-step"
        commit(author, f"arm64: bench: {what}", f"Generated change {i} for the benchmark.")
    mbox = work / "series.mbox"
    mbox.write_text(format_series(author, base, cover="generated benchmark series"))
    reviewer = work / "linux"
    build_repo(reviewer)
    return mbox, reviewer


def _measure(label: str, patches: int, run: Callable[[], object], repeat: int) -> Result:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Result(label, patches, min(times), peak, rss)


def _print(result: Result) -> None:
    rate = result.patches / result.best if result.best else float("inf")
    print(
        f"{result.label:<14} {result.patches} patches in {result.best:.3f} s"
        f" = {rate:.1f} patches/s; traced peak {result.traced_peak / 2**20:.1f} MiB;"
        f" maxrss {result.maxrss_kib / 1024:.1f} MiB"
    )


def _plumbing(mbox: Path, reviewer: Path) -> Callable[[], object]:
    from reviewpatch.kernel.tree import TreeSource

    series = series_from_mbox(mbox.read_text())

    def run() -> object:
        with TreeSource.open(str(reviewer), series) as tree:
            for name in ("syscall_exit_work", "_TIF_SYSCALL_WORK", "rseq_syscall"):
                tree.find_definition(name)
            tree.grep("syscall_exit_work")
            return tree.problems

    return run


def _pipeline(mbox: Path, tree: Path | None) -> Callable[[], object]:
    from reviewpatch import review
    from reviewpatch.settings import Settings

    settings = Settings(offline=True, tree=str(tree) if tree else None)
    return lambda: review(str(mbox), settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=40, help="patches in the series")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per mode")
    parser.add_argument("--mode", choices=("all", "hunk", "tree", "plumbing"), default="all")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reviewpatch-bench-") as tmp:
        mbox, reviewer = make_series(Path(tmp), args.patches)
        print(f"series: {args.patches} patches, mbox {mbox.stat().st_size / 1024:.0f} KiB")
        modes = {
            "hunk": lambda: _pipeline(mbox, None),
            "tree": lambda: _pipeline(mbox, reviewer),
            "plumbing": lambda: _plumbing(mbox, reviewer),
        }
        for name, make in modes.items():
            if args.mode not in ("all", name):
                continue
            try:
                result = _measure(f"{name} mode", args.patches, make(), args.repeat)
            except Exception as exc:  # noqa: BLE001 - report it and measure the rest
                print(f"{name + ' mode':<14} not measured: {type(exc).__name__}: {exc}")
                continue
            _print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
