"""RP319 enum-value-never-produced: how a line uses a name, and the rule in
tree mode on a real git repository (fixtures/rules/enum-value-never-produced)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.csource.uses import UseKind, use_kinds
from reviewpatch.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "enum-value-never-produced"


@pytest.mark.parametrize(
    ("line", "kinds"),
    [
        ("\tcase FOO_X:", (UseKind.CASE,)),
        ("\tcase FOO_X: case FOO_Y:", (UseKind.CASE,)),
        ("\tif (s == FOO_X) /* FOO_X */", (UseKind.TEST,)),
        ("\tif (FOO_X != s)", (UseKind.TEST,)),
        ('\t[FOO_X] = "x",', (UseKind.INDEX,)),
        ("\tfoo->state = FOO_X;", (UseKind.PRODUCE,)),
        ("\treturn FOO_X;", (UseKind.PRODUCE,)),
        ('\tfoo_set(foo, FOO_X, "FOO_X");', (UseKind.PRODUCE,)),
        ("#define FOO_ALIAS FOO_X", (UseKind.DIRECTIVE,)),
        ("\tFOO_X##name = 1,", (UseKind.PASTE,)),
        ("#define F(s) FOO_X##s", (UseKind.PASTE,)),
        ("\tcase FOO_W ... FOO_X:", (UseKind.PRODUCE,)),
        ("\t/* FOO_X */", ()),
    ],
)
def test_use_kinds(line: str, kinds: tuple[UseKind, ...]) -> None:
    assert use_kinds(line, "FOO_X") == kinds


def _repo(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base"],
    ):
        subprocess.run(["git", "-C", str(dest), *args], check=True, capture_output=True)
    return dest


def _rp319(mbox: Path, tree: Path | None) -> list[str]:
    settings = Settings(tree=str(tree)) if tree else Settings()
    return [f.message for f in review(str(mbox), settings).findings if f.rule_id == "RP319"]


def test_handled_value_without_producer_is_a_note_in_tree_mode_only(tmp_path: Path) -> None:
    mbox = FIXTURE / "bad-handled-state-never-entered.mbox"
    tree = _repo(FIXTURE / "tree", tmp_path / "tree")
    found = [
        f for f in review(str(mbox), Settings(tree=str(tree))).findings if f.rule_id == "RP319"
    ]
    assert [(f.severity.value, f.location.symbol) for f in found] == [
        ("note", "FOO_STATE_SUSPENDED")
    ]
    assert "drivers/misc/foo.c:37" in found[0].message
    assert _rp319(mbox, None) == []  # hunk mode cannot know what the tree produces


@pytest.mark.parametrize(
    "producer",
    [
        "#define FOO_STATE_PARKED FOO_STATE_SUSPENDED\n",  # an alias: may be produced by its name
        "#define FOO_SET(f, s) ((f)->state = FOO_STATE_##s)\n",  # names made by a macro
        "static const int foo_order[] = { FOO_STATE_SUSPENDED };\n",  # listed in a table
    ],
)
def test_a_possible_producer_in_the_tree_silences_it(producer: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(FIXTURE / "tree", src)
    extra = src / "drivers/misc/foo-pm.c"
    extra.write_text('#include "foo.h"\n\n' + producer)
    if "##" in producer:  # the pasted name, not the value, is in the file
        extra.write_text(
            extra.read_text() + "void foo_park(struct foo *f) { FOO_SET(f, SUSPENDED); }\n"
        )
    tree = _repo(src, tmp_path / "tree")
    assert _rp319(FIXTURE / "bad-handled-state-never-entered.mbox", tree) == []


def test_values_with_numbers_and_sentinels_are_left_alone(tmp_path: Path) -> None:
    mbox = (FIXTURE / "bad-handled-state-never-entered.mbox").read_text()
    tree = _repo(FIXTURE / "tree", tmp_path / "tree")
    numbered = tmp_path / "numbered.mbox"
    numbered.write_text(mbox.replace("+\tFOO_STATE_SUSPENDED,", "+\tFOO_STATE_SUSPENDED = 7,"))
    assert _rp319(numbered, tree) == []
