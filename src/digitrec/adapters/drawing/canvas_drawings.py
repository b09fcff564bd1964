"""MNIST digits drawn as people draw on the app's canvas: upscaled onto a 280x280 canvas at a random height
(a third of the canvas to all of it) and a random position, strokes thickened to a brush-like width with
crisp edges, in one of four forms: white ink on black (RGB), ink in the alpha channel of a transparent
canvas (RGBA, as streamlit-drawable-canvas returns it), black ink on white, and dark-grey ink on light-grey
paper. `benchmarks/canvas_testset.py` writes them to a folder; `canvas_set` gives the model inputs of the
canvas set every new model version is measured on (drawn from MNIST *test* digits, never trained on)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.training import LabelledInputs

# Test digits in the canvas set every version is measured on: all of them (12 s to draw and preprocess on two
# cores). With 1,000, the 0.2 points `models promote` allows were two drawings, within the noise of any
# fine-tuning (README, "What fine-tuning keeps").
CANVAS_SET_SIZE = 10_000
CANVAS_SET_SEED = 2024


CANVAS = 280
FORMS = ("white-on-black", "alpha", "black-on-white", "grey-on-paper")


def dilated(image: Image.Image, steps: int) -> Image.Image:
    """`image` under a (2 * steps + 1)-square max filter, as `steps` 3x3 ones: the same pixels (a square is
    the sum of 3x3 squares, and a window clipped at the edge is the same either way), in a tenth of the
    time for a 29-pixel brush."""
    for _ in range(steps):
        image = image.filter(ImageFilter.MaxFilter(3))
    return image


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
        big = dilated(big, grow // 2)
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


def canvas_set(
    test_images: np.ndarray,
    test_labels: np.ndarray,
    count: int = CANVAS_SET_SIZE,
    seed: int = CANVAS_SET_SEED,
) -> LabelledInputs:
    """`count` of the test digits (uint8, N x 28 x 28), each drawn on a canvas in turn in the four forms and
    preprocessed as the app preprocesses a canvas: the same drawings for every model version."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.permutation(len(test_labels))[:count])
    inputs = [
        preprocess_canvas(np.asarray(canvas_drawing(test_images[i], FORMS[n % len(FORMS)], rng)))
        for n, i in enumerate(chosen)
    ]
    images = np.stack(inputs).astype(np.float32) if inputs else np.zeros((0, 28, 28), np.float32)
    return LabelledInputs(images, np.asarray(test_labels, dtype=np.int64)[chosen])
