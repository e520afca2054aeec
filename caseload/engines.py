"""Which of polars' engines runs caseload's queries.

Left to choose, polars runs a lazy query on its streaming engine, which shares a big column's
work between the cores but costs more to start than it saves on small frames. So reading a
big export keeps polars' choice, while reading small exports (a branch, a county bank) and
everything after reading (counting, planning, the plan file: frames per officer, per
household, per move) run on the in-memory engine. Measured: a branch-sized check 10% faster,
100,000 clients 6%; at 1M clients planning 157 -> 140 ms and the plan file 85 -> 70 ms, while
reading stays as fast as polars' choice makes it. The answers are the same on either engine.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import polars as pl

P = ParamSpec("P")
R = TypeVar("R")

SMALL_INPUTS = 32 << 20  # bytes of exports (about 250,000 clients)


def in_memory(function: Callable[P, R]) -> Callable[P, R]:
    """`function`'s queries run on the in-memory engine; the caller's polars settings are
    as they were afterwards (a fresh `pl.Config` per call: one made at import would restore
    the settings of that moment)."""

    @functools.wraps(function)
    def in_memory_engine(*args: P.args, **kwargs: P.kwargs) -> R:
        with pl.Config(engine_affinity="in-memory"):
            return function(*args, **kwargs)

    return in_memory_engine


def for_reading(*inputs: str | os.PathLike[str] | None) -> pl.Config:
    """In memory for exports under `SMALL_INPUTS` in all; polars' choice for bigger ones and
    for folders of parts (read part by part on the streaming engine)."""
    size = 0
    for path in filter(None, inputs):
        try:
            size += os.path.getsize(path) if os.path.isfile(path) else SMALL_INPUTS
        except OSError:
            size += SMALL_INPUTS
    engine = "in-memory" if size < SMALL_INPUTS else "auto"
    return pl.Config(engine_affinity=engine)
