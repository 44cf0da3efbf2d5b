"""Benchmark: reviewpatch against hostile mail and a hostile archive.

Generates its own corpus (``hostile_corpus.py``, ``hostile_more.py``: about
340 mutations of the fixture threads and, when present, the real threads in
``../shared/real-threads``) and runs ``reviewpatch`` on each input as a fresh
process, as JSON and text (and HTML for some), with a wall timeout.  Then it
plays a misbehaving archive on 127.0.0.1 (``tests/faultserver.py``): slow
drips, huge bodies, 5xx, resets, truncated gzip, and abuses the cache
(a truncated entry read ``--offline``, an oversized entry, a header-less one).

Every run must: finish within ``--timeout`` (10 s), peak under 1 GB of
resident memory (``os.wait4``), print no Python traceback, exit with a
documented code (README "Exit codes") and an error as one line, lose no
patch (the JSON patch count equals what the generator knows survives), and
carry no injection (no ESC, CSI or BEL byte in text output, no live
``<script>``, event handler or ``javascript:`` link from the mail in HTML).

    python benchmarks/bench_hostile.py            # everything, ~10 min on 2 cores
    python benchmarks/bench_hostile.py --quick    # a subset, ~1 min
    python benchmarks/bench_hostile.py --keep /tmp/hostile   # keep the corpus

It prints a table per category and the failures, each with a command that
reproduces it (from the kept corpus).  Not a test: it exits 0 either way
unless ``--strict``.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from hostile_corpus import Base, Case, build_corpus, load_bases, mbox_of  # noqa: E402
from hostile_faults import fault_runs  # noqa: E402
from hostile_run import (  # noqa: E402
    DOCUMENTED,
    Result,
    Run,
    child_env,
    command,
    common_checks,
    run_process,
)

_CONTROL = (b"\x1b", b"\xc2\x9b", b"\x07", "\u202e".encode())


class _Markup(HTMLParser):
    """Finds what a browser would act on in the report: the mail's payload
    (``rpxss``) in a script element or an event handler, or a
    ``javascript:`` link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            text = (value or "").strip().lower()
            if name.startswith("on") and "rpxss" in text:
                self.found.append(f"<{tag} {name}=...rpxss>")
            if name in ("href", "src", "action", "formaction") and text.startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "rpxss" in data:
            self.found.append("<script> holding the mail's payload")


def live_markup(html: str) -> list[str]:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return [f"live markup in HTML: {what}" for what in dict.fromkeys(parser.found)]


def patch_count(run: Run) -> int | None:
    if run.code not in (0, 1):
        return 0 if run.code == 4 else None
    try:
        return len(json.loads(run.stdout)["series"]["patches"])
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Baseline:
    patches: int
    msgids: tuple[str, ...]
    ends: dict[str, int]  # Message-ID -> end offset of its mail in the base mbox


def baselines(bases: tuple[Base, ...], scratch: Path, env: dict[str, str]) -> dict[str, Baseline]:
    from publicinbox import msgid_of

    found = {}
    for base in bases:
        path = scratch / f"base-{base.name}.mbox"
        path.write_bytes(mbox_of(base.mails))
        run = run_process(
            [*command(), str(path), "--format", "json", "--offline"],
            stdin=None,
            env=env,
            cwd=scratch,
            timeout=60,
        )
        doc = json.loads(run.stdout)
        ids = tuple(p["msgid"] for p in doc["series"]["patches"])
        ends, offset = {}, 0
        for mail in base.mails:
            offset += len(mbox_of([mail]))
            ends[msgid_of(mail) or ""] = offset
        found[base.name] = Baseline(len(ids), ids, ends)
    return found


def expectation(case: Case, known: dict[str, Baseline]) -> tuple[int, int] | None:
    """(least, most) patches the output must hold, when the generator knows."""
    if case.expect == "exact":
        return case.patches, case.patches
    if case.base is None or case.base not in known:
        return None
    base = known[case.base]
    if case.expect == "same":
        return base.patches, base.patches
    if case.expect == "prefix":
        whole = sum(1 for mid in base.msgids if base.ends.get(mid, 1 << 62) <= case.cut)
        return whole, base.patches
    return None


def check_case(
    case: Case, fmt: str, run: Run, known: dict[str, Baseline], timeout: float
) -> list[str]:
    problems = common_checks(run, timeout)
    if run.code not in case.codes and not run.timed_out and run.code in DOCUMENTED:
        problems.append(f"exit {run.code}, expected {'/'.join(map(str, case.codes))}")
    if fmt == "json":
        wanted = expectation(case, known)
        got = patch_count(run)
        if wanted is not None and got is not None and not wanted[0] <= got <= wanted[1]:
            want = str(wanted[0]) if wanted[0] == wanted[1] else f"{wanted[0]}..{wanted[1]}"
            problems.append(f"patches: {got}, expected {want}")
    if fmt == "text":
        for byte in _CONTROL:
            if byte in run.stdout or byte in run.stderr:
                problems.append(f"control sequence {byte!r} in the text output")
    if fmt == "html":
        problems += live_markup(run.stdout.decode("utf-8", "replace"))
    return problems


def run_case(case: Case, fmt: str, ctx: dict[str, object]) -> Result:
    source = "-" if case.stdin else str(case.path)
    argv = [*command(), source, "--format", fmt, "--offline", "--color", "never"]
    argv += ["--cache-dir", str(ctx["cache"]), *case.extra]
    timeout = float(ctx["timeout"])  # type: ignore[arg-type]
    run = run_process(
        argv,
        stdin=case.path if case.stdin else None,
        env=ctx["env"],  # type: ignore[arg-type]
        cwd=ctx["cwd"],  # type: ignore[arg-type]
        timeout=timeout,
    )
    problems = check_case(case, fmt, run, ctx["known"], timeout)  # type: ignore[arg-type]
    where = f"< {case.path}" if case.stdin else str(case.path)
    repro = f"reviewpatch {'-' if case.stdin else ''} {where} --format {fmt} --offline".replace(
        "  ", " "
    )
    return Result(case.category, case.name, fmt, run, problems, repro)


def pick_quick(cases: list[Case]) -> list[Case]:
    seen: set[str] = set()
    chosen = []
    for index, case in enumerate(cases):
        if case.category not in seen or index % 9 == 0:
            chosen.append(case)
            seen.add(case.category)
    return chosen


def table(results: list[Result]) -> str:
    rows = ["| category | inputs | runs | pass | fail | worst time (s) | worst peak (MB) |"]
    rows.append("|---|---|---|---|---|---|---|")
    categories = list(dict.fromkeys(r.category for r in results))
    total = [0, 0, 0, 0, 0.0, 0]
    for category in categories:
        mine = [r for r in results if r.category == category]
        inputs = len({r.name for r in mine})
        failed = sum(1 for r in mine if r.failures)
        worst_t = max(r.run.seconds for r in mine)
        worst_m = max(r.run.rss_kb for r in mine) // 1024
        rows.append(
            f"| {category} | {inputs} | {len(mine)} | {len(mine) - failed} | {failed} "
            f"| {worst_t:.2f} | {worst_m} |"
        )
        total = [total[0] + inputs, total[1] + len(mine), total[2] + len(mine) - failed,
                 total[3] + failed, max(total[4], worst_t), max(total[5], worst_m)]  # fmt: skip
    rows.append(
        f"| **all** | {total[0]} | {total[1]} | {total[2]} | {total[3]} "
        f"| {total[4]:.2f} | {total[5]} |"
    )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small subset")
    parser.add_argument("--timeout", type=float, default=10.0, help="wall limit per run")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2)))
    parser.add_argument("--keep", metavar="DIR", help="write the corpus here and keep it")
    parser.add_argument("--category", action="append", help="only these categories")
    parser.add_argument("--no-faults", action="store_true", help="skip the archive faults")
    parser.add_argument("--strict", action="store_true", help="exit 1 when anything fails")
    args = parser.parse_args(argv)
    scratch = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    if args.keep and scratch.exists():
        shutil.rmtree(scratch)
    (scratch / "home").mkdir(parents=True)
    env = child_env(scratch / "home")
    try:
        bases = load_bases()
        print(f"bases: {', '.join(b.name for b in bases)}", flush=True)
        cases = build_corpus(scratch / "corpus", bases)
        if args.category:
            cases = [c for c in cases if c.category in args.category]
        if args.quick:
            cases = pick_quick(cases)
        known = baselines(bases, scratch, env)
        ctx: dict[str, object] = {
            "cache": scratch / "cache", "env": env, "cwd": scratch, "known": known,
            "timeout": args.timeout,
        }  # fmt: skip
        jobs = [(c, f) for c in cases for f in c.formats]
        print(f"{len(cases)} inputs, {len(jobs)} runs, {args.jobs} at a time", flush=True)
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda job: run_case(job[0], job[1], ctx), jobs))
        if not args.no_faults:
            results += fault_runs(scratch, env, quick=args.quick)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print(table(results))
    failures = [r for r in results if r.failures]
    print(f"\n{len(failures)} failure(s)")
    for result in failures:
        print(f"- {result.category} / {result.name} [{result.fmt}] "
              f"({result.run.seconds:.1f} s, {result.run.rss_kb // 1024} MB, exit {result.run.code}): "
              f"{'; '.join(result.failures)}\n    {result.repro}")  # fmt: skip
    if not args.keep and failures:
        print("(run with --keep DIR to keep the inputs the commands name)")
    return 1 if args.strict and failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
