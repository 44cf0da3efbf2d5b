"""Bounded time on hostile input: every parser is linear in the length of a
line, and every pass over a thread, a diff or a report is linear in its
size.

Nothing here asserts a duration.  Each check runs in a child process with a
generous timeout; the inputs are sized so that a pattern that backtracks, or
a pass that is quadratic, would take minutes and so overrun it clearly.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

TIMEOUT = 20  # seconds; a linear pass over these inputs takes well under 1 s

# 100,000-character runs of the characters that make patterns backtrack:
# blanks, tabs, word characters, brackets and at-signs; each in a few
# shapes (alone, between words, before an odd last character)
PRELUDE = """
RUN = 100_000
CHARS = (" ", "\\t", "a", "(", "<", "@")
def shapes(ch):
    run = ch * RUN
    return (run, "x" + run + "y", run + "y", "a " + run + "!", run + ":", "x:" + run + "z")
SHAPES = [s for ch in CHARS for s in shapes(ch)]
"""


def _bounded(code: str) -> None:
    """Run ``code`` (after PRELUDE) in a child Python; it must finish in
    TIMEOUT seconds without an error."""
    script = PRELUDE + textwrap.dedent(code)
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {TIMEOUT} s: a pass is not linear")
    assert done.returncode == 0, done.stderr[-2000:]


def test_addresses_are_linear() -> None:
    _bounded(
        """
        from reviewpatch.addresses import parse_person, split_addresses
        for s in SHAPES:
            parse_person(s)
            parse_person("Name " + s + " <a@example.org>")
            parse_person(s + " at example.org")
            parse_person(s + "@")
            split_addresses(s + ", " + s)
        """
    )


def test_mail_headers_are_linear() -> None:
    _bounded(
        """
        from reviewpatch.mail import parse_address_list, parse_mail, decode_header_value
        for s in SHAPES:
            parse_address_list(s + ", b@example.org")
            decode_header_value("=?utf-8?q?" + s + "?= " + s)
            raw = (
                "From: " + s + "\\nTo: " + s + "\\nCc: " + s + "\\nSubject: " + s
                + "\\nMessage-ID: <" + s + ">\\nIn-Reply-To: " + s + "\\nReferences: " + s
                + "\\nDate: " + s + "\\n\\n" + s + "\\n"
            )
            parse_mail(raw.encode("utf-8"), "m")
        """
    )


def test_subjects_are_linear() -> None:
    _bounded(
        """
        from reviewpatch.subject import parse_subject, strip_reply_prefixes
        for s in SHAPES:
            for text in (s, "Re" + s + ": x", "[PATCH" + s + "] x", "PATCH" + s, "[" + s):
                parse_subject(text)
                strip_reply_prefixes(text)
        """
    )


def test_trailers_are_linear() -> None:
    _bounded(
        """
        from reviewpatch.model import Mail, Person
        from reviewpatch.trailers import find_trailer_block, followup_trailers
        from reviewpatch.trailers import parse_trailer_block, person_from_value
        for s in SHAPES:
            lines = [
                "Fix.", "",
                "Signed-off-by: a" + s + "b",
                "Reviewed-by: " + s,
                "Acked-by: Name" + s + "<a@example.org>" + s,
                s, "[" + s, "(cherry picked from " + s,
            ]
            find_trailer_block(lines)
            parse_trailer_block(lines, "m", 1, None)
            person_from_value(s)
            body = "\\n".join(lines)
            followup_trailers(Mail("r", "Re: x", Person("", ""), "", None, (), body))
        """
    )


def test_patch_message_and_notes_are_linear() -> None:
    _bounded(
        """
        from reviewpatch.model import Mail, Person
        from reviewpatch.patch import is_diffstat_line, parse_patch
        from reviewpatch.subject import parse_subject
        diff = "diff --git a/x.c b/x.c\\n--- a/x.c\\n+++ b/x.c\\n@@ -1 +1 @@\\n-a\\n+b\\n"
        for s in SHAPES:
            is_diffstat_line(s)
            is_diffstat_line("x" + s + "| 3 ++-")
            body = (
                "From: " + s + "\\nSubject: " + s + "\\n\\nFix " + s + "\\n\\n"
                "Signed-off-by: A <a@example.org>\\n---\\nChanges in v2:" + s + "\\n"
                + s + "\\n x" + s + "| 2 +-\\n -- >8 --" + s + "\\nbase-commit: " + s + "\\n"
                + diff
            )
            mail = Mail("p", "[PATCH v2] x", Person("A", "a@example.org"), "", None, (), body)
            parse_patch(mail, parse_subject(mail.subject))
        """
    )


def test_diffs_are_linear() -> None:
    _bounded(
        """
        from reviewpatch.diff import parse_diff
        from reviewpatch.errors import ParseError
        for s in SHAPES:
            for text in (
                "diff --git a/" + s + " b/" + s + "\\n--- a/" + s + "\\n+++ b/" + s + "\\n"
                "@@ -1 +1 @@" + s + "\\n-" + s + "\\n+" + s + "\\n",
                "--- a/x" + s + "\\n+++ b/x" + s + "\\n@@ -1 +1 @@\\n-a\\n+b\\n" + "\\\\" * 3 + s,
            ):
                try:
                    parse_diff(text, 1)
                except ParseError:
                    pass
        """
    )


def test_series_assembly_of_hostile_lines_is_linear() -> None:
    _bounded(
        """
        from reviewpatch.model import Mail, Person
        from reviewpatch.series import assemble_series
        diff = "diff --git a/x.c b/x.c\\n--- a/x.c\\n+++ b/x.c\\n@@ -1 +1 @@\\n-a\\n+b\\n"
        for s in SHAPES:
            body = "Fix.\\n\\nSigned-off-by: " + s + "\\n---\\nChanges" + s + "\\n" + diff
            patch = Mail("p", "[PATCH v2] " + s, Person("A", "a@example.org"), "", None, (), body)
            reply = Mail("r", "Re: " + s, Person("", s), "", "p", ("p", s), "Acked-by: " + s)
            assemble_series((patch, reply))
        """
    )


@pytest.mark.skip(reason="RP203's changelog patterns backtrack over blanks (rules/series.py)")
def test_changelog_detection_is_linear() -> None:
    _bounded(
        """
        from reviewpatch.rules.series import has_changelog, without_changelog
        for s in SHAPES:
            for line in ("Changes" + s, "v1" + s + "-> v2", "since" + s, "Changelog:" + s):
                has_changelog(line)
                without_changelog(line)
        """
    )


def test_thread_of_20000_replies_is_linear() -> None:
    """A chain of 20,000 replies (each answering the one before) and a flat
    thread of 20,000 answers to one patch."""
    _bounded(
        """
        from reviewpatch.model import Mail, Person
        from reviewpatch.series import assemble_series
        from reviewpatch.thread import build_thread
        who = Person("A", "a@example.org")
        body = "Fix.\\n\\nSigned-off-by: A <a@example.org>\\n---\\n"
        body += "diff --git a/x.c b/x.c\\n--- a/x.c\\n+++ b/x.c\\n@@ -1 +1 @@\\n-a\\n+b\\n"
        patch = Mail("p", "[PATCH] x", who, "", None, (), body, timestamp=0.0)
        for chain in (True, False):
            mails = [patch]
            for i in range(20_000):
                parent = mails[-1].msgid if chain else "p"
                reply = Mail(f"r{i}", "Re: x", who, "", parent, ("p", parent),
                             "Reviewed-by: B <b@example.org>", timestamp=float(i))
                mails.append(reply)
            # a loop of 10,000 mails answering each other, and a long tail into it
            loop = [Mail(f"l{i}", "Re: x", who, "", f"l{(i + 1) % 10_000}", (), "")
                    for i in range(10_000)]
            thread = build_thread(mails + loop)
            assert len(thread.roots) == 2
            series = assemble_series(tuple(mails))
            assert len(series.patches[0].replies) == 20_000
        """
    )


def test_diff_of_10000_files_and_a_new_file_of_50000_lines_is_linear() -> None:
    _bounded(
        """
        from reviewpatch.diff import parse_diff
        files = "".join(
            f"diff --git a/f{i}.c b/f{i}.c\\nindex 1111111..2222222 100644\\n"
            f"--- a/f{i}.c\\n+++ b/f{i}.c\\n@@ -1,3 +1,3 @@\\n a\\n-b\\n+c\\n d\\n"
            for i in range(10_000)
        )
        assert len(parse_diff(files, 1)) == 10_000
        new = (
            "diff --git a/n.c b/n.c\\nnew file mode 100644\\nindex 0000000..2222222\\n"
            "--- /dev/null\\n+++ b/n.c\\n@@ -0,0 +1,50000 @@\\n"
            + "".join(f"+int x{i};\\n" for i in range(50_000))
        )
        (new_file,) = parse_diff(new, 1)
        assert new_file.added == 50_000
        markers = "--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n+b\\n" + "\\\\ marker\\n" * 100_000
        parse_diff(markers, 1)
        """
    )


def test_colouring_of_a_5_mb_line_is_linear() -> None:
    _bounded(
        """
        from reviewpatch.model import DiffLine, Hunk, LineKind
        from reviewpatch.render.diffview import c_spans, line_spans
        for piece in ("a b ", "if (x) ", "/* ", "\\"a\\\\\\"", "1 ", "#"):
            text = piece * (5_000_000 // len(piece))
            spans, _ = c_spans(text)
            assert "".join(s.text for s in spans) == text
            spans, _ = c_spans(text[:19_000])  # coloured: one span per run of a class
            assert "".join(s.text for s in spans) == text[:19_000]
        lines = tuple(
            DiffLine(LineKind.ADDED, f"\\tint x{i} = {i}; /* {i} */", None, i, i)
            for i in range(1, 50_001)
        )
        hunk = Hunk(0, 0, 1, 50_000, "", lines, 1)
        assert len(line_spans("a.c", hunk)) == 50_000
        """
    )
