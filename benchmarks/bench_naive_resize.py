"""What digitrec's preprocessing buys: the same model on a drawing folder, fed two ways.

- digitrec: `preprocess_canvas` (polarity, crop, 20 px box, centre of mass), what the app and CLI do;
- naive: what most MNIST demo apps do, the whole canvas resized to 28x28 (anti-aliased), with two favours
  many apps skip: the polarity is flipped when the background is light, and a transparent canvas's alpha
  channel is taken as the ink.

    python benchmarks/bench_naive_resize.py stroke-test canvas-test    # folders with labels.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from digitrec.adapters.files.labelled_folder import read_labelled_folder
from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.model import shipped_model_path
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.predictions import IMAGE_SIDE


def naive(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3 and image.shape[2] == 4 and image[..., 3].min() < 255:
        image = image[..., 3]  # a transparent canvas: the ink is in the alpha channel
    grey = Image.fromarray(image).convert("L")
    pixels = np.asarray(grey.resize((IMAGE_SIDE, IMAGE_SIDE), Image.LANCZOS), dtype=np.float32) / 255
    return 1 - pixels if np.median(pixels) > 0.5 else pixels


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--model", type=Path, default=None, help="checkpoint (default: the shipped model)")
    args = parser.parse_args()

    classifier = TorchClassifier(args.model or shipped_model_path())
    print(f"model {classifier.info.version}")
    for folder in args.folders:
        items, _problems = read_labelled_folder(folder)
        images, truth = [item.load() for item in items], np.array([item.label for item in items])
        for name, prepare in (("digitrec", preprocess_canvas), ("naive", naive)):
            predictions = classifier.predict_batch(np.stack([prepare(image) for image in images]))
            accuracy = np.mean([p.digit for p in predictions] == truth)
            print(f"{folder.name:<20} {name:<9} {len(truth):>6} drawings  accuracy {100 * accuracy:6.2f}%")


if __name__ == "__main__":
    main()
