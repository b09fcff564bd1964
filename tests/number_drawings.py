"""Numbers drawn for the tests: glyphs (a 0 as a ring, a 1 as a bar, a 5 in two strokes) placed on a wide
canvas with given gaps, and two 0s bridged by a pen that never left the paper."""

from __future__ import annotations

import numpy as np


def ring(height: int, width: int, thickness: int = 12) -> np.ndarray:
    """An elliptic ring (a 0) filling a height x width box, white on black."""
    y, x = np.mgrid[0:height, 0:width]
    r = ((y - height / 2 + 0.5) / (height / 2)) ** 2 + ((x - width / 2 + 0.5) / (width / 2)) ** 2
    inner = ((y - height / 2 + 0.5) / (height / 2 - thickness)) ** 2 + (
        (x - width / 2 + 0.5) / (width / 2 - thickness)
    ) ** 2
    return ((r <= 1) & (inner >= 1)).astype(np.float32)


def bar(height: int, width: int = 14) -> np.ndarray:
    return np.ones((height, width), np.float32)


def five(height: int = 120) -> np.ndarray:
    """A 5 drawn in two strokes: a top bar apart from the body (a gap of rows, overlapping columns)."""
    glyph = np.zeros((height, 70), np.float32)
    glyph[:12, 10:70] = 1  # the separate top bar
    glyph[22:60, 10:22] = 1
    glyph[50:62, 10:60] = 1
    glyph[50:height, 55:67] = 1
    glyph[height - 12 :, 5:67] = 1
    return glyph


def number(
    glyphs: list[np.ndarray], gaps: list[int], left: int = 30, top: int = 40, shape=(280, 700)
) -> np.ndarray:
    canvas = np.zeros(shape, np.float32)
    x = left
    for glyph, gap in zip(glyphs, [*gaps, 0], strict=True):
        canvas[top : top + glyph.shape[0], x : x + glyph.shape[1]] = np.maximum(
            canvas[top : top + glyph.shape[0], x : x + glyph.shape[1]], glyph
        )
        x += glyph.shape[1] + gap
    return canvas


def bridged_zeros() -> np.ndarray:
    """Two 0s joined by a short thin stroke, as a pen that never left the paper leaves them."""
    drawing = number([ring(120, 100), ring(120, 100)], [10])
    drawing[95:99, 128:142] = 1
    return drawing
