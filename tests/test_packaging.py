"""The wheel ships every package: pyproject.toml lists the packages by hand
(templates/ is mapped into the package), so a new subpackage must be added
there or a non-editable install would lack it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_under_src_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    src = ROOT / "src"
    found = {
        ".".join(p.parent.relative_to(src).parts)
        for p in src.rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found - listed == set(), "add these packages to pyproject.toml"
    assert listed - found == {"reviewpatch.templates"}
