"""Build a canvas-style test set from the MNIST *test* images: what people draw in the app, reproducibly.

Each digit is upscaled onto a 280x280 canvas at a random height (a third of the canvas to all of it) and a
random position, its strokes thickened to a brush-like width with crisp edges, and written in one of four
forms: white ink on black (RGB), ink in the alpha channel of a transparent canvas (RGBA, as
streamlit-drawable-canvas returns it), black ink on white, and dark-grey ink on light-grey paper. Half are
dark on light. The folder gets a labels.csv that `digitrec evaluate` reads:

    python benchmarks/canvas_testset.py --data-dir ../shared/mnist --out canvas-test
    digitrec evaluate canvas-test
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

CANVAS = 280
FORMS = ("white-on-black", "alpha", "black-on-white", "grey-on-paper")


def canvas_drawing(digit: np.ndarray, form: str, rng: np.random.Generator) -> Image.Image:
    """One MNIST digit (28x28 uint8) as a drawing on a CANVAS x CANVAS image."""
    rows, cols = np.flatnonzero((digit > 25).any(1)), np.flatnonzero((digit > 25).any(0))
    crop = Image.fromarray(digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    height = rng.uniform(CANVAS / 3, CANVAS)
    scale = min(height / crop.height, (CANVAS - 4) / crop.width)
    size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
    big = crop.resize(size, Image.BICUBIC)
    brush = rng.uniform(10, 32)  # the brush width a person picks, in canvas pixels
    grow = int(round(brush - 2.5 * scale))  # MNIST strokes are ~2.5 px wide at 28x28
    if grow >= 2:
        big = big.filter(ImageFilter.MaxFilter(grow // 2 * 2 + 1))
    ink = np.clip((np.asarray(big, dtype=np.float32) / 255 - 0.3) / 0.4, 0, 1)  # crisp, anti-aliased edges
    field = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    top = int(rng.integers(0, CANVAS - ink.shape[0] + 1))
    left = int(rng.integers(0, CANVAS - ink.shape[1] + 1))
    field[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    level = (field * 255).round().astype(np.uint8)
    if form == "white-on-black":
        return Image.fromarray(level).convert("RGB")
    if form == "alpha":
        rgba = np.dstack([np.full_like(level, 255)] * 3 + [level])
        return Image.fromarray(rgba, "RGBA")
    if form == "black-on-white":
        return Image.fromarray(255 - level).convert("RGB")
    paper, pen = 225, 40
    return Image.fromarray((paper - field * (paper - pen)).round().astype(np.uint8)).convert("RGB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DIGITREC_DATA_DIR", "data")))
    parser.add_argument("--out", type=Path, default=Path("canvas-test"))
    parser.add_argument("--count", type=int, default=10_000, help="how many of the 10,000 test digits")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    from torchvision.datasets import MNIST

    test = MNIST(str(args.data_dir), train=False, download=False)
    rng = np.random.default_rng(args.seed)
    chosen = np.sort(rng.permutation(len(test.data))[: args.count])
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "labels.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label", "form", "mnist_index"])
        for n, index in enumerate(chosen):
            form = FORMS[n % len(FORMS)]
            name = f"{n:05d}.png"
            canvas_drawing(test.data[index].numpy(), form, rng).save(args.out / name)
            writer.writerow([name, int(test.targets[index]), form, int(index)])
    print(f"wrote {len(chosen)} drawings and labels.csv to {args.out}")


if __name__ == "__main__":
    main()
