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
    "reviewpatch.rules.c.moved_call",
    "reviewpatch.rules.c.gated_callee",
    "reviewpatch.rules.c.mask_member",
    "reviewpatch.rules.c.gate_flag",
    "reviewpatch.rules.c.set_clear",
    "reviewpatch.rules.c.symbols",
    "reviewpatch.rules.c.nfc_claim",
    "reviewpatch.rules.c.early_exit_release",
    "reviewpatch.rules.c.claimed_change",
)


def all_rules() -> tuple[RuleSpec, ...]:
    """Every declared rule, sorted by id.  A module of RULE_MODULES that is
    not there yet is skipped; two rules with one id or name are an error."""
    specs: list[RuleSpec] = []
    for name in RULE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        specs.extend(specs_in(module))
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
