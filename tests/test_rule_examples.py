"""Every rule's bad and good examples, run through the whole pipeline.

fixtures/rules/<rule-name>/bad*.{mbox,eml,patch} must give a finding of
that rule where its ``X-Reviewpatch-Expect:`` header says: ``PATH:LINE
SYMBOL`` (a file line and the symbol named), ``mail:N patch P`` (line N of
patch P's mail), ``patch P`` (the patch, no line) or ``series``;
good*.{...} must give none.  A fixture folder may hold
a ``tree/`` folder of plain files: the test then commits them to a fresh git
repository and reviews in tree mode (``--tree``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.findings import Finding
from reviewpatch.rules import all_rules
from reviewpatch.settings import Settings

RULES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
SUFFIXES = (".mbox", ".eml", ".patch")


def _cases() -> list[tuple[str, Path]]:
    out = []
    for folder in sorted(p for p in RULES_DIR.glob("*") if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.suffix in SUFFIXES and path.name.startswith(("bad", "good")):
                out.append((folder.name, path))
    return out


def _git_tree(src: Path, dest: Path) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(dest), *args], check=True, capture_output=True)

    dest.mkdir()
    git("init", "-q")
    for path in sorted(src.rglob("*")):
        if path.is_file():
            target = dest / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")
    return dest


@pytest.mark.parametrize("rule_name, path", _cases(), ids=[f"{r}/{p.name}" for r, p in _cases()])
def test_rule_example(rule_name: str, path: Path, tmp_path: Path) -> None:
    known = {r.name for r in all_rules()}
    assert rule_name in known, f"fixtures/rules/{rule_name} names no rule"
    settings = Settings()
    tree = path.parent / "tree"
    pointer = path.parent / "tree.path"
    if pointer.is_file():
        tree = (path.parent / pointer.read_text(encoding="utf-8").strip()).resolve()
    if tree.is_dir():
        settings = Settings(tree=str(_git_tree(tree, tmp_path / "tree")))
    report = review(str(path), settings)
    hits = [f for f in report.findings if f.rule_name == rule_name]
    if path.name.startswith("bad"):
        assert hits, f"{path.name}: expected a {rule_name} finding, got none"
        want = _expected(path)
        got = [_where(f) for f in hits]
        assert want in got, f"{path.name}: expected a finding at {want!r}, got {got}"
    else:
        assert not hits, f"{path.name}: expected no {rule_name} finding, got: " + "; ".join(
            f.message for f in hits
        )


def _expected(path: Path) -> str:
    """The ``X-Reviewpatch-Expect:`` header of a bad fixture (required)."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("X-Reviewpatch-Expect:"):
            return line.split(":", 1)[1].strip()
        if not line.strip():
            break  # the first mail's header block ends
    raise AssertionError(f"{path.name}: a bad fixture needs an X-Reviewpatch-Expect: header")


def _where(f: Finding) -> str:
    loc = f.location
    if loc.file:
        return f"{loc.file}:{loc.line} {loc.symbol or ''}".rstrip()
    if loc.mail_line is not None:
        return f"mail:{loc.mail_line}" + (f" patch {loc.patch_index}" if loc.patch_index else "")
    return f"patch {loc.patch_index}" if loc.patch_index else "series"


def test_every_rule_has_bad_and_good_examples() -> None:
    cases = _cases()
    for spec in all_rules():
        names = [p.name for r, p in cases if r == spec.name]
        assert any(n.startswith("bad") for n in names), f"{spec.id} {spec.name} has no bad example"
        assert any(n.startswith("good") for n in names), (
            f"{spec.id} {spec.name} has no good example"
        )
