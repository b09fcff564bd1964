"""Letters as a pen draws them, for training the not-a-digit verdict: capitals and small letters that do not
look like digits, alone or in short words. Hand-made stroke templates in a unit box (x right, y down);
the fonts of the held-out sets are never used for training.
"""

from __future__ import annotations

import numpy as np

from digitrec.adapters.drawing.pen import Stroke, arc

# Letters people do not mistake for digits (no O, I, l, Z, S, G, B, g, q, b, T, J...), and some that a
# model took for digits (A as 4, h as 4 or 6, an epsilon as 3, a script F as 7, a script l as 1).
LETTER_STROKES: dict[str, list[Stroke]] = {
    "C": [arc(0.55, 0.5, 0.45, 0.5, -45, -315)],
    "E": [[(0.85, 0.0), (0.1, 0.0), (0.1, 1.0), (0.85, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0.0), (0.15, 0.0), (0.15, 1.0)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.9, 1.0)], [(0.1, 0.5), (0.9, 0.5)]],
    "K": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.15, 0.55), (0.85, 1.0)]],
    "M": [[(0.05, 1.0), (0.1, 0.0), (0.5, 0.7), (0.9, 0.0), (0.95, 1.0)]],
    "N": [[(0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0)]],
    "R": [[(0.15, 1.0), (0.15, 0.0)] + arc(0.45, 0.25, 0.35, 0.25, -90, 90) + [(0.15, 0.5), (0.85, 1.0)]],
    "U": [[(0.1, 0.0)] + arc(0.5, 0.6, 0.4, 0.4, 180, 0, 12) + [(0.9, 0.0)]],
    "V": [[(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.05, 0.0), (0.95, 1.0)], [(0.95, 0.0), (0.05, 1.0)]],
    "Y": [[(0.0, 0.0), (0.5, 0.5), (1.0, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
    "c": [arc(0.55, 0.6, 0.45, 0.4, -40, -320)],
    "e": [[(0.1, 0.55), (0.9, 0.55)] + arc(0.5, 0.55, 0.4, 0.45, 0, -300)],
    "f": [arc(0.65, 0.2, 0.25, 0.2, -10, -180, 8) + [(0.4, 1.0)], [(0.1, 0.45), (0.75, 0.45)]],
    "k": [[(0.15, 0.0), (0.15, 1.0)], [(0.8, 0.35), (0.15, 0.7), (0.85, 1.0)]],
    "m": [
        [(0.05, 1.0), (0.05, 0.3)] + arc(0.27, 0.4, 0.22, 0.2, 180, 360, 8) + [(0.5, 1.0)],
        [(0.5, 0.45)] + arc(0.72, 0.4, 0.22, 0.2, 180, 360, 8) + [(0.95, 1.0)],
    ],
    "n": [[(0.1, 1.0), (0.1, 0.2)] + arc(0.5, 0.4, 0.4, 0.3, 180, 360, 10) + [(0.9, 1.0)]],
    "r": [[(0.2, 1.0), (0.2, 0.1)], [(0.2, 0.45)] + arc(0.55, 0.4, 0.35, 0.3, 180, 300, 8)],
    "u": [[(0.1, 0.0)] + arc(0.5, 0.6, 0.4, 0.4, 180, 0, 12) + [(0.9, 0.0), (0.95, 1.0)]],
    "v": [[(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]],
    "w": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.25), (0.75, 1.0), (1.0, 0.0)]],
    "x": [[(0.05, 0.0), (0.95, 1.0)], [(0.95, 0.0), (0.05, 1.0)]],
    "A": [[(0.05, 1.0), (0.5, 0.0), (0.95, 1.0)], [(0.25, 0.6), (0.75, 0.6)]],
    "h": [
        [(0.15, 0.0), (0.15, 1.0)],
        [(0.15, 0.55)] + arc(0.5, 0.6, 0.35, 0.25, 180, 360, 10) + [(0.85, 1.0)],
    ],
    "epsilon": [arc(0.55, 0.27, 0.38, 0.25, -40, -270, 12) + arc(0.55, 0.73, 0.42, 0.27, 270, 40, 12)],
    "script F": [
        [(0.15, 0.05), (0.95, 0.0)],
        [(0.38, 0.02), (0.3, 0.6), (0.15, 1.0)],
        [(0.12, 0.5), (0.65, 0.5)],
    ],
    "script l": [[(0.3, 0.95)] + arc(0.5, 0.3, 0.2, 0.3, 120, -240, 16) + [(0.5, 0.95), (0.75, 1.0)]],
}
LETTERS = tuple(LETTER_STROKES)


def letter(rng: np.random.Generator) -> list[Stroke]:
    return LETTER_STROKES[LETTERS[rng.integers(len(LETTERS))]]


def word(rng: np.random.Generator) -> list[Stroke]:
    """Two to five letters side by side, each in its own box, as handwriting runs along a line."""
    strokes: list[Stroke] = []
    count = int(rng.integers(2, 6))
    for k in range(count):
        shape = LETTER_STROKES[LETTERS[rng.integers(len(LETTERS))]]
        squash = rng.uniform(0.6, 1.0)
        strokes += [[((k + 0.1 + 0.8 * x) / count, 1 - squash + squash * y) for x, y in s] for s in shape]
    return strokes
