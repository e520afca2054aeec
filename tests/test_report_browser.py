"""A real browser opens the HTML report offline: headless Chromium takes a screenshot of it.

Needs Debian's `chromium` (and `fonts-noto-cjk` for the Chinese page):
    apt-get install -y chromium fonts-noto-cjk
The PNG is decoded here with zlib and numpy (in the test extra): no imaging package is needed.
UPDATE_GOLDEN=1 copies the Chinese screenshot to docs/report.png (the README's picture).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from caseload.check import load_inputs, run
from caseload.config import Settings
from caseload.plan_file import plan_frame
from caseload.render.html import render_html
from tests.conftest import AS_OF, ROOT, SAMPLE
from tests.test_report_html import sample_history

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 2000
# Bar colours from the report's CSS: over, near, within the limit.
RED, AMBER, BLUE = (0xC6, 0x28, 0x28), (0xE6, 0x95, 0x00), (0x4A, 0x78, 0xB0)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs headless Chromium at /usr/bin/chromium (apt-get install -y chromium fonts-noto-cjk)",
)


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                         check=False).stdout
    return bool(out.strip())


def screenshot(html: Path, png: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
           f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
           f"--screenshot={png}", html.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def decode_png(path: Path) -> np.ndarray:
    """The pixels (height x width x RGB, uint8) of an 8-bit, non-interlaced RGB/RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = depth = ctype = interlace = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1)
        if kind == 0:
            cur = line.copy()
        elif kind == 1:  # Sub: a running sum along each channel
            cur = (np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint64) % 256).astype(
                np.uint8).reshape(stride)
        elif kind == 2:  # Up
            cur = line + prev
        else:  # Average or Paeth: each byte depends on the decoded byte to its left
            cur_b, up, raw_b = bytearray(line.tobytes()), prev.tobytes(), line.tobytes()
            for i in range(stride):
                a = cur_b[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    cur_b[i] = (raw_b[i] + (a + b) // 2) & 255
                    continue
                c = up[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur_b[i] = (raw_b[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.frombuffer(bytes(cur_b), dtype=np.uint8)
        out[y] = cur
        prev = out[y]
    return out.reshape(height, width, bpp)[:, :, :3]


def _mask(pixels: np.ndarray, colours: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    return np.logical_or.reduce([(pixels == np.array(c, dtype=np.uint8)).all(axis=2) for c in colours])


def _bar_starts(pixels: np.ndarray, colours: tuple[tuple[int, int, int], ...]) -> Counter[int]:
    """Left edge x of each bar: 20+ pixels in a bar colour, the row 4 pixels down too (so a
    card's 1-pixel border is not a bar); one count per pixel row."""
    mask = _mask(pixels, colours)
    # a run of 20 starting at x: the sum over [x, x+20) is 20
    csum = np.concatenate([np.zeros((mask.shape[0], 1), dtype=np.int32),
                           np.cumsum(mask, axis=1, dtype=np.int32)], axis=1)
    runs = (csum[:, 20:] - csum[:, :-20]) == 20
    runs[:-4] &= mask[4:, : runs.shape[1]]
    runs[-4:] = False
    starts: Counter[int] = Counter()
    for y in np.nonzero(runs.any(axis=1))[0]:
        starts[int(np.argmax(runs[y]))] += 1
    return starts


@pytest.fixture(scope="module")
def outcome():
    return run(load_inputs(SAMPLE / "officers.csv", SAMPLE / "clients.csv"),
               Settings(as_of=dt.date.fromisoformat(AS_OF)))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screenshot(outcome, lang: str, tmp_path: Path) -> None:
    if lang == "zh" and not _has_cjk_font():
        pytest.skip("no Chinese font: apt-get install -y fonts-noto-cjk")
    html = tmp_path / f"report_{lang}.html"
    html.write_text(render_html(outcome.report, plan_frame(outcome.plan), sample_history(), lang),
                    encoding="utf-8")
    png = tmp_path / f"report_{lang}.png"
    done = screenshot(html, png, tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    assert png.exists(), done.stderr[-2000:]
    assert png.stat().st_size > 50_000  # a blank page compresses to a few kilobytes

    pixels = decode_png(png)
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    colours = np.unique(pixels[::4, ::4].reshape(-1, 3), axis=0)
    assert len(colours) > 50, "too few colours: blank or unstyled page"
    white = float((pixels == 255).all(axis=2).mean())
    assert 0.3 < white < 0.97, white

    # over bars red, near bars amber, the rest blue: all drawn, in their colours
    counts = {name: int(_mask(pixels, (c,)).sum()) for name, c in
              (("red", RED), ("amber", AMBER), ("blue", BLUE))}
    assert counts["red"] > 2_000 and counts["amber"] > 2_000 and counts["blue"] > 10_000, counts

    # every bar in every branch chart starts at the same x: charts and rows are aligned
    starts = _bar_starts(pixels, (RED, AMBER, BLUE))
    assert sum(starts.values()) > 200
    assert max(starts) - min(starts) <= 3, starts  # rounded corners start a pixel or two later

    if lang == "zh" and os.environ.get("UPDATE_GOLDEN"):
        target = ROOT / "docs" / "report.png"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(png, target)
