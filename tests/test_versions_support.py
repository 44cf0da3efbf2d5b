"""Helpers shared by the tests of reviewpatch.versions (no tests here).

Hand-made mails are built in code: invented people at example.com, small
diffs whose hunk headers match their lines.  Real threads are read from
../shared/real-threads and skip when absent.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from reviewpatch.mail import read_mails
from reviewpatch.model import Mail, Person, Series
from reviewpatch.series import assemble_series

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "threads"
SHARED = ROOT.parent / "shared"
AUTHOR = Person("Ann Author", "ann@example.com")
REVIEWER = Person("Rita Reviewer", "rita@example.com")
OTHER = Person("Olaf Other", "olaf@example.com")


def load_mails(path: Path) -> tuple[Mail, ...]:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    mails, problems = read_mails(data, path.name)
    assert not problems
    return mails


def fixture_series(name: str, version: int | None = None) -> Series:
    return assemble_series(load_mails(FIXTURES / name), version=version)


def real_series(name: str) -> Series:
    path = SHARED / "real-threads" / f"{name}.mbox.gz"
    if not path.is_file():
        pytest.skip(f"real thread {path.name} not available (../shared/real-threads is absent)")
    return assemble_series(load_mails(path))


def foo_diff(cond: str = "ret < 0", start: int = 10, blank: str = "", extra: str = "") -> str:
    """A one-hunk diff of drivers/foo.c; ``blank`` is the text of the
    context line after ``int ret;`` and ``extra`` one more added line."""
    added = ["+\tret = foo_init(dev);", f"+\tif ({cond})", "+\t\treturn ret;"]
    if extra:
        added.append("+" + extra)
    lines = [" {", " \tint ret;", " " + blank, "-\tfoo_init(dev);", *added, " \treturn 0;", " }"]
    new_len = 5 + len(added)
    return "\n".join(
        [
            "diff --git a/drivers/foo.c b/drivers/foo.c",
            "index 1111111..2222222 100644",
            "--- a/drivers/foo.c",
            "+++ b/drivers/foo.c",
            f"@@ -{start},6 +{start},{new_len} @@ static int foo_probe(struct device *dev)",
            *lines,
        ]
    )


def bar_diff(name: str = "bar_helper") -> str:
    """A new file drivers/bar.c defining ``name``."""
    return "\n".join(
        [
            "diff --git a/drivers/bar.c b/drivers/bar.c",
            "new file mode 100644",
            "index 0000000..3333333",
            "--- /dev/null",
            "+++ b/drivers/bar.c",
            "@@ -0,0 +1,4 @@",
            "+// SPDX-License-Identifier: GPL-2.0",
            f"+int {name}(void)",
            "+{",
            "+}",
        ]
    )


def patch_mail(
    msgid: str,
    subject: str,
    message: str,
    diff: str | None,
    *,
    trailers: tuple[str, ...] = ("Signed-off-by: Ann Author <ann@example.com>",),
    notes: str = "",
    parent: str | None = None,
    stamp: float = 0.0,
) -> Mail:
    body = message.strip("\n") + "\n\n" + "\n".join(trailers) + "\n"
    if diff is not None:
        body += "---\n" + (notes.strip("\n") + "\n\n" if notes else "") + diff + "\n-- \n2.43.0\n"
    return _mail(msgid, subject, AUTHOR, body, parent, stamp)


def reply(
    msgid: str,
    subject: str,
    sender: Person,
    body: str,
    parent: str,
    stamp: float = 0.0,
    refs: tuple[str, ...] = (),
) -> Mail:
    return _mail(msgid, "Re: " + subject, sender, body, parent, stamp, refs)


def _mail(
    msgid: str,
    subject: str,
    sender: Person,
    body: str,
    parent: str | None,
    stamp: float,
    refs: tuple[str, ...] = (),
) -> Mail:
    return Mail(
        msgid=msgid,
        subject=subject,
        sender=sender,
        date="Mon, 2 Feb 2026 10:00:00 +0000",
        in_reply_to=parent,
        references=(*refs, parent) if parent else refs,
        body=body,
        timestamp=1_770_000_000.0 + stamp,
    )


def quote(text: str, depth: int = 1) -> str:
    """``text`` quoted ``depth`` times, as a mailer quotes a reply."""
    mark = "> " * depth
    return "\n".join((mark + line).rstrip() for line in text.split("\n"))
