"""Series rules (RP2xx): patches missing from the thread, a multi-patch
series without a cover letter, a new version without a changelog, and
patches labelled with another version than their cover letter.

These rules look at the series as a whole (``Scope.SERIES``); a hit about
the whole series leaves ``patch_index`` None.
"""

from __future__ import annotations

__all__ = [
    "missing_patches",
    "no_cover_letter",
    "no_changelog",
    "has_changelog",
    "without_changelog",
    "version_label_mismatch",
]

import re
from collections.abc import Iterable, Iterator

from reviewpatch.findings import Severity
from reviewpatch.model import Patch, Series
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule
from reviewpatch.subject import parse_subject


def _counters(numbers: Iterable[int]) -> str:
    """``1, 3-5 and 9``: sorted counters, runs of three or more as ranges."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    items: list[str] = []
    for a, b in runs:
        if b - a >= 2:
            items.append(f"{a}-{b}")
        else:
            items.extend(str(n) for n in range(a, b + 1))
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


@rule(id="RP201", name="missing-patches", severity=Severity.ERROR, scope=Scope.SERIES)
def missing_patches(ctx: RuleContext) -> Iterator[Hit]:
    """Some patches of the series are not in the thread.

    What it does
        Reports the counters N/M of the series that no mail of the thread
        carries: an error, or a note when the mails it has went to several
        mailing lists (the others are then likely on another list's
        archive).
    Why it matters
        A reviewer (and this tool) sees only part of the change: code that
        the missing patches add or remove is unknown, and the series cannot
        be applied.  Often the missing patches were sent to other lists
        only.
    Example
        [PATCH v3 0/6], [PATCH v3 2/6] and [PATCH v3 3/6] are in the thread;
        1/6, 4/6, 5/6 and 6/6 are not.
    Use instead
        Fetch the whole thread from an archive that has every patch, or
        send every patch of a series to every list and reviewer of the cover
        letter.
    """
    series = ctx.series
    if not series.missing:
        return
    missing = sorted(set(series.missing))
    noun = "Patch" if len(missing) == 1 else "Patches"
    verb = "is" if len(missing) == 1 else "are"
    lists = _lists(series)
    if len(lists) > 1:
        yield Hit(
            f"{noun} {_counters(missing)} of the {series.total} {verb} not in this thread "
            f"(found {len(series.patches)}); the series went to {len(lists)} lists, so they "
            "may be on another one (an archive of all lists would have them).",
            series_wide=True,
            severity=Severity.NOTE,
        )
        return
    yield Hit(
        f"{noun} {_counters(missing)} of the {series.total} {verb} missing "
        f"from the thread (found {len(series.patches)}).",
        series_wide=True,
    )


def _lists(series: Series) -> set[str]:
    """The mailing lists the series' mails were addressed to."""
    mails = [p.mail for p in series.patches] + ([series.cover.mail] if series.cover else [])
    return {
        p.key
        for m in mails
        for p in (*m.to, *m.cc)
        if p.key.endswith(("@vger.kernel.org", "@kvack.org")) or "@lists." in p.key
    }


@rule(id="RP202", name="no-cover-letter", severity=Severity.WARNING, scope=Scope.SERIES)
def no_cover_letter(ctx: RuleContext) -> Iterator[Hit]:
    """A series of more than one patch has no cover letter.

    What it does
        Fires when the series has two or more patches and no 0/N mail: a
        warning from four patches on, a note for two or three (short
        series often go without one, and many maintainers accept that).
        It stays quiet when patches are missing from the thread: the cover
        letter may be among them (missing-patches reports that).
    Why it matters
        The cover letter explains what the series does as a whole, how the
        patches depend on each other, what changed between versions, and
        gives replies about the whole series a place to go.
    Example
        [PATCH 1/3] ..., [PATCH 2/3] ..., [PATCH 3/3] ... with no
        [PATCH 0/3].
    Use instead
        git format-patch --cover-letter (or b4 prep), and describe the
        series in the 0/N mail.
    """
    series = ctx.series
    count = max(series.total, len(series.patches))
    if series.cover is not None or count < 2 or series.missing:
        return
    yield Hit(
        f"The series has {count} patches but no cover letter (patch 0/{count}).",
        series_wide=True,
        severity=Severity.NOTE if count < _COVER_EXPECTED else None,
    )


_COVER_EXPECTED = 4  # patches from which a missing cover letter is a warning


_VERSION_ARROW = re.compile(
    r"\bv\d+(?:\s?\[\d{1,3}\])?\s*(?:->|-->|=>|\u2192|\u2026|\.{2,3}|to)\s*v\d+\b",
    re.IGNORECASE,
)
_VERSION_HEAD = re.compile(
    r"^[\s\-*#\[(>]*(?:patch\s)?v\d+[\])]?\s*(?:(?:changes?|changelog|updates?)\s*)?(?::|-\s|$)",
    re.IGNORECASE,
)
# "This replaces" above a link to the version it replaces
_REPLACES = re.compile(r"\b(?:replaces|supersedes|replacement\s+for)\b", re.IGNORECASE)
# "This v2 just has a few spelling fixes.": a sentence about this version
# or "v2 is updated to account for feedback from ..." opening a line
_THIS_VERSION = re.compile(
    r"(?:\bthis\s+|^[ \t]*)v\d+\s+(?:just\s+|only\s+)?(?:has|adds|fixes|changes|drops|removes"
    r"|updates|addresses|includes|moves|renames|splits|is\s+updated|is\s+rebased"
    r"|was\s+updated|was\s+rebased)\b",
    re.IGNORECASE,
)
_SINCE = re.compile(
    r"^[\s\-*#\[(]*(?:since|from|vs\.?|compared\s+to)\s+(?:v\d+|(?:the\s+)?rfc)\b"
    # "New in v2:", "New since v1:", "What's new in v3:"
    r"|^[\s\-*#\[(]*(?:what'?s\s+)?new\s+(?:in|since|for|from)\s+v\d+\b",
    re.IGNORECASE,
)
_LOG_HEAD = re.compile(
    r"^[\s\-*#\[(]*(?:summary\s+of\s+)?(?:changes?|changed|changelogs?|change\s*logs?|updates?"
    r"|change\s+history"
    r"|revision\s+history|version\s+history|history)\b(?P<tail>.*)$",
    re.IGNORECASE,
)
_LOG_TAIL = re.compile(
    r"^[\s:\])=\-]*$|.*\bv\d+\b|.*:\s*$"
    r"|\s*(?:since|from|vs\.?|compared\s+(?:to|with))\s+(?:the\s+)?"
    r"(?:previous|last|prior|earlier|original)\b",
    re.IGNORECASE,
)
_PREVIOUS = re.compile(
    r"\b(?:link\s+to|previous|prior|earlier|last|older)\s+(?:v\d+|version|revision|posting"
    r"|series|iteration|submission|round)\b",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://\S+")
# "..., changes are:" / "The changes in this version:" ending a line, and
# "Minor changes from v5, mainly ..." anywhere
_CHANGES_ARE = re.compile(
    r"\bchanges\s+(?:are|were|include|in\s+this\s+(?:version|revision|posting))\s*:\s*$"
    r"|\bchanges?\s+(?:since|from|in|vs\.?|against|over|compared\s+to)\s+v\d+\b"
    # prose: "in this version the changes are ...", "the second version of
    # the patch, which ..."
    r"|\bin\s+this\s+(?:version|revision|iteration|spin|posting|post|v\d+)\b"
    r"|^\s*[-*]?\s*address(?:ed|ing)\s+(?:the\s+)?(?:comments|review|feedback)\b"
    r"|\b(?:version|revision)\s+\d+\b[^:]{0,80}\bchanges?\s*:\s*$"
    r"|\bcompared\s+(?:to|with)\s+v\d+\b"
    r"|\b(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|new)\s+version\s+of\s+"
    r"(?:the|this|my)\s+(?:patch|series|patchset|patch\s+set)\b"
    # "This is the updated version of my ARM set_fs patches, hopefully I
    # managed to address your previous concerns."
    r"|\b(?:this\s+is|here\s+is|here's)\s+(?:the|an|my)\s+updated\s+(?:version|series|patchset)\b"
    r"|\baddress(?:ed)?\s+(?:your|the)\s+(?:previous\s+|earlier\s+)?"
    r"(?:concerns|comments|review|feedback)\b",
    re.IGNORECASE,
)


def _is_log_line(line: str) -> bool:
    if _VERSION_ARROW.search(line) or _VERSION_HEAD.match(line) or _SINCE.match(line):
        return True
    if _THIS_VERSION.search(line) or _CHANGES_ARE.search(line):
        return True
    m = _LOG_HEAD.match(line)
    if m and _LOG_TAIL.match(m.group("tail")):
        return True
    return bool(_PREVIOUS.search(line) and _URL.search(line))


def without_changelog(text: str) -> str:
    """``text`` up to its first changelog line ("Changes since v2:",
    "v1 -> v2"): what follows speaks of one version against another, not
    of the change itself."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _is_log_line(line) and _VERSIONED.search(line):
            return "\n".join(lines[:i])
    return text


_VERSIONED = re.compile(r"\bv\d+\b|\b(?:previous|prior|earlier|last)\b|changelog", re.IGNORECASE)


def has_changelog(text: str) -> bool:
    """Whether ``text`` has a changelog section: "Changes in v2", "v1 -> v2",
    "Changes since v1", "Changelog", "v2:", "Since v1:", or a link to the
    previous version that says what it is."""
    lines = text.splitlines()
    if any(_is_log_line(line) for line in lines):
        return True
    return any(
        _REPLACES.search(line) and any(_URL.search(x) for x in lines[i : i + 4])
        for i, line in enumerate(lines)
    )


def _patch_text(patch: Patch) -> str:
    """The notes below ``---`` and the whole mail text before the diff."""
    head: list[str] = []
    for text in patch.mail.body.splitlines():
        if text.startswith("diff --git "):
            break
        head.append(text)
    return patch.notes + "\n" + "\n".join(head)


@rule(id="RP203", name="no-changelog", severity=Severity.WARNING, scope=Scope.SERIES)
def no_changelog(ctx: RuleContext) -> Iterator[Hit]:
    """A second or later version of a series says nothing of what changed.

    What it does
        For version 2 or later, looks for a changelog in the cover letter
        ("Changes in v2:", "v1 -> v2:", "Changes since v1", "Changelog",
        "v2:", or a link to the previous version with a word on what it is)
        and in the notes below the "---" line of every patch.  One hit for
        the series when there is none anywhere.
    Why it matters
        Reviewers of the previous version need to know what was done with
        their comments without diffing the versions by hand;
        submitting-patches.rst asks for a changelog in every new version.
    Example
        [PATCH v2 0/2] with the same text as v1 and no notes in the patches.
    Use instead
        Changes in v2:
        - Use kzalloc() instead of kmalloc() + memset() (Joe Smith)
        - Link to v1: https://lore.kernel.org/r/<message-id>
    """
    series = ctx.series
    if series.version < 2:
        return
    if all(p.subject.title.startswith(("fixup! ", "squash! ")) for p in series.patches):
        return  # a fixup to fold into a patch under review, not a new version
    if series.cover is not None and has_changelog(series.cover.mail.body):
        return
    if any(has_changelog(_patch_text(p)) for p in series.patches):
        return
    where = (
        "neither the cover letter nor any patch says"
        if series.cover is not None
        else "no patch says (and there is no cover letter)"
    )
    yield Hit(
        f"This is version {series.version} of the series, but {where} what "
        f"changed since version {series.version - 1}.",
        series_wide=True,
    )


@rule(id="RP204", name="version-label-mismatch", severity=Severity.NOTE, scope=Scope.SERIES)
def version_label_mismatch(ctx: RuleContext) -> Iterator[Hit]:
    """Patches labelled with another version than their cover letter.

    What it does
        When patches answer a cover letter with the same ``N/M`` total but
        their subjects name another version (a ``[PATCH v6 00/12]`` cover
        whose patches say ``[PATCH 01/12]``), the series takes them as one
        and reviews them as the cover letter's version; this note lists the
        patches whose label differs.
    Why it matters
        Tools that pick a series by its labels (b4, patchwork) split it in
        two or file the patches under the previous version, and trailers
        collected for one version land on the other.
    Example
        [PATCH v2 0/2] foo: fix the bar
        [PATCH 1/2] foo: ...          (answers the v2 cover letter)
    Use instead
        Label every mail of the series the same: ``git format-patch -v2``.
    """
    series = ctx.series
    wrong: dict[int, list[int]] = {}
    for patch in series.patches:
        label = parse_subject(patch.mail.subject).version
        if label != series.version:
            wrong.setdefault(label, []).append(patch.subject.counter)
    for label, counters in sorted(wrong.items()):
        total = series.total
        shown = _counters(counters)
        yield Hit(
            message=(
                f"patch{'es' if len(counters) > 1 else ''} {shown} of {total} "
                f"{'are' if len(counters) > 1 else 'is'} labelled v{label} but answer"
                f"{'' if len(counters) > 1 else 's'} the v{series.version} cover letter: "
                f"reviewed as v{series.version}"
            ),
            series_wide=True,
        )
