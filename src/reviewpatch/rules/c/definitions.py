"""Removed definitions and their remaining uses, for RP306.

Definitions come from the C analysis (``SeriesCode.definitions_removed``,
``definitions_added``, the macros and functions of every view).  A *use* is
a whole-identifier occurrence of the name on the new side of a view (hunk
fragment, or whole file in tree mode), outside comments and strings, that
is not a member access, a ``defined()``/``#ifdef`` test or a declaration.
"""

from __future__ import annotations

__all__ = ["Removed", "Use", "is_declaration", "is_use", "removed_symbols", "tree_uses", "uses"]

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewpatch.csource import NEW, OLD, CodeLine, Definition, SeriesCode
from reviewpatch.csource.ppcond import Block, line_conditions
from reviewpatch.errors import ReviewpatchError
from reviewpatch.rules.c.text import masked_lines, word_re

if TYPE_CHECKING:
    from reviewpatch.kernel.protocol import KernelTree

KINDS = ("macro", "function", "enum")
# tests of a name, and macro bodies: a macro's text is used only where it expands
_PREPROC_TEST_RE = re.compile(r"^\s*#\s*(?:if|ifdef|ifndef|elif|undef|define)\b")
_DEFINED_TAIL_RE = re.compile(r"\bdefined\s*\(?\s*$")
_NOT_TYPES = frozenset(["return", "else", "case", "goto", "do", "sizeof", "typeof"])
_TREE_SUFFIXES = (".c", ".h", ".S")


@dataclass(frozen=True)
class Removed:
    """A symbol whose definitions the series removes (in series order) and
    defines again nowhere from the last removal on."""

    name: str
    defs: tuple[Definition, ...]

    @property
    def last(self) -> Definition:
        return self.defs[-1]


@dataclass(frozen=True)
class Use:
    """A use of a removed symbol on the new side of a view."""

    name: str
    path: str
    patch_index: int
    line: CodeLine
    guarded: bool = False  # inside an #if block the view shows


def _final_states(code: SeriesCode) -> dict[str, dict[str, tuple[int, int]]]:
    """Per name and file, the last thing the series does to a definition
    there: (patch, 1) when a patch adds or shows one, (patch, 0) when it
    removes it; within one patch a definition outlives a removal (moved
    within the file).  One pass over the series."""
    states: dict[str, dict[str, tuple[int, int]]] = {}

    def note(name: str, path: str, index: int, defined: int) -> None:
        per = states.setdefault(name, {})
        if (index, defined) > per.get(path, (-1, 0)):
            per[path] = (index, defined)

    for d in code.definitions_removed():
        if d.kind in KINDS:
            note(d.name, d.path, d.patch_index, 0)
    for d in code.definitions_added():
        if d.kind in KINDS or d.kind in ("type", "variable"):  # a macro may give way to them
            note(d.name, d.path, d.patch_index, 1)
    for fr in code.fragments(NEW):
        index, path = fr.view.patch_index, fr.view.path
        for m in fr.macros:
            note(m.name, path, index, 1)
        for fn in fr.functions:
            if fn.name and fn.opening_visible:
                note(fn.name, path, index, 1)
        for piece in fr.flows:
            if piece.section:  # the hunk header names a function defined above the hunk
                note(piece.section, path, index, 1)
        for line in fr.view.lines:
            undef = _UNDEF_RE.match(line.text) or _ARRAY_DECLARATOR_RE.match(line.text)
            if undef:  # "#undef X": the file defines X (again) before it
                note(undef.group(1), path, index, 1)
    return states


_UNDEF_RE = re.compile(r"^\s*#\s*undef\s+(\w+)")
# "	bq27426_regs[BQ27XXX_REG_MAX] = {": an array with an initialiser, the
# next declarator of a list ("static u8 a[N] = {...}, b[N] = {...};") that
# a hunk shows without its type; no statement has this shape
_ARRAY_DECLARATOR_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\[[^\]\n]{0,200}\]\s*){1,4}=\s*\{")


def _removed_symbols(code: SeriesCode) -> tuple[Removed, ...]:
    by_name: dict[str, list[Definition]] = {}
    for d in code.definitions_removed():
        if d.kind in KINDS:
            by_name.setdefault(d.name, []).append(d)
    states = _final_states(code)
    out = []
    for name, defs in sorted(by_name.items()):
        defs.sort(key=lambda d: d.patch_index)
        if all(defined == 0 for _, defined in states.get(name, {}).values()):
            out.append(Removed(name, tuple(defs)))
    return tuple(out)


def removed_symbols(code: SeriesCode) -> tuple[Removed, ...]:
    """Every macro, function and enum constant the series removes and
    leaves defined in no file it shows (a definition an earlier patch
    added elsewhere, or a later one adds, still counts), sorted by name;
    computed once per series."""
    return code.memo(("definitions", "removed"), lambda: _removed_symbols(code))


def is_declaration(code: str, name: str) -> bool:
    """Whether a masked line declares ``name`` as a function (a prototype
    or a definition head: only type words before ``name(``)."""
    m = re.search(rf"(?<![\w.>]){re.escape(name)}\s*\(", code)
    if m is None:
        return False
    before = code[: m.start()]
    if not re.fullmatch(r"\s*[A-Za-z_][\w\s\*]*[\s\*]", before):
        return False
    return before.split()[0] not in _NOT_TYPES


def is_use(code: str, name: str) -> bool:
    """Whether a masked line uses ``name``: not only as a member, in a
    ``defined()`` or ``#ifdef`` test, in a ``#define`` (expanded only where
    that macro is used), or in a declaration."""
    if _PREPROC_TEST_RE.match(code) or is_declaration(code, name):
        return False
    declarator = _ARRAY_DECLARATOR_RE.match(code)
    if declarator is not None and declarator.group(1) == name:
        return False  # the line defines it
    if re.match(rf"^\s*typedef\b.*\b{re.escape(name)}\s*;", code):
        return False  # the line defines it as a type
    for m in word_re(name).finditer(code):
        before = code[: m.start()].rstrip()
        if before.endswith((".", "->")) or _DEFINED_TAIL_RE.search(before):
            continue
        return True
    return False


def _removed_later(code: SeriesCode, use: Use) -> bool:
    """A later patch removes the line, or deletes its whole file."""
    text = use.line.text.strip()
    for f in code.files():
        later = f.patch_index > use.patch_index and use.path in (f.path, f.old_path)
        if later and f.old and not any(ln.kind != "-" for fr in f.new for ln in fr.view.lines):
            return True  # nothing of the file is left on the new side
    for fr in code.fragments(OLD):
        if fr.view.patch_index <= use.patch_index or fr.view.path != use.path:
            continue
        if any(ln.kind == "-" and ln.text.strip() == text for ln in fr.view.lines):
            return True
    return False


def uses(code: SeriesCode, name: str, function: bool = False) -> tuple[Use, ...]:
    """Uses of ``name`` on the new side of the series' views that no later
    patch removes again, one per (path, text), latest patch first; of a
    ``function``, only calls and address-takings (a local variable of the
    same name is no use)."""
    called = re.compile(rf"(?:(?<![\w.>]){re.escape(name)}\s*\(|&\s*{re.escape(name)}\b)")
    found: list[Use] = []
    for fr in code.fragments(NEW):
        if name not in fr.view.text:
            continue
        masked_view = masked_lines(fr.view.lines)
        blocks = line_conditions(list(masked_view))
        # the line continues a directive (a macro's body); a fragment may
        # start inside one: its first code line already ends with a backslash
        first = next((m for m in masked_view if m.strip()), "")
        continued = first.rstrip().endswith("\\") and not first.lstrip().startswith("#")
        for line, masked, around in zip(fr.view.lines, masked_view, blocks):
            in_macro = continued
            continued = masked.rstrip().endswith("\\")
            if in_macro:
                continue
            if (
                name in masked
                and is_use(masked, name)
                and not _when_defined(around, name)
                and (not function or called.search(masked))
            ):
                found.append(Use(name, fr.view.path, fr.view.patch_index, line, bool(around)))
    seen: set[tuple[str, str]] = set()
    out = []
    for use in sorted(found, key=lambda u: -u.patch_index):
        key = (use.path, use.line.text.strip())
        if key not in seen and not _removed_later(code, use):
            seen.add(key)
            out.append(use)
    return tuple(out)


def _when_defined(blocks: tuple[Block, ...], name: str) -> bool:
    """The line sits in ``#ifdef name`` (or ``#if defined(name) && ...``):
    it is compiled only where some definition exists."""
    key = f"cond:defined ( {name} )"
    for b in blocks:
        kids = b.cond.kids if b.cond.op == "and" else (b.cond,)
        if any(k.atom is not None and k.atom.key == key for k in kids):
            return True
    return False


def tree_uses(tree: KernelTree, name: str, skip: set[str]) -> Iterator[tuple[str, int, str]]:
    """(path, line, text) of uses of ``name`` in the tree after the series,
    one per file, leaving out the files in ``skip``."""
    try:
        hits = tree.grep(name)
    except (ReviewpatchError, OSError):  # best effort: no tree evidence
        return
    for path, no, text in hits:
        if path in skip or not path.endswith(_TREE_SUFFIXES):
            continue
        line = CodeLine(no, text, "", None, no, None)
        masked = masked_lines((line,))[0]
        if is_use(masked, name):
            skip.add(path)
            yield path, no, text
