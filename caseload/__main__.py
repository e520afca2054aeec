"""The installed `caseload` command, and `python -m caseload`: the command's own process.

`entry` switches Python's cycle collector off before it imports the command line: a command
runs once and the process ends, caseload's own work leaves no reference cycles to find (frames
and lists go as their last name does), and the collector's passes over the objects that
importing polars, typer and rich creates cost a branch-sized check 11 ms (4%) and a plan of a
million clients 37 ms. Peak memory is the same with and without it (measured with
--low-memory at 5M clients, where it matters most). Importing this module, or `caseload.cli`,
leaves a program's collector as it was, and a program calling `caseload.cli.main` gets its
SystemExit, as from any command-line entry point.
"""

import gc
import os
import sys


def entry() -> None:
    gc.disable()
    from caseload.cli import main  # (after the switch: the imports are what it saves)

    try:
        main()
    except SystemExit as exc:
        _exit_now(exc.code)
        raise


def _exit_now(code: object) -> None:
    """End the process without the interpreter's teardown, once stdout and stderr are written.

    Tearing down polars' modules and frames costs 30-50 ms after every run, a tenth of a
    branch-sized check. Nothing is left to do by then: files are written and closed, temporary
    files removed, the threads caseload starts have ended, and it sets no exit handlers.
    Where a stream cannot be flushed, or the code is not a number, the normal exit says what
    is wrong.
    """
    code = 0 if code is None else code
    if not isinstance(code, int):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        return
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
