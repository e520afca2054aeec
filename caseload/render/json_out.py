"""JSON: one document on stdout, the contract cron scripts parse (keys stay English)."""

from __future__ import annotations

import json
from typing import Any


def dumps(document: dict[str, Any], ascii_only: bool = False) -> str:
    return json.dumps(document, ensure_ascii=ascii_only, indent=2, default=str) + "\n"
