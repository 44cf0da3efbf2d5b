"""The rest of the hostile corpus (see ``hostile_corpus.py``): threading,
subjects, diffs, trailers, regular-expression bait, gzip bombs, markup."""

from __future__ import annotations

__all__ = ["more_cases"]

import gzip
import re
from collections.abc import Callable, Iterator

from hostile_corpus import (
    TERM,
    XSS,
    Base,
    Writer,
    add_header,
    after_signoff,
    gzip_bomb,
    in_message,
    is_patch,
    mbox_of,
    new_file,
    on_patch,
    on_plus_line,
    patch_index,
    set_header,
    small_diff,
    split,
    synthetic,
)
from publicinbox import msgid_of

HTML = ("json", "text", "html")


def more_cases(out: Writer, bases: tuple[Base, ...], turn: Iterator[Base]) -> None:
    _threading(out, turn)
    _subjects(out, turn)
    _diffs(out)
    _trailers(out, turn)
    _bait(out, turn)
    _gzip(out, bases)
    _markup(out, turn)


def reply(index: int, parent: str, refs: str, body: str = "") -> bytes:
    return (
        f"From: R{index} <r{index}@example.org>\nSubject: Re: x\nMessage-ID: <r{index}@example.org>\n"
        f"In-Reply-To: <{parent}>\nReferences: {refs}\nDate: Mon, 3 Mar 2025 10:00:00 +0000\n\n"
        f"> quoted\n\n{body}\n"
    ).encode()


def _threading(out: Writer, turn: Iterator[Base]) -> None:
    base = next(turn)
    target = msgid_of(base.mails[patch_index(base)]) or "x"
    many = [
        reply(i, target, f"<{target}>", "Reviewed-by: R <r@example.org>" if i % 2 else "")
        for i in range(20000)
    ]
    out.mails("threading", "20000 replies", base, [*base.mails, *many], expect="same", formats=HTML)
    chain = [
        reply(i, target if i == 0 else f"r{i - 1}@example.org", f"<{target}>") for i in range(5000)
    ]
    out.mails("threading", "5000-deep reply chain", base, [*base.mails, *chain], expect="same")
    loop = [
        reply(0, "r1@example.org", "<r1@example.org>"),
        reply(1, "r0@example.org", "<r0@example.org>"),
    ]
    out.mails("threading", "two replies in a loop", base, [*base.mails, *loop], expect="same")
    selfref = reply(7, "r7@example.org", "<r7@example.org> <r7@example.org>")
    out.mails("threading", "a reply to itself", base, [*base.mails, selfref], expect="same")
    for base in (next(turn), next(turn), next(turn)):
        first = msgid_of(base.mails[0]) or "x"
        last = msgid_of(base.mails[-1]) or "y"
        looped = [set_header(base.mails[0], "In-Reply-To", f"<{last}>"), *base.mails[1:]]
        out.mails("threading", f"{base.name} first answers last", base, looped, expect="same")
        refs = " ".join(f"<{m}>" for m in (first, last) * 200)
        out.mails(
            "threading",
            f"{base.name} 400 references loop",
            base,
            [set_header(m, "References", refs) for m in base.mails],
            expect="any",
        )
        out.mails(
            "threading",
            f"{base.name} every mail twice",
            base,
            [*base.mails, *base.mails],
            expect="same",
        )
        dup = [
            set_header(m, "Message-ID", f"<{first}>") if i % 2 else m
            for i, m in enumerate(base.mails)
        ]
        out.mails("threading", f"{base.name} one Message-ID for half", base, dup)
        huge_refs = " ".join(f"<ref{i}@example.org>" for i in range(10000))
        out.mails(
            "threading",
            f"{base.name} 10000 references",
            base,
            on_patch(base, lambda m, r=huge_refs: set_header(m, "References", r)),
            expect="same",
        )
        out.mails(
            "threading",
            f"{base.name} reversed order",
            base,
            list(reversed(base.mails)),
            expect="same",
        )
    base = next(turn)
    orphans = [set_header(m, "In-Reply-To", "<nowhere@example.org>") for m in base.mails]
    out.mails("threading", "every mail answers an absent one", base, orphans, expect="same")
    nothread = [set_header(set_header(m, "In-Reply-To", ""), "References", "") for m in base.mails]
    out.mails("threading", "no threading headers", base, nothread)
    series = [
        synthetic(f"[PATCH {i}/300] foo: part {i}", small_diff(f"f{i}.c"), f"s{i}@example.org")
        for i in range(1, 301)
    ]
    out.add("threading", "300 patches, no cover", mbox_of(series), expect="exact", patches=300)
    same_id = [
        synthetic(f"[PATCH {i}/50] foo: part {i}", small_diff(f"f{i}.c"), "same@example.org")
        for i in range(1, 51)
    ]
    out.add("threading", "50 patches, one Message-ID", mbox_of(same_id))


def _subjects(out: Writer, turn: Iterator[Base]) -> None:
    subjects = [
        "[PATCH 99999999999999999999/3] huge counter",
        "[PATCH 3/0] zero total",
        "[PATCH 0/0] zero zero",
        "[PATCH v-1 1/1] negative version",
        "[PATCH v99999999999999999999 1/1] huge version",
        "[PATCH 5/3] counter over total",
        "[PATCH 1/3 1/3 1/3] repeated counters",
        "[" * 10000 + "PATCH] nested brackets",
        "Re: " * 10000 + "[PATCH] deep re",
        "[PATCH] " * 5000 + "many prefixes",
        "[PATCH RFC RESEND v2 net-next 1/1] every tag",
        "【PATCH 1/1】 wide brackets",
        "[PATCH\t1/1]\ttabs",
        "[PATCH 1/1",
        "PATCH 1/1] no open bracket",
        "[patch v2 1/1] lower case",
        "[PATCH v2] [PATCH v3] two versions",
        "[PATCH 1/1]",
        "",
        "[PATCH 01/01] leading zeros",
        "[PATCH ⅷ/ⅸ] roman numerals",
        "[PATCH 1\u200b/1] zero width",
        "[PATCH 1/1] " + "x" * 20000,
        "[PATCH 1/1] subject\x00with NUL",
        "[PATCH 1/1] subject\x1b[31mwith ESC",
    ]
    for index, subject in enumerate(subjects):
        base = next(turn)
        keep = "exact" if index >= 20 else "any"
        out.add(
            "subjects",
            subject[:40] or "empty",
            mbox_of([synthetic(subject, small_diff())]),
            expect=keep,
            patches=1,
        )
    base = next(turn)
    same = [set_header(m, "Subject", "[PATCH 1/3] same") if is_patch(m) else m for m in base.mails]
    out.mails("subjects", "every patch 1/3", base, same)
    out.mails(
        "subjects",
        "every mail Re:",
        base,
        [set_header(m, "Subject", "Re: " + _subject(m)) for m in base.mails],
    )
    out.mails(
        "subjects",
        "subjects swapped",
        base,
        [set_header(m, "Subject", _subject(base.mails[-1 - i])) for i, m in enumerate(base.mails)],
    )
    out.mails(
        "subjects",
        "subjects upper case",
        base,
        [set_header(m, "Subject", _subject(m).upper()) for m in base.mails],
    )
    out.mails(
        "subjects",
        "subjects folded at every blank",
        base,
        [set_header(m, "Subject", _subject(m).replace(" ", "\n ")) for m in base.mails],
        expect="same",
    )


def _subject(mail: bytes) -> str:
    match = re.search(rb"^Subject: (.*(\n[ \t].*)*)", split(mail)[0], re.M)
    return match.group(1).decode("utf-8", "replace") if match else ""


def _diffs(out: Writer) -> None:
    many = "".join(new_file(f"dir{i // 100}/f{i}.c", ["int x;"]) for i in range(10000))
    out.add(
        "diffs",
        "10000 new files",
        mbox_of([synthetic("[PATCH] 10000 files", many)]),
        expect="exact",
        patches=1,
        formats=HTML,
    )
    big = new_file("drivers/big.c", [f"int v{i} = {i}; /* {i} */" for i in range(50000)])
    out.add(
        "diffs",
        "50000-line new file",
        mbox_of([synthetic("[PATCH] big file", big)]),
        expect="exact",
        patches=1,
        formats=HTML,
    )
    func = new_file(
        "drivers/fn.c",
        ["int f(int a)", "{"]
        + [f"\tif (a == {i}) g{i}(a);" for i in range(20000)]
        + ["\treturn 0;", "}"],
    )
    out.add(
        "diffs",
        "one 20000-line function",
        mbox_of([synthetic("[PATCH] long function", func)]),
        expect="exact",
        patches=1,
    )
    quilt = (
        "Index: linux/drivers/foo.c\n===================================================================\n"
        "--- linux.orig/drivers/foo.c\n+++ linux/drivers/foo.c\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int c;\n"
    )
    out.add(
        "diffs",
        "quilt style",
        mbox_of([synthetic("[PATCH] quilt", quilt)]),
        expect="exact",
        patches=1,
    )
    plain = "--- a/foo.c\n+++ b/foo.c\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int c;\n"
    out.add(
        "diffs",
        "plain diff -u",
        mbox_of([synthetic("[PATCH] plain", plain)]),
        expect="exact",
        patches=1,
    )
    bodies = {
        "hunk count too small": small_diff().replace("@@ -1,2 +1,2 @@", "@@ -1,1 +1,1 @@"),
        "hunk count too large": small_diff().replace("@@ -1,2 +1,2 @@", "@@ -1,9 +1,9 @@"),
        "hunk header garbage": small_diff().replace("@@ -1,2 +1,2 @@", "@@ -x,y +z @@"),
        "huge line numbers": small_diff().replace(
            "@@ -1,2 +1,2 @@", "@@ -99999999999999999999,2 +99999999999999999999,2 @@"
        ),
        "hunk count 2**40": small_diff().replace(
            "@@ -1,2 +1,2 @@", "@@ -1,1099511627776 +1,1099511627776 @@"
        ),
        "no hunks": "diff --git a/x.c b/x.c\nindex 1..2 100644\n--- a/x.c\n+++ b/x.c\n",
        "mode change only": "diff --git a/x.sh b/x.sh\nold mode 100644\nnew mode 100755\n",
        "rename only": "diff --git a/x.c b/y.c\nsimilarity index 100%\nrename from x.c\nrename to y.c\n",
        "binary patch": "diff --git a/b.bin b/b.bin\nnew file mode 100644\nindex 0000000..1111111\nGIT binary patch\nliteral 5\nMcmZ?b%3z=@00\n\nliteral 0\nHcmV?d00001\n\n",
        "no newline markers": small_diff() + "\\ No newline at end of file\n" * 50,
        "1000 hunks": "diff --git a/h.c b/h.c\n--- a/h.c\n+++ b/h.c\n"
        + "".join(f"@@ -{i * 10 + 1},1 +{i * 10 + 1},1 @@\n-a{i}\n+b{i}\n" for i in range(1000)),
        "overlapping hunks": "diff --git a/o.c b/o.c\n--- a/o.c\n+++ b/o.c\n"
        + "@@ -1,1 +1,1 @@\n-a\n+b\n" * 200,
        "CRLF diff": small_diff().replace("\n", "\r\n"),
        "diff after signature": "\n-- \n2.43.0\n\n" + small_diff(),
        "path with blanks and quotes": small_diff('"dir with blank/x \\"q\\".c"'),
        "path 5000 deep": small_diff("/".join(["d"] * 5000) + "/x.c"),
        "only removals 20000": "diff --git a/r.c b/r.c\ndeleted file mode 100644\n--- a/r.c\n+++ /dev/null\n@@ -1,20000 +0,0 @@\n"
        + "".join(f"-line {i}\n" for i in range(20000)),
        "conflict markers": small_diff(new="<<<<<<< HEAD") + "",
        "two diffs of one file": small_diff() + small_diff(),
        "diff in quoted reply": "".join("> " + line + "\n" for line in small_diff().splitlines()),
        "preprocessor nest 5000": new_file(
            "drivers/pp.c", ["#if A"] * 5000 + ["int x;"] + ["#endif"] * 5000
        ),
        "braces nest 5000": new_file(
            "drivers/br.c", ["void f(void)", "{" * 5000, "x();", "}" * 5000]
        ),
        "kconfig 10000 options": new_file(
            "drivers/Kconfig", [f'config FOO{i}\n+\tbool "foo"' for i in range(10000)]
        ),
    }
    for name, diff in bodies.items():
        out.add("diffs", name, mbox_of([synthetic(f"[PATCH] {name}", diff)]))


def _trailers(out: Writer, turn: Iterator[Base]) -> None:
    lines = {
        "10000 sign-offs": b"\n".join(
            b"Signed-off-by: P%d <p%d@example.org>" % (i, i) for i in range(10000)
        ),
        "1000 co-developers": b"\n".join(
            b"Co-developed-by: C%d <c%d@example.org>\nSigned-off-by: C%d <c%d@example.org>"
            % (i, i, i, i)
            for i in range(1000)
        ),
        "angle addresses": b"Reviewed-by: <<<<a@b>>>>\nAcked-by: <>\nTested-by: a@b@c@d",
        "Fixes huge sha": b"Fixes: " + b"f" * 100000 + b' ("title")',
        "Fixes unbalanced": b'Fixes: 123456789abc ("' + b"(" * 50000,
        "Link javascript": b"Link: javascript:rpxss()\nCloses: data:text/html,<script>rpxss()</script>",
        "unicode names": "Reviewed-by: Ünïcødé 名前 <u@example.org>\nAcked-by: \u202eevil <e@example.org>".encode(),
        "trailer without value": b"Reviewed-by:\nAcked-by: \nSigned-off-by:",
        "trailer names 1000 kinds": b"\n".join(
            b"X-Tag%d-by: T <t@example.org>" % i for i in range(1000)
        ),
        "misspelled trailers": b"Signed-of-by: A <a@b.c>\nReviwed-by: B <b@c.d>\nSigned-off-by A <a@b.c>",
        "Cc 5000": b"\n".join(b"Cc: P%d <p%d@example.org>" % (i, i) for i in range(5000)),
        "Reported-by 3000 without Closes": b"\n".join(
            b"Reported-by: R%d <r%d@example.org>" % (i, i) for i in range(3000)
        ),
    }
    for name, text in lines.items():
        base = next(turn)
        out.mails(
            "trailers",
            name,
            base,
            on_patch(base, lambda m, t=text: after_signoff(m, t)),
            expect="same",
        )
    for name, text in list(lines.items())[:8]:
        base = next(turn)
        target = msgid_of(base.mails[patch_index(base)]) or "x"
        answer = reply(1, target, f"<{target}>", text.decode("utf-8", "replace"))
        out.mails("trailers", f"{name} in a reply", base, [*base.mails, answer], expect="same")
    base = next(turn)
    target = msgid_of(base.mails[patch_index(base)]) or "x"
    acks = [
        reply(i, target, f"<{target}>", f"Reviewed-by: R{i} <r{i}@example.org>")
        for i in range(5000)
    ]
    out.mails(
        "trailers",
        "5000 reviews in replies",
        base,
        [*base.mails, *acks],
        expect="same",
        formats=HTML,
    )
    for i in range(4):
        base = next(turn)
        out.mails(
            "trailers",
            f"trailer block only separators {i}",
            base,
            on_patch(base, lambda m: after_signoff(m, b"---\n---\n-- \n" * 100)),
            expect="any",
        )


def _bait(out: Writer, turn: Iterator[Base]) -> None:
    baits = {
        "a*100000!": "a" * 100000 + "!",
        "<*50000": "<" * 50000,
        "(*50000": "(" * 50000,
        "@*50000": "@" * 50000,
        "[*50000": "[" * 50000,
        "quotes*50000": '"' * 50000,
        "backslashes*50000": "\\" * 50000,
        "x@ repeated": "x@" * 30000,
        "<a@b repeated": "<a@b" * 20000,
        "[PATCH repeated": "[PATCH " * 20000,
        "encoded-word starts": "=?utf-8?q?" * 20000,
        "blanks then x": " " * 100000 + "x",
        "name <addr repeated": "x <" * 30000,
        "Re: repeated": "Re: " * 30000,
        "v9 repeated digits": "v" + "9" * 50000,
    }
    places: list[tuple[str, Callable[[bytes, str], bytes]]] = [
        ("subject", lambda m, t: set_header(m, "Subject", "[PATCH] " + t)),
        ("from", lambda m, t: set_header(m, "From", t + " <d@example.org>")),
    ]
    for bait_name, text in baits.items():
        for place, change in places:
            base = next(turn)
            out.mails(
                "backtracking",
                f"{bait_name} in {place}",
                base,
                on_patch(base, lambda m, c=change, t=text: c(m, t)),
                expect="any",
            )
    for bait_name in (
        "a*100000!",
        "(*50000",
        "<*50000",
        "blanks then x",
        "name <addr repeated",
        "[*50000",
    ):
        base = next(turn)
        text = baits[bait_name].encode()
        out.mails(
            "backtracking",
            f"{bait_name} in a trailer",
            base,
            on_patch(base, lambda m, t=text: after_signoff(m, b"Reviewed-by: " + t)),
            expect="same",
        )
        base = next(turn)
        out.mails(
            "backtracking",
            f"{bait_name} in a diff line",
            base,
            on_patch(base, lambda m, t=text: on_plus_line(m, t)),
            expect="same",
        )


def _gzip(out: Writer, bases: tuple[Base, ...]) -> None:
    out.add("gzip", "bomb 500 MB of NULs", gzip_bomb(500 << 20), suffix=".mbox.gz", codes=(4,))
    out.add(
        "gzip",
        "bomb 500 MB of From lines",
        gzip_bomb(500 << 20, b"From a\n\nb\n"),
        suffix=".mbox.gz",
        codes=(4,),
    )
    out.add(
        "gzip", "bomb 500 MB on stdin", gzip_bomb(500 << 20), suffix=".gz", stdin=True, codes=(4,)
    )
    out.add("gzip", "bomb 500 MB as .patch", gzip_bomb(500 << 20), suffix=".patch", codes=(4,))
    base = bases[0]
    data = mbox_of(base.mails)
    out.add(
        "gzip",
        "two members",
        gzip.compress(data[: len(data) // 2]) + gzip.compress(data[len(data) // 2 :]),
        suffix=".mbox.gz",
        base=base.name,
        expect="same",
    )
    out.add("gzip", "trailing garbage", gzip.compress(data) + b"garbage", suffix=".mbox.gz")
    out.add("gzip", "gzip of gzip", gzip.compress(gzip.compress(data)), suffix=".mbox.gz")
    out.add(
        "gzip",
        "gzip named plain",
        gzip.compress(data),
        suffix=".mbox",
        base=base.name,
        expect="same",
    )
    out.add("gzip", "plain named gz", data, suffix=".mbox.gz", base=base.name, expect="same")
    out.add("gzip", "gzip header only", gzip.compress(b"")[:10], suffix=".mbox.gz")


def _markup(out: Writer, turn: Iterator[Base]) -> None:
    payloads = {
        "script": XSS,
        "img onerror": '"><img src=x onerror=rpxss()>',
        "closing tags": "</pre></table></div></code>" + XSS,
        "template": "{{ rpxss }}{% raw %}${rpxss}",
        "terminal escapes": TERM,
        "javascript url": "javascript:rpxss()",
    }
    places: list[tuple[str, Callable[[bytes, str], bytes], str]] = [
        ("from name", lambda m, p: set_header(m, "From", f'"{p}" <dev@example.org>'), "same"),
        ("subject", lambda m, p: set_header(m, "Subject", "[PATCH] " + p), "any"),
        ("diff line", lambda m, p: on_plus_line(m, p.encode()), "same"),
        (
            "trailer",
            lambda m, p: after_signoff(m, f"Reviewed-by: {p} <r@example.org>".encode()),
            "same",
        ),
        ("message", lambda m, p: in_message(m, p.encode()), "same"),
    ]
    for payload_name, payload in payloads.items():
        for place, change, expect in places:
            base = next(turn)
            out.mails(
                "markup",
                f"{payload_name} in {place}",
                base,
                on_patch(base, lambda m, c=change, p=payload: c(m, p)),
                expect=expect,
                formats=HTML,
            )
    for payload_name in ("script", "terminal escapes"):
        payload = payloads[payload_name]
        file_diff = small_diff(f"drivers/{payload.replace(' ', '_')}.c")
        out.add(
            "markup",
            f"{payload_name} in a file name",
            mbox_of([synthetic("[PATCH] x", file_diff)]),
            expect="exact",
            patches=1,
            formats=HTML,
        )
        msgid = f'"{payload}"@example.org'.replace(" ", "")
        out.add(
            "markup",
            f"{payload_name} in a Message-ID",
            mbox_of([synthetic("[PATCH] x", small_diff(), msgid)]),
            expect="exact",
            patches=1,
            formats=HTML,
        )
        base = next(turn)
        out.mails(
            "markup",
            f"{payload_name} in a reply",
            base,
            [
                *base.mails,
                add_header(
                    reply(1, msgid_of(base.mails[patch_index(base)]) or "x", "", payload), b"X-P: 1"
                ),
            ],
            expect="same",
            formats=HTML,
        )
