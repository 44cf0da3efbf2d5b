"""The comment and literal masker the C analysis parses through: one
regular-expression pass, checked against a plain character-by-character
reading of the same rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewpatch.csource.prepare import mask_comments


def _reference(lines: list[str]) -> list[str]:
    """The rules spelt out one character at a time: comments become
    spaces (a block comment may span lines), a literal keeps its quotes and
    loses its content up to the closing quote or its line's end."""
    out, in_comment = [], False
    for line in lines:
        chars, i = list(line), 0
        while i < len(chars):
            if in_comment:
                if line.startswith("*/", i):
                    chars[i] = chars[i + 1] = " "
                    in_comment, i = False, i + 2
                else:
                    chars[i], i = " ", i + 1
            elif line.startswith("/*", i):
                chars[i] = chars[i + 1] = " "
                in_comment, i = True, i + 2
            elif line.startswith("//", i):
                chars[i:] = [" "] * (len(chars) - i)
                break
            elif chars[i] in "\"'":
                quote, i = chars[i], i + 1
                while i < len(chars) and chars[i] != quote:
                    step = 2 if chars[i] == "\\" else 1
                    for k in range(i, min(i + step, len(chars))):
                        chars[k] = " "
                    i += step
                i += 1
            else:
                i += 1
        out.append("".join(chars))
    return out


C_BITS = st.text(alphabet=list("\"'\\/*ab ;\t{}()#x0"), max_size=40)


@settings(max_examples=600, deadline=None)
@given(st.lists(C_BITS, max_size=6))
def test_mask_matches_the_rules_read_one_character_at_a_time(lines: list[str]) -> None:
    assert mask_comments(lines) == _reference(lines)


def test_mask_keeps_code_and_positions() -> None:
    lines = [
        'printk("a /* not a comment */ b"); /* gone',
        " still gone */ x = '\\''; // tail",
        'y = "esc \\" quote";',
    ]
    got = mask_comments(lines)
    assert [len(g) for g in got] == [len(x) for x in lines]
    assert got[0].startswith('printk("') and "comment" not in got[0] and "gone" not in got[0]
    assert got[1].strip().startswith("x = '") and "tail" not in got[1] and "gone" not in got[1]
    assert got[2] == 'y = "' + " " * 12 + '";'
