# RP000 internal-error is emitted by the engine itself.
"""Engine and input rules (RP0xx): what stops a series from being read or
applied."""

from __future__ import annotations

__all__ = ["patch_does_not_apply", "apply_problems", "unreadable_mail"]

from collections.abc import Iterator
from typing import TYPE_CHECKING

from reviewpatch.findings import Confidence, Severity
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

if TYPE_CHECKING:
    from reviewpatch.csource.code import SeriesCode
    from reviewpatch.kernel.protocol import ApplyProblem


def apply_problems(code: SeriesCode | None) -> tuple[ApplyProblem, ...]:
    """The ``ApplyProblem`` values of the tree behind the C analysis
    ``code`` (its ``tree`` attribute); empty in hunk mode or when the
    analysis has no tree."""
    tree = code.tree if code is not None else None
    return tuple(tree.problems) if tree is not None else ()


@rule(
    id="RP001",
    name="patch-does-not-apply",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    scope=Scope.SERIES,
    needs_code=True,
    family="input",
)
def patch_does_not_apply(ctx: RuleContext) -> Iterator[Hit]:
    """A patch of the series does not apply to the tree given with --tree.

    What it does
        In tree mode the series is applied patch by patch (3-way when the
        blobs named on the diff's ``index`` lines exist) at its
        ``base-commit:``, or at HEAD when the tree lacks that commit.  Each
        patch that git refuses is reported with git's first error line: an
        error when it failed on its declared base, or on the exact
        pre-images its ``index`` lines name; a note when it only failed on
        HEAD (HEAD moved on, or the tree lacks those pre-images), which
        says nothing against the patch.  The analysis of that patch falls
        back to the diff fragments.

    Why it matters
        A patch that does not apply cannot be merged as sent: it was made
        against another tree, depends on a patch that is not in the series,
        or was damaged by the mailer.  Maintainers ask for a rebase.

    Example
        base-commit: 1234abcd (a commit the tree has)
        PATCH 2/3 changes a line that PATCH 1/3 never created:
        error: patch failed: arch/arm64/kernel/ptrace.c:127

    Use instead
        Rebase the series on the tree it targets, name that commit with
        ``git format-patch --base=...`` and send it again; if it depends on
        other patches, say which in the cover letter.
    """
    tree = ctx.code.tree if ctx.code is not None else None
    note = tree.base_note if tree is not None else ""
    why = note.partition(": ")[2] if note.startswith("pre-image from HEAD") else ""
    for problem in apply_problems(ctx.code):
        message = problem.message or "patch does not apply"
        if why:
            message += f" (applied on HEAD because {why})"
        if problem.certain:
            yield Hit(message=message, patch_index=problem.patch_index, symbol=None)
            continue
        yield Hit(
            message=message + "; its files are reviewed from the hunks",
            patch_index=problem.patch_index,
            symbol=None,
            severity=Severity.NOTE,
            confidence=Confidence.LOW,
        )


@rule(
    id="RP002",
    name="unreadable-mail",
    severity=Severity.WARNING,
    confidence=Confidence.HIGH,
    scope=Scope.SERIES,
    family="input",
)
def unreadable_mail(ctx: RuleContext) -> Iterator[Hit]:
    """A mail of the thread could not be read, or a patch mail could not be
    parsed; the rest of the series was reviewed without it.

    What it does
        Reports every mail that was set aside while reading the input: a
        mail with no header block, a broken MIME structure, a diff whose
        hunks do not add up, a Message-ID used twice for different mails.
        The message names the mail (file and position, or Message-ID).

    Why it matters
        A patch that was not read was not reviewed.  Knowing which mail was
        dropped tells the reviewer what to look at by hand, or that the
        archive copy is damaged and the series should be fetched again.

    Example
        series.mbox:3: hunk @@ -10,7 +10,8 @@ of kernel/fork.c has 7 lines,
        its header says 8

    Use instead
        Re-fetch the thread (``--refresh``), or ask the author to resend
        the damaged patch (``git send-email`` rather than a mail client that
        rewraps lines).
    """
    for problem in ctx.series.problems:
        where = problem.origin + (f" <{problem.msgid}>" if problem.msgid else "")
        message = problem.message
        if message.startswith(problem.origin):
            message = message[len(problem.origin) :].lstrip(": ")
        if problem.skipped:  # left out on purpose (past a limit, a Message-ID clash)
            yield Hit(message=f"{where}: {message}", severity=Severity.NOTE)
            continue
        yield Hit(message=f"{where}: {message}; it was left out of the review")
