"""The interface the C analysis expects of a kernel tree (``--tree``).

``reviewpatch.csource.tree.TreeSource`` implements it; tests may pass any
object with these members.
"""

from __future__ import annotations

__all__ = ["TreeLike"]

from collections.abc import Sequence
from typing import Any, Protocol


class TreeLike(Protocol):
    """Whole files and definitions from a kernel checkout."""

    problems: Sequence[Any]

    def old_file(self, path: str, blob: str | None) -> str | None:
        """The pre-image of ``path`` (from ``blob`` when given), or None."""
        ...

    def new_file(self, path: str) -> str | None:
        """The post-image of ``path`` after applying the series, or None."""
        ...

    def find_definition(self, name: str) -> tuple[str, str] | None:
        """(path, text) of the definition of function or macro ``name``."""
        ...
