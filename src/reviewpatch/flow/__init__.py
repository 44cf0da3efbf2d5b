"""The differential engine: per call, the condition it runs under before
and after a patch, compared by a solver, with a witness for every
difference.  Reads the C facts of ``reviewpatch.csource``; the C rules
(``reviewpatch.rules.c``) are queries over what it finds."""

from __future__ import annotations

__all__: list[str] = []
