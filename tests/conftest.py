"""Shared pytest fixtures.

``public_inbox``: a real public-inbox-httpd on 127.0.0.1 serving a v2 inbox
built for this test session from ``fixtures/fetch/*`` and every
``fixtures/threads/*.mbox``.  Its value has ``base_url``
(``http://127.0.0.1:PORT/test``), ``msgids`` (every Message-ID imported;
when two fixture files share a Message-ID only the first is imported) and
``root``.  Tests that use it are skipped only when public-inbox is not
installed.
"""

from __future__ import annotations

__all__ = ["FIXTURES", "REPO_ROOT", "public_inbox"]

from collections.abc import Iterator
from pathlib import Path

import pytest
from publicinbox import (
    PublicInbox,
    fixture_mails,
    public_inbox_missing,
    serve_inbox,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"


def _inbox_sources() -> tuple[Path, ...]:
    """Our own fetch fixtures first, then the fixture threads."""
    own = sorted(
        p for p in (FIXTURES / "fetch").glob("*") if p.suffix in (".mbox", ".eml", ".patch")
    )
    threads = sorted((FIXTURES / "threads").glob("*.mbox"))
    return tuple(own) + tuple(threads)


@pytest.fixture(scope="session")
def public_inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicInbox]:
    """A public-inbox-httpd on 127.0.0.1 serving the fixture mails."""
    reason = public_inbox_missing()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("public-inbox")
    with serve_inbox(root, "test", fixture_mails(_inbox_sources())) as inbox:
        yield inbox
