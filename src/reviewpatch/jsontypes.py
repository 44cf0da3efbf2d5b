"""The type of the JSON documents reviewpatch writes: the JSON report, the
SARIF log and the patchwork check records are built as ``JSONObject``
values and handed to ``json.dumps``.

Containers are the read-only ``Sequence`` and ``Mapping``, so a
``list[dict[str, str]]`` built for one field is a ``JSONValue`` as it is.
"""

from __future__ import annotations

__all__ = ["JSONObject", "JSONValue"]

from collections.abc import Mapping, Sequence
from typing import TypeAlias

JSONValue: TypeAlias = (
    str | int | float | bool | None | Sequence["JSONValue"] | Mapping[str, "JSONValue"]
)
JSONObject: TypeAlias = dict[str, JSONValue]
