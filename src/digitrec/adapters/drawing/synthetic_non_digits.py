"""Drawings that are not digits, made for training the not-a-digit verdict (outlier exposure): letters,
symbols and short words typed in matplotlib's fonts, procedural doodles (faces, stars, spirals, grids,
houses, arrows, zigzags...) and dense scribbles.

Only training uses this module. The held-out non-digits in `benchmarks/` come from another generator
(other fonts, hand-made doodle templates), so the verdict is checked on drawings it never saw. Shapes that
people use for digits are left out on purpose: a plain circle or oval (0), a single line (1), letters such
as O, I, l, Z, S, G, B, g, q, y.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from digitrec.adapters.drawing.pen import HandStyle, Stroke, arc, draw_strokes, draw_text
from digitrec.adapters.drawing.synthetic_digits import matplotlib_fonts, preprocessed, stacked
from digitrec.adapters.drawing.synthetic_letters import letter, word

LETTERS = "CEFHKMNRUVWXYcfkmnruvwx"
SYMBOLS = "☺☻★☆♥♡♦♣♠☀☁☂✓✔✗✘→←↑↓↔⇒⌂✉♪♫⊞⊠#@%*+=ΩΣΠΛΞΨλπμωψ♀♂☼☎✂⌘◎◉▣▦▩◈"
SYMBOL_FONTS = ("DejaVuSans", "DejaVuSansMono", "STIXGeneral")

Doodle = Callable[[np.random.Generator], list[Stroke]]


def polygon(cx: float, cy: float, r: float, corners: int, turn: float, inner: float = 1.0) -> Stroke:
    """A closed polygon (a star when `inner` < 1: every other corner pulled in)."""
    n = corners * (2 if inner < 1.0 else 1)
    radii = [r if k % 2 == 0 or inner >= 1.0 else r * inner for k in range(n + 1)]
    return [
        (cx + rad * math.cos(turn + 2 * math.pi * k / n), cy + rad * math.sin(turn + 2 * math.pi * k / n))
        for k, rad in enumerate(radii)
    ]


def star(rng: np.random.Generator) -> list[Stroke]:
    return [polygon(0.5, 0.5, 0.5, int(rng.integers(5, 8)), rng.uniform(0, 6.3), rng.uniform(0.3, 0.5))]


def face(rng: np.random.Generator) -> list[Stroke]:
    eye = rng.uniform(0.04, 0.08)
    mouth = (
        arc(0.5, 0.55, 0.22, rng.uniform(0.08, 0.2), 20, 160)
        if rng.random() < 0.7
        else [(0.32, 0.7), (0.68, 0.7)]
    )
    return [
        arc(0.5, 0.5, 0.5, 0.5, 0, 360, 24),
        arc(0.33, 0.35, eye, eye, 0, 360, 8),
        arc(0.67, 0.35, eye, eye, 0, 360, 8),
        mouth,
    ]


def spiral(rng: np.random.Generator) -> list[Stroke]:
    turns = rng.uniform(2.0, 3.5)
    t = np.linspace(0, 1, 60)
    angle = 2 * math.pi * turns * t + rng.uniform(0, 6.3)
    return [list(zip(0.5 + 0.5 * t * np.cos(angle), 0.5 + 0.5 * t * np.sin(angle), strict=True))]


def grid(rng: np.random.Generator) -> list[Stroke]:
    rows, cols = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    return [[(0.0, y), (1.0, y)] for y in np.linspace(0.15, 0.85, rows)] + [
        [(x, 0.0), (x, 1.0)] for x in np.linspace(0.15, 0.85, cols)
    ]


def house(rng: np.random.Generator) -> list[Stroke]:
    roof = rng.uniform(0.25, 0.45)
    walls = [(0.1, roof), (0.1, 1.0), (0.9, 1.0), (0.9, roof), (0.1, roof)]
    door = [(0.4, 1.0), (0.4, 0.7), (0.6, 0.7), (0.6, 1.0)]
    return [walls, [(0.0, roof + 0.05), (0.5, 0.0), (1.0, roof + 0.05)]] + (
        [door] if rng.random() < 0.6 else []
    )


def arrow(rng: np.random.Generator) -> list[Stroke]:
    head = rng.uniform(0.2, 0.35)
    return [[(0.0, 0.5), (1.0, 0.5)], [(1.0 - head, 0.5 - head), (1.0, 0.5), (1.0 - head, 0.5 + head)]]


def zigzag(rng: np.random.Generator) -> list[Stroke]:
    n = int(rng.integers(4, 9))
    return [[(k / n, 0.0 if k % 2 else 1.0) for k in range(n + 1)]]


def waves(rng: np.random.Generator) -> list[Stroke]:
    lines = int(rng.integers(2, 4))
    x = np.linspace(0, 1, 40)
    return [
        list(zip(x, y + 0.12 * np.sin(2 * math.pi * rng.uniform(1.5, 3) * x), strict=True))
        for y in np.linspace(0.2, 0.8, lines)
    ]


def sun(rng: np.random.Generator) -> list[Stroke]:
    rays = int(rng.integers(6, 12))
    angles = np.linspace(0, 2 * math.pi, rays, endpoint=False)
    spokes = [
        [
            (0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a)),
            (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a)),
        ]
        for a in angles
    ]
    return [arc(0.5, 0.5, 0.22, 0.22, 0, 360, 16)] + spokes


def heart(rng: np.random.Generator) -> list[Stroke]:
    t = np.linspace(0, 2 * math.pi, 40)
    x, y = 16 * np.sin(t) ** 3, 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    return [list(zip(0.5 + x / 34, 0.45 - y / 34, strict=True))]


def check_mark(rng: np.random.Generator) -> list[Stroke]:
    low = rng.uniform(0.3, 0.45)
    return [[(0.0, 0.55), (low, 1.0), (1.0, 0.0)]]


def cross_hatch(rng: np.random.Generator) -> list[Stroke]:
    lines = int(rng.integers(3, 7))
    offsets = np.linspace(-0.6, 0.6, lines)
    down = [[(0.0, d), (1.0, 1.0 + d)] for d in offsets]
    up = [[(0.0, 1.0 + d), (1.0, d)] for d in offsets] if rng.random() < 0.5 else []
    return down + up


def scribble(rng: np.random.Generator) -> list[Stroke]:
    """A tangled pen path: many turns, much ink."""
    n = int(rng.integers(25, 70))
    heading, speed = rng.uniform(0, 6.3), rng.uniform(0.08, 0.18)
    position, points = np.array([0.5, 0.5]), []
    for _ in range(n):
        heading += rng.normal(0, 1.1)
        position = np.clip(position + speed * np.array([math.cos(heading), math.sin(heading)]), 0, 1)
        points.append((float(position[0]), float(position[1])))
    return [points]


def dense_zigzag(rng: np.random.Generator) -> list[Stroke]:
    """A patch filled by going back and forth, as a person scribbles something out."""
    turns = int(rng.integers(8, 25))
    wobble = rng.uniform(0, 0.08, turns + 1)
    return [[(float(k % 2) + (wobble[k] if k % 2 == 0 else -wobble[k]), k / turns) for k in range(turns + 1)]]


def bumpy_curve(rng: np.random.Generator) -> list[Stroke]:
    """A closed curve with five to nine bumps (a cloud, a bush, a flower's outline)."""
    bumps, depth = int(rng.integers(5, 10)), rng.uniform(0.12, 0.25)
    t = np.linspace(0, 2 * math.pi, 80)
    radius = 0.5 - depth * np.abs(np.sin(bumps * t / 2))
    return [list(zip(0.5 + radius * np.cos(t), 0.5 + radius * np.sin(t), strict=True))]


def closed_polygon(rng: np.random.Generator) -> list[Stroke]:
    """A triangle, square or pentagon, most often upright, its corners a little off: a clean square is
    otherwise read as a 0."""
    corners = int(rng.choice([3, 4, 4, 5]))
    upright = rng.random() < 0.6
    level = math.pi / 4 if corners == 4 else -math.pi / 2
    turn = level + (rng.normal(0, 0.08) if upright else rng.uniform(0, 2 * math.pi))
    points = [
        (x + rng.normal(0, 0.02), y + rng.normal(0, 0.02))
        for x, y in polygon(0.5, 0.5, 0.5, corners, turn)[:-1]
    ]
    return [[*points, points[0]]]


def random_strokes(rng: np.random.Generator) -> list[Stroke]:
    """Four to seven short strokes anywhere: a doodle of no shape."""
    return [
        [tuple(rng.uniform(0, 1, 2)) for _ in range(int(rng.integers(2, 4)))]
        for _ in range(int(rng.integers(4, 8)))
    ]


DOODLES: tuple[Doodle, ...] = (
    star,
    face,
    spiral,
    grid,
    house,
    arrow,
    zigzag,
    waves,
    sun,
    heart,
    check_mark,
    cross_hatch,
    scribble,
    random_strokes,
    dense_zigzag,
    bumpy_curve,
    closed_polygon,  # twice: about 3% of the training non-digits
    closed_polygon,
)


def typed(rng: np.random.Generator, fonts: list, symbol_fonts: list) -> np.ndarray | None:
    kind = rng.random()
    if kind < 0.4:
        text, pool = LETTERS[rng.integers(len(LETTERS))], fonts
    elif kind < 0.7:
        text, pool = SYMBOLS[rng.integers(len(SYMBOLS))], symbol_fonts
    else:
        text, pool = "".join(rng.choice(list(LETTERS), int(rng.integers(2, 6)))), fonts
    return draw_text(pool[rng.integers(len(pool))], text, rng, outline=rng.random() < 0.15)


def synthetic_non_digits(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` drawings that are not digits, preprocessed as the app does: (count, 28, 28) float32: 30%
    typed (letters, symbols, words in matplotlib's fonts), 30% doodles, 25% pen-drawn letters, 15% words."""
    fonts = matplotlib_fonts()
    symbol_fonts = [f for f in fonts if f.stem in SYMBOL_FONTS]
    doodling = HandStyle(slant=30, shear=0.3, aspect=(0.6, 1.4), jitter=0.015, brush=(0.04, 0.14))
    writing = HandStyle(jitter=0.015, brush=(0.05, 0.18))
    words = HandStyle(height=(0.18, 0.3), slant=10, aspect=(2.0, 4.0), jitter=0.01, brush=(0.08, 0.2))
    images: list[np.ndarray] = []
    while len(images) < count:
        kind = rng.random()
        if kind < 0.3:
            drawing = typed(rng, fonts, symbol_fonts)
        elif kind < 0.6:
            drawing = draw_strokes(DOODLES[rng.integers(len(DOODLES))](rng), rng, doodling)
        elif kind < 0.85:
            drawing = draw_strokes(letter(rng), rng, writing)
        else:
            drawing = draw_strokes(word(rng), rng, words)
        if (model_input := preprocessed(drawing)) is not None:
            images.append(model_input)
    return stacked(images)
