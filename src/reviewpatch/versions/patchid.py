"""Patch-id: a stable hash of a patch's diff that ignores line numbers and
whitespace, computed the way ``git patch-id --stable`` computes it.

git reads the diff line by line: the ``diff --git`` line and the extended
header lines (``new file mode``, ``rename from``, ...; never ``index``),
the ``---``/``+++`` lines and every hunk line go into a SHA-1 with all
whitespace removed; the ``@@`` lines are read for their counts only.  With
``--stable`` each file gets its own SHA-1 and the patch-id is their sum (so
the order of the files does not matter).  The lines are rebuilt here from
the parsed ``FileDiff`` values; the extended header lines, which the model
does not keep, are read back from the patch mail when it is given.
"""

from __future__ import annotations

__all__ = ["patch_id", "diff_id_lines"]

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from reviewpatch.model import FileDiff, Hunk, Patch

_DIGEST = 20
_WHITESPACE = str.maketrans("", "", " \t\n\r\v\f")


def _squeeze(line: str) -> bytes:
    return line.translate(_WHITESPACE).encode("utf-8", "surrogateescape")


def _git_path(prefix: str, path: str) -> str:
    return "/dev/null" if path == "/dev/null" else f"{prefix}{path}"


def _header_from_mail(body: Sequence[str], fdiff: FileDiff) -> list[str] | None:
    """The header lines of ``fdiff`` as the mail has them, from its
    ``diff`` line to the line before its first hunk (or its binary line)."""
    start = fdiff.mail_line - 1
    if not 0 <= start < len(body) or not body[start].startswith("diff "):
        return None
    out = [body[start]]
    for line in body[start + 1 : start + 40]:
        if line.startswith(("@@", "diff ")):
            return out
        out.append(line)
        if line.startswith(("+++ ", "GIT binary patch", "Binary files")):
            return out
    return out


def _header_rebuilt(fdiff: FileDiff) -> list[str]:
    old = "/dev/null" if fdiff.is_new else fdiff.old_path
    new = "/dev/null" if fdiff.is_deleted else fdiff.new_path
    out = [f"diff --git a/{fdiff.old_path} b/{fdiff.new_path}"]
    if fdiff.is_binary:
        out.append(f"index {fdiff.old_blob or '0'}..{fdiff.new_blob or '0'}")
        out.append("GIT binary patch")
        return out
    if fdiff.hunks:
        out += [f"--- {_git_path('a/', old)}", f"+++ {_git_path('b/', new)}"]
    return out


def _hunk_lines(hunk: Hunk) -> list[str]:
    head = f"@@ -{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len} @@"
    return [head] + [line.kind.value + line.text for line in hunk.lines]


def diff_id_lines(files: Sequence[FileDiff], body: str | None = None) -> tuple[str, ...]:
    """The diff text that the patch-id is computed from: per file its
    header (from ``body``, the patch mail's body, when it holds the file's
    header at ``FileDiff.mail_line``; rebuilt from the paths otherwise) and
    its hunks."""
    lines = body.split("\n") if body is not None else []
    out: list[str] = []
    for fdiff in files:
        header = _header_from_mail(lines, fdiff) if lines else None
        out.extend(header if header is not None else _header_rebuilt(fdiff))
        for hunk in fdiff.hunks:
            out.extend(_hunk_lines(hunk))
    return tuple(out)


@dataclass
class _State:
    """git's reading state: lines still expected on each side of a hunk
    (-1 while reading a file header), inside a binary diff or not."""

    before: int = -1
    after: int = -1
    binary: bool = False
    length: int = 0


def _hunk_counts(line: str) -> tuple[int, int]:
    """The line counts of ``@@ -a[,b] +c[,d] @@`` (1 when omitted)."""
    parts = line.split(" ")
    counts = []
    for part in parts[1:3]:
        _, _, count = part[1:].partition(",")
        counts.append(int(count) if count.isdigit() else 1)
    return (counts + [1, 1])[0], (counts + [1, 1])[1]


class _Sum:
    """The sum of per-file SHA-1 digests, byte by byte with carry, as git
    adds them for ``--stable``."""

    def __init__(self) -> None:
        self.total = bytearray(_DIGEST)
        self.ctx = hashlib.sha1(usedforsecurity=False)

    def flush(self) -> None:
        digest = self.ctx.digest()
        self.ctx = hashlib.sha1(usedforsecurity=False)
        carry = 0
        for i in range(_DIGEST):
            carry += self.total[i] + digest[i]
            self.total[i] = carry & 0xFF
            carry >>= 8


def _header_step(line: str, state: _State, acc: _Sum, blobs: list[str]) -> str:
    """One line of a file header: 'skip', 'stop' or 'hash'."""
    if line.startswith(("GIT binary patch", "Binary files")):
        state.binary, state.before = True, 0
        acc.ctx.update("".join(blobs).encode())
        acc.flush()
        return "skip"
    if line.startswith("index "):
        old, _, rest = line[6:].partition("..")
        blobs[:] = [old, rest.split(" ")[0]]
        return "skip"
    if line.startswith("--- "):
        state.before = state.after = 1
        return "hash"
    return "hash" if line[:1].isalpha() else "stop"


def _step(line: str, state: _State, acc: _Sum, blobs: list[str]) -> bool:
    """Feed one line; False when the diff has ended."""
    if line.startswith("\\ "):
        return True
    if state.length == 0 and not line.startswith("diff "):
        return True
    if state.before == -1:
        action = _header_step(line, state, acc, blobs)
        if action != "hash":
            return action == "skip"
    if state.binary:
        if line.startswith("diff "):
            state.binary, state.before = False, -1
        return True
    if state.before == 0 and state.after == 0:
        if line.startswith("@@ -"):
            state.before, state.after = _hunk_counts(line)
            return True
        if not line.startswith("diff "):
            return False
        acc.flush()
        state.before = state.after = -1
    if line[:1] in ("-", " "):
        state.before -= 1
    if line[:1] in ("+", " "):
        state.after -= 1
    squeezed = _squeeze(line)
    state.length += len(squeezed)
    acc.ctx.update(squeezed)
    return True


def patch_id(patch: Patch | Sequence[FileDiff]) -> str | None:
    """The stable patch-id (40 hex digits) of a patch, or of its files;
    None when there is no diff.  For a patch parsed from a mail this is the
    number ``git patch-id --stable`` prints for the same mail."""
    if isinstance(patch, Patch):
        files, body = patch.files, patch.mail.body
    else:
        files, body = tuple(patch), None
    if not files:
        return None
    state, acc, blobs = _State(), _Sum(), ["", ""]
    for line in diff_id_lines(files, body):
        if not _step(line, state, acc, blobs):
            break
    if state.length == 0:
        return None
    acc.flush()
    return bytes(acc.total).hex()
