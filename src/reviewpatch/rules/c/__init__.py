"""The C rules (RP3xx): queries over the C facts (``reviewpatch.csource``)
and the flow analysis (``reviewpatch.flow``), one module per rule."""

from __future__ import annotations

__all__: list[str] = []
