"""One trailer vocabulary: the parser, the rules and the renderers read
the same names (they once kept three tables that disagreed)."""

from __future__ import annotations

from reviewpatch import trailers, vocabulary
from reviewpatch.render import viewmodel
from reviewpatch.rules import trailer_util


def test_every_table_comes_from_the_vocabulary() -> None:
    names = set(vocabulary.canonical_names())
    assert trailers.CANONICAL_NAMES == vocabulary.canonical_names()
    assert trailers.PERSON_TRAILERS <= names and trailers.REVIEW_TRAILERS <= names
    assert trailer_util.KNOWN_TRAILERS == vocabulary.canonical_names()
    assert trailer_util.PERSON_TRAILERS == {n.lower() for n in trailers.PERSON_TRAILERS}
    assert trailer_util.ATTESTING_TRAILERS <= trailer_util.PERSON_TRAILERS
    assert viewmodel.REVIEW_TRAILERS == vocabulary.vouching()
    assert vocabulary.vouching() <= vocabulary.attesting()


def test_bisected_by_is_a_person_trailer_everywhere() -> None:
    assert "Bisected-by" in trailers.PERSON_TRAILERS
    assert "bisected-by" in trailer_util.PERSON_TRAILERS
    assert trailers.canonical_name("bisected-BY") == "Bisected-by"


def test_names_are_unique_case_insensitively() -> None:
    lower = [n.lower() for n in vocabulary.canonical_names()]
    assert len(lower) == len(set(lower))
