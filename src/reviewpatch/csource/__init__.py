"""The C analysis: the only part of reviewpatch that imports tree-sitter.

``analyse_series(series, tree=None) -> SeriesCode`` parses, once, the old
and new code of every hunk of every C file of the series (or whole files in
tree mode) and extracts functions, calls, macros, includes and definitions,
and per function the flow facts (``flowmodel``): every call with the
condition it runs under, as a formula.  See ``model`` for the
facts and ``code.SeriesCode`` for the series-wide questions.  The kernel
tree of tree mode is ``reviewpatch.kernel``'s business: csource runs no git
and names ``reviewpatch.kernel.protocol.KernelTree`` only in annotations.
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
    "SeriesCode",
    "View",
    "analyse_series",
    "text_includes",
]

from reviewpatch.csource.analysis import analyse_series
from reviewpatch.csource.code import SeriesCode
from reviewpatch.csource.facts import text_includes
from reviewpatch.csource.model import (
    NEW,
    OLD,
    Call,
    CodeLine,
    Definition,
    FileCode,
    Fragment,
    Function,
    FunctionBody,
    Include,
    Macro,
    PatchCode,
    View,
)
