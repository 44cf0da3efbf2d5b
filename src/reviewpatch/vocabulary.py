"""The trailer vocabulary, in one table: every trailer name the project
knows, its canonical spelling, and what it means (names a person, counts
when given in a reply, vouches for the patch, credits a report).  The
parser (``reviewpatch.trailers``), the rules and the renderers all read
their name sets from here."""

from __future__ import annotations

__all__ = [
    "TRAILERS",
    "TrailerKind",
    "attesting",
    "canonical_names",
    "collected",
    "person_names",
    "reported",
    "vouching",
]

from dataclasses import dataclass


@dataclass(frozen=True)
class TrailerKind:
    """One trailer name.  ``person``: its value names a person;
    ``collected``: it counts when a reviewer gives it in a reply (as b4
    collects it); ``attests``: the person named vouches for the patch
    themselves; ``reports``: it credits who reported the problem;
    ``vouches``: a review tag proper (counted as such in reports)."""

    name: str
    person: bool = False
    collected: bool = False
    attests: bool = False
    reports: bool = False
    vouches: bool = False


TRAILERS: tuple[TrailerKind, ...] = (
    TrailerKind("Signed-off-by", person=True),
    TrailerKind("Co-developed-by", person=True),
    TrailerKind("Reviewed-by", person=True, collected=True, attests=True, vouches=True),
    TrailerKind("Acked-by", person=True, collected=True, attests=True, vouches=True),
    TrailerKind("Tested-by", person=True, collected=True, attests=True, vouches=True),
    TrailerKind("Reviewed-and-tested-by", person=True, collected=True, attests=True, vouches=True),
    TrailerKind("Nacked-by", person=True, collected=True, attests=True),
    TrailerKind("Reported-by", person=True, collected=True, reports=True),
    TrailerKind("Reported-and-tested-by", person=True, reports=True),
    TrailerKind("Suggested-by", person=True, collected=True),
    TrailerKind("Requested-by", person=True),
    TrailerKind("Debugged-by", person=True),
    TrailerKind("Bisected-by", person=True),
    TrailerKind("Analyzed-by", person=True),
    TrailerKind("Helped-by", person=True),
    TrailerKind("Originally-by", person=True),
    TrailerKind("Based-on-patch-by", person=True),
    TrailerKind("Cc", person=True),
    TrailerKind("Assisted-by"),  # a tool, not a person
    TrailerKind("Fixes"),
    TrailerKind("Link"),
    TrailerKind("Closes"),
    TrailerKind("BugLink"),
    TrailerKind("Message-ID"),
    TrailerKind("Depends-on"),
    TrailerKind("base-commit"),
    TrailerKind("change-id"),
    TrailerKind("prerequisite-patch-id"),
)


def canonical_names() -> tuple[str, ...]:
    """Every known trailer name in its canonical spelling."""
    return tuple(k.name for k in TRAILERS)


def person_names() -> frozenset[str]:
    """Trailers whose value names a person (canonical spelling)."""
    return frozenset(k.name for k in TRAILERS if k.person)


def collected() -> frozenset[str]:
    """Trailers that count when given in a reply (canonical spelling)."""
    return frozenset(k.name for k in TRAILERS if k.collected)


def attesting() -> frozenset[str]:
    """Trailers by which the person named vouches for the patch (lower case)."""
    return frozenset(k.name.lower() for k in TRAILERS if k.attests)


def reported() -> frozenset[str]:
    """Trailers that credit a report (lower case)."""
    return frozenset(k.name.lower() for k in TRAILERS if k.reports)


def vouching() -> frozenset[str]:
    """The review tags proper, counted as reviews in reports (lower case)."""
    return frozenset(k.name.lower() for k in TRAILERS if k.vouches)
