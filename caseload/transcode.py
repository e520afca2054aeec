"""GB18030 (or UTF-16) exports to UTF-8 for polars, on both cores for a big GB18030 file.

Python's codecs hold the interpreter lock, so a thread cannot share the work. A big GB18030
file is cut in two at a line break (the byte ``\\n`` never occurs inside a GB18030 character,
so the second half starts on a character) and the second half is converted by this same
module run as a script in a second interpreter, while the first is converted here. The helper
uses the standard library only and starts in isolated mode (``-I``), in a few milliseconds.

Output is identical to converting the whole file in one process: the same codec, the same
bytes. Both halves are read from the one file this process opened (the helper inherits the
descriptor), so an export renamed over the path meanwhile cannot blend into it. A byte that is
not valid is reported by its offset in the original file.
"""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 22
PARALLEL_BYTES = 32 << 20  # below this, starting a second interpreter costs more than it saves
_BAD = 3  # the helper's exit code for bytes that are not valid; it prints their offset


class BadBytes(Exception):
    """Bytes that are not valid in the encoding, at `offset` in the original file."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def convert(
    src: BinaryIO | _Positional, dst: BinaryIO, encoding: str, start: int, end: int | None
) -> None:
    """Bytes `start`..`end` (None: the end of the file) of `src` as UTF-8 into `dst`."""
    decoder = codecs.getincrementaldecoder(encoding)()
    src.seek(start)
    offset = start  # of the next chunk; the decoder may hold the first bytes of a character
    while (want := CHUNK if end is None else min(CHUNK, end - offset)) > 0 and (
        chunk := src.read(want)
    ):
        held = len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:  # (counted from the bytes held, then the chunk)
            raise BadBytes(offset - held + exc.start) from None
        dst.write(text.encode("utf-8"))
        offset += len(chunk)
    held = len(decoder.getstate()[0])
    try:
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadBytes(offset - held + exc.start) from None


class _Positional:
    """A file's bytes read at explicit offsets (`os.pread`), through a shared descriptor.

    The helper inherits this process's descriptor, so both read the same file even if another
    is renamed over its path meanwhile; reading at offsets, neither moves the other's position.
    """

    def __init__(self, fd: int) -> None:
        self.fd, self.position = fd, 0

    def seek(self, position: int) -> None:
        self.position = position

    def read(self, size: int) -> bytes:
        data = os.pread(self.fd, size, self.position)
        self.position += len(data)
        return data


def to_utf8_file(path: Path, encoding: str) -> Path:
    """A temporary UTF-8 copy of `path` (the caller removes it); raises `BadBytes`."""
    fd, tmp = tempfile.mkstemp(prefix="caseload-", suffix=".csv")
    second: tuple[subprocess.Popen, str] | None = None
    try:
        with path.open("rb") as file, os.fdopen(fd, "wb") as dst:
            size = os.fstat(file.fileno()).st_size
            two = encoding == "gb18030" and size >= PARALLEL_BYTES and hasattr(os, "pread")
            src: BinaryIO | _Positional = _Positional(file.fileno()) if two else file
            split = _split_point(src, size) if two else None
            if split is not None:
                second = _start_helper(file.fileno(), split, encoding)
            convert(src, dst, encoding, 0, split)
            if split is not None:
                _append_second_half(src, dst, encoding, split, second)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        if second is not None:
            process, part = second
            if process.poll() is None:  # (this half failed first: the other is not needed)
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
            Path(part).unlink(missing_ok=True)
    return Path(tmp)


def _split_point(src: _Positional, size: int) -> int | None:
    """Just after the first line break past the middle of the file (None: there is none)."""
    src.seek(size // 2)
    at = src.read(CHUNK).find(b"\n")
    return None if at < 0 or size // 2 + at + 1 >= size else size // 2 + at + 1


def _start_helper(fd: int, split: int, encoding: str) -> tuple[subprocess.Popen, str] | None:
    """The second interpreter, converting from `split` on, reading the file we hold open."""
    handle, part = tempfile.mkstemp(prefix="caseload-", suffix=".part")
    os.close(handle)
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).resolve()), str(fd), str(split), part,
             encoding],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            pass_fds=(fd,),
        )
    except OSError:  # no second interpreter here: this process converts both halves
        Path(part).unlink(missing_ok=True)
        return None
    return process, part


def _append_second_half(
    src: BinaryIO | _Positional, dst: BinaryIO, encoding: str, split: int,
    second: tuple[subprocess.Popen, str] | None,
) -> None:
    if second is not None:
        process, part = second
        out, _ = process.communicate()
        if process.returncode == 0:
            with open(part, "rb") as converted:
                shutil.copyfileobj(converted, dst, CHUNK)
            return
        if process.returncode == _BAD and out.strip().isdigit():
            raise BadBytes(int(out))
    convert(src, dst, encoding, split, None)  # the helper failed otherwise: do it here


def _main(argv: list[str]) -> int:
    fd, start, target, encoding = argv
    with open(target, "wb") as dst:
        try:
            convert(_Positional(int(fd)), dst, encoding, int(start), None)
        except BadBytes as exc:
            print(exc.offset)
            return _BAD
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
