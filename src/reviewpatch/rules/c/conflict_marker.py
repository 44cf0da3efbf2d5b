"""RP312 conflict-marker: merge-conflict markers left in added lines."""

from __future__ import annotations

__all__ = ["conflict_marker"]

import re
from collections.abc import Iterator

from reviewpatch.findings import Confidence, Severity
from reviewpatch.model import DiffLine, LineKind
from reviewpatch.rules.c.common import diff_evidence
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_OPEN_RE = re.compile(r"^<{7}(?: |$)")
_CLOSE_RE = re.compile(r"^>{7}(?: |$)")
_MIDDLE_RE = re.compile(r"^(?:={7}|\|{7}(?: .*)?)$")
_CODE = (".c", ".h", ".S", ".dts", ".dtsi", ".lds", ".rs")


@rule(
    id="RP312",
    name="conflict-marker",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    scope=Scope.PATCH,
)
def conflict_marker(ctx: RuleContext) -> Iterator[Hit]:
    """The patch adds a line that is a leftover merge-conflict marker.

    What it does
        Looks at every line the patch adds, in any file, for the markers
        git writes around a conflict it could not resolve: ``<<<<<<<
        branch``, ``|||||||`` and ``>>>>>>> branch``, and ``=======`` when
        an opening or closing marker is added to the same file (a lone
        line of seven ``=`` is a heading rule in text files; in C, assembly,
        device-tree, Kconfig and Makefile files it is a marker on its own).
        One finding per file, at its first marker.
    Why it matters
        The file no longer builds, or (in a script or a document) carries
        both sides of a conflict, one of them stale.
    Example
        +<<<<<<< HEAD
        +	foo_start(foo);
        +=======
        +	foo_start(foo, 0);
        +>>>>>>> foo-next
    Use instead
        Resolve the conflict: keep the right side and delete the marker
        lines.
    """
    assert ctx.patch is not None
    for fd in ctx.patch.files:
        if fd.is_binary or fd.is_deleted:
            continue
        added = [ln for h in fd.hunks for ln in h.lines if ln.kind is LineKind.ADDED]
        ends = [ln for ln in added if _OPEN_RE.match(ln.text) or _CLOSE_RE.match(ln.text)]
        middles = [ln for ln in added if _MIDDLE_RE.match(ln.text.rstrip())]
        if not ends and not (middles and _code(fd.new_path)):
            continue  # a lone line of '=' in text is a heading rule
        yield _hit(fd.new_path, sorted(ends + middles, key=lambda ln: ln.mail_line))


def _code(path: str) -> bool:
    """A file where a line of seven '=' cannot be anything but a marker."""
    name = path.rsplit("/", 1)[-1]
    return path.endswith(_CODE) or name.startswith(("Kconfig", "Makefile"))


def _hit(path: str, markers: list[DiffLine]) -> Hit:
    first = markers[0]
    return Hit(
        message=(
            f"{path} gets {len(markers)} merge-conflict marker line"
            f"{'s' if len(markers) > 1 else ''}, the first at line {first.new_no}: "
            f"'{first.text.strip()[:60]}'"
        ),
        file=path,
        line=first.new_no,
        mail_line=first.mail_line,
        symbol=first.text.strip()[:7],
        evidence=tuple(diff_evidence(ln, path, "conflict marker") for ln in markers),
    )
