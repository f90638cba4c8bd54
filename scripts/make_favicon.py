"""Write ``static/favicon.ico``: a 32×32 icon (a blue rounded square with three rising white
bars, the overview's chart), as a PNG inside an ICO container. Standard library only; run it
again after changing the drawing: ``python scripts/make_favicon.py``."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZE = 32
BLUE = (0x1F, 0x5F, 0xA8, 0xFF)
WHITE = (0xFF, 0xFF, 0xFF, 0xFF)
CLEAR = (0, 0, 0, 0)
BARS = ((7, 12, 18), (14, 19, 11), (21, 26, 5))  # (left, right, top) of each bar; bottom 25


def pixel(x: int, y: int) -> tuple[int, int, int, int]:
    radius = 6
    cx = min(max(x, radius), SIZE - 1 - radius)
    cy = min(max(y, radius), SIZE - 1 - radius)
    if (x - cx) ** 2 + (y - cy) ** 2 > radius**2:
        return CLEAR
    for left, right, top in BARS:
        if left <= x < right and top <= y < 26:
            return WHITE
    return BLUE


def png() -> bytes:
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def ico() -> bytes:
    image = png()
    entry = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + image


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "static" / "favicon.ico"
    target.write_bytes(ico())
    print(f"wrote {target}")
