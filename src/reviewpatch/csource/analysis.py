"""Analyse a whole series at once: one ``Fragment`` per hunk side (or per
whole file in tree mode), built once, and series-wide questions on top."""

from __future__ import annotations

__all__ = ["analyse_patch_files", "analyse_series"]

from typing import TYPE_CHECKING

from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.facts import build_fragment
from reviewpatch.csource.model import NEW, OLD, FileCode, Fragment, PatchCode
from reviewpatch.csource.views import file_view, hunk_view, is_c_path
from reviewpatch.errors import ReviewpatchError
from reviewpatch.model import FileDiff, Patch, Series

if TYPE_CHECKING:
    from reviewpatch.kernel.protocol import KernelTree


def _last_touch(series: Series) -> dict[str, int]:
    last: dict[str, int] = {}
    for patch in series.patches:
        for fd in patch.files:
            last[fd.new_path] = patch.index
    return last


def _whole(
    tree: KernelTree | None, fd: FileDiff, side: str, index: int, last: bool
) -> Fragment | None:
    if tree is None:
        return None
    text: str | None = None
    try:
        if side == OLD and not fd.is_new:
            text = tree.old_file(fd.old_path, fd.old_blob)
        elif side == NEW and not fd.is_deleted:
            if fd.new_blob:
                text = tree.old_file(fd.new_path, fd.new_blob)
            if text is None and last:
                text = tree.new_file(fd.new_path)
            if text is None:
                text = tree.file_after(index, fd.new_path)
    except (ReviewpatchError, OSError, UnicodeError):  # best effort: fall back to the hunks
        text = None
    if text is None:
        return None
    return build_fragment(file_view(text, fd, side, index))


def _file_code(fd: FileDiff, index: int, tree: KernelTree | None, last: bool) -> FileCode:
    path = fd.path
    if fd.is_binary or not is_c_path(path):
        return FileCode(index, path, fd.old_path, False, (), ())
    sides: dict[str, tuple[Fragment, ...]] = {}
    wholes = {side: _whole(tree, fd, side, index, last) for side in (OLD, NEW)}
    # both sides whole, or both from the hunks: a whole pre-image beside
    # hunk fragments would read as code the patch removed
    both = all(
        wholes[side] is not None or (fd.is_new if side == OLD else fd.is_deleted)
        for side in (OLD, NEW)
    )
    for side in (OLD, NEW):
        whole = wholes[side]
        if whole is not None and both:
            sides[side] = (whole,)
            continue
        sides[side] = tuple(
            build_fragment(
                hunk_view(h, side, fd.old_path if side == OLD else fd.new_path, index, i), h.section
            )
            for i, h in enumerate(fd.hunks)
        )
    return FileCode(index, path, fd.old_path, True, sides[OLD], sides[NEW])


def analyse_patch_files(
    patch: Patch, tree: KernelTree | None = None, last: dict[str, int] | None = None
) -> PatchCode:
    """The C facts of one patch."""
    last = last or {}
    files = tuple(
        _file_code(fd, patch.index, tree, last.get(fd.new_path) == patch.index)
        for fd in patch.files
    )
    return PatchCode(patch.index, files)


def analyse_series(series: Series, tree: KernelTree | None = None) -> SeriesCode:
    """Build the C analysis of every patch of ``series``.  With ``tree``
    (a ``KernelTree``: ``reviewpatch.kernel.tree.TreeSource``) whole files
    replace hunk fragments where the tree can give them, and bodies of
    functions the diff never shows can be looked up."""
    last = _last_touch(series)
    patches = tuple(analyse_patch_files(p, tree, last) for p in series.patches)
    return SeriesCode(patches=patches, tree=tree)
