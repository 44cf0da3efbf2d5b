"""Flow facts of one function as one view shows it: every call with the
condition it runs under, every exit, every label, and the bit operations.

A ``FlowPiece`` is a function (or the visible part of one, in a hunk) on
one side of one file of one patch.  Conditions are ``Formula`` values
relative to the function's entry; a piece whose head the view does not show
starts from ``entry``, an atom standing for "the code before this fragment
reaches it".
"""

from __future__ import annotations

__all__ = ["BitOp", "Exit", "FlowPiece", "Guard", "Label", "Site", "Store"]

from dataclasses import dataclass

from reviewpatch.csource.formula import TRUE, Formula
from reviewpatch.csource.model import CodeLine


@dataclass(frozen=True)
class Site:
    """A call ``callee(args)`` that runs when ``cond`` holds.  ``args`` as
    written, ``arg_keys`` as canonical tokens; ``in_condition`` when the
    call is part of a condition (``if (foo())``); ``assigned`` the variable
    its result is stored in, if any; ``guards`` the conditions around it,
    outermost first; ``target`` what it acts on (its first argument's
    tokens without ``&``)."""

    callee: str
    args: tuple[str, ...]
    arg_keys: tuple[str, ...]
    cond: Formula
    line: CodeLine
    in_condition: bool = False
    assigned: str = ""
    guards: tuple[Guard, ...] = ()

    @property
    def target(self) -> str:
        first = self.arg_keys[0] if self.arg_keys else ""
        return first[2:] if first.startswith("& ") else first


@dataclass(frozen=True)
class Guard:
    """A condition that encloses a call: ``kind`` is "if", "else", "loop",
    "case", "and", "or", "ternary"; ``text`` the condition as written;
    ``via`` the functions whose results it tests through locals
    (``step`` of ``step = report_single_step(flags)``)."""

    kind: str
    text: str
    line: CodeLine
    via: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exit:
    """A ``return`` (``value`` as written), ``goto label``, ``break`` or
    ``continue`` reached when ``cond`` holds, inside ``guards``."""

    kind: str
    cond: Formula
    line: CodeLine
    label: str = ""
    value: str = ""
    guards: tuple[Guard, ...] = ()


@dataclass(frozen=True)
class Label:
    """A label and the condition under which control is there (falling
    through or by a goto seen in the piece); ``fall`` is that of falling
    into it from the statement before (false after a ``return``: the
    code after it is an error path)."""

    name: str
    line: CodeLine
    cond: Formula
    fall: Formula = TRUE


@dataclass(frozen=True)
class BitOp:
    """A bit set or cleared: ``x |= FLAG`` (``set``), ``x &= ~FLAG``
    (``clear``), ``set_bit(FLAG, &x)``, ``x = 0`` (``wipe``), ``x = A | B``
    or ``x &= MASK`` (``keep``: every other bit is cleared).  ``var`` the
    canonical tokens of the word, ``flags`` the flags named."""

    kind: str
    var: str
    flags: tuple[str, ...]
    cond: Formula
    line: CodeLine
    text: str


@dataclass(frozen=True)
class Store:
    """An assignment ``lhs = rhs`` (canonical tokens of both sides) made
    when ``cond`` holds: where a value is handed over."""

    lhs: str
    rhs: str
    cond: Formula
    line: CodeLine


@dataclass(frozen=True)
class FlowPiece:
    """A function's flow facts as one view shows them.

    ``function`` is None when the view starts inside a function whose head
    it does not show (``section`` then holds the hunk header's guess);
    ``head_visible``/``end_visible`` say whether its first line and its
    closing brace are in view; ``fall`` is the condition of reaching the end
    of the visible code (for a piece whose end is not visible, the rest of
    the function runs under it); ``returns`` pair the condition of each
    ``return`` with its value as a condition (None when it is not one), for
    inlining boolean helpers; ``pending`` are gotos whose label is not in
    view; ``region`` names the hunk (the key of the atoms of what lies
    outside it); ``names`` the upper-case identifiers (flags, masks,
    macros) its lines use; ``locals`` the names its declarations declare,
    ``cleaned`` those among them released when their scope ends
    (``__free(...)``, ``__cleanup(...)``); ``truncated`` when a nesting or
    size budget was hit."""

    function: str | None
    section: str
    path: str
    side: str
    patch_index: int
    hunk_index: int | None
    head_visible: bool
    end_visible: bool
    static: bool
    params: tuple[str, ...]
    entry: Formula
    sites: tuple[Site, ...]
    exits: tuple[Exit, ...]
    labels: tuple[Label, ...]
    pending: tuple[tuple[str, Formula], ...]
    fall: Formula
    returns: tuple[tuple[Formula, Formula | None], ...]
    ops: tuple[BitOp, ...]
    start: CodeLine
    end: CodeLine
    region: str = ""
    names: tuple[str, ...] = ()
    stores: tuple[Store, ...] = ()
    truncated: bool = False
    locals: tuple[str, ...] = ()
    cleaned: tuple[str, ...] = ()

    @property
    def name(self) -> str | None:
        """The function's name, from its head or the hunk header's guess."""
        return self.function or self.section or None

    @property
    def complete(self) -> bool:
        return self.head_visible and self.end_visible
