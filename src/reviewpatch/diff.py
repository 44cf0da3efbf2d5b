"""Parse the diff part of a patch mail into FileDiff values.

The diff is handed to ``unidiff`` after a small pre-pass that copes with
real mail: it finds where the diff ends (the ``-- `` signature and the git
version line after it), checks that every hunk holds exactly the lines its
``@@`` header announces (a truncated or hand-edited hunk is a ParseError
naming the file and the hunk) and keeps the line numbers of the mail so that
every DiffLine knows its ``mail_line``.
"""

from __future__ import annotations

__all__ = ["parse_diff", "diff_end", "is_diff_start", "unquote_path"]

import re
from collections.abc import Sequence
from dataclasses import dataclass

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UHunk
from unidiff.patch import PatchedFile, PatchSet

from reviewpatch.errors import ParseError
from reviewpatch.model import DiffLine, FileDiff, Hunk, LineKind

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_INDEX_RE = re.compile(r"^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(?: [0-7]{6})?\s*$")
_RENAME_FROM_RE = re.compile(r"^(?:rename|copy) from (.+)$")
_RENAME_TO_RE = re.compile(r"^(?:rename|copy) to (.+)$")
_GIT_HEADER_RE = re.compile(r"^diff --git (\S+) (\S+)$")
_NULL = "/dev/null"
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "r": "\r",
    "v": "\v",
}


@dataclass(frozen=True)
class _OpenHunk:
    """A hunk being checked by the pre-pass: what is still expected."""

    header: str
    path: str
    old_left: int
    new_left: int
    mail_line: int


def is_diff_start(lines: Sequence[str], i: int) -> bool:
    """True when ``lines[i]`` starts a diff: a ``diff --git`` line, or a
    plain ``--- a`` / ``+++ b`` / ``@@`` triple."""
    line = lines[i]
    if line.startswith("diff --git "):
        return True
    return (
        line.startswith("--- ")
        and i + 2 < len(lines)
        and lines[i + 1].startswith("+++ ")
        and lines[i + 2].startswith("@@ ")
    )


def unquote_path(path: str, git: bool = True, strip: bool = True) -> str:
    """A path as git prints it, without quotes, C escapes and (``strip``)
    the a/ b/ prefix.  A diff without git's header (quilt's
    ``linux.orig/mm/x.c``) loses its first component, as ``git apply -p1``
    drops it."""
    path = path.strip()
    if len(path) >= 2 and path[0] == '"' and path[-1] == '"':
        path = _unescape(path[1:-1])
    if path == _NULL or not strip:
        return path
    if len(path) > 2 and path[1] == "/" and path[0] in "abciow12":
        return path[2:]
    if not git and "/" in path.lstrip("/"):
        return path.lstrip("/").split("/", 1)[1]
    return path


def _unescape(text: str) -> str:
    """Undo git's C-style quoting (octal bytes are UTF-8)."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", text[i + 1 : i + 4]):
                out.append(int(text[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            out += _ESCAPES.get(nxt, nxt).encode()
            i += 2
            continue
        out += ch.encode()
        i += 1
    return out.decode("utf-8", errors="replace")


def _counts(match: re.Match[str]) -> tuple[int, int]:
    old = int(match.group(2)) if match.group(2) is not None else 1
    new = int(match.group(4)) if match.group(4) is not None else 1
    return old, new


def _hunk_step(hunk: _OpenHunk, line: str) -> _OpenHunk | None:
    """Consume one line of an open hunk; None when it does not belong."""
    kind = line[:1]
    if kind == "\\":
        return hunk
    if kind in ("", " "):
        if hunk.old_left == 0 or hunk.new_left == 0:
            return None
        return _OpenHunk(
            hunk.header, hunk.path, hunk.old_left - 1, hunk.new_left - 1, hunk.mail_line
        )
    if kind == "-" and hunk.old_left:
        return _OpenHunk(hunk.header, hunk.path, hunk.old_left - 1, hunk.new_left, hunk.mail_line)
    if kind == "+" and hunk.new_left:
        return _OpenHunk(hunk.header, hunk.path, hunk.old_left, hunk.new_left - 1, hunk.mail_line)
    return None


def _short(hunk: _OpenHunk, first_mail_line: int, where: str) -> ParseError:
    return ParseError(
        f"diff of {hunk.path}: hunk '{hunk.header}' at mail line "
        f"{first_mail_line + hunk.mail_line} does not match its line counts: "
        f"{hunk.old_left} old and {hunk.new_left} new line(s) were still expected ({where})"
    )


def _long(path: str, header: str, at: int) -> ParseError:
    return ParseError(
        f"diff of {path}: hunk '{header}' is longer than its header says "
        f"(unexpected diff line at mail line {at})"
    )


def _path_of(line: str, current: str) -> str:
    match = _GIT_HEADER_RE.match(line)
    if match:
        return unquote_path(match.group(2))
    if line.startswith("+++ "):
        name = unquote_path(line[4:].split("\t")[0])
        return current if name == _NULL else name
    return current


def diff_end(lines: list[str], first_mail_line: int = 1) -> int:
    """Check the hunks of ``lines`` and return how many lines belong to the
    diff (the ``-- `` signature and what follows are cut off).

    Raises ParseError for a hunk whose line counts do not match its header.
    """
    path = "?"
    hunk: _OpenHunk | None = None
    last: str | None = None  # header of the hunk that just closed (only \ lines since)
    for i, line in enumerate(lines):
        if hunk is not None:
            step = _hunk_step(hunk, line)
            if step is None:
                where = f"line {first_mail_line + i} is not a diff line"
                raise _short(hunk, first_mail_line, where)
            hunk = step
            if hunk.old_left == 0 and hunk.new_left == 0:
                last, hunk = hunk.header, None
            continue
        if line.rstrip() == "--":
            return i
        match = _HUNK_RE.match(line)
        if match:
            old, new = _counts(match)
            header = match.group(0)
            hunk = _OpenHunk(header, path, old, new, i)
            if old == 0 and new == 0:
                hunk = None
            last = None
            continue
        if last is not None and _overflows(line):
            raise _long(path, last, first_mail_line + i)
        if not line.startswith("\\"):
            last = None
        path = _path_of(line, path)
    if hunk is not None:
        if _stripped_blank_context(hunk):
            return len(lines)
        raise _short(hunk, first_mail_line, "the diff ends early")
    return len(lines)


_STRIPPED_CONTEXT = 3
"""Blank context lines at most that a mail path may have stripped from the
end of the last hunk."""


def _stripped_blank_context(hunk: _OpenHunk) -> bool:
    """The last hunk of the mail lacks only a few context lines: blank ones
    that lost their single space on the way (mail clients and archives
    strip trailing whitespace, then trailing empty lines).  ``git apply``
    reads an empty line in a hunk as an empty context line; the hunk is
    completed with them (``missing_context``)."""
    return hunk.old_left == hunk.new_left and 0 < hunk.old_left <= _STRIPPED_CONTEXT


def missing_context(lines: list[str]) -> int:
    """How many blank context lines the last hunk of ``lines`` (a whole
    diff, checked by ``diff_end``) lacks at the end: 0 for a complete one."""
    hunk: _OpenHunk | None = None
    for line in lines:
        if hunk is not None:
            step = _hunk_step(hunk, line)
            hunk = None if step is None or (step.old_left == 0 and step.new_left == 0) else step
            if step is not None:
                continue
        match = _HUNK_RE.match(line)
        if match:
            old, new = _counts(match)
            hunk = _OpenHunk(match.group(0), "?", old, new, 0) if old or new else None
    return hunk.old_left if hunk is not None and _stripped_blank_context(hunk) else 0


def _overflows(line: str) -> bool:
    """True when ``line``, right after a hunk (or after the ``\\`` marker
    lines that follow it), looks like one more diff line of that hunk."""
    if line.startswith(("+++ ", "--- ")) or line.rstrip() in ("--", "---"):
        return False
    if line[:1] in ("+", "-"):
        return True
    return line[:1] == " " and bool(line.strip())


def _blobs(info: list[str]) -> tuple[str | None, str | None]:
    for line in info:
        match = _INDEX_RE.match(line.rstrip("\n"))
        if match:
            return match.group(1), match.group(2)
    return None, None


def _renamed(info: list[str]) -> tuple[str | None, str | None]:
    old = new = None
    for line in info:
        text = line.rstrip("\n")
        from_match = _RENAME_FROM_RE.match(text)
        to_match = _RENAME_TO_RE.match(text)
        if from_match:
            old = unquote_path(from_match.group(1))
        if to_match:
            new = unquote_path(to_match.group(1))
    return old, new


def _convert_hunk(hunk: UHunk, first_mail_line: int) -> Hunk:
    lines: list[DiffLine] = []
    for line in hunk:
        if line.line_type not in ("+", "-", " "):
            continue  # "\ No newline" markers and blank separators
        lines.append(
            DiffLine(
                kind=LineKind(line.line_type),
                text=line.value.rstrip("\n"),
                old_no=line.source_line_no,
                new_no=line.target_line_no,
                mail_line=first_mail_line + (line.diff_line_no or 1) - 1,
            )
        )
    first = lines[0].mail_line - 1 if lines else first_mail_line
    return Hunk(
        old_start=hunk.source_start,
        old_len=hunk.source_length,
        new_start=hunk.target_start,
        new_len=hunk.target_length,
        section=hunk.section_header.strip(),
        lines=tuple(lines),
        mail_line=first,
    )


def _traditional_paths(source: str, target: str) -> tuple[str, str]:
    """The paths of a diff without git's header (quilt, ``diff -u``), as
    ``git apply`` and ``patch`` read them: such a diff never renames, so
    the file is named by the ``+++`` side (the ``---`` side for a
    deletion); one leading component is dropped when the two sides start
    with different ones (``a/`` and ``b/``, ``linux.orig/`` and ``linux/``,
    as ``-p1``), none when they share it (``mm/x.c.orig`` and ``mm/x.c``)."""
    old, new = unquote_path(source, strip=False), unquote_path(target, strip=False)
    if old == _NULL or new == _NULL:
        name = old if new == _NULL else new
        return (old, _strip_one(name)) if old == _NULL else (_strip_one(name), new)
    old_first = old.lstrip("/").partition("/")[0]
    new_first, slash, rest = new.lstrip("/").partition("/")
    differ = old_first != new_first or new_first in ("a", "b")
    name = rest if slash and rest and differ else new
    return name, name


def _strip_one(path: str) -> str:
    """``path`` without its first component (``-p1``), when it has two."""
    _head, slash, rest = path.lstrip("/").partition("/")
    return rest if slash and rest else path


def _convert_file(pfile: PatchedFile, first_mail_line: int) -> FileDiff:
    info = list(pfile.patch_info or [])
    git = any(x.startswith("diff --git ") for x in info)
    if git:
        old_path, new_path = unquote_path(pfile.source_file), unquote_path(pfile.target_file)
    else:
        old_path, new_path = _traditional_paths(pfile.source_file, pfile.target_file)
    is_new = old_path == _NULL
    is_deleted = new_path == _NULL
    ren_old, ren_new = _renamed(info)
    if is_new:  # git names a new or deleted file alike on both sides
        old_path = new_path
    if is_deleted:
        new_path = old_path
    old_path, new_path = ren_old or old_path, ren_new or new_path
    renamed = bool(ren_old or ren_new) or old_path != new_path
    old_blob, new_blob = _blobs(info)
    binary = pfile.is_binary_file or any(x.startswith("GIT binary patch") for x in info)
    return FileDiff(
        old_path=old_path,
        new_path=new_path,
        hunks=tuple(_convert_hunk(h, first_mail_line) for h in pfile),
        old_blob=old_blob,
        new_blob=new_blob,
        is_new=is_new,
        is_deleted=is_deleted,
        is_rename=renamed,
        is_binary=binary,
        mail_line=first_mail_line + (pfile.diff_line_no or 1) - 1,
    )


def parse_diff(text: str, first_mail_line: int) -> tuple[FileDiff, ...]:
    """Parse the diff ``text`` whose first line is line ``first_mail_line``
    of the mail body.  Text after the ``-- `` signature is ignored.

    Raises ParseError (naming the file and hunk) for a malformed diff.
    """
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # the empty piece after the final newline is no line
    end = diff_end(lines, first_mail_line)
    kept = lines[:end]
    if end == len(lines):
        kept += [" "] * missing_context(kept)  # blank context a mail path stripped
    body = "".join(line + "\n" for line in kept)
    try:
        patchset = PatchSet(body)
    except UnidiffParseError as exc:
        raise ParseError(
            f"diff starting at mail line {first_mail_line} cannot be parsed: {exc}".splitlines()[0]
        ) from exc
    return tuple(_convert_file(pfile, first_mail_line) for pfile in patchset)
