"""JSON: one document on stdout, the contract cron scripts parse (keys stay English).

Laid out one list item per line: readable in a diff or a pager, and fast, because each item
goes through the C encoder (`indent=` would force the slow pure-Python one on big books).
"""

from __future__ import annotations

import json
from typing import Any


def _one(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, default=str)


def dumps(document: dict[str, Any], ascii_only: bool = False) -> str:
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n".join("    " + _one(item, ascii_only) for item in value)
            text = "[\n" + items + "\n  ]"
        else:
            text = _one(value, ascii_only)
        parts.append(f"  {_one(key, ascii_only)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
