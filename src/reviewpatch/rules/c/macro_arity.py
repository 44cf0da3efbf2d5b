"""RP316 macro-call-mismatch: a macro the series turns from object-like
into function-like (or a function into a function-like macro, or back) is
still used the old way."""

from __future__ import annotations

__all__ = ["macro_call_mismatch"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewpatch.csource import NEW, SeriesCode
from reviewpatch.csource.model import CodeLine, Macro
from reviewpatch.csource.prepare import mask_comments
from reviewpatch.findings import Confidence, Severity
from reviewpatch.rules.c.common import code_evidence
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_DIRECTIVE_RE = re.compile(r"^\s*#")
# a line of a block comment the fragment starts inside of: `` * text``
_COMMENT_LINE_RE = re.compile(r"^\s*(?:\*(?:\s|/|$)|/\*)")
_IDENT_BODY_RE = re.compile(r"^\(?\s*[A-Za-z_]\w*\s*\)?$")
_COMMENT_RE = re.compile(r"/\*.*?\*/|//.*$")
# a body no call can go through: ``false``, ``0``, ``(-1)``, ``NULL``
_CONSTANT_BODY_RE = re.compile(
    r"^\(?\s*(?:false|true|NULL|-?(?:0x[0-9a-fA-F]+|\d+)[uUlL]{0,3})\s*\)?$"
)
# ``#define NAME(args) BODY`` / ``#define NAME BODY``: the body
_DEFINE_BODY_RE = re.compile(r"^\s*#\s*define\s+\w+(?:\([^)\n]{0,400}\))?(.*)$")


@dataclass(frozen=True)
class _Change:
    """Macro ``name`` as patch ``index`` leaves it: ``macro`` its new
    definition, ``was`` what it was ("function", "object-like macro" or
    "function-like macro")."""

    name: str
    index: int
    macro: Macro
    was: str


@dataclass(frozen=True)
class _Use:
    path: str
    line: CodeLine
    patch: int


def _changes(code: SeriesCode) -> dict[tuple[str, bool], _Change]:
    """The macros whose kind of definition the series changes, by name,
    as the last patch that changes each leaves them."""
    out: dict[tuple[str, bool], _Change] = {}
    for pc in code.patches:
        # keyed by (name, tree): tools/ builds apart from the kernel
        gone: dict[tuple[str, bool], str] = {}
        came: dict[tuple[str, bool], Macro] = {}
        functions: dict[tuple[str, bool], set[str]] = {}  # the arch dirs that define it
        for fc in pc.files:
            tree = _tools(fc.path)
            for fr in fc.old:
                for m in fr.macros:
                    if m.line.kind == "-":
                        gone[(m.name, tree)] = (
                            "function-like macro" if m.params is not None else "object-like macro"
                        )
                for d in fr.definitions:
                    if d.kind == "function" and d.line.kind == "-":
                        gone.setdefault((d.name, tree), "function")
            for fr in fc.new:
                for m in fr.macros:
                    if m.line.kind == "+":
                        came[(m.name, tree)] = m
                for d in fr.definitions:
                    if d.kind == "function" and d.line.kind == "+":
                        functions.setdefault((d.name, tree), set()).add(_arch(fc.path))
        for key, m in came.items():
            name = m.name
            was = gone.get(key)
            where = functions.get(key, set())
            if was is None or "" in where or _arch(m.path) in where:
                continue  # a function of that name remains: a bare name still means it
            now = "function-like macro" if m.params is not None else "object-like macro"
            body = _COMMENT_RE.sub(" ", m.body).strip()
            constant = _CONSTANT_BODY_RE.match(body) is not None
            if was == now or was == "function" and now == "object-like macro" and not constant:
                continue
            if now == "object-like macro" and _IDENT_BODY_RE.match(body) and not constant:
                continue  # ``#define foo bar``: foo(x) still calls bar(x)
            out[key] = _Change(name, pc.index, m, was)
    return out


def _masked(code: SeriesCode) -> list[tuple[int, str, tuple[tuple[CodeLine, str], ...]]]:
    """Every new-side fragment's lines with their comment-masked text, once
    per series: (patch, path, lines)."""

    def build() -> list[tuple[int, str, tuple[tuple[CodeLine, str], ...]]]:
        out = []
        for pc in code.patches:
            for fc in pc.files:
                for fr in fc.fragments(NEW):
                    lines = list(fr.view.lines)
                    masked = mask_comments([ln.text for ln in lines])
                    out.append((pc.index, fc.path, tuple(zip(lines, masked, strict=True))))
        return out

    return code.memo(("RP316", "masked"), build)


def _arch(path: str) -> str:
    """The architecture a file belongs to (``arch/riscv/...`` -> riscv),
    "" for common code: a definition under one arch is not another's."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "arch" else ""


def _tools(path: str) -> bool:
    """A file of tools/, built apart from the kernel with its own headers."""
    return path.startswith("tools/")


def _wrong_uses(code: SeriesCode, ch: _Change) -> list[_Use]:
    """Uses, on the new side of the patches from the change on, that do
    not fit the new definition: a bare name for a function-like macro, a
    call for an object-like one."""
    header = ch.macro.path.endswith(".h")
    bare = ch.macro.params is not None
    name = re.escape(ch.name)
    pat = re.compile(rf"(?<![\w.>]){name}\b(?!\s*\()" if bare else rf"\b{name}\s*\(")
    out: list[_Use] = []
    for index, path, lines in _masked(code):
        if index < ch.index or not header and path != ch.macro.path:
            continue
        if _tools(path) != _tools(ch.macro.path):
            continue
        if _arch(ch.macro.path) and _arch(path) not in ("", _arch(ch.macro.path)):
            continue  # another architecture never sees this one's macro
        for ln, text in lines:
            if ch.name not in text or ln.kind == "-":
                continue
            if _DIRECTIVE_RE.match(text):
                # a call in another macro's body fails wherever that macro
                # expands (``#define pud_user_exec(p) (pud_user(p) && ...)``
                # once pud_user is object-like); a bare name there may be
                # pasted or passed on, and conditions are not uses
                body = _DEFINE_BODY_RE.match(text)
                if bare or body is None or not pat.search(body.group(1)):
                    continue
                out.append(_Use(path, ln, index))
                continue
            if _COMMENT_LINE_RE.match(ln.text):
                continue
            if pat.search(text) and not _designator(text, ch.name):
                if bare and _passed_to_macro(code, text, ch.name):
                    continue
                out.append(_Use(path, ln, index))
    return out


def _passed_to_macro(code: SeriesCode, text: str, name: str) -> bool:
    """The bare name is a whole argument of a macro that pastes or
    stringifies its arguments (``__check_bitop_pr(__set_bit)`` builds
    ``_##name``): no bare use of the name need remain after expansion."""
    for m in re.finditer(rf"(?<![\w.>]){re.escape(name)}\b", text):
        before = text[: m.start()].rstrip()
        after = text[m.end() :].lstrip()
        if not before.endswith(("(", ",")) or not after.startswith((",", ")")):
            continue
        callee = _callee_of(before)
        if callee is None:
            continue
        if any("#" in mac.body for mac in code.macro_defs(callee)):
            return True
    return False


def _callee_of(before: str) -> str | None:
    """The name before the innermost open ``(`` at the end of ``before``."""
    depth = 0
    for at in range(len(before) - 1, -1, -1):
        c = before[at]
        if c == ")":
            depth += 1
        elif c == "(":
            if depth == 0:
                head = before[:at].rstrip()
                word = re.search(r"\w+$", head[-200:])
                return word.group(0) if word else None
            depth -= 1
    return None


def _designator(text: str, name: str) -> bool:
    """``.name = value`` or a member declarator ``(*name)``: not the macro."""
    return bool(re.search(rf"\.\s*{re.escape(name)}\s*=|\(\s*\*\s*{re.escape(name)}\s*\)", text))


@rule(
    id="RP316",
    name="macro-call-mismatch",
    severity=Severity.WARNING,
    confidence=Confidence.HIGH,
    scope=Scope.PATCH,
    needs_code=True,
)
def macro_call_mismatch(ctx: RuleContext) -> Iterator[Hit]:
    """A macro the patch redefines is still used the way its old definition wanted.

    What it does
        Finds the names whose definition the patch changes in kind: a
        function or an object-like macro that becomes a function-like
        macro (``#define kmalloc(...) alloc_hooks(kmalloc_noprof(...))``),
        or a function-like macro that becomes an object-like one whose
        body cannot be called.  Then reports the lines of this and later
        patches (added, or kept as context; in the same file, or anywhere
        for a header) that still use the name the old way: a bare name
        (``.alloc = kmalloc``, ``EXPORT_SYMBOL(kmalloc)``) that a
        function-like macro leaves unexpanded, or a call of an object-like
        macro.  Preprocessor lines, comments, strings, member names and
        designated initialisers are not uses.  A warning, not an error:
        a function or variable of that name elsewhere, which the diff does
        not show, would still make a bare name build.
    Why it matters
        A function-like macro expands only when followed by ``(``; a bare
        use then names a function that no longer exists and the build
        fails, often only in the configuration or architecture that has
        the use.
    Example
        -void *foo_alloc(size_t size);
        +#define foo_alloc(...)	alloc_hooks(foo_alloc_noprof(__VA_ARGS__))
         ...
                .alloc = foo_alloc,
    Use instead
        Point the bare uses at the real function (``foo_alloc_noprof``),
        or keep a function of the old name.
    """
    assert ctx.patch is not None
    code = ctx.code
    if not isinstance(code, SeriesCode):
        return
    changes = code.memo(("RP316", "changes"), lambda: _changes(code))
    for ch in sorted(changes.values(), key=lambda c: c.name):
        if ch.index != ctx.patch.index:
            continue
        uses = _wrong_uses(code, ch)
        if uses:
            yield _hit(ch, uses)


def _a(what: str) -> str:
    return ("an " if what[0] in "aeiou" else "a ") + what


def _hit(ch: _Change, uses: list[_Use]) -> Hit:
    first = uses[0]
    here = first.patch == ch.index
    now = "function-like macro" if ch.macro.params is not None else "object-like macro"
    how = "without arguments" if ch.macro.params is not None else "with arguments"
    places = [f"{u.path}:{u.line.new_no}" for u in uses]
    shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
    return Hit(
        message=(
            f"{ch.name} was {_a(ch.was)} and patch {ch.index} makes it {_a(now)} "
            f"({ch.macro.path}:{ch.macro.line.new_no}), but {shown} still use"
            f"{'s' if len(uses) == 1 else ''} it {how}"
        ),
        file=first.path if here else ch.macro.path,
        line=first.line.new_no if here else ch.macro.line.new_no,
        mail_line=first.line.mail_line if here else ch.macro.line.mail_line,
        symbol=ch.name,
        evidence=(code_evidence(ch.macro.line, ch.macro.path, "new definition"),)
        + tuple(
            code_evidence(
                u.line,
                u.path,
                f"used {how}" + (f" (patch {u.patch})" if u.patch != ch.index else ""),
                in_mail=u.patch == ch.index,
            )
            for u in uses[:10]
        ),
    )
