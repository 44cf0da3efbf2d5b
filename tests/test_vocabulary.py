"""One trailer vocabulary: the parser, the rules and the renderers read
the same names (they once kept three tables that disagreed)."""

from __future__ import annotations

from reviewpatch import trailers, vocabulary
from reviewpatch.render import viewmodel
from reviewpatch.rules import trailer_util


def test_every_table_comes_from_the_vocabulary() -> None:
    names = set(vocabulary.canonical_names())
    known = vocabulary.canonical_names()
    assert known == trailers.CANONICAL_NAMES
    assert known == trailer_util.KNOWN_TRAILERS
    assert names.issuperset(trailers.PERSON_TRAILERS)
    assert names.issuperset(trailers.REVIEW_TRAILERS)
    lowered = {n.lower() for n in trailers.PERSON_TRAILERS}
    assert lowered == trailer_util.PERSON_TRAILERS
    assert trailer_util.PERSON_TRAILERS.issuperset(trailer_util.ATTESTING_TRAILERS)
    assert vocabulary.vouching() == viewmodel.REVIEW_TRAILERS
    assert vocabulary.vouching() <= vocabulary.attesting()


def test_bisected_by_is_a_person_trailer_everywhere() -> None:
    assert "Bisected-by" in trailers.PERSON_TRAILERS
    assert "bisected-by" in trailer_util.PERSON_TRAILERS
    assert trailers.canonical_name("bisected-BY") == "Bisected-by"


def test_names_are_unique_case_insensitively() -> None:
    lower = [n.lower() for n in vocabulary.canonical_names()]
    assert len(lower) == len(set(lower))
