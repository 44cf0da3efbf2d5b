"""RP313 missing-spdx: a new source file without an SPDX-License-Identifier
line at its top."""

from __future__ import annotations

__all__ = ["missing_spdx"]

from collections.abc import Iterator

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.model import LineKind
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
        too, with where it is.
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
    for fd in ctx.patch.files:
        if not fd.is_new or fd.is_binary or not _source(fd.new_path):
            continue
        added = [ln for h in fd.hunks for ln in h.lines if ln.kind is LineKind.ADDED]
        if not added or any(_TAG in ln.text for ln in added[:_TOP]):
            continue
        later = next((ln for ln in added if _TAG in ln.text), None)
        first = added[0]
        msg = f"the new file {fd.new_path} has no {_TAG} line at its top"
        if later is not None:
            msg += f" (the tag is on line {later.new_no}; it belongs on line 1, or 2 after '#!')"
        yield Hit(
            message=msg,
            file=fd.new_path,
            line=first.new_no,
            mail_line=first.mail_line,
            symbol=fd.new_path,
            evidence=tuple(
                EvidenceLine(
                    text=ln.text,
                    kind="+",
                    file=fd.new_path,
                    new_no=ln.new_no,
                    mail_line=ln.mail_line,
                    label="first lines",
                )
                for ln in added[:_TOP]
            ),
        )
