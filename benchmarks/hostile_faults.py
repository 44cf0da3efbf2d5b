"""Archive faults and cache abuse for ``bench_hostile.py``: ``reviewpatch
<msgid>`` against a misbehaving server on 127.0.0.1 (``tests/faultserver.py``)
with ``--timeout 2`` and ``retries = 1``, so every fault must end in exit 3
within 2 s x 2 + 0.5 s of backoff (plus the start of the process)."""

from __future__ import annotations

__all__ = ["fault_runs"]

import gzip
from dataclasses import dataclass
from pathlib import Path

from faultserver import Fault, serve_faults
from hostile_corpus import ROOT, gzip_bomb
from hostile_run import Result, command, common_checks, run_process

from reviewpatch.cache import Cache

MID = "20250101000000.1-1-dev@example.org"
TIMEOUT = 2.0
BOUND = TIMEOUT * 2 + 0.5
STARTUP = 3.0  # interpreter, imports and the review of what came back
SAMPLE = (ROOT / "fixtures/sample/arm64-exit-work.mbox").read_bytes()
GOOD = Fault(body=gzip.compress(SAMPLE))
MBOX_HEAD = b"From x@y Thu Jan  1 00:00:00 1970\nMessage-ID: <a@b>\n\n"


@dataclass(frozen=True)
class FaultCase:
    name: str
    fault: Fault
    codes: tuple[int, ...] = (3,)
    words: str = ""
    damage: str = ""  # truncate | oversize | headerless: planted in the cache first
    offline: bool = False
    quick: bool = False


def _cases() -> list[FaultCase]:
    gone = Fault(status=404)
    return [
        FaultCase(
            "slow drip body, 1 byte / 0.3 s forever",
            Fault(body=MBOX_HEAD, drip=0.3, length=None),
            words="timed out",
            quick=True,
        ),
        FaultCase("slow drip headers", Fault(drip=0.3, drip_headers=True), words="timed out"),
        FaultCase(
            "stalls after the headers",
            Fault(body=MBOX_HEAD, drip=60.0, length=None),
            words="timed out",
        ),
        FaultCase(
            "1 GB body announced", Fault(body=MBOX_HEAD, pad=1 << 30), words="announces", quick=True
        ),
        FaultCase(
            "1 GB mbox body, no length",
            Fault(body=MBOX_HEAD, pad=1 << 30, pad_byte=b"y", length=None),
            words="exceeds",
        ),
        FaultCase("gzip bomb 500 MB", Fault(body=gzip_bomb(500 << 20)), words="exceeds"),
        FaultCase("HTTP 500 forever", Fault(status=500), words="HTTP 500"),
        FaultCase("HTTP 503 once, then good", Fault(status=503), codes=(0, 1)),
        FaultCase(
            "reset mid-body forever",
            Fault(body=gzip.compress(SAMPLE), reset_after=100),
            words="unreachable",
        ),
        FaultCase(
            "truncated gzip", Fault(body=gzip.compress(SAMPLE)[:300]), words="truncated gzip"
        ),
        FaultCase(
            "HTML page with status 200",
            Fault(body=b"<html><script>x()</script></html>"),
            words="neither gzip",
        ),
        FaultCase("404 for thread and mail", gone, words="not found"),
        FaultCase(
            "body cut short of its length",
            Fault(body=SAMPLE[:100], length=len(SAMPLE)),
            words="unreachable",
        ),
        FaultCase(
            "truncated cache entry, --offline",
            GOOD,
            damage="truncate",
            offline=True,
            words="run without --offline",
            quick=True,
        ),
        FaultCase(
            "2 GB cache entry, --offline", GOOD, damage="oversize", offline=True, words="more than"
        ),
        FaultCase(
            "cache entry without checksum, --offline",
            GOOD,
            damage="headerless",
            offline=True,
            words="checksum",
        ),
        FaultCase("truncated cache entry, online", GOOD, codes=(0, 1), damage="truncate"),
        FaultCase("2 GB cache entry, online", GOOD, codes=(0, 1), damage="oversize"),
        FaultCase("good cache entry, --offline", GOOD, codes=(0, 1), damage="none", offline=True),
    ]


def _plant(cache: Cache, base: str, damage: str) -> None:
    path = cache.put(base, MID, "thread", SAMPLE)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "oversize":
        with path.open("r+b") as handle:
            handle.truncate(2 << 30)  # sparse
    elif damage == "headerless":
        path.write_bytes(SAMPLE)


def _one(case: FaultCase, scratch: Path, env: dict[str, str], index: int) -> Result:
    home = scratch / f"fault-{index}"
    home.mkdir(parents=True)
    config = home / "rp.toml"
    config.write_text("retries = 1\n")
    cache = Cache(home / "cache")
    script = {"t.mbox.gz": [case.fault], "raw": [case.fault]}
    if case.name.startswith("HTTP 503 once"):
        script = {"t.mbox.gz": [case.fault, GOOD]}
    with serve_faults(script) as server:
        if case.damage:
            _plant(cache, server.base_url, case.damage)
        argv = [*command(), MID, "--archive", server.base_url, "--cache-dir", str(cache.root)]
        argv += ["--timeout", str(TIMEOUT), "--config", str(config), "--format", "json"]
        argv += ["--offline"] if case.offline else []
        run = run_process(argv, stdin=None, env=env, cwd=home, timeout=BOUND + STARTUP + 5)
    problems = common_checks(run, BOUND + STARTUP)
    if run.code not in case.codes:
        problems.append(f"exit {run.code}, expected {'/'.join(map(str, case.codes))}")
    if case.words and case.words.encode() not in run.stderr:
        problems.append(f"stderr does not say {case.words!r}: {run.stderr[:200]!r}")
    entry = cache.lookup(server.base_url, MID, "thread")
    if case.codes == (3,) and not case.damage and entry.path.exists():
        problems.append("a refused answer was cached")
    if case.codes != (3,) and entry.data is None:
        problems.append(f"the cache entry is not good afterwards ({entry.problem})")
    repro = f"bench_hostile.py --category 'archive faults': {case.name}"
    category = "cache abuse" if case.damage else "archive faults"
    return Result(category, case.name, "json", run, problems, repro)


def fault_runs(scratch: Path, env: dict[str, str], *, quick: bool) -> list[Result]:
    """Run every fault (or the quick ones), one after another."""
    cases = [c for c in _cases() if c.quick or not quick]
    return [_one(case, scratch, env, i) for i, case in enumerate(cases)]
