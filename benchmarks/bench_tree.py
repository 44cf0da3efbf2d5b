"""Benchmark: tree mode on a real kernel checkout.

Measures, each as a fresh ``reviewpatch`` process with ``/usr/bin/time``:

1. the symbol index build of the checkout's tree (a fresh cache directory),
   its size on disk;
2. reviews of the given series with ``--tree`` once the index exists
   (wall clock and peak memory), and whether the checkout stayed untouched
   (refs, status and index file compared before and after).

The Linux 6.12 checkout comes from ``../shared/tools/kernel-tree.sh``; the
series are mbox files (the 3-patch initrd v4 thread of ``../shared`` and,
for example, the 35-patch memory-allocation-profiling v3 series)::

    python benchmarks/bench_tree.py --tree /tmp/linux \\
        ../shared/real-threads/initrd-v4.mbox.gz /tmp/surenb.mbox

Targets (issue "Tree mode on a real kernel checkout, in seconds"): index
under 90 s on 2 cores and under 500 MB on disk; then a 3-patch series in
under 3 s and a 35-patch series in under 15 s, memory under 1 GB.  Not a
test: it asserts nothing, and timings depend on the machine.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_TIME_RE = re.compile(r"^TIME (?P<wall>[0-9.]+) (?P<kb>[0-9]+)$", re.M)


def _state(repo: Path) -> tuple[str, str, bytes]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, check=True
        ).stdout

    refs = git("for-each-ref", "--format=%(refname) %(objectname)")
    index = repo / ".git" / "index"
    return refs, git("status", "--porcelain"), index.read_bytes() if index.is_file() else b""


def _timed(args: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak KB, exit code) of one reviewpatch run."""
    res = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %e %M", sys.executable, "-m", "reviewpatch.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    m = _TIME_RE.search(res.stderr)
    if m is None:
        raise SystemExit(f"bench_tree: no timing from /usr/bin/time: {res.stderr[-300:]}")
    return float(m["wall"]), int(m["kb"]), res.returncode


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", required=True, help="a kernel git checkout")
    parser.add_argument("--runs", type=int, default=2, help="reviews per series (default 2)")
    parser.add_argument("--cache-dir", help="reuse this cache (default: a fresh one)")
    parser.add_argument("series", nargs="+", help="mbox files to review")
    args = parser.parse_args(argv)
    repo = Path(args.tree)
    cache = Path(args.cache_dir) if args.cache_dir else Path(tempfile.mkdtemp(prefix="rp-bench-"))
    try:
        before = _state(repo)
        first = args.series[0]
        wall, kb, _rc = _timed(["--cache-dir", str(cache), "--tree", str(repo), first, "-q"])
        index = cache / "tree-index"
        size = _size(index) if index.is_dir() else 0
        print(
            f"index build + first review of {Path(first).name}: {wall:.1f} s, "
            f"{kb / 1024:.0f} MB peak; index {size / 1e6:.0f} MB on disk"
        )
        for mbox in args.series:
            for run in range(1, args.runs + 1):
                wall, kb, rc = _timed(["--cache-dir", str(cache), "--tree", str(repo), mbox, "-q"])
                print(
                    f"{Path(mbox).name} run {run}: {wall:.2f} s, {kb / 1024:.0f} MB peak, exit {rc}"
                )
        print("checkout untouched:", "yes" if _state(repo) == before else "NO")
    finally:
        if not args.cache_dir:
            shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
