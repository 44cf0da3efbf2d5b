"""Which rules run, which findings are dropped, which severity applies.

Codes are rule id prefixes (``RP``, ``RP1``, ``RP105``) or rule names
(``bad-fixes-tag``).  Among the codes that match a rule, the longest wins; a
name is more specific than any prefix.  When a select and an ignore code are
equally specific, the ignore wins.
"""

from __future__ import annotations

__all__ = ["Decision", "specificity", "best_match", "RuleSelector"]

import fnmatch
from dataclasses import dataclass
from enum import Enum

from reviewpatch.findings import Severity


class Decision(str, Enum):
    SELECTED = "selected"
    IGNORED = "ignored"


def specificity(code: str, rule_id: str, rule_name: str) -> int:
    """How specifically ``code`` names the rule: 0 when it does not match,
    else the prefix length (a name counts as more than any id)."""
    key = code.strip()
    if not key:
        return 0
    if key.lower() == rule_name:
        return len(rule_id) + 1
    if rule_id.upper().startswith(key.upper()):
        return len(key)
    return 0


def best_match(codes: tuple[str, ...], rule_id: str, rule_name: str) -> int:
    """The specificity of the most specific of ``codes`` (0: none match)."""
    return max((specificity(c, rule_id, rule_name) for c in codes), default=0)


@dataclass(frozen=True)
class RuleSelector:
    """Select / ignore / extend-select, per-file ignores and severity
    overrides, decided by the longest matching code."""

    select: tuple[str, ...] = ("RP",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity_overrides: tuple[tuple[str, Severity], ...] = ()

    def decide(self, rule_id: str, rule_name: str) -> Decision:
        chosen = best_match(self.select + self.extend_select, rule_id, rule_name)
        dropped = best_match(self.ignore, rule_id, rule_name)
        if chosen and chosen > dropped:
            return Decision.SELECTED
        return Decision.IGNORED

    def is_selected(self, rule_id: str, rule_name: str) -> bool:
        return self.decide(rule_id, rule_name) is Decision.SELECTED

    def ignored_in_file(self, rule_id: str, rule_name: str, path: str | None) -> bool:
        """True when a per-file ignore whose glob matches ``path`` names the
        rule."""
        if not path:
            return False
        for pattern, codes in self.per_file_ignores:
            if fnmatch.fnmatchcase(path, pattern) and best_match(codes, rule_id, rule_name):
                return True
        return False

    def severity_for(self, rule_id: str, rule_name: str, default: Severity) -> Severity:
        """The configured severity of a rule (the most specific override)."""
        best, value = 0, default
        for code, severity in self.severity_overrides:
            score = specificity(code, rule_id, rule_name)
            if score > best:
                best, value = score, severity
        return value
