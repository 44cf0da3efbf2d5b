"""Rule declaration: the ``rule`` decorator, the context a rule reads and the
hits it yields.

A rule is a generator function that takes one ``RuleContext`` and yields
``Hit`` values; the engine stamps id, name, severity and confidence on each
to make a ``Finding``.  The decorator does not register anything globally:
it attaches a ``RuleSpec`` to the function, and ``collect_rules`` gathers the
specs from the modules listed in ``reviewpatch.rules.RULE_MODULES``.

Rule docstrings have fixed sections, each a heading line followed by text::

    What it does
        ...
    Why it matters
        ...
    Example
        ...
    Use instead
        ...
    Options
        ...   (optional)
"""

from __future__ import annotations

__all__ = [
    "Scope",
    "RuleSpec",
    "RuleDoc",
    "RuleContext",
    "Hit",
    "rule",
    "spec_of",
    "specs_in",
    "parse_doc",
    "DOC_SECTIONS",
]

import inspect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import ModuleType
from typing import TYPE_CHECKING

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.model import Patch, Series
from reviewpatch.settings import OptionValue

if TYPE_CHECKING:
    from reviewpatch.csource.code import SeriesCode
    from reviewpatch.versions.model import PreviousSearch, VersionReport

DOC_SECTIONS = ("What it does", "Why it matters", "Example", "Use instead", "Options")

_ID_RE = re.compile(r"^RP\d{3}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Scope(str, Enum):
    """What one call of a rule looks at."""

    PATCH = "patch"  # once per patch of the series (not the cover letter)
    SERIES = "series"  # once for the whole series


@dataclass(frozen=True)
class RuleDoc:
    """The fixed sections of a rule's documentation."""

    summary: str
    what: str
    why: str
    example: str
    instead: str
    options: str = ""


@dataclass(frozen=True)
class RuleContext:
    """What a rule reads.  ``patch`` is None for series-scope rules.
    ``options`` holds this rule's options from the configuration.  ``code``
    is the C analysis of the series (``reviewpatch.csource``), set only for
    rules declared with ``needs_code=True``.  ``since`` compares the series
    with its previous version, when the review found one; ``history`` says
    how the archive was searched for it (None: no search was due)."""

    series: Series
    patch: Patch | None = None
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    code: SeriesCode | None = None
    since: VersionReport | None = None
    history: PreviousSearch | None = None

    def option(self, name: str, default: OptionValue) -> OptionValue:
        """This rule's option ``name`` from the configuration, else ``default``."""
        return self.options.get(name, default)


@dataclass(frozen=True)
class Hit:
    """What a rule yields.  Location fields left at None are filled by the
    engine: ``patch_index`` from the context's patch.  ``severity`` and
    ``confidence`` override the rule's defaults for this one hit.  ``symbol``
    names the function, macro or flag concerned; ``explained`` marks a hit
    the commit message acknowledges (the engine reports it as a note)."""

    message: str
    patch_index: int | None = None
    file: str | None = None
    line: int | None = None
    side: str = "new"
    mail_line: int | None = None
    symbol: str | None = None
    evidence: tuple[EvidenceLine, ...] = ()
    severity: Severity | None = None
    confidence: Confidence | None = None
    explained: bool = False
    series_wide: bool = False


RuleFunc = Callable[[RuleContext], Iterable[Hit]]


@dataclass(frozen=True)
class RuleSpec:
    """A declared rule."""

    id: str
    name: str
    severity: Severity
    confidence: Confidence
    scope: Scope
    func: RuleFunc
    doc: RuleDoc
    needs_code: bool = False
    family: str = ""
    options: tuple[tuple[str, type], ...] = ()  # the option keys the rule reads, and their types

    def run(self, ctx: RuleContext) -> Iterator[Hit]:
        yield from self.func(ctx)


_SPEC_ATTR = "__reviewpatch_rule__"


def rule(
    *,
    id: str,
    name: str,
    severity: Severity,
    confidence: Confidence = Confidence.HIGH,
    scope: Scope = Scope.PATCH,
    needs_code: bool = False,
    family: str = "",
    options: tuple[tuple[str, type], ...] = (),
) -> Callable[[RuleFunc], RuleFunc]:
    """Declare a rule.  Checks the id and name format and the docstring.
    ``options`` are the keys of its ``[rules.NAME]`` table it reads, with
    the type of their value; any other key, or a value of another type, in
    a configuration is an error."""
    if not _ID_RE.match(id):
        raise ValueError(f"rule id {id!r} must be RP followed by three digits")
    if not _NAME_RE.match(name):
        raise ValueError(f"rule name {name!r} must be kebab-case")

    def decorate(func: RuleFunc) -> RuleFunc:
        doc = parse_doc(inspect.getdoc(func) or "", name)
        spec = RuleSpec(
            id=id,
            name=name,
            severity=severity,
            confidence=confidence,
            scope=scope,
            func=func,
            doc=doc,
            needs_code=needs_code,
            family=family,
            options=options,
        )
        setattr(func, _SPEC_ATTR, spec)
        return func

    return decorate


def spec_of(obj: object) -> RuleSpec | None:
    """The RuleSpec attached to ``obj`` by ``rule``, if any."""
    spec = getattr(obj, _SPEC_ATTR, None)
    return spec if isinstance(spec, RuleSpec) else None


def specs_in(module: ModuleType) -> tuple[RuleSpec, ...]:
    """Every rule declared in ``module``, in definition order."""
    found = []
    for value in vars(module).values():
        spec = spec_of(value)
        if spec is not None and value.__module__ == module.__name__:
            found.append(spec)
    return tuple(found)


def parse_doc(text: str, name: str) -> RuleDoc:
    """Split a rule docstring into its fixed sections.  The first paragraph
    is the summary; the headings are the lines equal to DOC_SECTIONS."""
    sections: dict[str, list[str]] = {}
    summary: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in DOC_SECTIONS:
            current = stripped
            sections[current] = []
        elif current is None:
            summary.append(line)
        else:
            sections[current].append(line)
    missing = [s for s in DOC_SECTIONS[:4] if not "\n".join(sections.get(s, [])).strip()]
    if missing:
        raise ValueError(f"rule {name}: docstring lacks section(s): {', '.join(missing)}")

    def body(key: str) -> str:
        return inspect.cleandoc("\n".join(sections.get(key, [])))

    return RuleDoc(
        summary=" ".join(s.strip() for s in summary if s.strip()),
        what=body("What it does"),
        why=body("Why it matters"),
        example=body("Example"),
        instead=body("Use instead"),
        options=body("Options"),
    )
