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

import os

import polars as pl

SMALL_INPUTS = 32 << 20  # bytes of exports (about 250,000 clients)


def in_memory() -> pl.Config:
    """Queries inside run on the in-memory engine (a context manager, or a decorator)."""
    return pl.Config(engine_affinity="in-memory", apply_on_context_enter=True)


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
    return pl.Config(engine_affinity=engine, apply_on_context_enter=True)
