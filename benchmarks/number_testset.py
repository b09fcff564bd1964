"""Build a test set of written numbers (2 to 6 digits) for `digitrec evaluate --numbers`.

Each digit is real handwriting or a pen drawing, never trained on:
- MNIST *test* digits, drawn thick as on the canvas (`canvas_drawing`);
- stroke-template digits (`stroke_testset.py`'s hand-made pen strokes).
The two sources alternate, one number each. A number's digits have uneven sizes (each 80-120% of the
number's height), sit on a slanted baseline (up to +-8 degrees), and are separated by gaps from almost
touching (2-5 px) to wide (41-80 px); a third of the numbers are dark on light. labels.csv has the columns
file,number,length,gap,source (gap: the bucket of the narrowest gap in the number):

    python benchmarks/number_testset.py --data-dir ../shared/mnist --out number-test --seed 7
    digitrec evaluate --numbers number-test
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from stroke_testset import stroke_drawing  # noqa: E402

from digitrec.adapters.drawing.canvas_drawings import canvas_drawing  # noqa: E402

GAPS = {"2-5": (2, 5), "6-15": (6, 15), "16-40": (16, 40), "41-80": (41, 80)}
MARGIN = 20


def ink_tile(drawing: Image.Image) -> np.ndarray:
    """The ink of a white-on-black drawing, cropped to its bounding box (uint8)."""
    pixels = np.asarray(drawing.convert("L"))
    rows, cols = np.flatnonzero((pixels > 25).any(1)), np.flatnonzero((pixels > 25).any(0))
    return pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def digit_tile(digit: int, source: str, mnist: tuple, rng: np.random.Generator) -> np.ndarray:
    if source == "stroke":
        return ink_tile(stroke_drawing(digit, int(rng.integers(2)), False, rng))
    images, labels = mnist
    index = int(rng.choice(np.flatnonzero(labels == digit)))
    return ink_tile(canvas_drawing(images[index], "white-on-black", rng))


def compose(tiles: list[np.ndarray], heights: list[int], gaps: list[int], slope: float) -> np.ndarray:
    """The tiles scaled to `heights`, left to right with `gaps` between them, on a slanted baseline."""
    scaled = []
    for tile, height in zip(tiles, heights, strict=True):
        width = max(1, round(tile.shape[1] * height / tile.shape[0]))
        scaled.append(np.asarray(Image.fromarray(tile).resize((width, height), Image.BILINEAR)))
    width = sum(t.shape[1] for t in scaled) + sum(gaps) + 2 * MARGIN
    rise = abs(math.tan(slope)) * width
    canvas = np.zeros((int(max(heights) + rise) + 2 * MARGIN, width), np.uint8)
    x = MARGIN
    for tile, gap in zip(scaled, [*gaps, 0], strict=True):
        baseline = MARGIN + max(heights) + (rise if slope > 0 else 0) - math.tan(slope) * (x - MARGIN)
        top = int(round(baseline - tile.shape[0]))
        region = canvas[top : top + tile.shape[0], x : x + tile.shape[1]]
        np.maximum(region, tile, out=region)
        x += tile.shape[1] + gap
    return canvas


def number_drawing(length: int, gap_bucket: str, source: str, mnist: tuple, rng: np.random.Generator):
    """(image, number): `length` random digits whose narrowest gap falls in `gap_bucket`."""
    digits = [int(d) for d in rng.integers(0, 10, length)]
    low, high = GAPS[gap_bucket]
    gaps = [int(rng.integers(low, max(high, 80) + 1)) for _ in range(length - 1)]
    gaps[int(rng.integers(length - 1))] = int(rng.integers(low, high + 1))  # the narrowest one, in the bucket
    gaps = [max(g, low) for g in gaps]
    height = int(rng.integers(90, 180))
    heights = [int(height * rng.uniform(0.8, 1.2)) for _ in digits]
    tiles = [digit_tile(d, source, mnist, rng) for d in digits]
    image = compose(tiles, heights, gaps, math.radians(rng.uniform(-8, 8)))
    return image, "".join(map(str, digits))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DIGITREC_DATA_DIR", "data")))
    parser.add_argument("--out", type=Path, default=Path("number-test"))
    parser.add_argument("--per-cell", type=int, default=25, help="numbers per (length, gap bucket)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from digitrec.adapters.torch.mnist import load_mnist

    mnist = load_mnist(args.data_dir, download=False)
    test = (mnist.test_images.numpy(), mnist.test_labels.numpy())
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    n = 0
    with (args.out / "labels.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "number", "length", "gap", "source"])
        for length in range(2, 7):
            for bucket in GAPS:
                for _ in range(args.per_cell):
                    source = ("mnist", "stroke")[n % 2]
                    image, number = number_drawing(length, bucket, source, test, rng)
                    if n % 3 == 2:
                        image = 255 - image
                    name = f"{n:05d}.png"
                    Image.fromarray(image).save(args.out / name)
                    writer.writerow([name, number, length, bucket, source])
                    n += 1
    print(f"wrote {n} numbers and labels.csv to {args.out}")


if __name__ == "__main__":
    main()
