"""The symbol index of a kernel tree: built once per git tree id, kept in
the user cache directory, asked in milliseconds.

Two well-kept indexers do the reading; this module only runs them and
stores their answers:

- universal-ctags lists definitions (functions, macros, structs, enums and
  their values, typedefs, variables), prototypes, ``#include`` lines and
  Kconfig options, with their lines.  They go into an SQLite file.
- GNU id-utils (``mkid``) records which files hold each identifier (C,
  assembly, Kconfig files and Makefiles, all read by its C scanner); ``lid`` answers "which files use X"
  without reading the tree again.

The files are read from the checkout when its copy is the one the tree
names (same blob in the index, not modified), else from git's object store
through one ``git cat-file --batch``.  Nothing in the repository is
written: the index lives in ``<cache>/tree-index/<tree id>/``, built in a
temporary directory beside it and renamed into place when complete, so a
half-built index is never used.

Without ctags or mkid on the PATH there is no index; tree mode then falls
back to ``git grep`` (slow on a kernel tree) and says so.
"""

from __future__ import annotations

__all__ = [
    "IndexTag",
    "Progress",
    "TreeIndex",
    "index_tools",
    "open_index",
]

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reviewpatch.errors import TreeError
from reviewpatch.kernel.gitrun import GitRunner, first_error

# called with (parts done, parts in all) while an index builds
Progress = Callable[[int, int], None]

_FORMAT = 3  # bump when the stored layout changes
_C_KINDS = "defgpstuvxh"  # macro enumerator function enum prototype struct typedef union
# variable externvar header: see ``ctags --list-kinds-full=C``
_XFORMAT = "%N\t%F\t%n\t%e\t%K\t%{roles}"
_PARTS_PER_CPU = 8
_BULK = 2000  # macro definitions in one file beyond which it counts as a register dump
_TIMEOUT = 1800.0


@dataclass(frozen=True)
class IndexTag:
    """One line ctags reported.  ``kind`` is ctags' kind name
    (``function``, ``macro``, ``prototype``, ``struct``, ``enumerator``,
    ``variable``, ``header``, ``config``, ...); ``end`` the last line of a
    definition when ctags knows it, else 0.  For ``header`` the name is
    the text between the include's quotes or angle brackets."""

    name: str
    path: str
    line: int
    end: int
    kind: str


def index_tools() -> tuple[str, str] | None:
    """(ctags, mkid) executables when both are installed (universal-ctags
    and id-utils), else None."""
    ctags = shutil.which("ctags")
    mkid = shutil.which("mkid")
    lid = shutil.which("lid")
    if not ctags or not mkid or not lid:
        return None
    try:
        out = subprocess.run(
            [ctags, "--version"], capture_output=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if b"Universal Ctags" not in out:
        return None
    return ctags, mkid


def _kind_of(path: str) -> str | None:
    """What ``path`` is: "c", "asm", "kconfig", "make" or None (not
    indexed).  mkid reads them all; ctags reads "c" and "kconfig"."""
    base = path.rpartition("/")[2]
    if path.endswith((".c", ".h")):
        return "c"
    if path.endswith(".S"):
        return "asm"
    if base.startswith("Kconfig"):
        return "kconfig"
    if base in ("Makefile", "Kbuild") or base.endswith(".mk"):
        return "make"
    return None


class TreeIndex:
    """An index built by ``open_index``: queries only, read-only."""

    def __init__(self, directory: Path, roots: Sequence[str]) -> None:
        self.directory = directory
        self._roots = tuple(roots)
        self._db = sqlite3.connect(f"file:{directory / 'tags.sqlite'}?mode=ro", uri=True)
        self._lid = shutil.which("lid") or "lid"
        self._bulk: frozenset[str] | None = None

    def close(self) -> None:
        """Close the database.  Safe to call twice."""
        self._db.close()

    def tags(
        self, names: Iterable[str], kinds: Iterable[str] | None = None
    ) -> dict[str, tuple[IndexTag, ...]]:
        """The tags of each name (every name asked for is a key), sorted
        by path and line; only those of ``kinds`` when given."""
        wanted = sorted(set(names))
        allowed = None if kinds is None else frozenset(kinds)
        found: dict[str, list[IndexTag]] = {n: [] for n in wanted}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT t.name, f.path, t.line, t.end, t.kind FROM tags t "
                f"JOIN files f ON f.id = t.file WHERE t.name IN ({marks})",
                chunk,
            )
            for name, path, line, end, kind in rows:
                if allowed is None or kind in allowed:
                    found[name].append(IndexTag(name, path, line, end, kind))
        return {n: tuple(sorted(v, key=lambda t: (t.path, t.line))) for n, v in found.items()}

    def includers(self, header: str) -> tuple[IndexTag, ...]:
        """The ``#include`` lines whose file name ends in the base name of
        ``header`` (the caller decides which of them name it)."""
        base = header.rpartition("/")[2]
        rows = self._db.execute(
            "SELECT i.name, f.path, i.line FROM includes i "
            "JOIN files f ON f.id = i.file WHERE i.base = ?",
            (base,),
        )
        return tuple(
            sorted(
                (IndexTag(name, path, line, 0, "header") for name, path, line in rows),
                key=lambda t: (t.path, t.line),
            )
        )

    def files_using(self, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The files (paths in the tree) in which each identifier occurs;
        every name asked for is a key."""
        wanted = sorted({n for n in names if n.isidentifier() and n.isascii()})
        found: dict[str, set[str]] = {n: set() for n in wanted}
        for i in range(0, len(wanted), 200):
            chunk = wanted[i : i + 200]
            try:
                res = subprocess.run(
                    [self._lid, "-f", str(self.directory / "ID"), "-l", "-S", "space", *chunk],
                    cwd="/",
                    capture_output=True,
                    timeout=120,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise TreeError(f"tree index {self.directory}: lid failed: {exc}") from None
            for raw in res.stdout.decode("utf-8", "surrogateescape").splitlines():
                name, _, rest = raw.partition(" ")
                if name not in found:
                    continue
                for disk in rest.split():
                    path = self._tree_path("/" + disk)
                    if path is not None:
                        found[name].add(path)
        return {n: tuple(sorted(v)) for n, v in found.items()}

    def bulk_files(self) -> frozenset[str]:
        """Files with so many ``#define`` lines (register dumps) that their
        macros are not stored: look for a macro there with
        ``files_using`` and read the file."""
        if self._bulk is None:
            rows = self._db.execute("SELECT f.path FROM bulk b JOIN files f ON f.id = b.file")
            self._bulk = frozenset(path for (path,) in rows)
        return self._bulk

    def _tree_path(self, disk: str) -> str | None:
        for root in self._roots:
            if disk.startswith(root + "/"):
                return disk[len(root) + 1 :]
        return None


def open_index(
    git: GitRunner,
    tree: str,
    worktree: str | None,
    cache: Path,
    *,
    progress: Progress | None = None,
) -> TreeIndex | None:
    """The index of git tree ``tree``: from ``cache`` when built before,
    else built now (files from ``worktree`` where they match).  None when
    ctags or mkid is missing."""
    tools = index_tools()
    if tools is None:
        return None
    final = cache / "tree-index" / tree
    meta = _read_meta(final)
    if meta is None:
        _build(git, tree, worktree, final, tools, progress)
        meta = _read_meta(final)
        if meta is None:
            raise TreeError(f"tree index {final}: built but unreadable")
    roots = meta.get("roots")
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise TreeError(f"tree index {final}: bad meta.json")
    return TreeIndex(final, roots)


def _read_meta(directory: Path) -> dict[str, object] | None:
    try:
        data = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return None
    if not (directory / "ID").is_file() or not (directory / "tags.sqlite").is_file():
        return None
    return data


# -- building -----------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A file to index: its path in the tree and where it lies on disk."""

    path: str
    disk: str
    kind: str


def _build(
    git: GitRunner,
    tree: str,
    worktree: str | None,
    final: Path,
    tools: tuple[str, str],
    progress: Progress | None,
) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{tree[:12]}-", dir=final.parent))
    try:
        blobs = work / "blobs"
        sources = _sources(git, tree, worktree, blobs)
        roots = [str(blobs)] + ([str(Path(worktree).resolve())] if worktree else [])
        _index_all(sources, work, tools, progress)
        meta = {"format": _FORMAT, "tree": tree, "roots": roots, "files": len(sources)}
        shutil.rmtree(blobs, ignore_errors=True)
        (work / "meta.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
        if final.exists() and _read_meta(final) is None:
            shutil.rmtree(final, ignore_errors=True)  # left half-built by an earlier run
        try:
            os.replace(work, final)
        except OSError:  # another run finished first: keep its index
            if _read_meta(final) is None:
                raise
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        if work.exists() and work != final:
            shutil.rmtree(work, ignore_errors=True)


def _sources(git: GitRunner, tree: str, worktree: str | None, blobs: Path) -> list[_Source]:
    """Every file of ``tree`` an indexer reads, on disk: the checkout's
    copy when it is the tree's blob, else written out under ``blobs``."""
    res = git.run("ls-tree", "-r", "-z", "--full-tree", tree)
    if res.returncode != 0:
        raise TreeError(f"tree {git.label}: git ls-tree failed: {first_error(res.stderr)}")
    wanted: dict[str, tuple[str, str]] = {}
    for entry in res.stdout.split(b"\0"):
        head, _, raw_path = entry.partition(b"\t")
        fields = head.split()
        if len(fields) != 3 or fields[1] != b"blob" or fields[0] == b"120000":
            continue
        path = raw_path.decode("utf-8", "surrogateescape")
        kind = _kind_of(path)
        if kind is not None and "\n" not in path:
            wanted[path] = (fields[2].decode("ascii"), kind)
    usable = _clean_in_checkout(git, worktree, wanted)
    out: list[_Source] = []
    missing: list[tuple[str, str, str]] = []
    root = str(Path(worktree).resolve()) if worktree else ""
    for path, (blob, kind) in sorted(wanted.items()):
        if path in usable:
            out.append(_Source(path, f"{root}/{path}", kind))
        else:
            missing.append((path, blob, kind))
    for path, _blob, kind in missing:
        out.append(_Source(path, str(blobs / path), kind))
    _write_blobs(git, [(blobs / p, b) for p, b, _k in missing])
    return out


def _clean_in_checkout(
    git: GitRunner, worktree: str | None, wanted: dict[str, tuple[str, str]]
) -> set[str]:
    """Paths whose checkout copy is exactly the tree's blob: the user's
    index has that blob and the file is not modified.  Read-only
    (``GIT_OPTIONAL_LOCKS=0``: git does not refresh the index)."""
    if not worktree:
        return set()
    env = {k: v for k, v in git.env.items() if k not in ("GIT_INDEX_FILE",)}
    env.pop("GIT_OBJECT_DIRECTORY", None)
    env.pop("GIT_ALTERNATE_OBJECT_DIRECTORIES", None)
    user = GitRunner(git.runner, worktree, env, git.label)
    staged = user.run("ls-files", "-s", "-z")
    dirty = user.run("diff-files", "--name-only", "-z")
    if staged.returncode != 0 or dirty.returncode != 0:
        return set()
    changed = {p.decode("utf-8", "surrogateescape") for p in dirty.stdout.split(b"\0") if p}
    usable: set[str] = set()
    for entry in staged.stdout.split(b"\0"):
        head, _, raw_path = entry.partition(b"\t")
        fields = head.split()
        if len(fields) != 3 or fields[2] != b"0":
            continue
        path = raw_path.decode("utf-8", "surrogateescape")
        want = wanted.get(path)
        if want is not None and want[0] == fields[1].decode("ascii") and path not in changed:
            usable.add(path)
    return usable


def _write_blobs(git: GitRunner, items: list[tuple[Path, str]]) -> None:
    """Write each blob to its path with one ``git cat-file --batch``."""
    if not items:
        return
    proc = subprocess.Popen(
        ["git", "cat-file", "--batch"],
        cwd=git.cwd,
        env=git.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        assert proc.stdin is not None
        try:
            for _path, blob in items:
                proc.stdin.write(blob.encode("ascii") + b"\n")
            proc.stdin.close()
        except OSError:  # git died; the reader reports it
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for path, blob in items:
            header = proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise TreeError(f"tree {git.label}: blob {blob} missing from the object store")
            size = int(header[2])
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as out:
                left = size
                while left:
                    chunk = proc.stdout.read(min(left, 1 << 20))
                    if not chunk:
                        raise TreeError(f"tree {git.label}: git cat-file ended early")
                    out.write(chunk)
                    left -= len(chunk)
            proc.stdout.read(1)
    finally:
        writer.join(timeout=5)
        proc.kill()
        proc.wait()


def _parts(sources: Sequence[_Source], count: int) -> list[list[_Source]]:
    size = max(1, -(-len(sources) // count))
    return [list(sources[i : i + size]) for i in range(0, len(sources), size)]


def _index_all(
    sources: Sequence[_Source], work: Path, tools: tuple[str, str], progress: Progress | None
) -> None:
    """Run mkid over every file and ctags over the C and Kconfig files, in
    parallel, and store ctags' answers part by part (each part's output
    goes through a file, so memory stays flat)."""
    ctags, mkid = tools
    cpus = os.cpu_count() or 1
    tagged = [s for s in sources if s.kind in ("c", "kconfig")]
    parts = _parts(tagged, cpus * _PARTS_PER_CPU)
    total = len(parts) + 1
    done = 0
    lock = threading.Lock()

    def tick() -> None:
        nonlocal done
        with lock:
            done += 1
            if progress is not None:
                progress(done, total)

    listing = work / "files0"
    listing.write_bytes(
        b"".join(s.disk.encode("utf-8", "surrogateescape") + b"\0" for s in sources)
    )
    disk_to_path = {s.disk: s.path for s in tagged}
    db = _new_db(work / "tags.sqlite", [s.path for s in sources])
    ids: dict[str, int] = dict(db.execute("SELECT path, id FROM files"))
    if progress is not None:
        progress(0, total)
    with ThreadPoolExecutor(max_workers=max(2, cpus)) as pool:
        made = pool.submit(_run_mkid, mkid, listing, work / "ID")
        made.add_done_callback(lambda _f: tick())
        outs = [work / f"ctags-{n}.txt" for n in range(len(parts))]
        runs = [pool.submit(_run_ctags, ctags, part, out) for part, out in zip(parts, outs)]
        for run, out in zip(runs, outs):
            run.result()
            _store(db, ids, out, disk_to_path)
            out.unlink()
            tick()
        made.result()
    listing.unlink()
    (work / "lang.map").unlink()
    db.commit()
    db.execute("VACUUM")
    db.close()


def _new_db(path: Path, files: Sequence[str]) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT UNIQUE)")
    db.execute(
        "CREATE TABLE tags(name TEXT, file INTEGER, line INTEGER, end INTEGER, kind TEXT,"
        " PRIMARY KEY (name, file, line, kind)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE includes(base TEXT, name TEXT, file INTEGER, line INTEGER,"
        " PRIMARY KEY (base, file, line)) WITHOUT ROWID"
    )
    # files with more macro definitions than _BULK (register dumps): their
    # macros are found by reading the file (``lid`` names it), not stored
    db.execute("CREATE TABLE bulk(file INTEGER PRIMARY KEY)")
    db.executemany("INSERT INTO files(path) VALUES (?)", ((p,) for p in sorted(files)))
    return db


# every file mkid reads goes through its C scanner: identifiers outside
# comments and strings, also in assembly, Kconfig files and Makefiles
_LANG_MAP = "".join(
    f"{pattern}\tC\n" for pattern in ("*.c", "*.h", "*.S", "Kconfig*", "Makefile", "Kbuild", "*.mk")
)


def _run_mkid(mkid: str, listing: Path, out: Path) -> None:
    lang_map = out.parent / "lang.map"
    lang_map.write_text(_LANG_MAP, encoding="ascii")
    try:
        res = subprocess.run(
            [mkid, "-m", str(lang_map), f"--files0-from={listing}", "-o", str(out)],
            cwd="/",
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise TreeError(f"tree index: mkid failed: {exc}") from None
    if res.returncode != 0 or not out.is_file():
        why = res.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise TreeError(f"tree index: mkid failed: {why[0] if why else res.returncode}")


def _run_ctags(ctags: str, part: Sequence[_Source], out: Path) -> None:
    listing = "".join(s.disk + "\n" for s in part).encode("utf-8", "surrogateescape")
    try:
        with open(out, "wb") as sink:
            subprocess.run(
                [
                    ctags,
                    "-L",
                    "-",
                    "--langmap=C:.c.h",
                    "--languages=C,Kconfig",
                    f"--kinds-C={_C_KINDS}",
                    "--kinds-Kconfig=c",
                    "--extras=+r",
                    "--sort=no",
                    "-x",
                    f"--_xformat={_XFORMAT}",
                ],
                input=listing,
                stdout=sink,
                stderr=subprocess.DEVNULL,
                timeout=_TIMEOUT,
                check=False,
            )
    except (OSError, subprocess.SubprocessError) as exc:
        raise TreeError(f"tree index: ctags failed: {exc}") from None


def _parse_ctags(
    out: Path, disk_to_path: dict[str, str]
) -> Iterator[tuple[str, str, int, int, str]]:
    """(name, path, line, end, kind) of each definition, include and
    Kconfig option line in a ctags output file; ``#undef`` and other
    references are skipped."""
    with open(out, encoding="utf-8", errors="surrogateescape") as lines:
        for raw in lines:
            fields = raw.rstrip("\n").split("\t")
            if len(fields) != 6:
                continue
            name, disk, line, end, kind, roles = fields
            path = disk_to_path.get(disk)
            if path is None or not line.isdigit():
                continue
            if kind == "header":
                if roles not in ("local", "system"):
                    continue
            elif roles != "def":
                continue
            yield name, path, int(line), int(end) if end.isdigit() else 0, kind


def _store(
    db: sqlite3.Connection, ids: dict[str, int], out: Path, disk_to_path: dict[str, str]
) -> None:
    """Store one ctags output file (unsorted, so one file's tags come
    together).  A file with more than ``_BULK`` macro definitions is a
    register dump: its macros are not stored, the file is marked bulk."""
    pending: list[tuple[str, int, int, int, str]] = []
    current = -1

    def flush() -> None:
        macros = sum(1 for row in pending if row[4] == "macro")
        bulk = macros > _BULK
        if bulk:
            db.execute("INSERT OR IGNORE INTO bulk VALUES (?)", (current,))
        db.executemany(
            "INSERT OR IGNORE INTO tags VALUES (?, ?, ?, ?, ?)",
            (r for r in pending if r[4] != "header" and not (bulk and r[4] == "macro")),
        )
        db.executemany(
            "INSERT OR IGNORE INTO includes VALUES (?, ?, ?, ?)",
            ((r[0].rpartition("/")[2], r[0], r[1], r[2]) for r in pending if r[4] == "header"),
        )
        pending.clear()

    for name, path, line, end, kind in _parse_ctags(out, disk_to_path):
        file = ids.get(path)
        if file is None:
            continue
        if file != current:
            flush()
            current = file
        pending.append((name, file, line, end, kind))
    flush()
