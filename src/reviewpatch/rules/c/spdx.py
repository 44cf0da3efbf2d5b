"""RP313 missing-spdx: a new source file without an SPDX-License-Identifier
line at its top."""

from __future__ import annotations

__all__ = ["missing_spdx"]

from collections.abc import Iterator
from dataclasses import replace

from reviewpatch.findings import Confidence, Severity
from reviewpatch.model import DiffLine, LineKind
from reviewpatch.rules.c.common import diff_evidence
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_TAG = "SPDX-License-Identifier:"
_SOURCES = (
    ".c", ".h", ".S", ".rs", ".dts", ".dtsi", ".lds", ".py", ".sh", ".pl", ".yaml", ".rst",
    ".awk", ".bpf.c",
)  # fmt: skip
_NAMED = ("Kconfig", "Makefile", "Kbuild")
_TOP = 3  # the tag goes on line 1, or line 2 after a '#!' line (a little slack)


def _source(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    if path.startswith(("LICENSES/", "Documentation/devicetree/bindings/")) and not path.endswith(
        ".yaml"
    ):
        return False
    return name.endswith(_SOURCES) or name.startswith(_NAMED)


@rule(
    id="RP313",
    name="missing-spdx",
    severity=Severity.WARNING,
    confidence=Confidence.HIGH,
    scope=Scope.PATCH,
)
def missing_spdx(ctx: RuleContext) -> Iterator[Hit]:
    """A new source file has no SPDX-License-Identifier line at its top.

    What it does
        For every file the patch creates that is source, a build file or
        documentation (C, headers, assembly, Rust, device trees, scripts,
        YAML bindings, reStructuredText, Kconfig, Makefile), looks for an
        ``SPDX-License-Identifier:`` tag in its first lines (the first, or
        the second after a ``#!`` line).  A tag further down is reported
        too, with where it is.  One finding per patch names every such
        file (a note for reStructuredText documents).
    Why it matters
        Every file of the kernel states its license with an SPDX tag on
        its first line (Documentation/process/license-rules.rst); a file
        without one cannot be merged as is, and a tag buried lower is not
        found by the tools that check it.
    Example
        +/*
        + * foo.c - driver for the Foo controller
        + */
    Use instead
        +// SPDX-License-Identifier: GPL-2.0-only
        +/*
        + * foo.c - driver for the Foo controller
        + */
    """
    assert ctx.patch is not None
    missing: list[tuple[str, list[DiffLine], DiffLine | None]] = []
    for fd in ctx.patch.files:
        if not fd.is_new or fd.is_binary or not _source(fd.new_path):
            continue
        added = [ln for h in fd.hunks for ln in h.lines if ln.kind is LineKind.ADDED]
        if not added or any(_TAG in ln.text for ln in added[:_TOP]):
            continue
        later = next((ln for ln in added if _TAG in ln.text), None)
        missing.append((fd.new_path, added, later))
    code = [m for m in missing if not m[0].endswith(".rst")]
    docs = [m for m in missing if m[0].endswith(".rst")]
    if code:
        yield _hit(code)
    if docs:  # many documents went in without one; a reviewer may not insist
        yield replace(_hit(docs), severity=Severity.NOTE)


def _hit(missing: list[tuple[str, list[DiffLine], DiffLine | None]]) -> Hit:
    """One finding for the patch, at the first file."""
    path, added, _ = missing[0]
    names = [m[0] for m in missing]
    if len(names) == 1:
        msg = f"the new file {path} has no {_TAG} line at its top"
    else:
        msg = f"{len(names)} new files have no {_TAG} line at their top: " + ", ".join(names)
    late = [(p, ln) for p, _, ln in missing if ln is not None]
    if late:
        msg += "; " + ", ".join(f"{p} has it on line {ln.new_no}" for p, ln in late)
        msg += " (it belongs on line 1, or 2 after '#!')"
    return Hit(
        message=msg,
        file=path,
        line=added[0].new_no,
        mail_line=added[0].mail_line,
        symbol=_TAG,
        evidence=tuple(
            diff_evidence(ln, p, "first line") for p, lines, _ in missing for ln in lines[:1]
        ),
    )
