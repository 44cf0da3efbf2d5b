"""Subject line parsing."""

from __future__ import annotations

import pytest

from reviewpatch.subject import parse_subject, strip_reply_prefixes

# text, title, version, version_explicit, counter, total, counter_explicit, prefixes, flags
CASES = [
    ("[PATCH v16 11/18] arm64: x", "arm64: x", 16, True, 11, 18, True, (), ""),
    ("[PATCH -next V17 4/7] mm: y", "mm: y", 17, True, 4, 7, True, ("-next",), ""),
    ("[PATCH net-next v3 2/5] net: z", "net: z", 3, True, 2, 5, True, ("net-next",), ""),
    ("[RFC PATCH v2 0/3] a: b", "a: b", 2, True, 0, 3, True, ("RFC",), "rfc"),
    ("[PATCH RESEND] foo", "foo", 1, False, 1, 1, False, ("RESEND",), "resend"),
    ("[PATCH RESEND v2 1/2] foo", "foo", 2, True, 1, 2, True, ("RESEND",), "resend"),
    ("PATCHv3 foo: bar", "foo: bar", 3, True, 1, 1, False, (), ""),
    ("[PATCHv3 1/4] foo", "foo", 3, True, 1, 4, True, (), ""),
    ("[PATCH 1/2] foo", "foo", 1, False, 1, 2, True, (), ""),
    ("[PATCH] foo", "foo", 1, False, 1, 1, False, (), ""),
    ("[RFC][PATCH v2 3/4] foo", "foo", 2, True, 3, 4, True, ("RFC",), "rfc"),
    ("[PATCH v2 01/18] foo", "foo", 2, True, 1, 18, True, (), ""),
    ("[PATCH 6.1.y 2/3] foo", "foo", 1, False, 2, 3, True, ("6.1.y",), ""),
]


@pytest.mark.parametrize(
    "text,title,version,vexp,counter,total,cexp,prefixes,flags", CASES, ids=[c[0] for c in CASES]
)
def test_subject_table(
    text: str,
    title: str,
    version: int,
    vexp: bool,
    counter: int,
    total: int,
    cexp: bool,
    prefixes: tuple[str, ...],
    flags: str,
) -> None:
    s = parse_subject(text)
    assert s.title == title
    assert (s.version, s.version_explicit) == (version, vexp)
    assert (s.counter, s.total, s.counter_explicit) == (counter, total, cexp)
    assert s.prefixes == prefixes
    assert s.is_patch
    assert not s.is_reply
    assert s.is_rfc == ("rfc" in flags)
    assert s.is_resend == ("resend" in flags)


@pytest.mark.parametrize(
    "text",
    [
        "Re: [PATCH v2 1/3] foo",
        "RE: [PATCH v2 1/3] foo",
        "Aw: [PATCH v2 1/3] foo",
        "AW: [PATCH v2 1/3] foo",
        "Fwd: [PATCH v2 1/3] foo",
        "Re: Re: AW: [PATCH v2 1/3] foo",
        "Re[2]: [PATCH v2 1/3] foo",
    ],
)
def test_reply_prefixes(text: str) -> None:
    s = parse_subject(text)
    assert s.is_reply
    assert (s.version, s.counter, s.total, s.title) == (2, 1, 3, "foo")


def test_folded_subject_collapses_whitespace() -> None:
    s = parse_subject('Re: [PATCH v4 1/3] init: remove "load_ramdisk" and\n\t "prompt_ramdisk"')
    assert s.title == 'init: remove "load_ramdisk" and "prompt_ramdisk"'
    assert s.raw.startswith("Re: [PATCH v4 1/3]") and "\n" not in s.raw


def test_non_patch_subjects() -> None:
    assert not parse_subject("Patch management in 2026").is_patch
    assert parse_subject("Patch management in 2026").title == "Patch management in 2026"
    pull = parse_subject("[GIT PULL] arm64 fixes for 7.1")
    assert not pull.is_patch and pull.prefixes == ("GIT", "PULL")
    assert not parse_subject("Re: hello").is_patch


def test_bracket_words_after_tag_are_kept_in_title() -> None:
    s = parse_subject("[PATCH v2] foo: handle [bar] correctly")
    assert s.title == "foo: handle [bar] correctly"


def test_strip_reply_prefixes() -> None:
    assert strip_reply_prefixes("Re: Fwd:  x  y") == ("x y", True)
    assert strip_reply_prefixes("Reply hazy") == ("Reply hazy", False)
