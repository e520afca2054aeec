"""JSON: one document on stdout, the contract cron scripts parse (keys stay English).

Laid out one list item per line: readable in a diff or a pager, and fast, because each item
goes through the C encoder (`indent=` would force the slow pure-Python one on big books).
"""

from __future__ import annotations

import json
from typing import Any


def dumps(document: dict[str, Any], ascii_only: bool = False) -> str:
    one = json.JSONEncoder(ensure_ascii=ascii_only, default=str).encode  # one encoder for all
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n".join("    " + one(item) for item in value)
            text = "[\n" + items + "\n  ]"
        else:
            text = one(value)
        parts.append(f"  {one(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
