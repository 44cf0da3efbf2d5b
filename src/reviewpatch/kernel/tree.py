"""Tree mode: whole files from a git checkout instead of diff fragments.

``TreeSource.open(path, series)`` checks that ``path`` is a git repository,
picks the base the series applies to (its ``base-commit:`` when the
repository has it, else HEAD) and applies the patches one by one.

The user's repository is never modified.  Every git call runs with a
temporary index (``GIT_INDEX_FILE``) and a temporary object directory
(``GIT_OBJECT_DIRECTORY``) that borrows the repository's objects as an
alternate: ``git apply --cached`` and ``git write-tree`` write only there,
and nothing touches HEAD, the refs, the index, the working files or the
worktree list.  ``close()`` (or leaving the ``with`` block) removes the
temporary directory.

Each applied patch leaves a tree id, so the file after any applied patch is
one ``git cat-file`` away.  A patch that does not apply (even 3-way) is
recorded as an ``ApplyProblem`` and the next patches are applied on top of
the last good state.
"""

from __future__ import annotations

__all__ = ["TreeSource", "ApplyProblem", "Definition", "Runner"]

import os
import re
import shutil
import subprocess
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path

from reviewpatch.errors import TreeError
from reviewpatch.kernel.gitrun import (
    BlobReader,
    GitRunner,
    Runner,
    clean_env,
    first_error,
    open_repo,
    worktree_of,
)
from reviewpatch.kernel.index import Progress, TreeIndex, open_index
from reviewpatch.kernel.protocol import ApplyProblem
from reviewpatch.kernel.treedefs import (
    ConditionMarks,
    Definition,
    definition_lines,
    definition_patterns,
    extract_definition,
    rank_definitions,
)
from reviewpatch.model import Patch, Series

_HEX_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")
# the name of a function on its definition line, or of a #define
_IDENT_CALL_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(|#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)")

_CONFIG_NAME_RE = re.compile(r"[A-Za-z0-9_]+")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _word_re(word: str) -> re.Pattern[str]:
    """``word`` as a whole word (no identifier character either side)."""
    return re.compile(r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])")


def _cleanup(reader: BlobReader, tmp: str, index: TreeIndex | None = None) -> None:
    """End the cat-file process, close the index, remove the temporary
    directory."""
    reader.close()
    if index is not None:
        index.close()
    shutil.rmtree(tmp, True)


def _series_base(series: Series) -> str | None:
    """The series' ``base-commit:``: from the series, else the cover letter,
    else the first patch that names one."""
    candidates = [series.base_commit]
    candidates += [p.base_commit for p in series.all_patches]
    for value in candidates:
        if value and value.strip():
            return value.strip()
    return None


def _diff_text(patch: Patch) -> bytes:
    """The diff part of a patch mail, from its first ``diff --git`` line
    (or first ``---``/``+++`` pair), for ``git apply``."""
    lines = patch.mail.body.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("diff --git ")), None)
    if start is None:
        start = next(
            (
                i
                for i in range(len(lines) - 1)
                if lines[i].startswith("--- ") and lines[i + 1].startswith("+++ ")
            ),
            0,
        )
    return ("\n".join(lines[start:]) + "\n").encode("utf-8", "surrogateescape")


class TreeSource:
    """Whole files of the tree a series targets, before and after it: the
    git implementation of ``reviewpatch.kernel.protocol.KernelTree``."""

    def __init__(self, git: GitRunner, tmp: str, base: str, base_note: str) -> None:
        self._git = git
        self._tmp = tmp
        self._reader = BlobReader(git)
        self._finalizer = weakref.finalize(self, _cleanup, self._reader, tmp)
        self._index: TreeIndex | None = None
        self.index_note = "no symbol index (tree searched with git grep)"
        self.path = git.label
        self.base = base
        self.base_note = base_note
        self.problems: tuple[ApplyProblem, ...] = ()
        self._before: dict[int, str] = {}
        self._after: dict[int, str] = {}
        self._base_tree = ""
        self._start_tree = ""
        self._final_tree = ""
        self._blobs: dict[str, str | None] = {}
        self._parsed: dict[str, tuple[list[str], ConditionMarks]] = {}
        self._defs: dict[str, tuple[Definition, ...]] = {}
        self._made_by: dict[tuple[str, str], int] = {}
        self._changed_by: dict[tuple[str, str], int] = {}
        self._touching: dict[str, tuple[int, ...]] = {}

    # -- life cycle ---------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str,
        series: Series,
        *,
        runner: Runner = subprocess.run,
        cache: Path | None = None,
        progress: Progress | None = None,
    ) -> TreeSource:
        """Check ``path``, choose the base and apply the series.  With
        ``cache`` (a directory) the symbol index of the base tree is
        opened from there, or built there first (``progress`` follows the
        build); without it, lookups search the tree with ``git grep``."""
        git_dir, objects = open_repo(path, runner)
        tmp = tempfile.mkdtemp(prefix="reviewpatch-tree-")
        try:
            for sub in ("objects/info", "objects/pack"):
                os.makedirs(os.path.join(tmp, sub), exist_ok=True)
            env = clean_env(
                {
                    "GIT_DIR": git_dir,
                    "GIT_INDEX_FILE": os.path.join(tmp, "index"),
                    "GIT_OBJECT_DIRECTORY": os.path.join(tmp, "objects"),
                    "GIT_ALTERNATE_OBJECT_DIRECTORIES": objects,
                }
            )
            git = GitRunner(runner, tmp, env, path)
            base, note = cls._choose_base(git, series)
            source = cls(git, tmp, base, note)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        try:
            source._apply_series(series)
            if cache is not None:
                source._open_index(cache, worktree_of(path, runner), progress)
        except BaseException:
            source.close()
            raise
        return source

    def _open_index(self, cache: Path, worktree: str | None, progress: Progress | None) -> None:
        """Open (or build) the symbol index of the base tree."""
        index = open_index(self._git, self._base_tree, worktree, cache, progress=progress)
        if index is None:
            self.index_note = "no symbol index: universal-ctags and id-utils are not installed"
            return
        self._index = index
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _cleanup, self._reader, self._tmp, index)
        self.index_note = f"symbol index of tree {self._base_tree[:12]}"

    @staticmethod
    def _choose_base(git: GitRunner, series: Series) -> tuple[str, str]:
        """(commit id, note) of the base: base-commit if known, else HEAD."""
        wanted = _series_base(series)
        if wanted and _HEX_RE.match(wanted):
            found = git.out("rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}")
            if found:
                return found, f"pre-image from base-commit {found[:12]}"
        head = git.out("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        if not head:
            raise TreeError(f"tree {git.label}: no commit to apply the series to (HEAD unborn)")
        if wanted:
            why = f"base-commit {wanted[:40]} not in the tree"
        else:
            why = "the series names no base-commit"
        return head, f"pre-image from HEAD {head[:12]}: {why}"

    def close(self) -> None:
        """Remove the temporary index and objects.  Safe to call twice."""
        self._finalizer()

    def __enter__(self) -> TreeSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- applying -----------------------------------------------------------

    def _apply_series(self, series: Series) -> None:
        """Apply every patch with a diff, recording trees and problems.

        The temporary index holds only the files the series touches (a
        kernel tree's full index is read and written again by every ``git
        apply``): the trees written after each patch are small, and a path
        the series leaves alone is read from the base tree (``_spec``)."""
        base = self._git.out("rev-parse", f"{self.base}^{{tree}}")
        if not base:
            raise TreeError(f"tree {self.path}: cannot read base {self.base[:12]}")
        self._base_tree = base
        self._index_series(series)
        tree = self._touched_tree(base)
        self._start_tree = tree
        problems: list[ApplyProblem] = []
        for patch in sorted(series.patches, key=lambda p: p.index):
            if not patch.files:
                continue
            self._before[patch.index] = tree
            error = self._apply_one(patch, tree)
            if error is None:
                tree = self._git.out("write-tree") or tree
                self._after[patch.index] = tree
            else:
                problems.append(self._problem(patch, error, self._own_check(patch)))
        self._final_tree = tree
        self.problems = tuple(problems)

    def _touched_tree(self, base: str) -> str:
        """A tree of the base's versions of the files the series touches,
        read into the temporary index."""
        paths = sorted(self._touching)
        kept: list[bytes] = []
        for i in range(0, len(paths), 500):
            res = self._git.run("ls-tree", "-z", base, "--", *paths[i : i + 500])
            if res.returncode != 0:
                raise TreeError(f"tree {self.path}: git ls-tree failed: {first_error(res.stderr)}")
            # files only: a path the series touches may be a directory in the base
            kept += [e for e in res.stdout.split(b"\0") if e.split(b" ", 2)[1:2] == [b"blob"]]
        entries = b"".join(e + b"\0" for e in kept)
        steps = [
            self._git.run("read-tree", "--empty"),
            self._git.run("update-index", "-z", "--index-info", data=entries),
        ]
        tree = self._git.out("write-tree")
        if any(r.returncode != 0 for r in steps) or not tree:
            raise TreeError(f"tree {self.path}: cannot read base {self.base[:12]}")
        return tree

    def _spec(self, path: str, tree: str | None = None) -> str:
        """The object name of ``path`` after the series (or in ``tree``, a
        tree of the series' files): the series' trees hold only the files
        it touches, the others are the base's."""
        if path in self._touching:
            return f"{tree or self._final_tree}:{path}"
        return f"{self._base_tree}:{path}"

    def _index_series(self, series: Series) -> None:
        """Which patch changes, and which makes, each (path, blob)."""
        touching: dict[str, list[int]] = {}
        for patch in series.patches:
            for fd in patch.files:
                if fd.old_blob:
                    self._changed_by.setdefault((fd.old_path, fd.old_blob), patch.index)
                if fd.new_blob:
                    self._made_by.setdefault((fd.new_path, fd.new_blob), patch.index)
                for name in {fd.old_path, fd.new_path}:
                    touching.setdefault(name, []).append(patch.index)
        self._touching = {k: tuple(v) for k, v in touching.items()}

    def _apply_one(self, patch: Patch, tree: str) -> str | None:
        """Apply one patch to the temporary index: None, or git's error."""
        data = _diff_text(patch)
        plain = self._git.run("apply", "--cached", "--whitespace=nowarn", data=data)
        if plain.returncode == 0:
            return None
        merged = self._git.run("apply", "--cached", "--3way", "--whitespace=nowarn", data=data)
        if merged.returncode == 0:
            return None
        self._git.run("read-tree", tree)
        return first_error(plain.stderr)

    def _own_check(self, patch: Patch) -> tuple[bool, str]:
        """Whether a failure of ``patch`` is certain, and why: on the
        declared base it is; on HEAD only when the patch also fails on the
        exact pre-images its ``index`` lines name (applied to an index of
        just those blobs).  Otherwise the tree proves nothing."""
        if self.base_note.startswith("pre-image from base"):
            return True, ""
        entries = []
        for fd in patch.files:
            if fd.is_new:
                continue
            full = self._blob_id(fd.old_blob) if fd.old_blob else None
            if full is None:
                return False, f"the tree lacks the pre-image of {fd.old_path}"
            # git apply --cached does not compare modes: 100644 serves all
            entries.append(f"100644,{full},{fd.old_path}")
        own = GitRunner(
            self._git.runner,
            self._git.cwd,
            {**self._git.env, "GIT_INDEX_FILE": os.path.join(self._tmp, "own-index")},
            self._git.label,
        )
        made = [own.run("read-tree", "--empty")]
        made += [own.run("update-index", "--add", "--cacheinfo", entry) for entry in entries]
        if any(res.returncode != 0 for res in made):
            return False, "its pre-images could not be put together"
        res = own.run("apply", "--cached", "--whitespace=nowarn", data=_diff_text(patch))
        if res.returncode != 0:
            return True, "it does not apply to its own pre-images either"
        return False, "it applies to the pre-images its index lines name, not to HEAD"

    def _problem(self, patch: Patch, error: str, check: tuple[bool, str]) -> ApplyProblem:
        where = "base-commit" if self.base_note.startswith("pre-image from base") else "HEAD"
        certain, why = check
        message = f"patch {patch.index} does not apply on {where} {self.base[:12]}: {error}"
        if why:
            message += f"; {why}"
        return ApplyProblem(
            patch_index=patch.index,
            message=message,
            git_error=error,
            msgid=patch.mail.msgid,
            certain=certain,
        )

    def whole_files(self, series: Series) -> tuple[tuple[int, str, bool], ...]:
        """(patch index, path, seen whole) of each C file a patch changes:
        whole when the tree gives both its pre-image and its post-image."""
        out = []
        for patch in series.patches:
            for fd in patch.files:
                if not fd.path.endswith((".c", ".h")):
                    continue
                old = None if fd.is_new else self.old_file(fd.old_path, fd.old_blob)
                new = None if fd.is_deleted else self.file_after(patch.index, fd.new_path)
                ok = (fd.is_new or old is not None) and (fd.is_deleted or new is not None)
                out.append((patch.index, fd.path, ok))
        return tuple(out)

    # -- files --------------------------------------------------------------

    def _cat(self, spec: str) -> str | None:
        """Text of the blob named ``spec`` (cached), None if missing."""
        if spec not in self._blobs:
            data = self._reader.read(spec)
            self._blobs[spec] = None if data is None else data.decode("utf-8", "replace")
        return self._blobs[spec]

    def _blob_id(self, blob: str) -> str | None:
        """Full id of a (possibly abbreviated) blob id, if the tree has it."""
        if not _HEX_RE.match(blob):
            return None
        got = self._reader.lookup(blob)  # one long-lived cat-file, not a process per blob
        if got is None:
            return None
        full, data = got
        self._blobs.setdefault(full, data.decode("utf-8", "replace"))
        return full

    def old_file_with_source(
        self, path: str, blob: str | None = None, *, patch_index: int | None = None
    ) -> tuple[str | None, str]:
        """A file as the series saw it, and where it came from.

        By ``blob`` (the diff's ``index`` line) when the repository or the
        applied patches have it.  A blob the series names but git does not
        have: the file after the patch that made it, or before the patch
        that changes it (or ``patch_index``), if that patch applied; None if
        it did not (the analysis then stays with the hunks).  Otherwise the
        file at the base, with ``base_note``."""
        if blob and set(blob) == {"0"}:
            return None, "no such file (all-zero blob id)"
        full = self._blob_id(blob) if blob else None
        if full:
            return self._cat(full), f"file from blob {blob}"
        if blob and (path, blob) in self._made_by:
            owner = self._made_by[(path, blob)]
            if owner not in self._after:
                return None, f"patch {owner} did not apply"
            return self.file_after(owner, path), f"file as patch {owner} left it"
        if blob and patch_index is None:
            patch_index = self._changed_by.get((path, blob))
        if patch_index is not None and patch_index in self._before:
            if patch_index not in self._after:
                return None, f"patch {patch_index} did not apply"
            before = self._before[patch_index]
            if before != self._start_tree:
                text = self._cat(f"{before}:{path}")
                return text, f"pre-image from the tree before patch {patch_index}"
        return self._cat(f"{self._base_tree}:{path}"), self.base_note

    def old_file(
        self, path: str, blob: str | None = None, *, patch_index: int | None = None
    ) -> str | None:
        """The file ``path`` named by ``blob`` (see ``old_file_with_source``)."""
        return self.old_file_with_source(path, blob, patch_index=patch_index)[0]

    def new_file(self, path: str) -> str | None:
        """``path`` after the whole series; None if absent, or if a patch
        that changes ``path`` did not apply (its post-image is unknown)."""
        if self._unknown(path):
            return None
        return self._cat(self._spec(path))

    def _unknown(self, path: str) -> bool:
        """Whether a patch that changes ``path`` did not apply."""
        return any(i not in self._after for i in self._touching.get(path, ()))

    def applied(self, patch_index: int) -> bool:
        """Whether the patch applied (patches without a diff count as not)."""
        return patch_index in self._after

    def file_after(self, patch_index: int, path: str) -> str | None:
        """``path`` right after patch ``patch_index``; None if that patch
        did not apply or the file does not exist then."""
        tree = self._after.get(patch_index)
        return None if tree is None else self._cat(self._spec(path, tree))

    # -- searching ----------------------------------------------------------

    def _grep(self, args: Sequence[str], paths: Sequence[str]) -> list[tuple[str, int, str]]:
        """``git grep -z -n`` in the post-image: the base tree for the files
        the series leaves alone, the series' tree for the others."""
        kept = [
            h for h in self._grep_in(self._base_tree, args, paths) if h[0] not in self._touching
        ]
        return kept + self._grep_in(self._final_tree, args, paths)

    def _grep_in(
        self, tree: str, args: Sequence[str], paths: Sequence[str]
    ) -> list[tuple[str, int, str]]:
        """``git grep -z -n`` in ``tree``: (path, line, text)."""
        res = self._git.run("grep", "-z", "-n", "-I", *args, tree, "--", *paths)
        if res.returncode not in (0, 1):
            raise TreeError(f"tree {self.path}: git grep failed: {first_error(res.stderr)}")
        hits = []
        prefix = f"{tree}:"
        for raw in res.stdout.decode("utf-8", "replace").splitlines():
            parts = raw.split("\0", 2)
            if len(parts) != 3 or not parts[1].isdigit():
                continue
            name = parts[0][len(prefix) :] if parts[0].startswith(prefix) else parts[0]
            hits.append((name, int(parts[1]), parts[2]))
        return hits

    def config_symbols(self, names: Iterable[str]) -> frozenset[str]:
        """The names among ``names`` that a Kconfig file of the post-image
        tree defines: from the index and the Kconfig files the series
        touches, or with one ``git grep`` per 200 names."""
        todo = sorted({n for n in names if _CONFIG_NAME_RE.fullmatch(n)})
        found: set[str] = set()
        if self._index is not None:
            for name, tags in self._index.tags(todo, ("config",)).items():
                if any(t.path not in self._touching for t in tags):
                    found.add(name)
            kconfigs = [p for p in self._touched_now() if "Kconfig" in p.rpartition("/")[2]]
            for path in kconfigs:
                text = self._cat(self._spec(path)) or ""
                for line in text.splitlines():
                    word = line.split()
                    if len(word) >= 2 and word[0] in ("config", "menuconfig"):
                        found.add(word[1])
            return frozenset(found.intersection(todo))
        for i in range(0, len(todo), 200):
            chunk = todo[i : i + 200]
            pattern = r"^\s*(menu)?config\s+(" + "|".join(chunk) + r")\s*$"
            for _path, _no, text in self._grep(("-E", "-e", pattern), ("*Kconfig*",)):
                word = text.split()
                if len(word) >= 2:
                    found.add(word[1])
        return frozenset(found)

    def commit_subject(self, rev: str) -> str | None:
        """The subject line of commit ``rev`` (an abbreviated id is fine)
        in the user's repository, or None when it has no such commit."""
        if not rev or not rev.isalnum():
            return None
        return self._git.out(
            "log", "-1", "--no-show-signature", "--format=%s", f"{rev}^{{commit}}", "--"
        )

    def grep(self, name: str, *, limit: int = 2000) -> tuple[tuple[str, int, str], ...]:
        """Whole-word references to ``name`` in the post-image tree, as
        (path, line, text), at most ``limit``; files whose post-image is
        unknown (see ``new_file``) are left out.  With the index: in C,
        assembly, Kconfig files and Makefiles (identifiers), or in
        ``#include`` lines (a header's file name)."""
        if not name or "\n" in name:
            return ()
        index = self._index
        if index is None:
            hits = self._grep(("-w", "-F", "-e", name), ())
        elif _IDENT_RE.fullmatch(name):
            found = index.files_using((name,))[name]
            paths = {p for p in found if p not in self._touching}
            paths |= self._touched_now()
            hits = self._scan(sorted(paths), _word_re(name))
        elif name.endswith(".h"):
            hits = self._include_hits(index, name)
        else:
            hits = self._grep(("-w", "-F", "-e", name), ())
        return tuple(h for h in hits if not self._unknown(h[0]))[:limit]

    def _touched_now(self) -> set[str]:
        """The files the series touches that exist after it."""
        return {p for p in self._touching if not self._unknown(p) and self.new_file(p) is not None}

    def _scan(self, paths: Iterable[str], word: re.Pattern[str]) -> list[tuple[str, int, str]]:
        """(path, line, text) of the lines of the post-image files that
        ``word`` matches."""
        hits = []
        for path in paths:
            text = self._cat(self._spec(path))
            if text is None or word.search(text) is None:
                continue
            for no, line in enumerate(text.splitlines(), 1):
                if word.search(line):
                    hits.append((path, no, line))
        return hits

    def _include_hits(self, index: TreeIndex, header: str) -> list[tuple[str, int, str]]:
        """``#include`` lines of the post-image that name ``header``'s file
        name, from the index (untouched files) and the series' files."""
        word = _word_re(header)
        hits = []
        for tag in index.includers(header):
            if tag.path in self._touching:
                continue
            text = self._cat(self._spec(tag.path))
            lines = text.splitlines() if text is not None else []
            if 0 < tag.line <= len(lines) and word.search(lines[tag.line - 1]):
                hits.append((tag.path, tag.line, lines[tag.line - 1]))
        hits += self._scan(sorted(self._touched_now()), word)
        return sorted(hits)

    def find_definitions(self, name: str) -> tuple[Definition, ...]:
        """Every function definition and ``#define`` of ``name`` in the
        post-image tree, best first: functions in .c files, functions in
        headers, macros in headers, macros elsewhere."""
        if not definition_patterns(name):
            return ()
        if name not in self._defs:
            self.prefetch_definitions((name,))
        return self._defs[name]

    def prefetch_definitions(self, names: Iterable[str]) -> None:
        """Look up many names at once: in the index, or with one ``git
        grep`` per 100 names (a full tree search costs seconds in a kernel
        checkout)."""
        todo = sorted({n for n in names if n not in self._defs and definition_patterns(n)})
        if self._index is not None:
            self._indexed_definitions(self._index, todo)
            return
        for i in range(0, len(todo), 100):
            chunk = todo[i : i + 100]
            args = [a for n in chunk for a in definition_patterns(n)]
            hits = self._grep(("-E", *args), ("*.c", "*.h"))
            found: dict[str, list[Definition]] = {n: [] for n in chunk}
            wanted = set(chunk)
            for path, line, text in hits:
                named = {x for pair in _IDENT_CALL_RE.findall(text) for x in pair if x}
                for name in wanted.intersection(named):
                    got = self._definition(path, line, name)
                    if got is not None:
                        found[name].append(got)
            for name, defs in found.items():
                self._defs[name] = rank_definitions(defs)

    def _indexed_definitions(self, index: TreeIndex, names: Sequence[str]) -> None:
        """Definitions from the index for the files the series leaves
        alone, from the post-image text for those it touches, and from the
        register dumps that ``lid`` names."""
        if not names:
            return
        every = index.tags(names)
        tags = {n: tuple(t for t in v if t.kind in ("function", "macro")) for n, v in every.items()}
        bulk = index.bulk_files()
        # a register dump's macros are not stored: ask lid for the names
        # the index knows nothing of and that look like register names
        # (all-lowercase names are functions and ordinary macros)
        bare = [n for n in names if not every[n] and n != n.lower()]
        users = index.files_using(bare) if bulk and bare else {}
        touched = sorted(self._touched_now())
        for name in names:
            places = [(t.path, t.line) for t in tags[name] if t.path not in self._touching]
            places += [(p, 0) for p in users.get(name, ()) if p in bulk]
            defs = []
            for path, line in places:
                text = self._cat(self._spec(path))
                if text is None:
                    continue
                for no in [line] if line else definition_lines(text, name):
                    got = self._definition(path, no, name)
                    if got is not None:
                        defs.append(got)
            for path in touched:
                text = self._cat(self._spec(path)) if path.endswith((".c", ".h")) else None
                for no in definition_lines(text or "", name):
                    got = self._definition(path, no, name)
                    if got is not None:
                        defs.append(got)
            self._defs[name] = rank_definitions(defs)

    def _definition(self, path: str, line: int, name: str) -> Definition | None:
        """The definition of ``name`` at ``line`` of ``path`` after the
        series; the file's lines and preprocessor conditions are worked out
        once per file, however many names are looked up in it."""
        spec = self._spec(path)
        text = self._cat(spec)
        if text is None:
            return None
        parsed = self._parsed.get(spec)
        if parsed is None:
            lines = text.splitlines()
            parsed = self._parsed[spec] = (lines, ConditionMarks.of(text))
        lines, marks = parsed
        return extract_definition(path, text, line, name, lines=lines, marks=marks)

    def find_definition(self, name: str) -> tuple[str, str] | None:
        """(path, full text) of the best definition of ``name``, or None."""
        found = self.find_definitions(name)
        return (found[0].path, found[0].text) if found else None
