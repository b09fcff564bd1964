"""A pen that draws strokes as a hand does: shapes defined in a unit box, drawn with a round brush after a
random slant, shear, aspect change and an unsteady hand, onto a small canvas (Pillow).

The synthetic training drawings (digits and non-digits) are made with it; what comes out goes through the
same `preprocess_canvas` as a drawing from the app, so the network sees them exactly as it would see a
person's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Point = tuple[float, float]
Stroke = list[Point]

CANVAS = 96  # pixels; a drawing is at most ~80 px tall, and comes out 28x28 after preprocessing


def arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, n: int = 16) -> Stroke:
    """Points on an ellipse from angle `start` to `stop` in degrees (0 = right, 90 = down: y points down)."""
    angles = np.radians(np.linspace(start, stop, max(2, n)))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


@dataclass(frozen=True)
class HandStyle:
    """Ranges of how differently people draw the same shape."""

    height: tuple[float, float] = (0.55, 0.85)  # of the canvas
    slant: float = 18.0  # degrees either way
    shear: float = 0.3
    aspect: tuple[float, float] = (0.45, 1.1)  # width / height of the unit box
    jitter: float = 0.02  # of the height, per point
    brush: tuple[float, float] = (0.05, 0.22)  # of the height


def subdivide(stroke: Stroke, step: float = 0.08) -> Stroke:
    """Extra points along long segments, so that jitter bends lines as a hand does."""
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
        parts = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        points += [(x0 + (x1 - x0) * k / parts, y0 + (y1 - y0) * k / parts) for k in range(1, parts + 1)]
    return points


def smooth_noise(n: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) offsets that wander slowly along a stroke, as a hand's tremor does."""
    steps = rng.normal(0.0, scale, (n + 2, 2))
    return (steps[:-2] + steps[1:-1] + steps[2:]) / 3


def draw_strokes(
    strokes: list[Stroke], rng: np.random.Generator, style: HandStyle = HandStyle()
) -> np.ndarray:
    """The strokes drawn light on dark (uint8, CANVAS x CANVAS), at a random size, place and hand style."""
    height = rng.uniform(*style.height) * CANVAS
    width = height * rng.uniform(*style.aspect)
    angle, shear = (
        math.radians(rng.uniform(-style.slant, style.slant)),
        rng.uniform(-style.shear, style.shear),
    )
    brush = max(1, round(height * rng.uniform(*style.brush)))
    cx, cy = CANVAS / 2 + rng.uniform(-5, 5), CANVAS / 2 + rng.uniform(-5, 5)
    cos, sin = math.cos(angle), math.sin(angle)
    image = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        unit = np.asarray(subdivide(stroke), dtype=np.float64)
        unit = unit + smooth_noise(len(unit), style.jitter, rng)
        x = (unit[:, 0] - 0.5 + shear * (0.5 - unit[:, 1])) * width
        y = (unit[:, 1] - 0.5) * height
        points = list(zip(cx + x * cos - y * sin, cy + x * sin + y * cos, strict=True))
        pen.line(points, fill=255, width=brush, joint="curve")
        for px, py in (points[0], points[-1]):  # round pen tips
            pen.ellipse([px - brush / 2, py - brush / 2, px + brush / 2, py + brush / 2], fill=255)
    return np.asarray(image)


def draw_text(
    font_path: Path, text: str, rng: np.random.Generator, outline: bool = False
) -> np.ndarray | None:
    """`text` in a TrueType font, light on dark, slanted and thickened at random; None if the font draws
    nothing for it (a glyph it lacks)."""
    size = int(rng.integers(28, 56))
    font = ImageFont.truetype(str(font_path), size)
    left, top, right, bottom = font.getbbox(text)
    if right - left < 2 or bottom - top < 2:
        return None
    thickness = (
        int(rng.integers(2, max(3, size // 14) + 1)) if outline else int(rng.integers(0, size // 16 + 1))
    )
    pad = thickness + 8
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(image).text(
        (pad - left, pad - top),
        text,
        font=font,
        fill=0 if outline else 255,
        stroke_width=thickness,
        stroke_fill=255,
    )
    shear = rng.uniform(-0.3, 0.3)
    image = image.transform(
        image.size, Image.AFFINE, (1, shear, -shear * image.height / 2, 0, 1, 0), Image.BILINEAR
    )
    image = image.rotate(rng.uniform(-12, 12), Image.BILINEAR, expand=True)
    pixels = np.asarray(image)
    return pixels if (pixels > 128).sum() >= 12 else None
