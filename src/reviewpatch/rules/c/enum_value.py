"""RP319 enum-value-never-produced: an enum value the series adds that a
``switch`` handles but that nothing in the tree after the series produces
(tree mode)."""

from __future__ import annotations

__all__ = ["enum_value_never_produced"]

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from reviewpatch.csource import NEW, OLD, Definition, SeriesCode
from reviewpatch.csource.uses import UseKind, use_kinds
from reviewpatch.errors import ReviewpatchError
from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.rules.c.common import code_evidence
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

if TYPE_CHECKING:
    from reviewpatch.kernel.protocol import KernelTree

# sentinels and counts, which no code is meant to produce
_SENTINEL_RE = re.compile(r"^(?:NR_|MAX_|NUM_|__)|_(?:MAX|NR|NUM|COUNT|CNT|LAST|END|INVALID)$")
# values of user-space interfaces come from user space, not from the tree
_UAPI_RE = re.compile(r"(?:^|/)uapi/")
# a patch that adds more values than this is a table, not a state machine
_MAX_VALUES = 40
_MAX_SHOWN = 3


def _new_values(code: SeriesCode, index: int) -> list[Definition]:
    """Enum values patch ``index`` adds without a number, that no patch of
    the series removes (not moved or renamed in place)."""
    removed = {d.name for d in code.definitions_removed() if d.kind == "enum"}
    out: dict[str, Definition] = {}
    for d in code.definitions_added(index):
        if (
            d.kind != "enum"
            or d.valued
            or d.side != NEW
            or d.line.kind != "+"
            or d.name in removed
            or _SENTINEL_RE.search(d.name)
            or _UAPI_RE.search(d.path)
        ):
            continue
        out.setdefault(d.name, d)
    return list(out.values())


def _series_mentions(code: SeriesCode, name: str) -> bool:
    """Whether an old side of the series names ``name``: it existed before
    (the definition moved between files or patches)."""
    return any(name in names for fr in code.fragments(OLD) for _no, names in fr.identifiers)


@rule(
    id="RP319",
    name="enum-value-never-produced",
    severity=Severity.NOTE,
    confidence=Confidence.LOW,
    scope=Scope.PATCH,
    needs_code=True,
)
def enum_value_never_produced(ctx: RuleContext) -> Iterator[Hit]:
    """An enum value the series adds is handled but never produced.

    What it does
        In tree mode, for every enum value a patch adds (without an explicit
        number, outside user-space headers, not a ``_MAX``/``NR_`` style
        sentinel), looks up every line of the tree after the series that
        names it.  When those lines only handle it (``case X:``), test for
        it (``== X``) or name a table slot (``[X] = ...``), and at least one
        ``case`` handles it, nothing assigns, passes, returns or lists the
        value: the new state is unreachable, or the code that was meant to
        enter it is missing from the series.  A preprocessor line naming
        it, or a ``##`` after a prefix of it (``FOO_STATE_##s``: names made
        by macros), counts as a possible producer.
    Why it matters
        A new state, event or command with a handler and no producer is
        usually a half-applied change: the patch that sets it was dropped
        or is still to come, so the handler is dead code until then.
    Example
        +	FOO_STATE_SUSPENDED,
        ...
        +	case FOO_STATE_SUSPENDED:
        +		foo_resume(foo);
    Use instead
        Add the code that enters the new state in the same series, or add
        the value with its first user.
    """
    assert ctx.patch is not None
    code = ctx.code
    if not isinstance(code, SeriesCode) or code.tree is None:
        return
    values = _new_values(code, ctx.patch.index)
    if len(values) > _MAX_VALUES:
        return
    for d in values:
        if _series_mentions(code, d.name):
            continue
        hit = _judge(code, d)
        if hit is not None:
            yield hit


def _pasted(tree: KernelTree, name: str) -> bool:
    """Whether the tree makes names that begin like ``name`` with ``##``
    (``FOO_STATE_##s`` may be ``FOO_STATE_SUSPENDED``)."""
    for at in range(3, len(name) - 1):
        if name[at] != "_":
            continue
        prefix = name[: at + 1]
        try:
            refs = tree.grep(prefix)
        except (ReviewpatchError, OSError):  # best effort: assume it may be
            return True
        if any(UseKind.PASTE in use_kinds(text, prefix) for _p, _n, text in refs):
            return True
    return False


def _judge(code: SeriesCode, d: Definition) -> Hit | None:
    tree = code.tree
    assert tree is not None
    try:
        refs = tree.grep(d.name)
    except (ReviewpatchError, OSError):  # best effort: say nothing
        return None
    cases: list[tuple[str, int, str]] = []
    for path, no, text in refs:
        if path == d.path and no == d.line.new_no:
            continue  # the definition
        kinds = use_kinds(text, d.name)
        if not kinds:
            return None  # the name in a form the tokens do not show: no claim
        if any(k in (UseKind.PRODUCE, UseKind.DIRECTIVE, UseKind.PASTE) for k in kinds):
            return None
        if UseKind.CASE in kinds:
            cases.append((path, no, text))
    if not cases or _pasted(tree, d.name):
        return None
    where = ", ".join(f"{p}:{n}" for p, n, _t in cases[:_MAX_SHOWN])
    more = f" and {len(cases) - _MAX_SHOWN} more" if len(cases) > _MAX_SHOWN else ""
    return Hit(
        message=(
            f"enum value {d.name}, which patch {d.patch_index} adds, is handled ({where}{more}) "
            "but nothing in the tree after the series produces it: no line assigns, passes, "
            "returns or lists it"
        ),
        file=d.path,
        line=d.line.new_no,
        mail_line=d.line.mail_line,
        symbol=d.name,
        evidence=(code_evidence(d.line, d.path, "value added"),)
        + tuple(
            EvidenceLine(text=t, file=p, new_no=n, label="handled")
            for p, n, t in cases[:_MAX_SHOWN]
        ),
    )
