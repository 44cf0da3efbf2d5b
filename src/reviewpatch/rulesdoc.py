"""``reviewpatch rules``: list the rules or explain one; and the rule table
of README.md, generated from the rule docstrings."""

from __future__ import annotations

__all__ = ["rules_command", "rule_table", "explain_rule"]

from collections.abc import Sequence
from typing import TextIO

from reviewpatch.errors import UsageError
from reviewpatch.rules import all_rules, find_rule
from reviewpatch.rules.registry import RuleSpec


def rule_table() -> str:
    """A Markdown table of every rule: id, name, severity, scope, summary."""
    rows = ["| id | name | severity | scope | what it checks |", "|---|---|---|---|---|"]
    for spec in all_rules():
        summary = spec.doc.summary.replace("|", "\\|")
        rows.append(
            f"| {spec.id} | {spec.name} | {spec.severity.value} | {spec.scope.value} | {summary} |"
        )
    return "\n".join(rows) + "\n"


def explain_rule(spec: RuleSpec) -> str:
    """The full documentation of one rule, as plain text."""
    doc = spec.doc
    parts = [
        f"{spec.id} {spec.name}  (severity {spec.severity.value}, confidence "
        f"{spec.confidence.value}, scope {spec.scope.value})",
        "",
        doc.summary,
    ]
    for title, body in (
        ("What it does", doc.what),
        ("Why it matters", doc.why),
        ("Example", doc.example),
        ("Use instead", doc.instead),
        ("Options", doc.options),
    ):
        if body:
            parts += ["", title, *("    " + line if line else "" for line in body.splitlines())]
    return "\n".join(parts) + "\n"


def rules_command(args: Sequence[str], out: TextIO) -> int:
    """``reviewpatch rules`` lists every rule; ``reviewpatch rules NAME``
    explains one (NAME is an id or a name) and ``reviewpatch rules RP3``
    lists a family; ``--markdown`` prints the table."""
    if list(args) == ["--markdown"]:
        out.write(rule_table())
        return 0
    if len(args) > 1:
        raise UsageError("usage: reviewpatch rules [ID|NAME|--markdown]")
    if args:
        spec = find_rule(args[0])
        if spec is not None:
            out.write(explain_rule(spec))
            return 0
        prefix = args[0].strip().upper()
        family = (
            [s for s in all_rules() if s.id.startswith(prefix)] if prefix.startswith("RP") else []
        )
        if not family:
            raise UsageError(f"no rule called {args[0]!r} (see 'reviewpatch rules')")
        _listing(family, out)
        return 0
    _listing(all_rules(), out)
    return 0


def _listing(specs: Sequence[RuleSpec], out: TextIO) -> None:
    for spec in specs:
        out.write(f"{spec.id}  {spec.name:<36} {spec.severity.value:<8} {spec.doc.summary}\n")
