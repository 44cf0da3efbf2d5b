"""RP318 config-call-without-stub: a function declared only under
``#ifdef CONFIG_X`` (no stub in an ``#else``) is called from code that is
built without CONFIG_X."""

from __future__ import annotations

__all__ = ["config_call_without_stub"]

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewpatch.csource import NEW, SeriesCode
from reviewpatch.csource.formula import AtomKind, atoms_of
from reviewpatch.csource.model import CodeLine
from reviewpatch.csource.ppcond import Block, line_conditions
from reviewpatch.errors import ReviewpatchError
from reviewpatch.findings import Confidence, Severity
from reviewpatch.kernel.protocol import KernelTree
from reviewpatch.model import LineKind, Series
from reviewpatch.rules.c.common import code_evidence
from reviewpatch.rules.c.pp_balance import directive
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

# a prototype or the head of a definition at column 0: ``int foo(...)``
_DECL_RE = re.compile(r"^(?!return\b|typedef\b|#)[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*\(")
# ``obj-y += a.o``, ``obj-$(CONFIG_X) += a.o``, ``foo-objs := a.o``, ``foo-$(CONFIG_X) += a.o``
_LIST_RE = re.compile(
    r"^\s*([A-Za-z0-9_]+)-(?:y|objs|\$\((CONFIG_[A-Za-z0-9_]+)\))\s*[+:]?=\s*(.*?)\s*\\?$"
)


@dataclass(frozen=True)
class _Decl:
    """A function declared in a header only when ``option`` is set, in a
    block the fragment shows whole with no ``#else``."""

    name: str
    option: str
    path: str
    line: CodeLine
    patch: int


@dataclass(frozen=True)
class _Site:
    name: str
    path: str
    line: CodeLine
    patch: int
    options: frozenset[str]


def _options(blocks: tuple[Block, ...]) -> frozenset[str]:
    """The CONFIG options the blocks around a line test."""
    return frozenset(a.name for b in blocks for a in atoms_of(b.cond) if a.kind is AtomKind.CONFIG)


def _declarations(code: SeriesCode) -> tuple[list[_Decl], set[str]]:
    """Declarations added under one CONFIG option with no ``#else`` in
    their block, and the names declared anywhere else (outside such a
    block) on the new side of the series."""
    only: list[_Decl] = []
    elsewhere: set[str] = set()
    for pc in code.patches:
        for fc in pc.files:
            if not fc.path.endswith(".h"):
                continue
            for fr in fc.fragments(NEW):
                lines = [ln.text for ln in fr.view.lines]
                conds = line_conditions(lines)
                groups = _groups_without_else(lines)
                for i, ln in enumerate(fr.view.lines):
                    m = _DECL_RE.match(ln.text)
                    if m is None or ln.kind == "-":
                        continue
                    name = m.group(1)
                    opts = _options(conds[i])
                    group = groups[i]
                    if ln.kind == "+" and len(opts) == 1 and group is not None:
                        only.append(_Decl(name, next(iter(opts)), fc.path, ln, pc.index))
                    else:
                        elsewhere.add(name)
    return only, elsewhere


def _groups_without_else(lines: list[str]) -> list[int | None]:
    """For each line, the innermost ``#if`` group it sits in when the view
    shows that group from ``#if`` to ``#endif`` without an ``#else`` or
    ``#elif``; None otherwise."""
    out: list[int | None] = [None] * len(lines)
    stack: list[tuple[int, bool]] = []  # (start, has else)
    spans: list[tuple[int, int]] = []
    for i, text in enumerate(lines):
        word = (directive(text) or ("", ""))[0]
        if word in ("if", "ifdef", "ifndef"):
            stack.append((i, False))
        elif word in ("else", "elif") and stack:
            stack[-1] = (stack[-1][0], True)
        elif word == "endif" and stack:
            start, has_else = stack.pop()
            if not has_else:
                spans.append((start, i))
    for start, end in sorted(spans):  # outer groups first: inner ones overwrite
        for k in range(start + 1, end):
            out[k] = start
    return out


def _calls(code: SeriesCode, names: set[str]) -> list[_Site]:
    """Calls of ``names`` that the series adds to .c files, with the
    CONFIG options of the preprocessor blocks around them."""
    out: list[_Site] = []
    for pc in code.patches:
        for fc in pc.files:
            if not fc.path.endswith(".c"):
                continue
            for fr in fc.fragments(NEW):
                wanted = [c for c in fr.calls if c.callee in names and c.line.kind == "+"]
                if not wanted:
                    continue
                conds = line_conditions([ln.text for ln in fr.view.lines])
                for c in wanted:
                    opts = _options(conds[c.line.no - 1]) if 0 < c.line.no <= len(conds) else None
                    if opts is None:
                        continue
                    out.append(_Site(c.callee, fc.path, c.line, pc.index, opts))
    return out


def _built_under(series: Series, tree: KernelTree | None, path: str) -> set[str] | None:
    """The CONFIG options the Makefiles build ``path`` under: the line that
    names its object (through a composite object's ``foo-y`` list too) and,
    with --tree, the lines of the parent directories.  None when no
    Makefile line for the object is seen."""
    options: set[str] = set()
    name = posixpath.basename(path)[:-2] + ".o"
    directory = posixpath.dirname(path)
    first = True
    while directory:
        lines = _makefile_lines(series, tree, posixpath.join(directory, "Makefile"))
        lines += _makefile_lines(series, tree, posixpath.join(directory, "Kbuild"))
        found = _object_options(lines, name)
        if found is None:
            if first:
                return None
            break  # a directory line not seen: what is known so far stands
        options |= found
        first = False
        if tree is None:
            break
        name = posixpath.basename(directory) + "/"
        directory = posixpath.dirname(directory)
    return options


def _object_options(lines: list[str], name: str) -> set[str] | None:
    """The options of the lines that list ``name``: ``obj-$(CONFIG_X) +=``,
    ``obj-y +=``, or a composite object's ``foo-y``/``foo-objs``/
    ``foo-$(CONFIG_X)`` list (then the composite's own ``obj-`` line adds
    its option).  None when no line lists it."""
    found = _listed(lines, name, any_list=True)
    if found is None:
        return None
    options, composites = found
    for composite in sorted(composites):
        outer = _listed(lines, composite, any_list=False)
        if outer is not None:
            options |= outer[0]
    return options


def _listed(lines: list[str], name: str, any_list: bool) -> tuple[set[str], set[str]] | None:
    """(options, composite objects) of the lines listing ``name``."""
    options: set[str] = set()
    composites: set[str] = set()
    seen = False
    for text in lines:
        m = _LIST_RE.match(text)
        if m is None or name not in m.group(3).split():
            continue
        if m.group(1) != "obj" and not any_list:
            continue
        seen = True
        if m.group(2):
            options.add(m.group(2))
        if m.group(1) != "obj":
            composites.add(m.group(1) + ".o")
    return (options, composites) if seen else None


def _makefile_lines(series: Series, tree: KernelTree | None, path: str) -> list[str]:
    lines = [
        ln.text
        for p in series.patches
        for fd in p.files
        if fd.new_path == path
        for h in fd.hunks
        for ln in h.lines
        if ln.kind is not LineKind.REMOVED
    ]
    if tree is not None:
        try:
            text = tree.new_file(path)
        except (OSError, ValueError, ReviewpatchError):
            text = None
        if text:
            lines += text.splitlines()
    return lines


@rule(
    id="RP318",
    name="config-call-without-stub",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
)
def config_call_without_stub(ctx: RuleContext) -> Iterator[Hit]:
    """A function declared only when CONFIG_X is set is called from code built without it.

    What it does
        Finds the functions the series declares in a header inside an
        ``#ifdef CONFIG_X`` (or ``#if IS_ENABLED(CONFIG_X)``) block that it
        shows whole, from ``#if`` to ``#endif``, with no ``#else`` giving a
        stub, and that it declares nowhere else.  Then looks at the calls of
        them the series adds to ``.c`` files: a call outside any
        preprocessor block on CONFIG_X, in a file the Makefiles do not build
        only with CONFIG_X (the object's ``obj-$(CONFIG_X)`` line, from the
        series or, with --tree, from the tree and its parent directories),
        is reported.  In hunk mode this is a note (a stub may sit elsewhere in
        the header, the file may be built only with CONFIG_X); with --tree,
        when the whole header has no stub and the Makefiles build the file
        without CONFIG_X, a warning.
    Why it matters
        With CONFIG_X off the call has no declaration (an implicit
        declaration is an error) and no definition to link against; the
        kernel test robot reports it from a randconfig hours later.
    Example
         #ifdef CONFIG_FOO_PM
        +int foo_pm_sync(struct foo *foo);
         #endif
        ...
        +	foo_pm_sync(foo);	/* in a file built without CONFIG_FOO_PM */
    Use instead
        Add a stub in an ``#else`` branch (``static inline int
        foo_pm_sync(struct foo *foo) { return 0; }``), or put the call under
        the same condition.
    """
    assert ctx.patch is not None
    code = ctx.code
    if not isinstance(code, SeriesCode):
        return
    decls, elsewhere = code.memo(("RP318", "decls"), lambda: _declarations(code))
    by_name = {d.name: d for d in decls if d.name not in elsewhere}
    if not by_name:
        return
    for site in _calls(code, set(by_name)):
        decl = by_name[site.name]
        if max(site.patch, decl.patch) != ctx.patch.index or decl.option in site.options:
            continue
        built = _built_under(ctx.series, code.tree, site.path)
        if built is not None and decl.option in built:
            continue
        stub = _stub_in_tree(code.tree, decl) if code.tree is not None else None
        if stub:
            continue
        yield _hit(
            decl, site, built, sure=stub is False and built is not None, index=ctx.patch.index
        )


def _stub_in_tree(tree: KernelTree, decl: _Decl) -> bool | None:
    """Whether the header, whole after the series, names the function
    outside the else-less CONFIG block it is declared in (a stub in another
    block); None when the tree does not give the header."""
    try:
        text = tree.new_file(decl.path)
    except (OSError, ValueError, ReviewpatchError):
        return None
    if text is None:
        return None
    lines = text.splitlines()
    conds = line_conditions(lines)
    groups = _groups_without_else(lines)
    word = re.compile(rf"\b{re.escape(decl.name)}\s*\(")
    for i, line in enumerate(lines):
        if not word.search(line) or not _DECL_RE.match(line):
            continue
        if groups[i] is None or _options(conds[i]) != {decl.option}:
            return True
    return False


def _hit(decl: _Decl, site: _Site, built: set[str] | None, sure: bool, index: int) -> Hit:
    obj = posixpath.basename(site.path)[:-2] + ".o"
    msg = (
        f"{site.name}() is declared in {decl.path} only when {decl.option} is set (no stub "
        f"in an #else), but {site.path}:{site.line.new_no} calls it outside any "
        f"{decl.option} block"
    )
    if built is None:
        msg += f"; unless {obj} is built only with {decl.option}, the build breaks without it"
    else:
        shown = ", ".join(sorted(built)) or "unconditionally"
        msg += f", and {obj} is built {('under ' + shown) if built else shown}"
    if not sure:
        msg += " (the rest of the header and the Makefiles are not all in view: --tree settles it)"
    return Hit(
        message=msg,
        file=site.path,
        line=site.line.new_no,
        mail_line=site.line.mail_line if site.patch == index else None,
        symbol=site.name,
        severity=None if sure else Severity.NOTE,
        evidence=(
            code_evidence(
                decl.line,
                decl.path,
                f"declared only with {decl.option}",
                in_mail=decl.patch == index,
            ),
            code_evidence(site.line, site.path, "called", in_mail=site.patch == index),
        ),
    )
