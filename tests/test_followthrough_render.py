"""Review follow-through as the reports show it: the JSON items of every
request of the previous version (who asked, on which lines, who promised),
the quoted lines in the HTML view, and the paragraph of the draft reply
that reminds the author of what they said they would do."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from reviewpatch.api import review
from reviewpatch.findings import Report
from reviewpatch.render.html import render_html
from reviewpatch.render.jsonreport import render_json, report_to_dict
from reviewpatch.render.reply import render_reply, render_reply_command
from reviewpatch.render.replybody import WIDTH, promised
from reviewpatch.render.sinceview import since_view
from reviewpatch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
THREADS = ROOT / "fixtures" / "threads"
SEED_V15 = THREADS / "seed-v15-review.mbox"
SEED_V16 = THREADS / "seed-v16-11.mbox"
V1V2 = THREADS / "v1-v2-replies.mbox"
PROMISE = ROOT / "fixtures" / "rules" / "request-not-addressed" / "bad-promised-change-missing.mbox"

REQUEST_KEYS = {
    "reviewer",
    "request_msgid",
    "file",
    "quoted",
    "request",
    "answer",
    "promise_msgid",
    "verdict",
    "reason",
    "evidence",
}
ADA = "c3a1f0e2-77d4-4b0e-9d51-2f6a8e0b9c41@arm.com"
JINJIE = "5e0b7a1c-0f3e-4c2a-b8d6-91a4e2f7c3d5@huawei.com"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _requests(doc: object) -> list[dict[str, object]]:
    """Every request item of the JSON document, placed or not."""
    assert isinstance(doc, dict)
    since = doc["since"]
    assert isinstance(since, dict)
    items = [r for p in since["patches"] for r in p["requests"]] + list(since["requests"])
    for item in items:
        assert set(item) == REQUEST_KEYS, sorted(item)
    return items


def _drafts(text: str) -> list[EmailMessage]:
    """The messages of a ``--format reply`` mbox."""
    parts = [p for p in text.split("From reviewpatch Thu Jan  1 00:00:00 1970\n") if p.strip()]
    out = []
    for part in parts:
        msg = email.message_from_string(part, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return out


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None and part.get_content_type() == "text/plain"
    text = part.get_content()
    assert isinstance(text, str)
    return text


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seed() -> Report:
    return review(str(SEED_V16), Settings(offline=True, compare_with=str(SEED_V15)))


@pytest.fixture(scope="module")
def promise() -> Report:
    return review(str(PROMISE), Settings(offline=True, compare_with="v1"))


def hostile_since_thread(tmp_path: Path) -> Path:
    """The promise thread with terminal escapes and markup in the
    reviewer's words and in a patch line the review quotes."""
    text = PROMISE.read_text(encoding="utf-8")
    text = text.replace(
        "please drop this kfree()", "please \x1b[31m<script>alert(2)</script> drop this kfree()"
    )
    evil = "+\t\t/* \x1b[2J<script>alert(1)</script> */\n"
    text = text.replace("+\t\tkfree(foo);\n", evil + "+\t\tkfree(foo);\n", 1)
    text = text.replace("@@ -40,9 +40,12 @@", "@@ -40,9 +40,13 @@", 1)
    text = text.replace("> +\t\tkfree(foo);", "> " + evil + "> +\t\tkfree(foo);")
    path = tmp_path / "hostile-since.mbox"
    path.write_text(text, encoding="utf-8")
    return path


# -- JSON ---------------------------------------------------------------------


def test_seed_pair_json_items(seed: Report) -> None:
    items = _requests(report_to_dict(seed))
    assert len(items) == 5
    assert [r["request_msgid"] for r in items] == [ADA] * 5
    # four promises in Jinjie's answer, and a plain answer to the question
    assert [r["promise_msgid"] for r in items] == [JINJIE, JINJIE, None, JINJIE, JINJIE]
    assert {r["verdict"] for r in items} == {"unclear"}
    # the first request sits under the opening lines of the commit message
    assert items[0]["file"] is None
    assert items[0]["quoted"] == [
        "Implement the generic entry framework for arm64 to handle system call",
        "entry and exit. This follows the migration of x86, RISC-V, and LoongArch,",
        "consolidating architecture-specific syscall tracing and auditing into",
        "the common kernel entry infrastructure.",
    ]
    # the last one under the comment added to debug-monitors.c
    comment = items[4]
    assert comment["file"] == "arch/arm64/kernel/debug-monitors.c"
    quoted = comment["quoted"]
    assert isinstance(quoted, list) and quoted[-1] == (
        "+\t * call prior to executing any user instruction."
    )
    assert "TIF_SINGLESTEP" in str(comment["request"])
    assert "msgid" not in comment


def test_promise_json_item(promise: Report) -> None:
    (item,) = _requests(report_to_dict(promise))
    assert item == {
        "reviewer": "Joe Smith",
        "request_msgid": "bad-promised-change-missing-r0@example.org",
        "file": "drivers/misc/foo.c",
        "quoted": ["+\t\tkfree(foo);"],
        "request": "foo is devm-allocated in the next patch of the series anyway; "
        "please drop this kfree() and use devm_kzalloc() here.",
        "answer": "Right, will fix in v2.",
        "promise_msgid": "bad-promised-change-missing-r1@example.org",
        "verdict": "not_addressed",
        "reason": "the quoted code is unchanged in v2 1/1",
        "evidence": ["+ kfree(foo);"],
    }


def test_json_is_deterministic_and_keeps_a_plain_answer_apart(seed: Report) -> None:
    assert render_json(seed) == render_json(seed)
    view = since_view(seed)
    assert view is not None
    question = [r for p in view.patches for r in p.requests][2]
    assert question.answer and not question.promise and question.promise_msgid is None


# -- the draft reply ----------------------------------------------------------


def test_a_promise_not_kept_is_recalled_in_the_draft(promise: Report) -> None:
    # RP205 is a note, which a draft leaves out: the follow-through alone
    # makes the draft
    drafts = _drafts(render_reply_command(promise, "all", attach_report=False, warn=print))
    assert len(drafts) == 1
    body = _body(drafts[0])
    assert (
        'On v1 you said you would fix it in v2 (Joe Smith asked: "foo is devm-allocated '
        "in the next patch of the series anyway; please drop this kfree() and use "
        'devm_kzalloc() here."); I cannot find that in v2: the quoted code is unchanged '
        "in v2 1/1."
    ) in _flat(body)
    assert "0 of 1 review request on v1 addressed in v2." in body
    assert "found nothing to comment on" not in body
    lines = body.split("\n")
    assert all(len(line) <= WIDTH for line in lines)
    assert not [line for line in lines if line.startswith(">")]
    assert lines[0].startswith("On Mon, 3 Mar 2025") and lines[1] == ""


def test_the_seed_draft_recalls_each_open_promise_once(seed: Report) -> None:
    # v16 11/18 succeeds no patch of v15 (17 patches of v16 are not in the
    # thread): the requests go to the draft answering the first patch
    drafts = _drafts(render_reply_command(seed, "all", attach_report=False, warn=print))
    assert len(drafts) == 1
    body = _body(drafts[0])
    flat = _flat(body)
    assert "0 of 5 review requests on v15 addressed in v16." in body
    assert flat.count("On v15 you said") == 4
    assert "On v15 you said you would add it in next version (Ada Couprie Diaz asked:" in flat
    assert "I cannot tell whether v16 does it: no v16 patch matches" in flat
    # the question Jinjie answered without promising anything is not recalled
    assert "must an arch" not in flat.lower() and 'Ada Couprie Diaz asked: "Also' not in flat
    assert flat.index("On v15 you said") < flat.index("> diff --git")
    # quoted patch lines keep their length; the prose is wrapped
    assert all(len(line) <= WIDTH for line in body.split("\n") if not line.startswith(">"))


def test_an_addressed_request_is_not_recalled() -> None:
    report = review(str(V1V2), Settings(offline=True))
    view = since_view(report)
    assert view is not None
    assert [r.verdict for p in view.patches for r in p.requests] == ["addressed"]
    for index in (0, 1, 2):
        body = _body(render_reply(report, index, include_series=True))
        assert "On v1 " not in body and "asked:" not in body
    home = _body(render_reply(report, 0))
    assert "1 of 1 review request on v1 addressed in v2." in home
    # nothing else to say: no draft at all
    warned: list[str] = []
    assert render_reply_command(report, "all", attach_report=False, warn=warned.append) == ""
    assert warned == ["no findings: no reply drafted"]


def test_a_declined_request_is_not_recalled(tmp_path: Path) -> None:
    text = PROMISE.read_text(encoding="utf-8").replace(
        "Right, will fix in v2.",
        "I'd rather keep kfree() here: devm_kzalloc() would change the lifetime.",
    )
    path = tmp_path / "declined.mbox"
    path.write_text(text, encoding="utf-8")
    report = review(str(path), Settings(offline=True, compare_with="v1"))
    items = _requests(report_to_dict(report))
    assert [(r["verdict"], r["promise_msgid"]) for r in items] == [("declined", None)]
    body = _body(render_reply(report, 1))
    assert (
        "asked:" not in body and "0 of 1 review request on v1 addressed in v2, 1 declined." in body
    )


def test_hostile_words_stay_plain_text(tmp_path: Path) -> None:
    report = review(str(hostile_since_thread(tmp_path)), Settings(offline=True))
    (item,) = _requests(report_to_dict(report))
    assert item["quoted"] == ["+\t\t/* ?[2J<script>alert(1)</script> */", "+\t\tkfree(foo);"]
    assert "\x1b" not in render_json(report)
    drafts = _drafts(render_reply_command(report, "all", attach_report=False, warn=print))
    assert len(drafts) == 1
    body = _body(drafts[0])
    assert not CONTROL.search(body.replace("\n", ""))
    assert "please ?[31m<script>alert(2)</script> drop this kfree()" in _flat(body)
    assert all(len(line) <= WIDTH for line in body.split("\n"))
    html = render_html(report)
    assert "<script>alert(" not in html
    since = html[html.index('<table class="requests">') :]
    since = since[: since.index("</table>")]
    assert "\x1b" not in since
    assert "&gt; +\t\t/* ?[2J&lt;script&gt;alert(1)&lt;/script&gt; */" in since
    assert "please ?[31m&lt;script&gt;alert(2)&lt;/script&gt; drop" in since


def quoting_thread(tmp_path: Path) -> Path:
    """The promise thread where the review quotes seven lines of the hunk
    (the blank context line is not kept)."""
    hunk = [
        " \tfoo = kzalloc(sizeof(*foo), GFP_KERNEL);",
        " \tif (!foo)",
        " \t\treturn -ENOMEM;",
        " ",
        " \tret = foo_init(foo);",
        "-\tif (ret)",
        "+\tif (ret) {",
        "+\t\tkfree(foo);",
    ]
    quote = "".join(f"> {line}\n" for line in hunk)
    text = PROMISE.read_text(encoding="utf-8").replace("> +\t\tkfree(foo);\n", quote, 1)
    path = tmp_path / "quoting.mbox"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_html_shows_the_last_quoted_lines(tmp_path: Path) -> None:
    report = review(str(quoting_thread(tmp_path)), Settings(offline=True))
    (item,) = _requests(report_to_dict(report))
    assert len(item["quoted"]) == 7  # type: ignore[arg-type]
    html = render_html(report)
    (quote,) = re.findall(r'<pre class="quoted">(.*?)</pre>', html, flags=re.DOTALL)
    assert quote.split("\n") == [
        "&gt; [...]",
        "&gt;  \tif (!foo)",
        "&gt;  \t\treturn -ENOMEM;",
        "&gt;  \tret = foo_init(foo);",
        "&gt; -\tif (ret)",
        "&gt; +\tif (ret) {",
        "&gt; +\t\tkfree(foo);",
    ]
    # above the reviewer's words, in the same cell
    assert "</pre><b>Joe Smith</b>: foo is devm-allocated" in html


# -- the promise in the reviewer's words --------------------------------------


@pytest.mark.parametrize(
    ("sentence", "clause"),
    [
        ("Right, will fix in v2.", "fix it in v2"),
        ("Agreed, will update.", "update it"),
        ("ok, will drop the check", "drop the check"),
        ("Sure, I'll fix your comment as you suggested.", "fix my comment as I suggested"),
        (
            "Good point, we will split it into its own patch in v3!",
            "split it into its own patch in v3",
        ),
        ("Will do.", "do that"),
        ("I will send my v2 to you", "send your v2 to me"),
        ("This will be fixed in v2.", None),  # not the author's own doing
        ("I will not change that.", None),
        ("Agreed.", None),
        ("I'll fix \x1b[31mit > now", "fix ?[31mit\u00a0> now"),
    ],
)
def test_promised(sentence: str, clause: str | None) -> None:
    assert promised(sentence) == clause


def test_requests_on_a_patch_this_version_has_no_successor_for_are_shown(seed: Report) -> None:
    """The seed's requests were made on v15 10/11, which v16 11/18 does not
    follow: the HTML lists them under that patch of v15 with their quoted
    lines, and the text report under its [v15 10/11] heading."""
    from reviewpatch.render.text import render_text

    page = render_html(seed)
    dropped = page[page.index('<section id="dropped">') :]
    dropped = dropped[: dropped.index("</section>")]
    assert "Review request on v15" in dropped and 'class="quoted"' in dropped
    assert "Ada Couprie Diaz" in dropped
    text = render_text(seed)
    tail = text[text.index("[v15 10/11]") :]
    assert "review by Ada Couprie Diaz" in tail
