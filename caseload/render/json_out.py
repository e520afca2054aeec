"""JSON: one document on stdout, the contract cron scripts parse (keys stay English).

Laid out one list item per line: readable in a diff or a pager, and fast. A list held as a
polars frame (officers, transfers: tens of thousands in a province) is written by polars'
own JSON writer, one row per line; other items go through the C encoder (`indent=` would
force the slow pure-Python one). Compact separators throughout, so both look alike.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl


def dumps(document: dict[str, Any], ascii_only: bool = False) -> str:
    one = json.JSONEncoder(ensure_ascii=ascii_only, default=str, separators=(",", ":")).encode
    parts = []
    for key, value in document.items():
        if isinstance(value, pl.DataFrame):
            # (polars writes UTF-8 as is: where ASCII is asked for, the encoder escapes it)
            value = _lines(value) if not ascii_only else [one(r) for r in value.to_dicts()]
            text = "[\n" + ",\n".join("    " + line for line in value) + "\n  ]" if value \
                else "[]"
        elif isinstance(value, list) and value:
            items = ",\n".join("    " + one(item) for item in value)
            text = "[\n" + items + "\n  ]"
        else:
            text = one(value)
        parts.append(f"  {one(key)}:{text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _lines(frame: pl.DataFrame) -> list[str]:
    """One JSON object per row: a line break inside a cell is escaped, so lines are rows.

    (Split at "\n" only: `splitlines` would also split at U+2028 and others, which JSON
    leaves as they are.)
    """
    return frame.write_ndjson().removesuffix("\n").split("\n") if frame.height else []
