"""Search results read from a public-inbox Atom feed (hostile input)."""

from __future__ import annotations

from reviewpatch.atom import search_hits

FEED = b"""<?xml version="1.0" encoding="us-ascii"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>s:x - search results</title>
<entry><author><name>Askar Safin</name><email>safinaskar@gmail.com</email></author>
<title>[PATCH v3 0/3] initrd: remove half of classic initrd support</title>
<updated>2025-10-17T06:09:56Z</updated>
<link href="http://127.0.0.1:8080/linux-arch/20251017060956.1151347-1-safinaskar%40gmail.com/"/>
</entry>
<entry><title>no link, no message</title></entry>
</feed>"""


def test_entries_give_message_ids_subjects_authors_and_dates() -> None:
    assert search_hits(FEED) == (
        (
            "20251017060956.1151347-1-safinaskar@gmail.com",
            "[PATCH v3 0/3] initrd: remove half of classic initrd support",
            "Askar Safin <safinaskar@gmail.com>",
            "2025-10-17T06:09:56Z",
        ),
    )


def test_a_broken_or_hostile_feed_gives_no_hits() -> None:
    assert search_hits(b"<feed><entry>") == ()
    assert search_hits(b"not xml at all \x00\xff") == ()
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10)
            for i in range(8)
        )
        + b']><feed xmlns="http://www.w3.org/2005/Atom"><title>&i;</title></feed>'
    )
    assert search_hits(bomb) == ()
