"""Turn a view's lines into text that tree-sitter-c parses well.

Kernel code and diff fragments confuse a C parser in predictable ways; this
module compensates without moving any code (columns and rows stay put, so
parse positions map straight back to view lines):

* comments and string literals are masked for brace counting and
  identifier scanning;
* preprocessor lines (with their ``\\`` continuations) are blanked, and so
  are the tail of a macro or comment that a fragment starts inside of;
* kernel attributes (``__always_inline``, ``__init``, ``asmlinkage``,
  ``noinstr``, ``__attribute__((...))`` ...) are blanked;
* a fragment that starts inside a block gets one synthetic line in front
  that opens a function and the missing blocks (``offset`` is then 1), and
  the blocks still open at its end are closed after it.
"""

from __future__ import annotations

__all__ = [
    "SYNTHETIC_NAME",
    "UNSEEN_BLOCK",
    "Prepared",
    "header_function",
    "mask_comments",
    "prepare",
]

import re
from dataclasses import dataclass

SYNTHETIC_NAME = "__reviewpatch_fragment__"

_ATTRIBUTES = frozenset(
    [
        "__always_inline",
        "noinline",
        "inline",
        "__inline",
        "__inline__",
        "__init",
        "__exit",
        "__initdata",
        "__cold",
        "__hot",
        "__maybe_unused",
        "__used",
        "__unused",
        "notrace",
        "__must_check",
        "__sched",
        "__kprobes",
        "__noreturn",
        "__weak",
        "__visible",
        "asmlinkage",
        "noinstr",
        "__noinstr",
        "__latent_entropy",
        "__ref",
        "__meminit",
        "__meminitdata",
        "__read_mostly",
        "__ro_after_init",
        "__initconst",
        "__exitdata",
        "__noclone",
        "__flatten",
        "__pure",
        "__always_unused",
        "__no_sanitize_address",
        "__no_kcsan",
        "__noinline_for_stack",
        "__irq_entry",
        "__kprobes_text",
        "__init_or_module",
        "__devinit",
        "__cpuinit",
        "__section_init",
        "__nocfi",
        "__naked",
        "__user",
        "__iomem",
        "__rcu",
        "__percpu",
        "__force",
        "__must_hold",
    ]
)
_ATTR_CALL_RE = re.compile(
    r"\b(?:__attribute__\s*\(\([^;{}]*?\)\)|__(?:acquires|releases|must_hold|"
    r"cond_acquires|cond_releases|section|aligned|printf|scanf|malloc|alloc_size)"
    r"\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\))"
)
# an attribute as a whole word (every attribute is one word: \w only)
_ATTR_WORD_RE = re.compile(
    r"\b(?:" + "|".join(sorted(_ATTRIBUTES, key=lambda a: (-len(a), a))) + r")\b"
)
_LABEL_RE = re.compile(r"^\s*[A-Za-z_]\w*\s*:\s*$")
_CASE_RE = re.compile(r"^\s*(?:case\b.*|default\s*):")


@dataclass(frozen=True)
class Prepared:
    """Text to parse; ``offset`` synthetic lines precede the view's first
    line; ``head`` is "visible" (nothing added), "header" (the body's
    ``{`` begins the fragment and the hunk header gave the head) or
    "synthetic" (the enclosing function is unknown)."""

    text: str
    offset: int
    head: str
    masked: tuple[str, ...]


def mask_comments(lines: list[str]) -> list[str]:
    """The lines with comments, string and character literals replaced by
    spaces (a block comment may span lines; a literal ends at its line's
    end).  A literal keeps its quotes.  One regular-expression pass, linear
    in the text."""
    text = "\n".join(lines)
    return _MASK_RE.sub(_masked, text).split("\n") if lines else []


_MASK_RE = re.compile(
    r"/\*.*?(?:\*/|\Z)"  # a block comment, maybe unterminated
    r"|//[^\n]*"  # a line comment
    r"|\"(?:\\[^\n]|\\(?=\n|\Z)|[^\"\\\n])*\"?"  # a string literal
    r"|'(?:\\[^\n]|\\(?=\n|\Z)|[^'\\\n])*'?",  # a character literal
    re.S,
)
_BLANK_RE = re.compile(r"[^\n]")


def _masked(m: re.Match[str]) -> str:
    token = m.group(0)
    if token[0] == "/":
        return _BLANK_RE.sub(" ", token)
    quote = token[0]
    closed = len(token) > 1 and token[-1] == quote and not _escaped_end(token)
    inner = token[1:-1] if closed else token[1:]
    return quote + " " * len(inner) + (quote if closed else "")


def _escaped_end(token: str) -> bool:
    """Whether the last quote of ``token`` is escaped (an odd run of
    backslashes before it), so the literal did not close."""
    run = 0
    i = len(token) - 2
    while i > 0 and token[i] == "\\":
        run += 1
        i -= 1
    return run % 2 == 1


def _blank_leading_orphans(lines: list[str]) -> None:
    """Blank the tail of a macro or comment the fragment starts inside of."""
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        return
    text = lines[first].strip()
    if text.endswith("\\") and not text.startswith("#"):
        i = first
        while i < len(lines) and lines[i].rstrip().endswith("\\"):
            lines[i] = ""
            i += 1
        if i < len(lines):
            lines[i] = ""
    elif text.startswith("*") and not text.startswith("*/") or text.startswith("*/"):
        i = first
        while i < len(lines):
            done = "*/" in lines[i]
            lines[i] = ""
            i += 1
            if done:
                break


def _blank_preprocessor(lines: list[str]) -> None:
    cont = False
    for i, line in enumerate(lines):
        if cont or line.lstrip().startswith("#"):
            cont = line.rstrip().endswith("\\")
            lines[i] = ""


def _blank_attributes(line: str) -> str:
    line = _ATTR_CALL_RE.sub(lambda m: " " * len(m.group(0)), line)
    return _ATTR_WORD_RE.sub(lambda m: " " * len(m.group(0)), line)


def _indent(line: str) -> int:
    width = 0
    for ch in line:
        if ch == "\t":
            width += 8 - width % 8
        elif ch == " ":
            width += 1
        else:
            break
    return width // 8


def _start_depth(code: list[str]) -> tuple[int, bool]:
    """(blocks open before the fragment, fragment begins with a body's
    ``{`` at column 0)."""
    balance, lowest = 0, 0
    first: str | None = None
    col0_open_at_top = False
    for line in code:
        if line.strip() and first is None and not _LABEL_RE.match(line):
            first = line
        if line.rstrip() == "{" and balance == 0 and first is not None and first is not line:
            col0_open_at_top = True
        for ch in line:
            if ch == "{":
                balance += 1
            elif ch == "}":
                balance -= 1
                lowest = min(lowest, balance)
    if first is None:
        return 0, False
    if first.rstrip() == "{":
        return -lowest, True
    by_indent = _indent(first) + (
        1 if first.lstrip().startswith("}") or _CASE_RE.match(first) else 0
    )
    by_indent = min(by_indent, _shallowest_before_brace(code))
    if col0_open_at_top:
        by_indent = 0
    return max(-lowest, by_indent), False


def _shallowest_before_brace(code: list[str]) -> int:
    """The least indentation of the statements before the first brace: a
    fragment that starts in the body of an unbraced ``if`` or in a
    statement's continuation lines is not that deep once it ends."""
    least = 10**6
    for line in code:
        if not line.strip() or _LABEL_RE.match(line) or line.lstrip().startswith("#"):
            continue
        if "{" in line or "}" in line:
            break
        least = min(least, _indent(line) + (1 if _CASE_RE.match(line) else 0))
    return least


def header_function(section: str) -> str | None:
    """A function head usable from a hunk header, or None."""
    text = _blank_attributes(section.strip())
    if "(" not in text or text.endswith(";") or text.startswith("#") or "=" in text.split("(")[0]:
        return None
    if text.count("(") != text.count(")"):
        text = text + ")" * (text.count("(") - text.count(")"))
    return text


UNSEEN_BLOCK = "__reviewpatch_unseen_"


def _opening(depth: int, tag: str, switch_at: int | None) -> str:
    """The synthetic head of a fragment that starts ``depth`` blocks deep:
    a function, then one ``if`` per block whose head is not shown, on a
    condition named after the fragment (``tag``) and the level, so that
    the analysis knows it for unseen code; the level ``switch_at`` is a
    ``switch`` (its ``case`` labels show in the fragment)."""
    heads = [
        f" switch ({UNSEEN_BLOCK}{tag}_{i}__) {{"
        if i == switch_at
        else f" if (!{UNSEEN_BLOCK}{tag}_{i}__) {{"
        for i in range(1, depth)
    ]
    return f"void {SYNTHETIC_NAME}(void) {{" + "".join(heads)


def _switch_level(code: list[str], depth: int) -> int | None:
    """The synthetic level whose block a ``case`` label of the fragment
    stands in, before the fragment opens a block of its own there."""
    balance = 0
    for line in code:
        if balance <= 0 and _CASE_RE.match(line):
            level = depth - 1 + balance
            return level if level >= 1 else None
        balance += line.count("{") - line.count("}")
    return None


_ENUM_HEAD_RE = re.compile(r"^(?:typedef\s+)?enum(?:\s+\w+)?\s*\{$")


def prepare(lines: list[str], section: str = "", whole: bool = False, tag: str = "") -> Prepared:
    """Prepare a view's lines (without newlines) for parsing.  ``tag``
    names the fragment in the conditions of its unseen enclosing blocks."""
    masked = mask_comments(lines)
    code = list(lines)
    if not whole:
        _blank_leading_orphans(code)
    _blank_preprocessor(code)
    code = [_blank_attributes(ln) if ln.strip() else "" for ln in code]
    # braces are counted on the text without comments and literals
    bare = [m if c.strip() else "" for m, c in zip(masked, code)]
    depth, body_first = (0, False) if whole else _start_depth(bare)
    prefix: str | None = None
    head = "visible"
    enum_head = _ENUM_HEAD_RE.match(section.strip())
    if enum_head and depth == 1 and not body_first:
        # a fragment inside ``enum foo {`` (the hunk header says so): its
        # members are enumerators, not statements
        balance = 1 + sum(ln.count("{") - ln.count("}") for ln in bare)
        text = enum_head.group(0) + "\n" + "\n".join(code) + "\n"
        if balance > 0:
            text += "}" * balance + ";\n"
        return Prepared(text=text, offset=1, head="synthetic", masked=tuple(masked))
    if body_first:
        head_text = header_function(section)
        prefix = head_text if head_text else f"void {SYNTHETIC_NAME}(void)"
        head = "header" if head_text else "synthetic"
        if depth:
            prefix = _opening(depth, tag, _switch_level(bare, depth))
            head = "synthetic"
    elif depth:
        prefix = _opening(depth, tag, _switch_level(bare, depth))
        head = "synthetic"
    balance = (depth if prefix and "{" in prefix else 0) + sum(
        ln.count("{") - ln.count("}") for ln in bare
    )
    body = "\n".join(code)
    text = (prefix + "\n" if prefix is not None else "") + body + "\n"
    if balance > 0:
        text += "}" * balance + "\n"
    return Prepared(
        text=text, offset=1 if prefix is not None else 0, head=head, masked=tuple(masked)
    )
