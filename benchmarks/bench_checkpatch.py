"""Benchmark: reviewpatch in hunk mode against ``checkpatch.pl --no-tree``.

Both tools read the same mbox file, each as a fresh process (interpreter
start included), best of ``--repeat`` wall-clock runs.  The default series
is the 35-patch memory-allocation-profiling v3 series
(20240212213922.783301-1-surenb@google.com), whose thread an archive
serves as ``<archive>/<msgid>/t.mbox.gz``; give ``--mbox`` to use a file
instead.  ``checkpatch.pl`` comes from a kernel checkout
(``../shared/tools/kernel-tree.sh`` makes one)::

    python benchmarks/bench_checkpatch.py --archive http://127.0.0.1:8080/linux-arch \\
        --checkpatch /tmp/linux/scripts/checkpatch.pl

Prints both times and their ratio (the target is reviewpatch <= 0.2x).  Not
a test: it asserts nothing, and timings depend on the machine.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SERIES = "20240212213922.783301-1-surenb@google.com"


def _fetch(archive: str, msgid: str, dest: Path) -> Path:
    url = f"{archive.rstrip('/')}/{msgid}/t.mbox.gz"
    with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 - a URL the user gives
        data = gzip.decompress(resp.read())
    out = dest / "series.mbox"
    out.write_bytes(data)
    return out


def _best(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archive", help="public-inbox base URL serving the series' thread")
    ap.add_argument("--msgid", default=SERIES, help=f"the series (default {SERIES})")
    ap.add_argument("--mbox", type=Path, help="an mbox file instead of --archive")
    ap.add_argument("--checkpatch", type=Path, required=True, help="path to checkpatch.pl")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    reviewpatch = shutil.which("reviewpatch")
    if reviewpatch is None:
        print("reviewpatch is not installed (pip install -e .)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        if args.mbox is not None:
            mbox = args.mbox
        elif args.archive:
            mbox = _fetch(args.archive, args.msgid, Path(tmp))
        else:
            print("give --archive or --mbox", file=sys.stderr)
            return 2
        rp = _best([reviewpatch, str(mbox), "--offline"], args.repeat)
        cp = _best(["perl", str(args.checkpatch), "--no-tree", str(mbox)], args.repeat)
    print(f"mbox:        {mbox.name if args.mbox else args.msgid}")
    print(f"reviewpatch: {rp:.2f} s (hunk mode, best of {args.repeat})")
    print(f"checkpatch:  {cp:.2f} s (--no-tree, best of {args.repeat})")
    print(f"ratio:       {rp / cp:.2f}x (target <= 0.20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
