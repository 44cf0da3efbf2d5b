"""Threading by In-Reply-To and References."""

from __future__ import annotations

from reviewpatch.model import Mail, Person
from reviewpatch.thread import build_thread


def _mail(
    msgid: str,
    irt: str | None = None,
    refs: tuple[str, ...] = (),
    ts: float | None = None,
    body: str = "",
) -> Mail:
    return Mail(
        msgid=msgid,
        subject=msgid,
        sender=Person("A", "a@example.org"),
        date="",
        in_reply_to=irt,
        references=refs,
        body=body,
        timestamp=ts,
    )


def test_parent_from_in_reply_to_then_references() -> None:
    mails = (
        _mail("c", irt="b", ts=3),
        _mail("a", ts=1),
        _mail("b", irt="gone", refs=("a", "gone"), ts=2),
        _mail("d", irt="gone", refs=("x", "a", "y"), ts=4),
    )
    t = build_thread(mails)
    assert t.parent_id("c") == "b"
    assert t.parent_id("b") == "a"  # In-Reply-To unknown: last known References entry
    assert t.parent_id("d") == "a"
    assert t.parent_id("a") is None
    assert [m.msgid for m in t.roots] == ["a"]
    assert [m.msgid for m in t.children("a")] == ["b", "d"]
    assert [m.msgid for m in t.mails] == ["a", "b", "c", "d"]  # depth first
    assert [m.msgid for m in t.ancestors("c")] == ["b", "a"]


def test_order_is_stable_and_by_date() -> None:
    mails = (_mail("r", ts=1), _mail("late", irt="r", ts=9), _mail("early", irt="r", ts=5))
    first = build_thread(mails)
    second = build_thread(tuple(reversed(mails)))
    assert [m.msgid for m in first.mails] == ["r", "early", "late"]
    assert first.mails == second.mails


def test_duplicates_keep_first() -> None:
    one = _mail("x", body="first")
    two = _mail("x", body="second")
    t = build_thread((one, two))
    assert t.mails == (one,)
    assert t.duplicates == (two,)
    assert t.get("x") is one


def test_cycle_is_broken() -> None:
    t = build_thread((_mail("a", irt="b"), _mail("b", irt="a")))
    assert len(t.mails) == 2
    assert len(t.roots) == 1


def test_self_reference_is_a_root() -> None:
    t = build_thread((_mail("a", irt="a", refs=("a",)),))
    assert t.parent_id("a") is None


def test_descendants_stop_at_given_ids() -> None:
    mails = (
        _mail("p1", ts=1),
        _mail("p2", irt="p1", ts=2),
        _mail("r1", irt="p1", ts=3),
        _mail("r2", irt="p2", ts=4),
        _mail("r3", irt="r1", ts=5),
    )
    t = build_thread(mails)
    assert [m.msgid for m in t.descendants("p1")] == ["p2", "r2", "r1", "r3"]
    assert [m.msgid for m in t.descendants("p1", stop=frozenset({"p2"}))] == ["r1", "r3"]
    assert t.descendants("missing") == ()
    assert "r3" in t and "zz" not in t
