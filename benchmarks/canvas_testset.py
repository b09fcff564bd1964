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

from digitrec.adapters.drawing.canvas_drawings import FORMS, canvas_drawing


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
