"""Tests of reviewpatch.diff: diff text -> FileDiff values."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewpatch.diff import diff_end, parse_diff, unquote_path
from reviewpatch.errors import ParseError
from reviewpatch.model import FileDiff, LineKind

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "patches"


def _diff_of(name: str) -> tuple[list[str], int]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("diff --git "))
    return lines, first


@pytest.fixture(name="kinds")
def kinds_files() -> tuple[list[str], dict[str, FileDiff]]:
    lines, first = _diff_of("diff-kinds.patch")
    files = parse_diff("\n".join(lines[first:]), first + 1)
    return lines, {f.path: f for f in files}


def test_every_file_is_found(kinds: tuple[list[str], dict[str, FileDiff]]) -> None:
    _, files = kinds
    assert sorted(files) == sorted(
        [
            "blob.bin",
            "keep.c",
            "nonl.txt",
            "old.c",
            "renamed.c",
            "renamed2.c",
            "sp ace.c",
            "img.png",
            "tést.c",
            "tool.sh",
        ]
    )


def test_binary_files(kinds: tuple[list[str], dict[str, FileDiff]]) -> None:
    _, files = kinds
    assert files["blob.bin"].is_binary and files["blob.bin"].hunks == ()
    assert files["blob.bin"].old_blob == "8352675d67aed6625ece79af41c27fdb4ee2e867"
    assert files["img.png"].is_binary
    assert (files["img.png"].old_blob, files["img.png"].new_blob) == ("1111111", "2222222")
    assert not files["keep.c"].is_binary


def test_new_deleted_renamed(kinds: tuple[list[str], dict[str, FileDiff]]) -> None:
    _, files = kinds
    new = files["sp ace.c"]
    assert new.is_new and not new.is_deleted and new.old_path == "sp ace.c"
    assert new.old_blob == "0000000" and new.added == 1
    gone = files["old.c"]
    assert gone.is_deleted and gone.path == "old.c" and gone.removed == 1
    pure = files["renamed.c"]
    assert pure.is_rename and pure.old_path == "moved.c" and pure.hunks == ()
    edited = files["renamed2.c"]
    assert edited.is_rename and edited.old_path == "moved2.c"
    assert (edited.added, edited.removed) == (1, 1)
    assert not files["keep.c"].is_rename


def test_mode_change_and_quoted_path(kinds: tuple[list[str], dict[str, FileDiff]]) -> None:
    _, files = kinds
    assert files["tool.sh"].hunks == () and not files["tool.sh"].is_rename
    assert files["tést.c"].added == 1
    assert unquote_path('"b/t\\303\\251st.c"') == "tést.c"
    assert unquote_path("/dev/null") == "/dev/null"


def test_no_newline_marker_is_not_a_line(kinds: tuple[list[str], dict[str, FileDiff]]) -> None:
    _, files = kinds
    keep = files["keep.c"].hunks[0]
    assert [ln.kind for ln in keep.lines] == [
        LineKind.CONTEXT,
        LineKind.REMOVED,
        LineKind.REMOVED,
        LineKind.ADDED,
        LineKind.ADDED,
    ]
    texts = [ln.text for f in files.values() for h in f.hunks for ln in h.lines]
    assert all("No newline" not in text for text in texts)
    nonl = files["nonl.txt"].hunks[0].lines
    assert [(ln.kind, ln.old_no, ln.new_no) for ln in nonl] == [
        (LineKind.REMOVED, 1, None),
        (LineKind.ADDED, None, 1),
    ]


def test_mail_lines_point_at_the_body(kinds: tuple[list[str], dict[str, FileDiff]]) -> None:
    lines, files = kinds
    for fdiff in files.values():
        assert lines[fdiff.mail_line - 1].startswith("diff --git ")
        for hunk in fdiff.hunks:
            assert lines[hunk.mail_line - 1].startswith("@@ ")
            for line in hunk.lines:
                assert lines[line.mail_line - 1] == line.kind.value + line.text


def test_signature_ends_the_diff() -> None:
    text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n-- \n2.34.1\n"
    files = parse_diff(text, 5)
    assert files[0].added == 1 and files[0].removed == 1
    assert files[0].hunks[0].lines[-1].mail_line == 11
    assert diff_end(text.split("\n")) == 7


def test_b4_separator_right_after_the_last_hunk() -> None:
    text = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n---\nbase-commit: 0123456\n"
    (fdiff,) = parse_diff(text, 1)
    assert (fdiff.added, fdiff.removed) == (1, 1)


def test_removed_line_that_looks_like_a_signature() -> None:
    # "-- " inside a hunk is a removed line whose text is "- ".
    text = "diff --git a/r.md b/r.md\n--- a/r.md\n+++ b/r.md\n@@ -1,2 +1,1 @@\n-- \n keep\n"
    (fdiff,) = parse_diff(text, 1)
    assert [ln.text for ln in fdiff.hunks[0].lines] == ["- ", "keep"]


def test_blank_context_line_stripped_by_mail() -> None:
    text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n"
    (fdiff,) = parse_diff(text, 1)
    assert [(ln.kind, ln.old_no, ln.new_no) for ln in fdiff.hunks[0].lines][1] == (
        LineKind.CONTEXT,
        2,
        2,
    )


def test_plain_diff_without_git_header() -> None:
    text = "--- a/x.c\n+++ b/x.c\n@@ -3 +3 @@ int f(void)\n-\treturn 0;\n+\treturn 1;\n"
    (fdiff,) = parse_diff(text, 1)
    assert fdiff.path == "x.c" and fdiff.hunks[0].section == "int f(void)"
    assert fdiff.hunks[0].lines[0].old_no == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,4 +1,3 @@\n a\n-b\n+c\n",
            r"diff of x: hunk '@@ -1,4 \+1,3 @@' .* does not match its line counts.* ends early",
        ),
        (
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n+d\n",
            r"diff of x: hunk '@@ -1,2 \+1,2 @@' is longer .* mail line 18",
        ),
        (
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\nwrapped\n+c\n",
            r"diff of x: hunk .*line 17 is not a diff line",
        ),
        (
            "diff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1,2 +1,2 @@\n a\n-b\ndiff --git a/z b/z\n",
            r"diff of y: hunk '@@ -1,2 \+1,2 @@'",
        ),
    ],
)
def test_bad_hunk_counts_raise(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        parse_diff(text, 11)
    assert "\n" not in str(info.value)


def test_unidiff_errors_become_parse_errors() -> None:
    with pytest.raises(ParseError, match=r"mail line 3 cannot be parsed: Unexpected hunk"):
        parse_diff("@@ -1 +1 @@\n-a\n+b\n", 3)


def test_quilt_diff_loses_its_first_path_component() -> None:
    """A diff without git's header names both sides under a top folder of
    its own (``linux-pm.orig/`` and ``linux-pm/``): one file, as
    ``git apply -p1`` reads it, not a rename."""
    text = (
        "Index: linux-pm/drivers/rtc/rtc-cmos.c\n"
        "===================================================================\n"
        "--- linux-pm.orig/drivers/rtc/rtc-cmos.c\n"
        "+++ linux-pm/drivers/rtc/rtc-cmos.c\n"
        "@@ -1,2 +1,2 @@\n"
        " a\n"
        "-b\n"
        "+c\n"
    )
    (fd,) = parse_diff(text, 1)
    assert (fd.old_path, fd.new_path) == ("drivers/rtc/rtc-cmos.c", "drivers/rtc/rtc-cmos.c")
    assert not fd.is_rename


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("a/mm/x.c", "b/mm/x.c", "mm/x.c"),  # quilt with git-like prefixes
        ("a/mm/x.c~fix-the-thing", "a/mm/x.c", "mm/x.c"),  # as the -mm tree posts them
        ("linux.orig/mm/x.c", "linux/mm/x.c", "mm/x.c"),  # quilt's own names
        ("mm/x.c.orig", "mm/x.c", "mm/x.c"),  # diff -u x.orig x: nothing to strip
        ("x.c.orig", "x.c", "x.c"),
        ("a/mm/x.c\t2024-01-01 00:00:00.000000000 +0000", "b/mm/x.c\t2024-01-01", "mm/x.c"),
    ],
)
def test_diff_without_git_header_names_the_file_as_git_apply(old: str, new: str, path: str) -> None:
    text = f"--- {old}\n+++ {new}\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    (fd,) = parse_diff(text, 1)
    assert (fd.old_path, fd.new_path, fd.is_rename, fd.is_new) == (path, path, False, False)
    assert [line.text for line in fd.hunks[0].lines] == ["a", "b", "c"]


def test_diff_without_git_header_new_and_deleted_files() -> None:
    text = (
        "Index: linux/mm/n.c\n"
        "===================================================================\n"
        "--- /dev/null\n+++ b/mm/n.c\n@@ -0,0 +1 @@\n+c\n"
        "--- a/mm/old.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-c\n"
    )
    new, gone = parse_diff(text, 1)
    assert (new.path, new.is_new, new.is_rename) == ("mm/n.c", True, False)
    assert (gone.path, gone.is_deleted, gone.is_rename) == ("mm/old.c", True, False)


def test_blank_context_a_mail_path_stripped_from_the_last_hunk_is_restored() -> None:
    """The last context line of the last hunk was blank (" "), lost its
    space to a mail client and then the line to the archive's stripping
    of trailing empty lines (a real linux-pm patch): git apply reads such
    lines as empty context; the hunk is completed, not refused."""
    text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,4 +1,5 @@\n a\n b\n+c\n d\n"
    (fdiff,) = parse_diff(text, 1)
    (hunk,) = fdiff.hunks
    assert [ln.kind for ln in hunk.lines] == [" ", " ", "+", " ", " "]
    assert hunk.lines[-1].text == ""
    # more than a few lines, or removed/added lines, missing: refused
    for short in ("@@ -1,8 +1,9 @@\n a\n+c\n", "@@ -1,3 +1,2 @@\n a\n"):
        with pytest.raises(ParseError, match="ends early"):
            parse_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n" + short, 1)
