"""Digits that MNIST has too few of, made for training: pen-stroke templates of the ways people write each
digit (flagged 1s with a base or slanted like a lambda, crossed 7s and 7s with a foot, open and cursive 4s,
9s with a hooked, curled or g-like tail or a small loop on a long tail, looped 2s...) and
digits typed in the fonts that ship with matplotlib. Half the template digits have their ink box stretched
to a square, as scans that fill a fixed box store them.

Only training uses this module. The held-out sets in `benchmarks/` come from other generators (other
templates, other fonts), so what the network learns here is checked on shapes it never saw.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from digitrec.adapters.drawing.pen import Stroke, arc, draw_strokes, draw_text
from digitrec.domain.preprocessing import EmptyDrawing, preprocess_canvas

STRETCHED = 0.5  # share of template digits drawn with their ink box stretched to a square

# Strokes in a unit box (x right, y down); several styles per digit.
DIGIT_STYLES: dict[int, list[list[Stroke]]] = {
    0: [
        [arc(0.5, 0.5, 0.42, 0.5, -90, 272)],
        [arc(0.5, 0.5, 0.45, 0.5, -110, 250)],
        [arc(0.5, 0.5, 0.4, 0.5, -90, 272), [(0.78, 0.1), (0.22, 0.9)]],  # slashed
        [arc(0.5, 0.5, 0.5, 0.5, -70, 300, 20)],  # round
        [[(0.2, 0.0), (0.8, 0.0), (0.8, 1.0), (0.2, 1.0), (0.2, 0.0)]],  # boxy: a tall rectangle
    ],
    1: [
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.32, 0.3), (0.62, 0.0), (0.62, 1.0)]],  # flag: it falls steeply, a 7's bar does not
        [[(0.3, 0.3), (0.58, 0.0), (0.58, 1.0)], [(0.25, 1.0), (0.9, 1.0)]],  # flag and base
        [[(0.35, 0.35), (0.62, 0.0), (0.55, 1.0)]],  # long flag
        [[(0.38, 0.15), (0.52, 0.0), (0.52, 1.0)], [(0.32, 1.0), (0.72, 1.0)]],  # short flag, short base
        [[(0.12, 0.42), (0.52, 0.0), (0.75, 1.0)]],  # slanted, a long flag: like a lambda
        [[(0.15, 0.45), (0.5, 0.0), (0.66, 1.0)], [(0.38, 1.0), (0.92, 1.0)]],  # slanted, flag and foot
        [[(0.05, 0.35), (0.6, 0.0), (0.45, 1.0)]],  # a long flag, the stem leaning left
    ],
    2: [
        [arc(0.5, 0.28, 0.38, 0.28, 190, 395) + [(0.08, 1.0), (0.95, 1.0)]],
        [
            arc(0.5, 0.3, 0.4, 0.3, 180, 380)
            + [(0.25, 0.8)]
            + arc(0.25, 0.88, 0.12, 0.12, -60, 250)
            + [(0.95, 0.95)]
        ],
        [[(0.1, 0.05), (0.9, 0.05), (0.1, 1.0), (0.9, 1.0)]],  # Z-like
        [arc(0.5, 0.3, 0.4, 0.3, 200, 370) + arc(0.9, 1.0, 0.8, 0.6, 270, 180, 8) + [(0.95, 1.0)]],
        [[(0.1, 0.0), (0.9, 0.0), (0.9, 0.5), (0.1, 0.5), (0.1, 1.0), (0.9, 1.0)]],  # boxy
    ],
    3: [
        [arc(0.5, 0.26, 0.36, 0.26, 200, 450) + arc(0.5, 0.74, 0.4, 0.26, -90, 160)],
        [[(0.1, 0.0), (0.9, 0.0), (0.4, 0.42)] + arc(0.5, 0.7, 0.4, 0.3, -90, 160)],  # flat top
        [arc(0.45, 0.26, 0.36, 0.26, 180, 430) + [(0.3, 0.5)] + arc(0.5, 0.74, 0.42, 0.26, -100, 170)],
        [[(0.1, 0.0), (0.9, 0.0), (0.9, 1.0), (0.1, 1.0)], [(0.3, 0.5), (0.9, 0.5)]],  # boxy
    ],
    4: [
        [[(0.68, 1.0), (0.68, 0.0), (0.05, 0.68), (0.95, 0.68)]],  # closed, one stroke
        [[(0.2, 0.0), (0.12, 0.6), (0.9, 0.6)], [(0.7, 0.1), (0.7, 1.0)]],  # open
        [[(0.55, 0.0), (0.08, 0.65), (0.95, 0.65)], [(0.72, 0.3), (0.72, 1.0)]],  # crossbar past the stem
        [[(0.3, 0.0), (0.1, 0.55), (0.9, 0.55)], [(0.65, 0.0), (0.55, 1.0)]],  # open, slanted stem
        # cursive, open at the top: a u whose right side goes on down as a long stem
        [[(0.12, 0.0), (0.12, 0.35)] + arc(0.42, 0.35, 0.3, 0.22, 180, 0, 12) + [(0.72, 0.0), (0.7, 1.0)]],
        [[(0.2, 0.05), (0.1, 0.45), (0.35, 0.6), (0.75, 0.5), (0.78, 0.05), (0.72, 1.0)]],
        [[(0.08, 0.0)] + arc(0.32, 0.42, 0.26, 0.32, 180, 0, 12) + [(0.6, 0.02), (0.6, 1.0)]],  # a narrow u
    ],
    5: [
        [[(0.85, 0.0), (0.28, 0.0), (0.22, 0.45)] + arc(0.5, 0.68, 0.38, 0.32, -125, 150)],
        [[(0.28, 0.0), (0.22, 0.45)] + arc(0.5, 0.68, 0.38, 0.32, -125, 150), [(0.28, 0.02), (0.9, 0.0)]],
        [[(0.8, 0.02), (0.2, 0.0), (0.15, 0.5), (0.6, 0.45), (0.85, 0.7), (0.6, 1.0), (0.1, 0.92)]],
        [[(0.9, 0.0), (0.1, 0.0), (0.1, 0.5), (0.9, 0.5), (0.9, 1.0), (0.1, 1.0)]],  # boxy
    ],
    6: [
        [[(0.75, 0.0)] + arc(0.48, 0.7, 0.34, 0.3, -150, 215)],
        [[(0.7, 0.0), (0.22, 0.55)] + arc(0.5, 0.72, 0.32, 0.28, 200, 565)],
        [arc(0.95, 0.6, 0.75, 0.6, 250, 180, 8) + arc(0.5, 0.72, 0.3, 0.28, 180, 540)],
        [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0), (0.9, 0.5), (0.1, 0.5)]],  # boxy, a flat top
    ],
    7: [
        [[(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)]],
        [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)], [(0.3, 0.5), (0.8, 0.5)]],  # crossed
        [[(0.05, 0.2), (0.05, 0.0), (0.95, 0.0), (0.45, 1.0)]],  # serif
        [[(0.05, 0.05), (0.95, 0.0)] + arc(0.95, 1.0, 0.55, 1.0, 270, 190, 8)],  # curved stem
        [[(0.05, 0.0), (0.95, 0.0), (0.35, 0.95), (0.75, 0.98)]],  # a foot
        [[(0.05, 0.02), (0.95, 0.0), (0.32, 1.0), (0.7, 1.0)], [(0.25, 0.52), (0.8, 0.5)]],  # foot and bar
    ],
    8: [
        [arc(0.5, 0.25, 0.3, 0.25, 90, 450) + arc(0.5, 0.73, 0.36, 0.27, -90, 270)],
        [arc(0.5, 0.25, 0.32, 0.25, 0, 360), arc(0.5, 0.73, 0.38, 0.27, 0, 360)],
        [
            [(0.8, 0.1)]
            + arc(0.5, 0.2, 0.3, 0.2, -20, 180)
            + [(0.85, 0.8)]
            + arc(0.5, 0.8, 0.35, 0.2, 0, 180)
            + [(0.8, 0.1)]
        ],
        [arc(0.5, 0.17, 0.2, 0.17, 90, 450) + arc(0.5, 0.65, 0.4, 0.35, -90, 270)],  # small top loop
        [[(0.1, 0.0), (0.9, 0.0), (0.9, 1.0), (0.1, 1.0), (0.1, 0.0)], [(0.1, 0.5), (0.9, 0.5)]],  # boxy
    ],
    9: [
        [arc(0.5, 0.3, 0.36, 0.3, 0, 360) + [(0.86, 0.3), (0.8, 1.0)]],
        [
            arc(0.5, 0.3, 0.36, 0.3, 0, 360)
            + [(0.86, 0.3), (0.84, 0.78)]
            + arc(0.58, 0.78, 0.26, 0.22, 0, 160)
        ],
        [
            arc(0.5, 0.28, 0.36, 0.28, 10, 360)
            + [(0.86, 0.3), (0.7, 0.85)]
            + arc(0.45, 0.85, 0.2, 0.15, 10, 200)
        ],
        [arc(0.5, 0.3, 0.38, 0.3, -20, 340) + [(0.88, 0.25)] + arc(0.5, 0.65, 0.38, 0.35, 0, 120)],  # curled
        [arc(0.52, 0.3, 0.34, 0.3, 30, 350) + [(0.86, 0.3), (0.86, 1.0)]],  # open loop
        # a tail that hooks back to the left, like a g
        [
            arc(0.5, 0.28, 0.34, 0.26, 0, 360)
            + [(0.84, 0.3), (0.82, 0.75)]
            + arc(0.5, 0.75, 0.32, 0.22, 0, 170)
        ],
        [arc(0.48, 0.16, 0.24, 0.16, 0, 360) + [(0.72, 0.16), (0.68, 1.0)]],  # a small loop, a long tail
        # a small loop high on the right and a wide hook under it (read as 3 when the loop fills in)
        [
            arc(0.62, 0.18, 0.2, 0.15, 0, 360)
            + [(0.82, 0.2), (0.8, 0.68)]
            + arc(0.45, 0.68, 0.36, 0.3, 0, 175)
        ],
        [
            arc(0.6, 0.2, 0.22, 0.18, 0, 360)
            + [(0.82, 0.22), (0.78, 0.72)]
            + arc(0.45, 0.72, 0.33, 0.26, 0, 210)
        ],
        [[(0.9, 0.5), (0.1, 0.5), (0.1, 0.0), (0.9, 0.0), (0.9, 1.0), (0.1, 1.0)]],  # boxy
    ],
}


def matplotlib_fonts() -> list[Path]:
    """The TrueType fonts bundled with matplotlib (a dependency), so training needs nothing else installed."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    skip = ("cmex", "cmsy", "STIXSiz", "STIXNonUni", "LastResort", "Display")
    return sorted(p for p in folder.glob("*.ttf") if not p.name.startswith(skip))


def template_digit(digit: int, rng: np.random.Generator) -> np.ndarray:
    styles = DIGIT_STYLES[digit]
    drawing = draw_strokes(styles[rng.integers(len(styles))], rng)
    return stretched_to_square(drawing) if rng.random() < STRETCHED else drawing


def stretched_to_square(drawing: np.ndarray) -> np.ndarray:
    """The drawing's ink box stretched to a square, as scanners that fill a fixed box do (Semeion's 16x16):
    a 1 with a flag then comes out as wide as a 7. A drawing thinner than a quarter of its height (a plain
    stroke) is left as it is: stretched, it would be a solid block."""
    rows, cols = np.nonzero(drawing)
    if len(rows) == 0:
        return drawing
    height, width = int(np.ptp(rows)) + 1, int(np.ptp(cols)) + 1
    if min(height, width) < max(height, width) / 4:
        return drawing
    side = max(height, width)
    ink = Image.fromarray(drawing[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1])
    square = np.zeros((side + 8, side + 8), np.uint8)
    square[4:-4, 4:-4] = np.asarray(ink.resize((side, side), Image.BILINEAR))
    return square


def font_digit(digit: int, fonts: list[Path], rng: np.random.Generator) -> np.ndarray | None:
    return draw_text(fonts[rng.integers(len(fonts))], str(digit), rng, outline=rng.random() < 0.05)


def synthetic_digits(
    count: int, rng: np.random.Generator, font_share: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """`count` drawn digits, preprocessed as the app does: images (count, 28, 28) float32, labels int64."""
    fonts = matplotlib_fonts()
    images, labels = [], []
    while len(labels) < count:
        digit = len(labels) % 10
        drawing = font_digit(digit, fonts, rng) if rng.random() < font_share else template_digit(digit, rng)
        if (model_input := preprocessed(drawing)) is not None:
            images.append(model_input)
            labels.append(digit)
    return stacked(images), np.asarray(labels, dtype=np.int64)


def preprocessed(drawing: np.ndarray | None) -> np.ndarray | None:
    """A drawing as the app would hand it to the model, or None for no drawing or one with too little ink."""
    if drawing is None:
        return None
    try:
        return preprocess_canvas(drawing)
    except EmptyDrawing:
        return None


def stacked(images: list[np.ndarray]) -> np.ndarray:
    return np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
