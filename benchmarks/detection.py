"""Write docs/detection.md: per-rule recall and false alarms on the labelled
corpus, and precision as judged on fresh random samples.

One command regenerates it (the archives as for evaluate.py)::

    python benchmarks/detection.py \\
        --archive linux-arch=http://127.0.0.1:8080/linux-arch/ \\
        --archive linux-pm=http://127.0.0.1:8081/linux-pm/ --out docs/detection.md

The corpus part reviews every case of benchmarks/corpus/ (both splits) in
hunk mode, as ``evaluate.py --split all`` does.  The precision part is read
from benchmarks/judged.toml: the warnings and errors of fresh random
samples, judged by hand.  The document carries no date: the same corpus,
judgements and code give the same text.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import (  # noqa: E402
    CORPUS_DIR,
    Archives,
    CorpusSummary,
    RuleRecall,
    evaluate_corpus,
    load_corpus,
)

from reviewpatch import __version__  # noqa: E402
from reviewpatch.rules import all_rules  # noqa: E402
from reviewpatch.settings import Settings  # noqa: E402

JUDGED = Path(__file__).resolve().parent / "judged.toml"


@dataclass(frozen=True)
class Judged:
    """Right and wrong warnings/errors of one rule over the judged samples."""

    right: int
    wrong: int

    @property
    def precision(self) -> float | None:
        total = self.right + self.wrong
        return self.right / total if total else None


def read_judged(path: Path) -> tuple[dict[str, Judged], list[str], int]:
    """Per rule id the judged counts, the samples' descriptions and the
    number of patches they held."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    per: dict[str, list[int]] = {}
    samples: list[str] = []
    patches = 0
    for sample in data.get("sample", []):
        samples.append(f"seed {sample['seed']} ({', '.join(sample['lists'])})")
        patches += int(sample["patches"])
        for rule_id, counts in sample["rules"].items():
            row = per.setdefault(rule_id, [0, 0])
            row[0] += int(counts["right"])
            row[1] += int(counts["wrong"])
    return {k: Judged(v[0], v[1]) for k, v in per.items()}, samples, patches


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{round(100 * x)} %"


def render(
    tune: CorpusSummary,
    holdout: CorpusSummary,
    judged: dict[str, Judged],
    samples: list[str],
    patches: int,
) -> str:
    lines = [
        "# Detection rates, rule by rule",
        "",
        f"Measured with reviewpatch {__version__} in hunk mode (the mail alone). "
        "Regenerate with `python benchmarks/detection.py --archive LIST=URL ... "
        "--out docs/detection.md`.",
        "",
        "- **Recall** (labelled corpus, `benchmarks/corpus/`): of the real patches known "
        "to be wrong in a way the rule is meant to catch (a later `Fixes:` tag, a "
        "reviewer's reply the author acted on, or a build report), how many drew the rule "
        "at warning or error.  *tune* cases were looked at while writing the rules; "
        "*holdout* cases never were.",
        "- **False alarms**: correct patches of the same shapes on which a C rule fired "
        "at warning or error.",
        "- **Precision** (judged): of the warnings and errors the rule raised on fresh "
        "random series of the archives, how many a kernel reviewer would send "
        f"(`benchmarks/judged.toml`: {', '.join(samples)}; {patches} patches; judged "
        "before the fixes each sample led to).",
        "",
        "| id | rule | recall (tune) | recall (holdout) | false alarms | judged right | "
        "precision |",
        "|----|------|---------------|------------------|--------------|--------------|"
        "-----------|",
    ]
    by_id = {r.id: r for r in all_rules()}
    recall_t = {r.rule_id: r for r in tune.rules if r.rule_id}
    recall_h = {r.rule_id: r for r in holdout.rules if r.rule_id}
    for rule_id in sorted(by_id):
        spec = by_id[rule_id]
        t, h, j = recall_t.get(rule_id), recall_h.get(rule_id), judged.get(rule_id)
        if t is None and h is None and j is None:
            continue
        alarms = (t.false_alarms if t else 0) + (h.false_alarms if h else 0)
        shown = str(alarms) if rule_id.startswith("RP3") and (t or h) else "-"
        lines.append(
            f"| {rule_id} | {spec.name} | {_frac(t)} | {_frac(h)} | {shown} | "
            f"{f'{j.right}/{j.right + j.wrong}' if j else '-'} | "
            f"{_pct(j.precision) if j else '-'} |"
        )
    right = sum(j.right for j in judged.values())
    total = sum(j.right + j.wrong for j in judged.values())
    lines += [
        "",
        f"Over all rules: {right} of {total} judged warnings and errors right "
        f"({_pct(right / total if total else None)}), "
        f"{10 * total / patches:.2f} per 10 patches."
        if patches
        else "",
        "",
        "Rules without a row have neither corpus cases nor judged findings yet.",
        "",
    ]
    return "\n".join(lines)


def _frac(r: RuleRecall | None) -> str:
    return f"{r.hits}/{r.expected}" if r is not None and r.expected else "-"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--archive", action="append", default=[], metavar="[LIST=]URL")
    p.add_argument("--out", default="docs/detection.md", metavar="FILE")
    p.add_argument("--cache-dir", default=None)
    args = p.parse_args(argv)
    if not args.archive:
        print("detection.py: error: --archive URL is required", file=sys.stderr)
        return 2
    archives = Archives.parse(args.archive)
    cases = load_corpus(Path(CORPUS_DIR))
    judged, samples, patches = read_judged(JUDGED)
    with tempfile.TemporaryDirectory(prefix="reviewpatch-detection-") as tmp:
        settings = Settings(cache_dir=args.cache_dir or tmp)
        with requests.Session() as http:
            summaries = [
                evaluate_corpus(
                    cases,
                    archives,
                    settings,
                    split=split,
                    directory=str(CORPUS_DIR),
                    session=http,
                    say=lambda _m: None,
                )
                for split in ("tune", "holdout")
            ]
    text = render(summaries[0], summaries[1], judged, samples, patches)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
