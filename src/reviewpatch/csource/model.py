"""The facts the C analysis extracts from a series: views, functions, calls,
conditions, macros, includes and definitions.

Every value is a frozen dataclass.  A *view* is a piece of C code on one side
of one file of one patch: either a hunk fragment (context and removed lines
for the old side, context and added lines for the new side) or, in tree
mode, the whole file.  Every view says whether it is ``complete``; every
fact keeps the ``CodeLine`` it came from so that a rule can quote it with
its old/new line numbers and its line in the mail.
"""

from __future__ import annotations

__all__ = [
    "NEW",
    "OLD",
    "Call",
    "CodeLine",
    "Definition",
    "FileCode",
    "Fragment",
    "Function",
    "FunctionBody",
    "Include",
    "Macro",
    "PatchCode",
    "View",
]

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewpatch.csource.flowmodel import FlowPiece

OLD = "old"
NEW = "new"


@dataclass(frozen=True)
class CodeLine:
    """One line of a view.  ``no`` is its 1-based line in the view;
    ``kind`` is "+", "-" or " " for a diff line, "" for a line of a whole
    file that the diff does not show; ``old_no``/``new_no`` are file line
    numbers where known; ``mail_line`` the line in the patch mail."""

    no: int
    text: str
    kind: str
    old_no: int | None
    new_no: int | None
    mail_line: int | None

    @property
    def changed(self) -> bool:
        """True for an added or removed line."""
        return self.kind in ("+", "-")


@dataclass(frozen=True)
class View:
    """A piece of code on one ``side`` ("old" or "new") of ``path`` in patch
    ``patch_index``.  ``hunk_index`` is None for a whole-file view.
    ``complete`` is True only for a whole file."""

    path: str
    side: str
    patch_index: int
    hunk_index: int | None
    lines: tuple[CodeLine, ...]
    complete: bool

    @property
    def text(self) -> str:
        return "".join(line.text + "\n" for line in self.lines)

    def line(self, no: int) -> CodeLine | None:
        """The line with view number ``no`` (1-based), or None."""
        if 1 <= no <= len(self.lines):
            return self.lines[no - 1]
        return None


@dataclass(frozen=True)
class Function:
    """A function definition seen in a view.  ``opening_visible`` is False
    when the view starts inside a function whose head is not shown (then
    ``name`` is None); ``closing_visible`` tells whether its ``}`` is shown."""

    name: str | None
    path: str
    side: str
    patch_index: int
    start: CodeLine
    end: CodeLine
    opening_visible: bool
    closing_visible: bool
    params: tuple[str, ...] = ()
    signature: str = ""

    @property
    def complete(self) -> bool:
        return self.opening_visible and self.closing_visible


@dataclass(frozen=True)
class Call:
    """One call ``callee(args)``.  ``function`` is the enclosing function's
    name, None when unknown (outside any function, or the head is not
    visible: see ``context_complete``).  ``conditions`` is the chain of
    conditions from the outermost visible one inward; it is complete only
    when ``context_complete``."""

    callee: str
    args: tuple[str, ...]
    function: str | None
    line: CodeLine
    path: str
    side: str
    patch_index: int
    hunk_index: int | None
    context_complete: bool
    statement: str = ""

    @property
    def arg_text(self) -> str:
        return ", ".join(self.args)

    @property
    def changed(self) -> bool:
        return self.line.changed


@dataclass(frozen=True)
class Macro:
    """A ``#define``.  ``params`` is None for an object-like macro; ``body``
    has continuations joined; ``members`` are the identifiers OR-ed together
    when the body is a mask ``(A | B | ...)`` (empty otherwise)."""

    name: str
    params: tuple[str, ...] | None
    body: str
    line: CodeLine
    path: str
    side: str
    patch_index: int
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Include:
    """An ``#include`` line; ``target`` without the brackets or quotes."""

    target: str
    system: bool
    line: CodeLine
    path: str
    side: str
    patch_index: int


@dataclass(frozen=True)
class Definition:
    """A definition on a changed line: kind is "function", "macro", "enum",
    "member", "type" (a struct or union with its body, a typedef) or
    "variable" (a declaration at file scope, ``extern`` ones too); ``side`` "old" for a removed one, "new" for an added one.
    ``valued``: an enum value written with its number (``FOO = 3``)."""

    kind: str
    name: str
    line: CodeLine
    path: str
    side: str
    patch_index: int
    valued: bool = False


@dataclass(frozen=True)
class FunctionBody:
    """What is known of one function's body: its ``calls`` and ``tests``
    (the conditions of its ``if``/loop/switch statements, positive), the
    ``identifiers`` it uses, its lines, and whether it is ``complete``
    (head and closing brace both seen).  ``source`` says where it came from:
    "hunk", "file" (a whole-file view) or "tree" (found in the kernel tree)."""

    function: Function
    calls: tuple[Call, ...]
    identifiers: tuple[str, ...]
    lines: tuple[CodeLine, ...]
    complete: bool
    source: str


@dataclass(frozen=True)
class Fragment:
    """The facts of one view."""

    view: View
    functions: tuple[Function, ...]
    calls: tuple[Call, ...]
    macros: tuple[Macro, ...]
    includes: tuple[Include, ...]
    definitions: tuple[Definition, ...]
    identifiers: tuple[tuple[int, tuple[str, ...]], ...]
    bodies: tuple[FunctionBody, ...] = ()
    flows: tuple[FlowPiece, ...] = ()

    def identifiers_on(self, no: int) -> tuple[str, ...]:
        """Identifiers used on view line ``no``."""
        for line_no, names in self.identifiers:
            if line_no == no:
                return names
        return ()


@dataclass(frozen=True)
class FileCode:
    """One file of one patch: the old and new fragments (one per hunk, or
    one whole-file view each in tree mode).  ``is_c`` is False for files
    that are not C sources or headers (they have no fragments)."""

    patch_index: int
    path: str
    old_path: str
    is_c: bool
    old: tuple[Fragment, ...]
    new: tuple[Fragment, ...]

    def fragments(self, side: str) -> tuple[Fragment, ...]:
        return self.old if side == OLD else self.new


@dataclass(frozen=True)
class PatchCode:
    """The C facts of one patch."""

    index: int
    files: tuple[FileCode, ...]

    def file(self, path: str) -> FileCode | None:
        for f in self.files:
            if path in (f.path, f.old_path):
                return f
        return None
