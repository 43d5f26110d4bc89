"""Draws the extension's 16x16 PNG icons with the standard library only.

Run ``python icons/draw_icons.py`` after changing a shape; the PNGs are committed.
Each icon is a small pixel map: ``#`` is the icon colour, ``o`` a lighter accent, ``.`` clear.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

TEAL = (16, 163, 127, 255)  # a green close to OpenAI's brand colour
LIGHT = (170, 226, 212, 255)
CLEAR = (0, 0, 0, 0)

SHAPES = {
    # the category: a speech bubble (assistants)
    "category": """
................
..############..
.##############.
.##oooooooooo##.
.##o########o##.
.##oooooooooo##.
.##o######oooo#.
.##oooooooooo##.
.##############.
..############..
.....###........
.....##.........
.....#..........
................
................
................
""",
    # OpenAI Configuration: a key
    "openai-configuration": """
................
................
...####.........
..######........
.###oo###.......
.##oooo##.......
.##oooo#########
.###oo##########
..######....##.#
...####.....##.#
............##..
................
................
................
................
................
""",
    # Create Run: a play triangle in a ring
    "create-run": """
................
.....######.....
...##########...
..###oooooo###..
.###oo#ooooo###.
.##ooo##oooooo#.
.##ooo###ooooo#.
.##ooo####oooo#.
.##ooo####oooo#.
.##ooo###ooooo#.
.##ooo##oooooo#.
.###oo#ooooo###.
..###oooooo###..
...##########...
.....######.....
................
""",
    # Assistant nodes: a robot head
    "assistant": """
................
.......##.......
.......##.......
..############..
..#oooooooooo#..
..#oo##oo##oo#..
..#oo##oo##oo#..
..#oooooooooo#..
..#ooo####ooo#..
..#oooooooooo#..
..############..
....########....
...##########...
...##......##...
...##......##...
................
""",
    # Thread nodes: two stacked speech bubbles
    "thread": """
................
.##########.....
.#oooooooo#.....
.#o######o#.....
.#oooooooo#.....
.####o#####.....
....#o#.........
.....##########.
.....#oooooooo#.
.....#o######o#.
.....#oooooooo#.
.....#####o####.
.........#o#....
..........##....
................
................
""",
    # Message nodes: an envelope
    "message": """
................
................
................
.##############.
.###oooooooo###.
.#o##oooooo##o#.
.#oo##oooo##oo#.
.#ooo##oo##ooo#.
.#oooo####oooo#.
.#ooooo##ooooo#.
.#oooooooooooo#.
.##############.
................
................
................
................
""",
    # Run nodes (other than Create Run): a ring with a clock hand
    "run": """
................
.....######.....
...##oooooo##...
..#oooo##oooo#..
.#ooooo##ooooo#.
.#ooooo##ooooo#.
#oooooo##oooooo#
#oooooo#######o#
#oooooo#######o#
#oooooooooooooo#
.#oooooooooooo#.
.#oooooooooooo#.
..#oooooooooo#..
...##oooooo##...
.....######.....
................
""",
    # Run step nodes: stairs
    "run-step": """
................
................
...........####.
...........#oo#.
...........#oo#.
.......#####oo#.
.......#oooooo#.
.......#oooooo#.
...#####oooooo#.
...#oooooooooo#.
...#oooooooooo#.
####oooooooooo#.
#oooooooooooooo.
#oooooooooooooo.
###############.
................
""",
    # the Files nodes: a document with a folded corner and lines of text
    "file": """
................
..########......
..#oooooo##.....
..#oooooo#o#....
..#oooooo#oo#...
..#oooooo#####..
..#oo######oo#..
..#oooooooooo#..
..#oo######oo#..
..#oooooooooo#..
..#oo######oo#..
..#oooooooooo#..
..#oo####oooo#..
..#oooooooooo#..
..############..
................
""",
    # the Vector Stores nodes: a stack of three disks (a store of chunks)
    "vector-store": """
................
...##########...
..#oooooooooo#..
..############..
..#oooooooooo#..
..#oooooooooo#..
..############..
..#oooooooooo#..
..#oooooooooo#..
..############..
..#oooooooooo#..
..#oooooooooo#..
..############..
...##########...
................
................
""",
}


def png_bytes(rows: list[list[tuple[int, int, int, int]]]) -> bytes:
    """A minimal RGBA PNG: signature, IHDR, one IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + b"".join(bytes(px) for px in row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def pixels(shape: str) -> list[list[tuple[int, int, int, int]]]:
    palette = {"#": TEAL, "o": LIGHT, ".": CLEAR}
    lines = [line for line in shape.strip("\n").splitlines()]
    assert len(lines) == 16 and all(len(line) == 16 for line in lines), "icons are 16x16"
    return [[palette[ch] for ch in line] for line in lines]


def main() -> None:
    folder = Path(__file__).resolve().parent
    for name, shape in SHAPES.items():
        (folder / f"{name}.png").write_bytes(png_bytes(pixels(shape)))
        print(f"wrote icons/{name}.png")


if __name__ == "__main__":
    main()
