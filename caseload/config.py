"""Settings that shape a check or a plan: limits, scope, continuity rules, reading options.

Plain data, no I/O beyond what the CLI hands in, so the core can be called from tests or
other programs with nothing but a `Settings`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEFAULT_THRESHOLD = 300
DEFAULT_NEAR_FRACTION = 0.9
DEFAULT_RECENT_DAYS = 90
SCOPES = ("branch", "region", "all")


@dataclass(frozen=True)
class ReadOptions:
    """How to read one export; every field has a safe automatic default."""

    encoding: str | None = None  # None: detect UTF-8 / UTF-8 BOM / GB18030
    header_row: int | None = None  # 1-based line of the header; None: detect
    sheet: str | None = None  # xlsx sheet name; None: the first sheet
    column_map: dict[str, str] = field(default_factory=dict)  # canonical -> header in file
    skip_bad_rows: bool = False


@dataclass(frozen=True)
class Settings:
    """What a branch head can change about a check or a plan."""

    threshold: int = DEFAULT_THRESHOLD
    near_fraction: float = DEFAULT_NEAR_FRACTION
    grade_limits: dict[str, int] = field(default_factory=dict)
    scope: str = "branch"
    recent_days: int = DEFAULT_RECENT_DAYS
    as_of: dt.date = field(default_factory=dt.date.today)

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("threshold must be at least 1")
        if not 0 < self.near_fraction <= 1:
            raise ValueError("near fraction must be in (0, 1]")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
        for grade, limit in self.grade_limits.items():
            if limit < 1:
                raise ValueError(f"limit for grade {grade!r} must be at least 1")
