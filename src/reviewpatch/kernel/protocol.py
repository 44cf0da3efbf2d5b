"""What the C analysis and the rules ask of the kernel tree of tree mode
(``--tree``): the ``KernelTree`` protocol, and the values it answers with.

``reviewpatch.kernel.tree.TreeSource`` implements it with git; tests pass
stand-ins with the same members.  This module holds typing and frozen data
only (no git, no subprocess), so ``reviewpatch.csource`` may import it for
its annotations.
"""

from __future__ import annotations

__all__ = ["ApplyProblem", "KernelTree"]

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from reviewpatch.kernel.treedefs import Definition


@dataclass(frozen=True)
class ApplyProblem:
    """A patch of the series that did not apply.  ``git_error`` is git's
    first error line; ``message`` the one-line text for a report.
    ``certain``: it failed on its own declared base, or on the exact
    pre-images its ``index`` lines name; False when it only failed on
    another tree (HEAD), which proves nothing about the patch."""

    patch_index: int
    message: str
    git_error: str
    msgid: str = ""
    certain: bool = True


class KernelTree(Protocol):
    """Whole files, definitions, references and commits of a kernel
    checkout, before and after the series.

    Lookups may raise ``ReviewpatchError`` or ``OSError``; callers treat
    the tree as best-effort evidence and fall back to the diff."""

    @property
    def problems(self) -> Sequence[ApplyProblem]:
        """The patches of the series that did not apply, in series order."""
        ...

    @property
    def base_note(self) -> str:
        """Where the pre-image comes from, one line ("pre-image from
        base-commit ..." or "pre-image from HEAD ...: why")."""
        ...

    def old_file(self, path: str, blob: str | None) -> str | None:
        """The pre-image of ``path`` (from ``blob`` when given), or None."""
        ...

    def new_file(self, path: str) -> str | None:
        """The post-image of ``path`` after applying the series, or None
        when it is absent or unknown (a patch changing it did not apply)."""
        ...

    def file_after(self, patch_index: int, path: str) -> str | None:
        """``path`` right after patch ``patch_index``; None when that patch
        did not apply or the file does not exist then."""
        ...

    def find_definition(self, name: str) -> tuple[str, str] | None:
        """(path, text) of the best definition of function or macro
        ``name`` in the post-image, or None."""
        ...

    def find_definitions(self, name: str) -> tuple[Definition, ...]:
        """Every definition of ``name`` in the post-image, best first."""
        ...

    def prefetch_definitions(self, names: Iterable[str]) -> None:
        """Look up the definitions of many names at once, ahead of
        ``find_definition`` calls for them."""
        ...

    def grep(self, name: str) -> tuple[tuple[str, int, str], ...]:
        """Whole-word references to ``name`` in the post-image, as
        (path, line, text)."""
        ...

    def config_symbols(self, names: Iterable[str]) -> frozenset[str]:
        """The names among ``names`` (without ``CONFIG_``) that a Kconfig
        file of the post-image defines (``config X``, ``menuconfig X``)."""
        ...

    def commit_subject(self, rev: str) -> str | None:
        """The subject line of commit ``rev`` in the repository, or None
        when it has no such commit."""
        ...
