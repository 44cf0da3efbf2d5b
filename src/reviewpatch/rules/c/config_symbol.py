"""RP315 undefined-config-symbol: code that tests a configuration option
no Kconfig file defines (after the series)."""

from __future__ import annotations

__all__ = ["undefined_config_symbol"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.kernel.protocol import KernelTree
from reviewpatch.model import DiffLine, LineKind, Patch, Series
from reviewpatch.rules.c.common import diff_evidence
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_CONFIG_LINE_RE = re.compile(r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*(?:#.*)?$")
_KCONFIG_USE_RE = re.compile(
    r"^\s*(?:depends\s+on|select|imply|default|visible\s+if|if|range)\b(.*)$"
)
_KCONFIG_STRING_RE = re.compile(r'"[^"]*"')
_KCONFIG_CALL_RE = re.compile(r"\$\([^()]*\)")
_C_TEST_RE = re.compile(r"^\s*#\s*(?:if|ifdef|ifndef|elif)\b")
_IS_RE = re.compile(r"\bIS_(?:ENABLED|BUILTIN|MODULE|REACHABLE)\s*\(\s*CONFIG_([A-Za-z0-9_]+)\s*\)")
_CONFIG_RE = re.compile(r"\bCONFIG_([A-Za-z0-9_]+)\b")
_WORD_RE = re.compile(r"[A-Za-z0-9_]+")
_CODE = (".c", ".h", ".S", ".dts", ".dtsi", ".lds", ".rs")
# user-space trees whose CONFIG_ names come from their own feature checks
_OWN_OPTIONS = ("tools/", "scripts/", "usr/")


def _kind(path: str) -> str:
    """ "kconfig", "make", "code" or "" (not looked at: defconfigs, docs)."""
    name = path.rsplit("/", 1)[-1]
    if "/configs/" in f"/{path}" or path.startswith("Documentation/"):
        return ""
    if name.startswith("Kconfig"):
        return "kconfig"
    if name.startswith(("Makefile", "Kbuild")) or name.endswith(".mk"):
        return "make"
    return "code" if name.endswith(_CODE) else ""


def _tested(path: str, text: str) -> set[str]:
    """The options a line tests: preprocessor conditions and IS_ENABLED()
    in code, ``$(CONFIG_X)`` in make files, the expressions of Kconfig."""
    kind = _kind(path)
    if kind == "code":
        if _C_TEST_RE.match(text):
            return set(_CONFIG_RE.findall(text.split("//", 1)[0].split("/*", 1)[0]))
        return set(_IS_RE.findall(text))
    if kind == "make":
        return set(_CONFIG_RE.findall(text.split("#", 1)[0]))
    if kind == "kconfig":
        m = _KCONFIG_USE_RE.match(text.split("#", 1)[0])
        if m is None:
            return set()
        # macro calls ($(success,$(CC) ...)) and strings name no option
        expr = _KCONFIG_STRING_RE.sub(" ", m.group(1))
        while _KCONFIG_CALL_RE.search(expr):
            expr = _KCONFIG_CALL_RE.sub(" ", expr)
        return {w for w in _WORD_RE.findall(expr) if w.isupper()}
    return set()


@dataclass(frozen=True)
class _Use:
    name: str
    path: str
    line: DiffLine
    patch: int


def _defined(series: Series) -> tuple[dict[str, tuple[int, str, DiffLine]], set[str]]:
    """Options whose ``config`` line a patch removes (the last removal:
    patch, file, line) and options a patch adds."""
    removed: dict[str, tuple[int, str, DiffLine]] = {}
    added: set[str] = set()
    for p in series.patches:
        for fd in p.files:
            if _kind(fd.old_path) != "kconfig" and _kind(fd.new_path) != "kconfig":
                continue
            for h in fd.hunks:
                for ln in h.lines:
                    m = _CONFIG_LINE_RE.match(ln.text)
                    if m is None:
                        continue
                    if ln.kind is LineKind.REMOVED:
                        removed[m.group(1)] = (p.index, fd.old_path, ln)
                    elif ln.kind is LineKind.ADDED:
                        added.add(m.group(1))
    return removed, added


def _uses(series: Series, since: int, names: set[str]) -> Iterator[_Use]:
    for p in series.patches:
        if p.index < since:
            continue
        for fd in p.files:
            if fd.is_deleted or not _kind(fd.new_path):
                continue
            for h in fd.hunks:
                for ln in h.lines:
                    if ln.kind is LineKind.REMOVED:
                        continue
                    for name in sorted(_tested(fd.new_path, ln.text) & names):
                        yield _Use(name, fd.new_path, ln, p.index)


@rule(
    id="RP315",
    name="undefined-config-symbol",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
)
def undefined_config_symbol(ctx: RuleContext) -> Iterator[Hit]:
    """Code tests a configuration option that no Kconfig file defines.

    What it does
        Reads the ``config X`` lines the series removes from Kconfig files
        and adds back nowhere, and reports the lines of the series (added,
        or kept as context) that still test ``CONFIG_X``: in ``#if``,
        ``#ifdef``, ``IS_ENABLED()`` and its kin, ``$(CONFIG_X)`` in
        Makefiles, and ``depends on``/``select``/``default`` expressions of
        Kconfig.  With --tree it also looks at the whole tree after the
        series, and checks every option the patch's added lines test: one
        that no Kconfig file defines (and no ``#define`` either) is
        reported, a typo being the usual cause.
    Why it matters
        An undefined option is never set: the code under it is silently
        never built, the object in the Makefile never linked, the
        dependency never met. Nothing fails to build, so only a reviewer
        notices.
    Example
        -config FOO_DMA
        ...
        +#ifdef CONFIG_FOO_DMA
    Use instead
        Test the option that replaces it, or keep the Kconfig entry.
    """
    assert ctx.patch is not None
    tree = ctx.code.tree if ctx.code is not None else None
    removed, added = _defined(ctx.series)
    gone = {n for n, (at, _, _) in removed.items() if at == ctx.patch.index and n not in added}
    if gone:
        yield from _removed_hits(ctx.series, ctx.patch.index, gone, removed, tree)
    if tree is not None and ctx.code is not None:
        known = added | set(removed)
        series = ctx.series
        defined = ctx.code.memo(
            ("RP315", "defined"),
            lambda: tree.config_symbols(n for p in series.patches for n in _added_tests(p, known)),
        )
        yield from _unknown_hits(ctx.patch, tree, known, defined)


def _arch_dir(path: str) -> str | None:
    """``arch/<name>/`` when ``path`` is in an architecture's directory."""
    parts = path.split("/")
    return f"arch/{parts[1]}/" if len(parts) > 2 and parts[0] == "arch" else None


def _removed_hits(
    series: Series,
    index: int,
    gone: set[str],
    removed: dict[str, tuple[int, str, DiffLine]],
    tree: KernelTree | None,
) -> Iterator[Hit]:
    by_name: dict[str, list[_Use]] = {}
    for use in _uses(series, index, gone):
        by_name.setdefault(use.name, []).append(use)
    for name in sorted(gone):
        _, kconfig, line = removed[name]
        arch = _arch_dir(kconfig)
        uses = [u for u in by_name.get(name, []) if arch is None or u.path.startswith(arch)]
        outside = _tree_uses(tree, name, {u.path for u in uses}) if tree is not None else []
        if arch is not None:
            # another architecture's own Kconfig may define the option for
            # the files outside this one's directory
            outside = [o for o in outside if o[0].startswith(arch)]
        if not uses and not outside:
            continue
        places = [f"{u.path}:{u.line.new_no}" for u in uses] + [f"{p}:{n}" for p, n, _ in outside]
        shown = ", ".join(places[:4]) + (f" and {len(places) - 4} more" if len(places) > 4 else "")
        first = next((u for u in uses if u.patch == index), None)
        yield Hit(
            message=(
                f"patch {index} removes config {name} from {kconfig}, but {shown} still "
                f"refer{'s' if len(places) == 1 else ''} to it: CONFIG_{name} is never set now"
            ),
            file=first.path if first else kconfig,
            line=first.line.new_no if first else None,
            side="new" if first else "old",
            mail_line=first.line.mail_line if first else line.mail_line,
            symbol=f"CONFIG_{name}",
            evidence=(diff_evidence(line, kconfig, "removed"),)
            + tuple(
                diff_evidence(u.line, u.path, "still used", in_mail=u.patch == index)
                for u in uses[:10]
            )
            + tuple(
                EvidenceLine(text=t, file=p, new_no=n, label="in the tree")
                for p, n, t in outside[:10]
            ),
        )


def _tree_uses(tree: KernelTree, name: str, seen: set[str]) -> list[tuple[str, int, str]]:
    """Lines of the tree after the series that test CONFIG_name (files the
    series shows are judged from the series)."""
    out = []
    for path, no, text in tree.grep(f"CONFIG_{name}"):
        if path not in seen and name in _tested(path, text):
            out.append((path, no, text))
    for path, no, text in tree.grep(name):
        if path not in seen and _kind(path) == "kconfig" and name in _tested(path, text):
            out.append((path, no, text))
    return sorted(set(out))


def _added_tests(patch: Patch, known: set[str]) -> dict[str, list[_Use]]:
    """The options the patch's added lines test, but those the series
    defines or removes (judged above), by name."""
    uses: dict[str, list[_Use]] = {}
    for fd in patch.files:
        if fd.is_deleted or not _kind(fd.new_path) or fd.new_path.startswith(_OWN_OPTIONS):
            continue
        for h in fd.hunks:
            for ln in h.lines:
                if ln.kind is not LineKind.ADDED:
                    continue
                for name in sorted(_tested(fd.new_path, ln.text)):
                    base = name[: -len("_MODULE")] if name.endswith("_MODULE") else name
                    if base not in known:
                        uses.setdefault(base, []).append(_Use(base, fd.new_path, ln, patch.index))
    return uses


def _unknown_hits(
    patch: Patch, tree: KernelTree, known: set[str], defined: frozenset[str]
) -> Iterator[Hit]:
    """Options the patch's added lines test that nothing defines."""
    uses = _added_tests(patch, known)
    for name in sorted(set(uses) - defined):
        if tree.find_definitions(f"CONFIG_{name}"):
            continue  # a #define stands in for it
        use = uses[name][0]
        yield Hit(
            message=(
                f"CONFIG_{name} is tested at {use.path}:{use.line.new_no}, but no Kconfig file "
                "of the tree defines it and the series does not add it (a misspelt option?)"
            ),
            file=use.path,
            line=use.line.new_no,
            mail_line=use.line.mail_line,
            symbol=f"CONFIG_{name}",
            evidence=tuple(diff_evidence(u.line, u.path, "tested") for u in uses[name][:5]),
        )
