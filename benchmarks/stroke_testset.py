"""Build a second canvas test set that owes nothing to MNIST: digits drawn as pen strokes, as a mouse draws.

Each digit is one of two hand-made stroke templates (a plain 1 or one with a flag, a 7 with or without a
bar, a closed or open 4, a curved or straight 9 tail), drawn with a round brush 8-30 px wide at a random
height (60-250 px), width, position, slant (-15 to 15 degrees) and shear on a 280x280 canvas, with every
point jittered as an unsteady hand does. Half are dark on light. The folder gets a labels.csv that
`digitrec evaluate` reads:

    python benchmarks/stroke_testset.py --out stroke-test
    digitrec evaluate stroke-test

It complements canvas_testset.py, whose drawings are MNIST digits redrawn: here the shapes are not
MNIST's at all, so a model that learned MNIST's quirks rather than digits would show it.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digitrec.adapters.drawing.pen import arc as pen_arc

CANVAS = 280
Point = tuple[float, float]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, n: int = 24) -> list[Point]:
    """Points on an ellipse from angle `start` to `stop` (degrees, y pointing down): the pen's arc, with 24
    points unless told."""
    return pen_arc(cx, cy, rx, ry, start, stop, n)


# Strokes in a unit box (x right, y down); two styles per digit, as people write them.
TEMPLATES: dict[int, tuple[list[list[Point]], list[list[Point]]]] = {
    0: ([arc(0.5, 0.5, 0.35, 0.48, -90, 270)], [arc(0.5, 0.5, 0.4, 0.48, -60, 290)]),
    1: ([[(0.35, 0.2), (0.55, 0.0), (0.55, 1.0)]], [[(0.5, 0.0), (0.5, 1.0)]]),
    2: (
        [arc(0.5, 0.3, 0.33, 0.28, 200, 360) + [(0.83, 0.35), (0.15, 1.0), (0.9, 1.0)]],
        [arc(0.5, 0.3, 0.33, 0.28, 190, 380) + [(0.2, 1.0), (0.85, 0.95)]],
    ),
    3: (
        [arc(0.5, 0.27, 0.32, 0.25, 200, 446) + arc(0.5, 0.73, 0.35, 0.27, -90, 160)],
        [[(0.15, 0.0), (0.85, 0.0), (0.45, 0.4)] + arc(0.5, 0.7, 0.35, 0.3, -90, 160)],
    ),
    4: (
        [[(0.6, 0.0), (0.1, 0.65), (0.9, 0.65)], [(0.65, 0.3), (0.65, 1.0)]],
        [[(0.2, 0.0), (0.15, 0.6), (0.85, 0.6)], [(0.7, 0.0), (0.7, 1.0)]],
    ),
    5: (
        [[(0.8, 0.0), (0.25, 0.0), (0.2, 0.45)] + arc(0.5, 0.68, 0.35, 0.3, -120, 150)],
        [[(0.25, 0.0), (0.2, 0.45)] + arc(0.5, 0.68, 0.35, 0.3, -120, 150), [(0.25, 0.0), (0.85, 0.0)]],
    ),
    6: (
        [[(0.7, 0.0)] + arc(0.45, 0.68, 0.3, 0.32, -150, 210)],
        [[(0.7, 0.0), (0.3, 0.4)] + arc(0.5, 0.7, 0.3, 0.3, 200, 560)],
    ),
    7: (
        [[(0.1, 0.0), (0.9, 0.0), (0.35, 1.0)]],
        [[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)], [(0.35, 0.5), (0.75, 0.5)]],
    ),
    8: (
        [arc(0.5, 0.25, 0.27, 0.25, 90, 450) + arc(0.5, 0.72, 0.33, 0.28, -90, 270)],
        [arc(0.5, 0.25, 0.3, 0.25, 0, 360), arc(0.5, 0.73, 0.35, 0.27, 0, 360)],
    ),
    9: (
        [arc(0.5, 0.3, 0.32, 0.3, 0, 360) + [(0.82, 0.3), (0.75, 1.0)]],
        [arc(0.5, 0.3, 0.32, 0.3, 0, 360) + [(0.82, 0.3), (0.82, 1.0)]],
    ),
}


def stroke_drawing(digit: int, style: int, dark_on_light: bool, rng: np.random.Generator) -> Image.Image:
    """`digit` in template `style` (0 or 1), drawn with a round brush on a CANVAS x CANVAS image."""
    height = rng.uniform(60, 250)
    width = height * rng.uniform(0.5, 0.8)
    left, top = rng.uniform(5, CANVAS - 5 - width), rng.uniform(5, CANVAS - 5 - height)
    angle, shear = math.radians(rng.uniform(-15, 15)), rng.uniform(-0.25, 0.25)
    brush = int(rng.uniform(8, 30))
    image = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(image)
    for stroke in TEMPLATES[digit][style]:
        points = []
        for u, v in stroke:
            u, v = u + shear * (0.5 - v) + rng.normal(0, 0.015), v + rng.normal(0, 0.015)
            x, y = (u - 0.5) * width, (v - 0.5) * height
            turned = (x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle))
            points.append((left + width / 2 + turned[0], top + height / 2 + turned[1]))
        pen.line(points, fill=255, width=brush, joint="curve")
        for x, y in (points[0], points[-1]):  # round pen tips
            pen.ellipse([x - brush / 2, y - brush / 2, x + brush / 2, y + brush / 2], fill=255)
    pixels = np.asarray(image)
    return Image.fromarray(255 - pixels if dark_on_light else pixels).convert("RGB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("stroke-test"))
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "labels.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label", "style", "dark_on_light"])
        for n in range(args.count):
            digit, style, dark = n % 10, n // 10 % 2, n // 20 % 2 == 1
            name = f"{n:05d}.png"
            stroke_drawing(digit, style, dark, rng).save(args.out / name)
            writer.writerow([name, digit, style, int(dark)])
    print(f"wrote {args.count} drawings and labels.csv to {args.out}")


if __name__ == "__main__":
    main()
