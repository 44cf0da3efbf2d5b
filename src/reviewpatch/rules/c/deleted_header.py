"""RP314 deleted-header-included: a header the series deletes is still
included."""

from __future__ import annotations

__all__ = ["deleted_header_included"]

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.kernel.protocol import KernelTree
from reviewpatch.model import DiffLine, FileDiff, LineKind, Patch, Series
from reviewpatch.rules.c.common import diff_evidence
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
_ARCH_RE = re.compile(r"^arch/[^/]+/include/(?:generated/)?(?:uapi/)?(asm/.+)$")


def _names(path: str) -> tuple[str, ...]:
    """How ``#include <...>`` names the header at ``path``."""
    if path.startswith("include/uapi/"):
        return (path[len("include/uapi/") :],)
    if path.startswith("include/"):
        return (path[len("include/") :],)
    return ()


@dataclass(frozen=True)
class _Include:
    path: str
    line: DiffLine
    patch: int


def _includes(fd: FileDiff, index: int) -> Iterator[tuple[_Include, str, str]]:
    """(include, bracket, name) for the include lines on the new side."""
    for hunk in fd.hunks:
        for ln in hunk.lines:
            if ln.kind is LineKind.REMOVED:
                continue
            m = _INCLUDE_RE.match(ln.text)
            if m:
                yield _Include(fd.new_path, ln, index), m.group(1), m.group(2).strip()


def _deleted(series: Series, patch: Patch) -> list[str]:
    """Headers ``patch`` deletes that no patch of the series adds back."""
    later_new = {
        fd.new_path
        for p in series.patches
        if p.index >= patch.index
        for fd in p.files
        if fd.is_new or fd.is_rename
    }
    return [
        fd.old_path
        for fd in patch.files
        if fd.is_deleted and fd.old_path.endswith(".h") and fd.old_path not in later_new
    ]


def _refers(inc: _Include, bracket: str, name: str, header: str) -> bool:
    if bracket == '"':
        target = posixpath.normpath(posixpath.join(posixpath.dirname(inc.path), name))
        if target == header:
            return True
    return name in _names(header)


@rule(
    id="RP314",
    name="deleted-header-included",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    scope=Scope.PATCH,
    needs_code=True,
)
def deleted_header_included(ctx: RuleContext) -> Iterator[Hit]:
    """A header the series deletes is still included.

    What it does
        For every header (``.h``) the patch deletes and no later patch adds
        back, looks for ``#include`` lines that still name it: ``<linux/
        foo.h>`` for ``include/linux/foo.h`` (and ``include/uapi/``), and
        ``"foo.h"`` next to the including file.  An include line the patch
        or a later one adds, or keeps in its context, is an error; with
        --tree, every file of the tree after the series that includes it
        is too.  Architecture headers (``<asm/...>``) are left alone: a
        generic one may stand in for them.
    Why it matters
        The including file no longer builds, in every configuration that
        compiles it; bisection breaks at this patch.
    Example
        -- include/linux/foo_regs.h deleted --
        +#include <linux/foo_regs.h>
    Use instead
        Include the header that now declares what the file needs, or keep
        the header until its last user is converted.
    """
    assert ctx.patch is not None
    patch = ctx.patch
    for header in _deleted(ctx.series, patch):
        found: list[_Include] = []
        for p in ctx.series.patches:
            if p.index < patch.index:
                continue
            for fd in p.files:
                if fd.is_deleted:
                    continue
                for inc, bracket, name in _includes(fd, p.index):
                    if _refers(inc, bracket, name, header):
                        found.append(inc)
        tree = ctx.code.tree if ctx.code is not None else None
        seen_paths = {inc.path for inc in found}
        outside = _in_tree(tree, header, seen_paths, ctx.series) if tree is not None else []
        if found or outside:
            yield _hit(header, patch.index, found, outside)


def _in_tree(
    tree: KernelTree, header: str, seen: set[str], series: Series
) -> list[tuple[str, int, str]]:
    """Files of the tree after the series that include ``header``."""
    names = _names(header) or (posixpath.basename(header),)
    gone = {fd.old_path for p in series.patches for fd in p.files if fd.is_deleted}
    out = []
    for name in names:
        for path, no, text in tree.grep(name):
            m = _INCLUDE_RE.match(text)
            if m is None or path in seen or path in gone or path == header:
                continue
            inc = _Include(path, DiffLine(LineKind.CONTEXT, text, None, no, 0), 0)
            if _refers(inc, m.group(1), m.group(2).strip(), header):
                out.append((path, no, text))
    return sorted(set(out))


def _hit(
    header: str, index: int, found: list[_Include], outside: list[tuple[str, int, str]]
) -> Hit:
    places = [f"{inc.path}:{inc.line.new_no}" for inc in found] + [
        f"{path}:{no}" for path, no, _ in outside
    ]
    shown = ", ".join(places[:4]) + (f" and {len(places) - 4} more" if len(places) > 4 else "")
    first = found[0] if found else None
    evidence = tuple(
        diff_evidence(
            inc.line,
            inc.path,
            f"patch {inc.patch}" if inc.patch != index else "still included",
            in_mail=inc.patch == index,
        )
        for inc in found
    ) + tuple(
        EvidenceLine(text=text, file=path, new_no=no, label="in the tree")
        for path, no, text in outside[:10]
    )
    return Hit(
        message=f"patch {index} deletes {header}, but {shown} still include"
        + ("s" if len(places) == 1 else "")
        + " it",
        file=first.path if first and first.patch == index else header,
        line=first.line.new_no if first and first.patch == index else None,
        mail_line=first.line.mail_line if first and first.patch == index else None,
        symbol=header,
        evidence=evidence,
    )
