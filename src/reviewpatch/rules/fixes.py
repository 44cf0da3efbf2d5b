"""Fixes: tags checked against the tree (tree mode only)."""

from __future__ import annotations

__all__ = ["fixes_commit_mismatch"]

import re
from collections.abc import Iterator

from reviewpatch.findings import Confidence, EvidenceLine, Severity
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.rules.trailer_util import fixes_lines

_FIXES_VALUE = re.compile(r'^([0-9a-fA-F]{7,40})\s*\(\s*"(.*)"\s*\)\s*$')


def _same_title(quoted: str, actual: str) -> bool:
    return " ".join(quoted.split()) == " ".join(actual.split())


@rule(
    id="RP113",
    name="fixes-commit-mismatch",
    severity=Severity.WARNING,
    confidence=Confidence.HIGH,
    scope=Scope.PATCH,
    needs_code=True,
)
def fixes_commit_mismatch(ctx: RuleContext) -> Iterator[Hit]:
    """A Fixes: tag names a commit the tree does not have, or quotes another title.

    What it does
        In tree mode, looks up the commit id of every well-formed
        ``Fixes: <sha> ("<title>")`` tag in the repository given with
        --tree and compares the quoted title with that commit's subject.
        Reports an id the repository does not know, and a title that is
        not the commit's.  Without --tree it does nothing (RP105 checks the
        form of the tag).

    Why it matters
        Stable maintainers and backport tools follow Fixes: tags to decide
        where a fix goes.  A mistyped id, an id from a private branch, or a
        title pasted from another commit sends the fix to the wrong kernels
        or nowhere.

    Example
        Fixes: 3bae9dcff52e ("qfoo: remove qfoo_reset_hw()")
        where 3bae9dcff52e is "qfoo: initial driver".

    Use instead
        Fixes: 3bae9dcff52e ("qfoo: initial driver")
        made with git log -1 --format='Fixes: %h ("%s")' --abbrev=12 <commit>.
    """
    tree = ctx.code.tree if ctx.code is not None else None
    if tree is None or ctx.patch is None:
        return
    for line, value, text, _next in fixes_lines(ctx.patch):
        match = _FIXES_VALUE.match(" ".join(value.split()))
        if match is None:
            continue  # malformed: RP105's business
        sha, title = match.group(1), match.group(2)
        actual = tree.commit_subject(sha)
        evidence = (EvidenceLine(text=text.strip(), mail_line=line),)
        if actual is None:
            yield Hit(
                f"Fixes: names commit {sha}, which the tree does not have",
                mail_line=line,
                symbol=sha,
                evidence=evidence,
                confidence=Confidence.MEDIUM,
            )
        elif not _same_title(title, actual):
            yield Hit(
                f'Fixes: quotes "{title}", but commit {sha} is "{actual}"',
                mail_line=line,
                symbol=sha,
                evidence=evidence + (EvidenceLine(text=actual, label=f"subject of {sha}"),),
            )
