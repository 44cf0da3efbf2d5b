"""C semantic rules about symbols: what the series removes but still uses,
and calls that move away from the header that declares them.

RP306 removed-symbol-still-used, RP307 moved-call-missing-include.  The
set/clear pairing rule RP305 lives in ``semantic_pairs``; the commit message
claims (RP308, RP309) in ``semantic_claims``.
"""

from __future__ import annotations

__all__ = ["removed_symbol_still_used", "moved_call_missing_include"]

import re
from typing import Any, Iterator

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.model import LineKind, Patch, Series
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.semantic_defs import (
    Def,
    Ref,
    include_target,
    references,
    series_definitions,
    tree_of,
)
from reviewpatch.rules.semantic_text import (
    c_files,
    calls_in,
    evidence,
    side_lines,
    strip_code,
    word_re,
)

_ARCH_RE = re.compile(r"^arch/([^/]+)/")
_MAX_TREE_REFS = 5


def _arch(path: str) -> str | None:
    m = _ARCH_RE.match(path)
    return m.group(1) if m else None


def _removed_symbols(series: Series) -> dict[str, tuple[Def, ...]]:
    """Symbols whose definition the series removes, re-adds nowhere and
    keeps nowhere in view: name -> the removed definitions."""
    removed, added, kept = series_definitions(series)
    still = {d.name for d in added} | {d.name for d in kept}
    out: dict[str, list[Def]] = {}
    for d in removed:
        if d.is_body and d.name not in still:
            out.setdefault(d.name, []).append(d)
    return {k: tuple(v) for k, v in out.items()}


def _ref_hit(name: str, defs: tuple[Def, ...], ref: Ref, note: bool) -> Hit:
    where = defs[-1]
    line = ref.line.line
    what = {"macro": "macro", "function": "function", "enum": "enum value"}[where.kind]
    msg = (
        f"{what} {name} is still used at {ref.path}:{line.new_no}, but patch "
        f"{where.patch_index} removes its definition from {where.path} and the "
        "series defines it nowhere else"
    )
    if note:
        msg += (
            f"; the use is outside arch/{_arch(where.path)}, so a generic definition "
            "may exist: --tree would settle it"
        )
    return Hit(
        message=msg,
        patch_index=ref.patch_index,
        file=ref.path,
        line=line.new_no,
        mail_line=line.mail_line,
        symbol=name,
        evidence=evidence(where.path, (where.line.line,), "definition removed")
        + evidence(ref.path, (line,), "still used"),
        severity=Severity.NOTE if note else None,
        confidence=Confidence.LOW if note else None,
    )


def _tree_hits(tree: Any, name: str, defs: tuple[Def, ...], seen: set[str]) -> Iterator[Hit]:
    """Uses of ``name`` elsewhere in the post-image tree."""
    count = 0
    for path, no, text in tree.grep(name):
        code, _ = strip_code(text, False)
        if path in seen or not word_re(name).search(code) or text.lstrip().startswith("*"):
            continue
        if not path.endswith((".c", ".h", ".S")):
            continue
        seen.add(path)
        count += 1
        if count > _MAX_TREE_REFS:
            return
        yield Hit(
            message=(
                f"{name} is still used at {path}:{no} in the tree after the series, but "
                f"patch {defs[-1].patch_index} removes its definition from {defs[-1].path}"
            ),
            file=path,
            line=no,
            symbol=name,
            evidence=evidence(defs[-1].path, (defs[-1].line.line,), "definition removed")
            + (EvidenceLine(text=text, file=path, new_no=no, label="still used"),),
        )


@rule(
    id="RP306",
    name="removed-symbol-still-used",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=True,
)
def removed_symbol_still_used(ctx: RuleContext) -> Iterator[Hit]:
    """A macro, function or enum value the series removes is still used.

    What it does
        Collects the definitions the series removes (``#define``, function
        definitions, enum members) that it re-adds nowhere and that no
        context line still declares, and reports every line the series
        adds or keeps that still uses them (whole identifiers, outside
        comments and strings).  In tree mode it also searches the tree after
        the series, and stays quiet when a definition remains there.
    Why it matters
        A symbol removed while still used breaks the build, often only in a
        configuration or architecture the author did not build, or breaks
        bisection in the middle of the series.
    Example
        -#define INITRD_MINOR 250
        ...
        +	create_dev("/dev/ram", MKDEV(RAMDISK_MAJOR, INITRD_MINOR));
    Use instead
        Remove the remaining users in the same patch (or an earlier one), or
        keep the definition until the last user is gone.
    """
    assert ctx.patch is not None
    tree = tree_of(ctx.code)
    for name, defs in sorted(_removed_symbols(ctx.series).items()):
        if defs[-1].patch_index != ctx.patch.index:
            continue
        if tree is not None and _defined_in_tree(tree, name):
            continue
        yield from _hunk_refs(ctx.series, name, defs)
        if tree is not None:
            yield from _tree_hits(tree, name, defs, {d.path for d in defs})


def _defined_in_tree(tree: Any, name: str) -> bool:
    finder = getattr(tree, "find_definitions", None)
    if finder is not None:
        return bool(finder(name))
    return tree.find_definition(name) is not None


def _hunk_refs(series: Series, name: str, defs: tuple[Def, ...]) -> Iterator[Hit]:
    seen: set[tuple[str, str]] = set()
    def_arches = {_arch(d.path) for d in defs}
    for ref in reversed(references(series, name)):
        key = (ref.path, ref.line.text.strip())
        if key in seen:
            continue
        seen.add(key)
        ref_arch = _arch(ref.path)
        if None not in def_arches and ref_arch is not None and ref_arch not in def_arches:
            continue  # another architecture has its own definition
        note = None not in def_arches and ref_arch is None
        yield _ref_hit(name, defs, ref, note)


# -- RP307 -------------------------------------------------------------------


def _calls_by_file(patch: Patch, kind: LineKind) -> dict[str, dict[str, list[Any]]]:
    """For removed (or added) lines of ``patch``: path -> call name -> lines."""
    side = "old" if kind is LineKind.REMOVED else "new"
    out: dict[str, dict[str, list[Any]]] = {}
    for fd in c_files(patch.files):
        path = fd.old_path if side == "old" else fd.new_path
        for hunk in fd.hunks:
            for sl in side_lines(hunk, side):
                if sl.line.kind is not kind:
                    continue
                for name, _args, _col in calls_in(sl.code):
                    out.setdefault(path, {}).setdefault(name, []).append(sl.line)
    return out


def _includes(series: Series, path: str, kinds: tuple[LineKind, ...]) -> dict[str, Any]:
    """Headers named by ``#include`` lines of ``kinds`` in ``path``."""
    out: dict[str, Any] = {}
    for patch in series.patches:
        for fd in c_files(patch.files):
            if path not in (fd.old_path, fd.new_path):
                continue
            for hunk in fd.hunks:
                for ln in hunk.lines:
                    target = include_target(ln.text) if ln.kind in kinds else None
                    if target:
                        out.setdefault(target, ln)
    return out


def _stem(header: str) -> str:
    return header.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", "_")


def _pick_header(call: str, removed: dict[str, Any]) -> str | None:
    """The removed include that most likely declared ``call``: the only
    one, or the only one whose name starts the call's name."""
    named = [h for h in removed if call == _stem(h) or call.startswith(_stem(h) + "_")]
    if len(named) == 1:
        return named[0]
    return next(iter(removed)) if len(removed) == 1 and not named else None


def _old_calls(patch: Patch, path: str, name: str) -> bool:
    """Whether ``path`` already called ``name`` before the patch (on lines
    shown as context or removed)."""
    for fd in c_files(patch.files):
        if fd.new_path != path:
            continue
        for hunk in fd.hunks:
            for sl in side_lines(hunk, "old"):
                if any(c[0] == name for c in calls_in(sl.code)):
                    return True
    return False


@rule(
    id="RP307",
    name="moved-call-missing-include",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
    explainable=True,
)
def moved_call_missing_include(ctx: RuleContext) -> Iterator[Hit]:
    """A call moved to a file that does not include the header it needs.

    What it does
        Finds calls that the patch removes from one file and adds to
        another, where the series also removes an ``#include`` from the
        first file (the header that declared the call) and neither shows
        nor adds that include in the second file.  When none of the second
        file's includes are in view, it only notes that it cannot tell (tree
        mode settles it).
    Why it matters
        The moved call then compiles only through an indirect include, which
        breaks on other configurations or when headers are cleaned up; an
        implicit declaration is a build error.
    Example
        -#include <linux/rseq.h>      (ptrace.c)
        -	rseq_syscall(regs);       (ptrace.c)
        +	rseq_syscall(regs);       (syscall.h, which lacks the include)
    Use instead
        Move the ``#include`` along with the call.
    """
    assert ctx.patch is not None
    tree = tree_of(ctx.code)
    gone = _calls_by_file(ctx.patch, LineKind.REMOVED)
    came = _calls_by_file(ctx.patch, LineKind.ADDED)
    for src, calls in sorted(gone.items()):
        dropped = _includes(ctx.series, src, (LineKind.REMOVED,))
        for inc in _includes(ctx.series, src, (LineKind.ADDED,)):
            dropped.pop(inc, None)
        if not dropped:
            continue
        for dest, added in sorted(came.items()):
            if dest == src:
                continue
            for name in sorted(set(calls) & set(added)):
                hit = _check_move(ctx, tree, name, src, dest, dropped, added[name][0])
                if hit is not None:
                    yield hit


def _check_move(
    ctx: RuleContext, tree: Any, name: str, src: str, dest: str, dropped: dict[str, Any], line: Any
) -> Hit | None:
    assert ctx.patch is not None
    header = _pick_header(name, dropped)
    if header is None or dest.endswith("/" + header) or dest == header:
        return None
    if _old_calls(ctx.patch, dest, name):
        return None
    visible = _includes(ctx.series, dest, (LineKind.CONTEXT, LineKind.ADDED))
    if header in visible:
        return None
    ev = evidence(src, (dropped[header],), "include removed") + evidence(dest, (line,), "call added")
    base = f"{name}() moved from {src} to {dest}, and the series removes #include <{header}> from {src}"
    if tree is not None:
        text = tree.new_file(dest)
        if text is None or re.search(rf"#\s*include\s*[<\"]{re.escape(header)}[>\"]", text):
            return None
        msg = f"{base}, but {dest} does not include it"
        return Hit(msg, file=dest, line=line.new_no, mail_line=line.mail_line, symbol=name, evidence=ev)
    if not visible:
        msg = f"{base}; the includes of {dest} are not in the diff, so whether it includes the header is unknown (--tree would settle it)"
        return Hit(msg, file=dest, line=line.new_no, mail_line=line.mail_line, symbol=name,
                   evidence=ev, severity=Severity.NOTE, confidence=Confidence.LOW)
    msg = f"{base}, but {dest} neither shows nor adds that include"
    return Hit(msg, file=dest, line=line.new_no, mail_line=line.mail_line, symbol=name, evidence=ev)
