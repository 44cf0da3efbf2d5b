"""Words of C that are not identifiers of the code under review: the
language's keywords, common compiler extensions and kernel annotations, and
the preprocessor's directive words.  Shared by the C analysis and the diff
colouring of the HTML report."""

from __future__ import annotations

__all__ = ["C_KEYWORDS", "PREPROCESSOR_WORDS"]

# fmt: off
C_KEYWORDS: frozenset[str] = frozenset((
    "NULL", "_Alignas", "_Alignof", "_Bool", "_Generic", "_Noreturn", "_Static_assert",
    "__always_inline", "__asm__", "__exit", "__init", "__inline__", "__iomem", "__must_check",
    "__percpu", "__rcu", "__typeof__", "__user", "asm", "auto", "bool", "break", "case",
    "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "false",
    "float", "for", "goto", "if", "inline", "int", "long", "noinline", "register", "restrict",
    "return", "short", "signed", "sizeof", "static", "struct", "switch", "true", "typedef",
    "typeof", "union", "unsigned", "void", "volatile", "while",
))

PREPROCESSOR_WORDS: frozenset[str] = frozenset((
    "define", "defined", "elif", "endif", "ifdef", "ifndef", "include", "pragma", "undef",
))
# fmt: on
