"""Writing files safely: never over an input, never half-written, safe to open in Excel/WPS."""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import polars as pl

from caseload.errors import CaseloadError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ID_COLUMNS = ("client_id", "from_officer_id", "to_officer_id", "group_id", "officer_id")


_FD_LINK = re.compile(
    r"^/(?:dev/fd|proc/(?P<pid>self|thread-self|\d+)/fd)/(?P<fd>\d+)$|^/dev/std(?P<std>out|err)$")
OTHER_PROCESS = -1


class StdoutGone(BrokenPipeError):
    """A plan or report written into stdout (--out /dev/stdout) whose reader went away."""


def stream_fd(target: Path) -> int | None:
    """The descriptor of this process a path stands for (/dev/stdout, /dev/fd/1, a link to
    /proc/self/fd/1: 1), `OTHER_PROCESS` for another process's, None for no stream.

    Such a path is a stream, whatever it leads to (a pipe, a terminal, or the file stdout was
    redirected to): it is written into where the stream is, never replaced."""
    path, hops = os.path.abspath(target), 0
    while hops < 40:
        if found := _FD_LINK.match(path):
            if found["std"]:
                return 1 if found["std"] == "out" else 2
            own = found["pid"] in (None, "self", "thread-self", str(os.getpid()))
            return int(found["fd"]) if own else OTHER_PROCESS
        if not os.path.islink(path):
            return None
        path = os.path.join(os.path.dirname(path), os.readlink(path))
        path, hops = os.path.normpath(path), hops + 1
    return None


def is_stream(target: Path) -> bool:
    return stream_fd(target) is not None


def check_target(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]],
                 force: bool) -> Path:
    """Refuse an output that is an input or inside an input folder (a folder of parts), or an
    existing file without --force."""
    target = Path(out)
    try:
        target.resolve(strict=False)
    except (RuntimeError, OSError):  # (a link that leads to itself)
        raise CaseloadError(f"{target}: is a link that leads nowhere (a loop)") from None
    for src in inputs:
        s = Path(src)
        if s.exists() and target.exists() and os.path.samefile(s, target):
            raise CaseloadError(f"{target}: is one of the inputs; inputs are never overwritten")
        if s.resolve() == target.resolve():
            raise CaseloadError(f"{target}: is one of the inputs; inputs are never overwritten")
        if s.is_dir() and target.resolve().is_relative_to(s.resolve()):
            raise CaseloadError(f"{target}: is inside the input folder {s}, whose files are "
                                "read as parts; inputs are never changed")
    if target.is_dir():
        raise CaseloadError(f"{target}: is a directory")
    if target.is_file() and not force and not is_stream(target):  # (a device such as
        # /dev/null, or stdout, is written into, not replaced)
        raise CaseloadError(f"{target}: already exists (use --force to replace it)")
    if not target.parent.exists():
        raise CaseloadError(f"{target}: folder {target.parent} does not exist")
    return target


def _mode_for(target: Path) -> int:
    """The replaced file's mode, else what the umask gives a new file."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_writer(target: Path) -> Iterator[BinaryIO]:
    """A temporary file beside the target, renamed into place once written in full.

    A target that exists but is no regular file (/dev/null, a pipe) is written to as it is, and
    a link is written where it points: renaming a file over either would replace the device or
    the link itself (as root, /dev/stdout). A failed write is one line, not a traceback.
    """
    try:
        fd = stream_fd(target)
        if fd is not None:  # written where the stream is, after what it already holds
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                if fd == OTHER_PROCESS:
                    with target.open("ab") as fh:
                        yield fh
                else:
                    with open(fd, "wb", closefd=False) as fh:
                        yield fh
            except OSError as exc:  # (stdout's reader went away: ended as for stdout itself)
                if fd == 1 and (exc.errno == errno.EPIPE or "broken pipe" in str(exc).lower()):
                    raise StdoutGone(errno.EPIPE, "Broken pipe") from None
                raise
            return
        if target.exists() and not target.is_file():
            with target.open("wb") as fh:
                yield fh
            return
        if target.is_symlink():
            target = target.resolve()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except StdoutGone:
        raise
    except OSError as exc:
        raise _not_written(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600; a report is meant to be shared
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _not_written(target, exc) from None
        raise


def _not_written(target: Path, exc: OSError) -> CaseloadError:
    why = exc.strerror or str(exc).strip() or type(exc).__name__  # (polars' own errors: text)
    return CaseloadError(f"{target}: could not be written ({why})")


def atomic_write(target: Path, data: bytes) -> None:
    with atomic_writer(target) as fh:
        fh.write(data)


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with a quote.

    Only text columns change; numbers stay numbers. A text cell that is itself a plain
    number (e.g. '-12.5') is left alone.
    """
    starts = {name: pl.col(name).str.contains(r"^[=+\-@\t\r]").fill_null(False)
              for name, dtype in frame.schema.items() if dtype == pl.String}
    if not starts or frame.is_empty():
        return frame
    # Which columns hold a cell starting so at all (usually none), before reading any number.
    hit = frame.select([test.any().alias(name) for name, test in starts.items()]).row(0)
    return frame.with_columns(
        pl.when(starts[name] & pl.col(name).cast(pl.Float64, strict=False).is_null())
        .then("'" + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name, found in zip(starts, hit, strict=True) if found
    )


def frame_to_xlsx_bytes(sheets: dict[str, pl.DataFrame], created: dt.date) -> bytes:
    """One workbook, a sheet per frame, header row frozen, text safe from formula injection.

    `created` (the plan's date, not the clock) goes in the file, so the same plan gives the
    same bytes.
    """
    import xlsxwriter

    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False}) as wb:
        wb.set_properties({"created": dt.datetime.combine(created, dt.time()),
                           "author": "caseload"})
        for name, frame in sheets.items():
            # (ID cells in the Text format: a number typed over one keeps its leading zeros)
            text = {c: "@" for c in ID_COLUMNS if frame.schema.get(c) == pl.String}
            neutralise(frame).write_excel(wb, worksheet=name, autofit=True, freeze_panes=(1, 0),
                                          column_formats=text or None)
    return buf.getvalue()


def write_frame(frame: pl.DataFrame, target: Path, as_of: dt.date, sheet: str = "moves") -> None:
    if target.suffix.lower() == ".xlsx":
        atomic_write(target, frame_to_xlsx_bytes({sheet: frame}, as_of))
    else:
        with atomic_writer(target) as fh:  # (written as it is made, never held whole)
            neutralise(frame).write_csv(fh, include_bom=True)
