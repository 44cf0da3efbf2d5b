"""Bounded time on hostile input: every parser is linear in the length of a
line, and every pass over a thread, a diff or a report is linear in its
size.

Nothing here asserts a duration.  Each check runs in a child process with a
generous timeout; the inputs are sized so that a pattern that backtracks, or
a pass that is quadratic, would take minutes and so overrun it clearly.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from reviewpatch import review
from reviewpatch.cli import Environment, main
from reviewpatch.config import load_config, parse_limit
from reviewpatch.errors import ConfigError
from reviewpatch.findings import Report
from reviewpatch.settings import Limits, Settings

TIMEOUT = 90  # seconds, to catch a hang; a linear pass takes well under 1 s, a
# quadratic or backtracking one over these inputs minutes

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
        from reviewpatch.render.reply import _REPLY_PREFIX, reply_subject
        from reviewpatch.subject import _BARE_TAG, _REPLY, parse_subject, strip_reply_prefixes
        for s in SHAPES:
            for text in (s, "Re" + s + ": x", "[PATCH" + s + "] x", "PATCH" + s, "[" + s):
                parse_subject(text)
                strip_reply_prefixes(text)
                reply_subject(text)
                # the patterns as such, before any folding of blanks
                _REPLY.match(text), _BARE_TAG.match(text), _REPLY_PREFIX.sub("", text)
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


# --- the documented limits: past one, the rest is reviewed and a note says
# what was left out --------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
COVER3 = ROOT / "fixtures" / "threads" / "cover-3.mbox"


def _patch_mail(number: int, files: int = 1, body_lines: int = 1, msgid: str = "") -> str:
    """``[PATCH number/3]`` changing ``files`` files, each with a hunk of
    ``body_lines`` added lines."""
    diff = "".join(
        f"diff --git a/f{n}.c b/f{n}.c\n--- a/f{n}.c\n+++ b/f{n}.c\n"
        f"@@ -1 +1,{body_lines + 1} @@\n a\n" + "".join(f"+x{k};\n" for k in range(body_lines))
        for n in range(files)
    )
    return (
        f"From: A <a@example.org>\nSubject: [PATCH {number}/3] x: change {number}\n"
        f"Message-ID: <{msgid or f'p{number}@example.org'}>\n"
        f"Date: Mon, 3 Mar 2025 10:0{number}:00 +0000\n\n"
        f"Change {number}.\n\nSigned-off-by: A <a@example.org>\n---\n{diff}"
    )


def _reply(number: int, body: str = "Looks fine.\n", msgid: str = "") -> str:
    return (
        f"From: R <r@example.org>\nSubject: Re: [PATCH 1/3] x: change 1\n"
        f"Message-ID: <{msgid or f'r{number}@example.org'}>\nIn-Reply-To: <p1@example.org>\n"
        f"Date: Mon, 3 Mar 2025 11:{number:02d}:00 +0000\n\n{body}"
    )


def _mbox(*mails: str) -> bytes:
    return "".join(f"From x Mon Mar  3 10:00:00 2025\n{m}\n" for m in mails).encode()


def _review(path: Path, *limits: str) -> Report:
    settings = Settings()
    for text in limits:
        settings = replace(settings, limits=parse_limit(text, settings.limits))
    return review(str(path), settings)


def _rp002(report: Report) -> list[str]:
    return [f.message for f in report.findings if f.rule_id == "RP002"]


def test_limits_from_configuration_and_command_line(tmp_path: Path) -> None:
    conf = tmp_path / ".reviewpatch.toml"
    conf.write_text("[limits]\nmails = 50\nmail-bytes = 2_000\n")
    settings = load_config(conf)
    assert (settings.limits.mails, settings.limits.mail_bytes) == (50, 2000)
    assert settings.limits.files == Limits().files
    for bad in ("[limits]\nmailz = 3\n", "[limits]\nmails = 0\n", '[limits]\nmails = "3"\n'):
        conf.write_text(bad)
        with pytest.raises(ConfigError, match="limits.mail"):
            load_config(conf)
    assert parse_limit("files=1_000", Limits()).files == 1000
    for bad in ("files", "files=", "files=-1", "nope=3", "files=1e3"):
        with pytest.raises(ConfigError, match="--limit"):
            parse_limit(bad, Limits())
    conf.unlink()
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(b""), stdout=out, stderr=err, environ={}, cwd=tmp_path)
    assert main([str(COVER3), "--limit", "mails=x"], env) == 2
    assert err.getvalue().count("\n") == 1 and "--limit mails=x" in err.getvalue()
    assert main([str(COVER3), "--limit", "files=1", "-q", "--fail-on", "error"], env) == 0


def test_defaults_leave_real_series_alone() -> None:
    limits = Limits()
    assert limits.mails >= 5_000 and limits.files >= 5_000
    assert limits.hunk_lines >= 50_000 and limits.line_bytes >= 20_000
    assert limits.mail_bytes >= 5_000_000 and limits.decompressed_bytes >= 100_000_000
    report = _review(COVER3)
    assert _rp002(report) == [] and len(report.series.patches) == 3


def test_mails_past_the_limit_keep_the_patches(tmp_path: Path) -> None:
    path = tmp_path / "t.mbox"
    replies = [_reply(n) for n in range(10)]
    path.write_bytes(_mbox(*replies[:5], _patch_mail(1), _patch_mail(2), *replies[5:]))
    report = _review(path, "mails=4")
    assert [p.index for p in report.series.patches] == [1, 2]
    (message,) = _rp002(report)
    assert "limit mails" in message and "8 mail(s) were left out" in message
    assert "r2@example.org" in message  # the first mail left out
    assert all(p.skipped for p in report.series.problems)
    # a limit reached is said as a note, not a warning about the input
    assert {f.severity.value for f in report.findings if f.rule_id == "RP002"} == {"note"}


def test_a_mail_past_the_byte_limit_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "t.mbox"
    path.write_bytes(_mbox(_patch_mail(1), _reply(1, "x" * 5000 + "\n"), _patch_mail(2)))
    report = _review(path, "mail-bytes=3000")
    assert [p.index for p in report.series.patches] == [1, 2]
    (message,) = _rp002(report)
    assert "t.mbox:2" in message and "r1@example.org" in message and "limit mail-bytes" in message


def test_files_hunks_and_lines_past_their_limits(tmp_path: Path) -> None:
    path = tmp_path / "t.mbox"
    wide = _patch_mail(3).replace("+x0;", "+" + "y" * 300 + ";")
    path.write_bytes(_mbox(_patch_mail(1, files=5), _patch_mail(2, body_lines=50), wide))
    report = _review(path, "files=3", "hunk-lines=20", "line-bytes=200")
    one, two, three = report.series.patches
    assert [f.path for f in one.files] == ["f0.c", "f1.c", "f2.c"]
    assert two.files == () and three.files == ()
    messages = _rp002(report)
    assert len(messages) == 3
    assert "5 files" in messages[0] and "after f2.c" in messages[0] and "limit files" in messages[0]
    assert "f0.c" in messages[1] and "51 lines" in messages[1] and "limit hunk-lines" in messages[1]
    assert "f0.c" in messages[2] and "301 characters" in messages[2]
    assert "patch 2/3" in messages[1] and "p2@example.org" in messages[1]


def test_decompressed_bytes_past_the_limit(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "0001-a.patch").write_text(_patch_mail(1))
    (folder / "0002-b.patch.gz").write_bytes(gzip.compress(_patch_mail(2).encode() * 50))
    report = _review(folder, "decompressed-bytes=10000")
    assert [p.index for p in report.series.patches] == [1]
    (message,) = _rp002(report)
    assert "0002-b.patch.gz" in message and "limit decompressed-bytes" in message
    assert str(tmp_path) not in message


# --- nothing lost -----------------------------------------------------------


def test_a_truncated_patch_gz_in_a_directory_loses_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "outgoing"
    folder.mkdir()
    (folder / "0001-a.patch").write_text(_patch_mail(1))
    (folder / "0002-b.patch.gz").write_bytes(gzip.compress(_patch_mail(2).encode())[:60])
    (folder / "0003-c.patch.gz").write_bytes(gzip.compress(_patch_mail(3).encode()))
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(b""), stdout=out, stderr=err, environ={}, cwd=tmp_path)
    code = main([str(folder), "--format", "json"], env)
    assert code in (0, 1), err.getvalue()
    doc = json.loads(out.getvalue())
    assert [p["index"] for p in doc["series"]["patches"]] == [1, 3]
    messages = [f["message"] for f in doc["findings"] if f["rule_id"] == "RP002"]
    assert any("0002-b.patch.gz" in m and "gzip" in m for m in messages), messages


def test_a_truncated_mbox_gz_is_reviewed_up_to_the_damage(tmp_path: Path) -> None:
    whole = gzip.compress(_mbox(_patch_mail(1), _patch_mail(2), _patch_mail(3)))
    path = tmp_path / "t.mbox.gz"
    path.write_bytes(whole[: len(whole) - 40])
    report = _review(path)
    assert 1 in [p.index for p in report.series.patches]
    assert any("t.mbox.gz" in m and "truncated" in m for m in _rp002(report))


def test_a_damaged_mail_inside_an_mbox_loses_nothing_else(tmp_path: Path) -> None:
    cut = _patch_mail(2, body_lines=3).rsplit("+x1;", 1)[0]  # the hunk ends early
    path = tmp_path / "t.mbox"
    path.write_bytes(_mbox(_patch_mail(1), cut, "\x00\xff garbage\n", _patch_mail(3)))
    report = _review(path)
    assert [p.index for p in report.series.patches] == [1, 3]
    messages = _rp002(report)
    assert any("patch 2/3" in m and "f0.c" in m for m in messages), messages
    assert report.series.missing == ()


def test_a_reply_with_the_patch_message_id_does_not_replace_the_patch(tmp_path: Path) -> None:
    path = tmp_path / "t.mbox"
    clash = _reply(1, "Applied, thanks.\n", msgid="p1@example.org")
    path.write_bytes(_mbox(clash, _patch_mail(1), _patch_mail(2), _patch_mail(3)))
    report = _review(path)
    assert [p.index for p in report.series.patches] == [1, 2, 3]
    assert report.series.patches[0].mail.subject.startswith("[PATCH 1/3]")
    (problem,) = report.series.problems
    assert problem.skipped and "p1@example.org" in problem.message
    assert "Re: [PATCH 1/3]" in problem.message and "left out" in problem.message
