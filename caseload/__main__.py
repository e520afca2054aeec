"""The installed `caseload` command, and `python -m caseload`.

Python's cycle collector is switched off before anything is imported: a command runs once and
the process ends (`cli.entry`), caseload's own work leaves no reference cycles to find (frames
and lists go as their last name does), and the collector's passes over the objects that
importing polars, typer and rich creates cost a branch-sized check 11 ms (4%) and a plan of a
million clients 37 ms. Peak memory is the same with and without it (measured with
--low-memory at 5M clients, where it matters most). A program importing `caseload.cli`
keeps its collector.
"""

import gc

gc.disable()

from caseload.cli import entry  # noqa: E402  (after the switch: the imports are what it saves)

if __name__ == "__main__":  # pragma: no cover
    entry()
