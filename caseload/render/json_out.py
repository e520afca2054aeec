"""JSON: one document on stdout, the contract cron scripts parse (keys stay English)."""

from __future__ import annotations

import json
from typing import Any


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"
