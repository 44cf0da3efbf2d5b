"""reviewpatch: a deterministic review assistant for Linux kernel patch series.

The one public entry point is ``review(source, settings) -> Report``.
"""

from __future__ import annotations

__all__ = ["review", "__version__"]

__version__ = "0.1.0"


def review(source, settings=None, **kwargs):  # type: ignore[no-untyped-def]
    """Fetch or read ``source``, analyse it and return a Report.  See
    ``reviewpatch.api.review``."""
    from reviewpatch.api import review as _review

    return _review(source, settings, **kwargs)
