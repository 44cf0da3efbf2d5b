"""The rule set.  Each family lives in its own module, listed in
RULE_MODULES; ``all_rules`` gathers the rules declared there.

Families (the hundreds digit of the id):
  RP0xx  engine and input (internal-error, unusable mail, patch does not apply)
  RP1xx  trailers
  RP2xx  series and commit message
  RP3xx  C semantics (before/after comparison of the code)
"""

from __future__ import annotations

__all__ = ["RULE_MODULES", "all_rules", "find_rule"]

import importlib

from reviewpatch.rules.registry import RuleSpec, specs_in

RULE_MODULES: tuple[str, ...] = (
    "reviewpatch.rules.builtin",
    "reviewpatch.rules.trailers",
    "reviewpatch.rules.review_tags",
    "reviewpatch.rules.fixes",
    "reviewpatch.rules.series",
    "reviewpatch.rules.since",
    "reviewpatch.rules.c.moved_call",
    "reviewpatch.rules.c.gated_callee",
    "reviewpatch.rules.c.mask_member",
    "reviewpatch.rules.c.gate_flag",
    "reviewpatch.rules.c.set_clear",
    "reviewpatch.rules.c.symbols",
    "reviewpatch.rules.c.nfc_claim",
    "reviewpatch.rules.c.early_exit_release",
    "reviewpatch.rules.c.claimed_change",
    "reviewpatch.rules.c.pp_balance",
    "reviewpatch.rules.c.conflict_marker",
    "reviewpatch.rules.c.spdx",
    "reviewpatch.rules.c.deleted_header",
    "reviewpatch.rules.c.config_symbol",
    "reviewpatch.rules.c.macro_arity",
    "reviewpatch.rules.c.unused_param",
    "reviewpatch.rules.c.config_stub",
    "reviewpatch.rules.c.enum_value",
)


def all_rules(modules: tuple[str, ...] = RULE_MODULES) -> tuple[RuleSpec, ...]:
    """Every rule declared in ``modules``, sorted by id.  A module that is
    missing, fails to import or declares no rule is an error (a misspelt
    entry must not drop its rules quietly), and so are two rules with one
    id or name."""
    specs: list[RuleSpec] = []
    for name in modules:
        module = importlib.import_module(name)
        found = specs_in(module)
        if not found:
            raise ValueError(f"rule module {name} declares no rule")
        specs.extend(found)
    ids = [s.id for s in specs]
    names = [s.name for s in specs]
    for seq, what in ((ids, "id"), (names, "name")):
        dup = {x for x in seq if seq.count(x) > 1}
        if dup:
            raise ValueError(f"duplicate rule {what}: {', '.join(sorted(dup))}")
    return tuple(sorted(specs, key=lambda s: s.id))


def find_rule(key: str) -> RuleSpec | None:
    """The rule with this id or name (case-insensitive)."""
    low = key.strip().lower()
    for spec in all_rules():
        if spec.id.lower() == low or spec.name == low:
            return spec
    return None
