"""C rules about symbols: what the series removes but still uses (RP306
removed-symbol-still-used), and calls that move away from the header that
declares them (RP307 moved-call-missing-include).  Definitions, calls and
includes come from the C analysis (``reviewpatch.csource``)."""

from __future__ import annotations

__all__ = ["moved_call_missing_include", "removed_symbol_still_used"]

import re
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

from reviewpatch.csource import NEW, OLD, Call, Definition, Include, SeriesCode, text_includes
from reviewpatch.errors import ReviewpatchError
from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.kernel.treedefs import Definition as TreeDefinition
from reviewpatch.rules.c.common import ordered
from reviewpatch.rules.c.definitions import Removed, Use, removed_symbols, tree_uses, uses
from reviewpatch.rules.c.text import evidence, plain_name
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

if TYPE_CHECKING:
    from reviewpatch.kernel.protocol import KernelTree

_ARCH_RE = re.compile(r"^arch/([^/]+)/")
_MAX_TREE_REFS = 5
# headers read to decide whether a file includes another through others
_MAX_INCLUDE_FILES = 400
_WHAT = {"macro": "macro", "function": "function", "enum": "enum value"}


def _arch(path: str) -> str | None:
    m = _ARCH_RE.match(path)
    return m.group(1) if m else None


def _use_hit(
    sym: Removed, group: list[Use], note: bool, generic: bool = False, unseen: bool = False
) -> Hit:
    """One finding for the uses of ``sym`` in one file (in file order)."""
    where = sym.last
    group = sorted(group, key=lambda u: u.line.new_no or 0)
    use = group[0]
    line = use.line
    nos = [str(u.line.new_no) for u in group if u.line.new_no is not None]
    at = (
        f"{use.path}:{nos[0]}"
        if len(nos) <= 1
        else f"{use.path}:{', '.join(nos[:-1])} and {nos[-1]}"
    )
    msg = (
        f"{_WHAT[where.kind]} {sym.name} is still used at {at}, but patch "
        f"{where.patch_index} removes its definition from {where.path} and the "
        "series defines it nowhere else"
    )
    if generic:
        msg += (
            f"; the removed lines marked it with '#define {sym.name} {sym.name}', the way an "
            "architecture overrides a generic fallback (asm-generic), which now takes over: "
            "--tree would settle it"
        )
        note = True
    elif note:
        msg += (
            f"; the use is outside arch/{_arch(where.path)}, so a generic definition "
            "may exist: --tree would settle it"
        )
    elif unseen:
        # hunk mode: a header the diff does not show may define it (the
        # series may have made the file include one)
        msg += (
            f"; a header the diff does not show may still define {sym.name}: --tree would settle it"
        )
        note = True
    return Hit(
        message=msg,
        patch_index=use.patch_index,
        file=use.path,
        line=line.new_no,
        mail_line=line.mail_line,
        symbol=sym.name,
        evidence=evidence(where.path, (where.line,), "definition removed")
        + ordered(evidence(use.path, tuple(u.line for u in group), "still used")),
        severity=Severity.NOTE if note else None,
        confidence=Confidence.LOW if note else None,
    )


def _tree_hits(
    tree: KernelTree, sym: Removed, seen: set[str], failed: list[int] | None = None
) -> Iterator[Hit]:
    """Uses of the symbol elsewhere in the post-image tree.  When patches
    of the series did not apply to the file the definition is removed from
    (``failed``), the tree is not the series' base there: a use may be one
    the base no longer has, and the finding is a note that says so."""
    where = sym.last
    doubt = ""
    if failed:
        shown = ", ".join(str(n) for n in failed[:5]) + (" ..." if len(failed) > 5 else "")
        doubt = (
            f"; the tree may not be the series' base (patch{'es' if len(failed) > 1 else ''} "
            f"{shown} did not apply to {where.path} in it), so the base may no longer use it"
        )
    for count, (path, no, text) in enumerate(tree_uses(tree, sym.name, seen)):
        if count >= _MAX_TREE_REFS:
            return
        yield Hit(
            message=(
                f"{sym.name} is still used at {path}:{no} in the tree after the series, but "
                f"patch {where.patch_index} removes its definition from {where.path}{doubt}"
            ),
            severity=Severity.NOTE if doubt else None,
            confidence=Confidence.LOW if doubt else None,
            file=path,
            line=no,
            symbol=sym.name,
            evidence=evidence(where.path, (where.line,), "definition removed")
            + (EvidenceLine(text=text, file=path, new_no=no, label="still used"),),
        )


@rule(
    id="RP306",
    name="removed-symbol-still-used",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    scope=Scope.PATCH,
    needs_code=True,
)
def removed_symbol_still_used(ctx: RuleContext) -> Iterator[Hit]:
    """A macro, function or enum value the series removes is still used.

    What it does
        Collects the definitions the series removes (``#define``, function
        definitions, enum members) that it re-adds nowhere and that no
        context line still declares, and reports every line the series
        adds or keeps that still uses them (whole identifiers, outside
        comments and strings), one finding per symbol and file.  In hunk
        mode only a definition local to its file (a ``.c`` file's macro or
        static function) makes an error: a header's symbol may still be
        defined by a header the diff does not show, so its uses are notes.
        In tree mode it also searches the tree after the series: it stays
        quiet when a definition remains there in every configuration, and
        notes a definition left only under ``#if`` conditions while a line
        of the series uses the symbol outside any ``#if`` it shows.  A build break is never explained
        away by the commit message.
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
    code = ctx.code
    if not isinstance(code, SeriesCode):
        return
    tree = code.tree
    for sym in removed_symbols(code):
        if sym.last.patch_index != ctx.patch.index:
            continue
        if tree is not None:
            left = _tree_definitions(tree, sym.name)
            if left and any(not d.conditions for d in left):
                continue  # still defined in every configuration
            if left:
                yield from _conditional_hits(code, sym, left)
                continue
        seen = {d.path for d in sym.defs}
        for hit in _use_hits(code, sym):
            seen.add(hit.file or "")
            yield hit
        if tree is not None and not _file_local(sym, code):
            # the tree differs from the series' base where the definition
            # is: a patch failed to apply on that very file
            failed = sorted(
                {
                    p.patch_index
                    for p in tree.problems
                    if f"patch failed: {sym.last.path}:" in f"{p.git_error} {p.message}"
                }
            )
            yield from _tree_hits(tree, sym, seen, failed)


def _file_local(sym: Removed, code: SeriesCode | None = None) -> bool:
    """A macro or enum constant defined in .c files serves those files
    alone (``pr_fmt``, a driver's register names), and so does a static
    function."""
    return all(
        d.path.endswith(".c")
        and (d.kind in ("macro", "enum") or code is not None and _static(code, d))
        for d in sym.defs
    )


def _static(code: SeriesCode, d: Definition) -> bool:
    """The removed definition ``d`` is of a static function."""
    if d.kind != "function":
        return False
    for fr in code.fragments(OLD, d.patch_index):
        if fr.view.path == d.path:
            for piece in fr.flows:
                if piece.function == d.name and piece.static:
                    return True
    return False


def _tree_definitions(tree: KernelTree, name: str) -> tuple[TreeDefinition, ...]:
    try:
        return tree.find_definitions(name)
    except (ReviewpatchError, OSError):  # best effort: take it as still defined
        return (TreeDefinition(path="", line=0, kind="", text=""),)


def _conditional_hits(
    code: SeriesCode, sym: Removed, left: tuple[TreeDefinition, ...]
) -> Iterator[Hit]:
    """The tree still defines ``sym`` only under preprocessor conditions,
    and the series uses it outside any ``#if`` its lines show: a note (the
    uses may sit in a block opened above the hunk, or in a file built only
    in those configurations)."""
    where = sym.last
    kept = left[0]
    bare = [u for u in uses(code, sym.name) if not u.guarded]
    if not bare:
        return
    use = bare[0]
    conds = " && ".join(kept.conditions)
    yield Hit(
        message=(
            f"patch {where.patch_index} removes {sym.name} from {where.path}; the tree still "
            f"defines it only under #if {conds} ({kept.path}:{kept.line}), and "
            f"{use.path}:{use.line.new_no} uses it outside any #if the diff shows: "
            "a configuration without it would not build"
        ),
        patch_index=use.patch_index,
        file=use.path,
        line=use.line.new_no,
        mail_line=use.line.mail_line,
        symbol=sym.name,
        evidence=evidence(where.path, (where.line,), "definition removed")
        + evidence(use.path, (use.line,), "still used"),
        severity=Severity.NOTE,
        confidence=Confidence.LOW,
    )


def _use_hits(code: SeriesCode, sym: Removed) -> Iterator[Hit]:
    """One finding per file that still uses ``sym`` in the series' views."""
    def_arches = {_arch(d.path) for d in sym.defs}
    local = {d.path for d in sym.defs} if _file_local(sym, code) else None
    by_file: dict[tuple[str, bool], dict[tuple[int | None, str], Use]] = {}
    for use in uses(code, sym.name, function=all(d.kind == "function" for d in sym.defs)):
        if local is not None and use.path not in local:
            continue
        use_arch = _arch(use.path)
        if None not in def_arches and use_arch is not None and use_arch not in def_arches:
            continue  # another architecture has its own definition
        note = None not in def_arches and use_arch is None and not code.tree_mode
        sites = by_file.setdefault((use.path, note), {})
        sites.setdefault((use.line.new_no, use.line.text.strip()), use)
    generic = not code.tree_mode and _overrode_generic(code, sym)
    unseen = not code.tree_mode and local is None
    for (_, note), sites in sorted(by_file.items()):
        yield _use_hit(sym, list(sites.values()), note, generic, unseen)


def _overrode_generic(code: SeriesCode, sym: Removed) -> bool:
    """A removed ``#define foo foo``: the mark by which an architecture's
    header tells asm-generic not to define its fallback ``foo``."""
    for d in sym.defs:
        for fr in code.fragments(OLD, d.patch_index):
            if fr.view.path != d.path:
                continue
            for m in fr.macros:
                if m.name == sym.name and m.params is None and m.body.strip() == sym.name:
                    return True
    return False


# -- RP307 -------------------------------------------------------------------


def _includes(code: SeriesCode, path: str, side: str, kinds: str) -> dict[str, Include]:
    """Headers named by ``#include`` lines of ``path`` on ``side`` whose
    line kind is one of ``kinds``, over the whole series."""
    out: dict[str, Include] = {}
    for inc in code.includes(side):
        if inc.path == path and inc.line.kind in kinds:
            out.setdefault(inc.target, inc)
    return out


def _dropped(code: SeriesCode, path: str) -> dict[str, Include]:
    """Includes the series removes from ``path`` and does not add back."""
    dropped = _includes(code, path, OLD, "-")
    for target in _includes(code, path, NEW, "+"):
        dropped.pop(target, None)
    return dropped


def _stem(header: str) -> str:
    return header.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", "_")


def _pick_header(call: str, removed: dict[str, Include]) -> str | None:
    """The removed include that most likely declared ``call``: the only
    one, or the only one whose name starts the call's name."""
    named = [h for h in removed if call == _stem(h) or call.startswith(_stem(h) + "_")]
    if len(named) == 1:
        return named[0]
    return next(iter(removed)) if len(removed) == 1 and not named else None


def _by_path(calls: tuple[Call, ...]) -> dict[str, dict[str, Call]]:
    """path -> callee -> its first call, for plain function calls."""
    out: dict[str, dict[str, Call]] = {}
    for c in calls:
        if plain_name(c.callee) and not c.callee.isupper() and not c.callee.startswith("__builtin"):
            out.setdefault(c.path, {}).setdefault(c.callee, c)
    return out


@rule(
    id="RP307",
    name="moved-call-missing-include",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
)
def moved_call_missing_include(ctx: RuleContext) -> Iterator[Hit]:
    """A call moved to a file that does not include the header it needs.

    What it does
        Finds calls that the patch removes from one file and adds to
        another, where the series also removes an ``#include`` from the
        first file (the header that declared the call) and neither shows
        nor adds that include in the second file.  From the mail alone it
        is a note: the headers the second file's other includes pull in are
        not in the diff.  In tree mode it follows them and warns when none
        brings the declaration in.
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
    code = ctx.code
    if not isinstance(code, SeriesCode):
        return
    gone = _by_path(code.calls_removed(ctx.patch.index))
    came = _by_path(code.calls_added(ctx.patch.index))
    for src, calls in sorted(gone.items()):
        dropped = _dropped(code, src)
        if not dropped and not code.tree_mode:
            continue
        for dest, added in sorted(came.items()):
            if dest == src:
                continue
            for name in sorted(set(calls) & set(added)):
                hit = _check_move(code, ctx.patch.index, name, src, dropped, added[name])
                if hit is not None:
                    yield hit


def _check_move(
    code: SeriesCode, index: int, name: str, src: str, dropped: dict[str, Include], call: Call
) -> Hit | None:
    dest = call.path
    header = _pick_header(name, dropped) if dropped else None
    if header is None and code.tree is not None:
        return _check_tree_move(code, code.tree, index, name, src, call)
    if header is None or dest.endswith("/" + header) or dest == header:
        return None
    if any(c.callee == name and c.path == dest for c in code.calls(OLD, index)):
        return None  # the file already called it before the patch
    visible = _includes(code, dest, NEW, "+ ")
    if header in visible:
        return None
    whole = any(fr.view.complete for f in code.files(index) if f.path == dest for fr in f.new)
    ev = evidence(src, (dropped[header].line,), "include removed") + evidence(
        dest, (call.line,), "call added"
    )
    base = f"{name}() moved from {src} to {dest}, and the series removes #include <{header}> from {src}"
    line = call.line
    if code.tree_mode:
        return None  # the tree could not give the file: say nothing rather than guess
    # hunk mode: the headers the destination's includes pull in are unseen
    named = name == _stem(header) or name.startswith(_stem(header) + "_")
    if whole and named:
        msg = (
            f"{base}, and {dest} does not include it directly; whether one of its other "
            "includes brings it in the diff does not show (--tree would settle it)"
        )
    elif whole:
        msg = (
            f"{base}, and {dest} does not include it; whether that header is the one that "
            f"declares {name}() the diff does not show (--tree would settle it)"
        )
    elif not visible:
        msg = f"{base}; the includes of {dest} are not in the diff, so whether it includes the header is unknown (--tree would settle it)"
    else:
        msg = (
            f"{base}; the includes of {dest} the diff shows do not name it, but the others are "
            "not in the diff (--tree would settle it)"
        )
    return Hit(
        msg,
        file=dest,
        line=line.new_no,
        mail_line=line.mail_line,
        symbol=name,
        evidence=ev,
        severity=Severity.NOTE,
        confidence=Confidence.LOW,
    )


# -- RP307 in tree mode: the include that stayed behind ------------------------


def _header_name(path: str) -> str | None:
    """How ``path`` is named in an ``#include`` (``include/linux/x.h`` ->
    ``linux/x.h``, ``arch/arm64/include/asm/x.h`` -> ``asm/x.h``)."""
    m = re.match(r"^(?:arch/[^/]+/)?include/(?:uapi/|generated/)?(.+\.h)$", path)
    return m.group(1) if m else None


def _declaring_headers(tree: KernelTree, name: str) -> tuple[str, ...]:
    """Headers that define ``name`` in the tree after the series."""
    try:
        found = [d.path for d in tree.find_definitions(name)]
    except (ReviewpatchError, OSError):  # best effort
        return ()
    return tuple(dict.fromkeys(h for p in found if (h := _header_name(p)) is not None))


def _header_paths(
    target: str, system: bool, includer: str, arches: frozenset[str]
) -> tuple[str, ...]:
    """Where an included ``target`` may live in the tree: beside its
    includer for ``"x.h"``, else in the include directories of the kernel
    and of the architectures concerned (an ``asm/`` header an architecture
    does not have is the asm-generic one, as Kbuild's wrappers make it)."""
    out = [] if system else [f"{includer.rsplit('/', 1)[0]}/{target}"]
    out += [f"include/{target}", f"include/uapi/{target}"]
    out += [f"arch/{a}/include/{target}" for a in sorted(arches)]
    out += [f"arch/{a}/include/uapi/{target}" for a in sorted(arches)]
    if target.startswith("asm/"):
        out.append(f"include/asm-generic/{target[4:]}")
    return tuple(dict.fromkeys(out))


def _included(
    tree: KernelTree, dest: str, src: str, visible: dict[str, Include], header: str
) -> bool | None:
    """Whether ``dest`` includes ``header`` directly or through the headers
    it includes, followed in the tree after the series (breadth first, at
    most ``_MAX_INCLUDE_FILES`` headers read); None when the walk was cut
    short before finding it."""
    if header in visible:
        return True
    arches = frozenset(a for a in (_arch(dest), _arch(src)) if a)
    queue = deque((inc.target, inc.system, dest) for inc in visible.values())
    seen: dict[str, bool] = {}  # path -> whether the tree has it
    while queue:
        target, system, includer = queue.popleft()
        for path in _header_paths(target, system, includer, arches):
            if path in seen:
                if seen[path]:
                    break
                continue
            if len(seen) >= _MAX_INCLUDE_FILES:
                return None
            try:
                text = tree.new_file(path)
            except (ReviewpatchError, OSError):  # best effort
                text = None
            seen[path] = text is not None
            if text is None:
                continue
            for inc in text_includes(text, path):
                if inc.target == header:
                    return True
                queue.append((inc.target, inc.system, path))
            break  # the first directory that has the header is the one used
    return False


def _check_tree_move(
    code: SeriesCode, tree: KernelTree, index: int, name: str, src: str, call: Call
) -> Hit | None:
    """A call moved to ``call.path`` while the header that declares it
    stays included only by ``src`` (tree mode: both whole files seen)."""
    dest = call.path
    wholes = [fr for f in code.files(index) for fr in f.new if fr.view.path == dest]
    olds = [fr for f in code.files(index) for fr in f.old if fr.view.path == src]
    if not (
        wholes
        and all(fr.view.complete for fr in wholes)
        and olds
        and all(fr.view.complete for fr in olds)
    ):
        return None
    if any(c.callee == name and c.path == dest for c in code.calls(OLD, index)):
        return None
    src_includes = {i.target: i for fr in olds for i in fr.includes}
    headers = [h for h in _declaring_headers(tree, name) if h in src_includes]
    named = [h for h in src_includes if name == _stem(h) or name.startswith(_stem(h) + "_")]
    if not headers and len(named) == 1:
        headers = named
    if not headers or dest.endswith("/" + headers[0]):
        return None
    header = headers[0]
    visible = {i.target: i for fr in wholes for i in fr.includes}
    found = _included(tree, dest, src, visible, header)
    if found is not False:
        return None  # included, or too many headers to follow: no claim
    msg = (
        f"{name}() moved from {src} to {dest}; {src} includes <{header}>, which declares it, "
        f"but {dest} does not"
    )
    ev = evidence(src, (src_includes[header].line,), "include of the old caller")
    ev += evidence(dest, (call.line,), "call added")
    return Hit(
        msg,
        file=dest,
        line=call.line.new_no,
        mail_line=call.line.mail_line,
        symbol=name,
        evidence=ev,
        confidence=Confidence.LOW,
    )
