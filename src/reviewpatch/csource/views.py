"""Build views from a patch's hunks, or from whole files in tree mode."""

from __future__ import annotations

__all__ = ["file_view", "hunk_view", "is_c_path", "text_view"]

from reviewpatch.csource.model import NEW, OLD, CodeLine, View
from reviewpatch.model import DiffLine, FileDiff, Hunk, LineKind

_C_SUFFIXES = (".c", ".h")


def is_c_path(path: str) -> bool:
    """True for a C source or header."""
    return path.endswith(_C_SUFFIXES)


def _code_line(no: int, line: DiffLine) -> CodeLine:
    return CodeLine(
        no=no,
        text=line.text,
        kind=line.kind.value,
        old_no=line.old_no,
        new_no=line.new_no,
        mail_line=line.mail_line,
    )


def hunk_view(hunk: Hunk, side: str, path: str, patch_index: int, hunk_index: int) -> View:
    """The old (context + removed) or new (context + added) lines of a hunk."""
    skip = LineKind.ADDED if side == OLD else LineKind.REMOVED
    chosen = [ln for ln in hunk.lines if ln.kind is not skip]
    return View(
        path=path,
        side=side,
        patch_index=patch_index,
        hunk_index=hunk_index,
        lines=tuple(_code_line(i, ln) for i, ln in enumerate(chosen, start=1)),
        complete=False,
    )


def file_view(text: str, fd: FileDiff, side: str, patch_index: int) -> View:
    """A whole file; its lines that the diff shows keep their diff kind and
    mail line."""
    shown: dict[int, DiffLine] = {}
    for hunk in fd.hunks:
        for ln in hunk.lines:
            no = ln.old_no if side == OLD else ln.new_no
            if no is not None:
                shown[no] = ln
    lines = []
    for no, content in enumerate(text.split("\n"), start=1):
        if no > 1 and no == text.count("\n") + 1 and content == "":
            break
        diff_line = shown.get(no)
        if diff_line is not None and diff_line.text == content:
            lines.append(_code_line(no, diff_line))
        else:
            lines.append(
                CodeLine(
                    no=no,
                    text=content,
                    kind="",
                    old_no=no if side == OLD else None,
                    new_no=no if side == NEW else None,
                    mail_line=None,
                )
            )
    path = fd.old_path if side == OLD else fd.new_path
    return View(
        path=path,
        side=side,
        patch_index=patch_index,
        hunk_index=None,
        lines=tuple(lines),
        complete=True,
    )


def text_view(text: str, path: str, side: str = NEW) -> View:
    """A complete piece of code from outside the series (a definition found
    in the kernel tree); its lines have no diff or file line numbers."""
    lines = tuple(
        CodeLine(no=i, text=t, kind="", old_no=None, new_no=None, mail_line=None)
        for i, t in enumerate(text.splitlines(), start=1)
    )
    return View(path=path, side=side, patch_index=-1, hunk_index=None, lines=lines, complete=True)
