"""A stand-in for the kernel tree of tree mode: ``StubTree`` has every
member of ``reviewpatch.kernel.protocol.KernelTree`` and knows nothing (no
files, no definitions, no references, no commits, every patch applied).
Tests subclass it and override what their case needs."""

from __future__ import annotations

__all__ = ["StubTree"]

from collections.abc import Iterable

from reviewpatch.kernel import ApplyProblem, Definition


class StubTree:
    """An empty kernel tree.  ``find_definitions`` is derived from
    ``find_definition``, so a subclass that knows some definitions
    overrides only the latter."""

    problems: tuple[ApplyProblem, ...] = ()
    base_note = ""

    def old_file(self, path: str, blob: str | None = None) -> str | None:
        return None

    def new_file(self, path: str) -> str | None:
        return None

    def file_after(self, patch_index: int, path: str) -> str | None:
        return None

    def find_definition(self, name: str) -> tuple[str, str] | None:
        return None

    def find_definitions(self, name: str) -> tuple[Definition, ...]:
        hit = self.find_definition(name)
        if hit is None:
            return ()
        kind = "macro" if hit[1].lstrip().startswith("#") else "function"
        return (Definition(path=hit[0], line=1, kind=kind, text=hit[1]),)

    def prefetch_definitions(self, names: Iterable[str]) -> None:
        return None

    def grep(self, name: str) -> tuple[tuple[str, int, str], ...]:
        return ()

    def config_symbols(self, names: Iterable[str]) -> frozenset[str]:
        return frozenset()

    def commit_subject(self, rev: str) -> str | None:
        return None
