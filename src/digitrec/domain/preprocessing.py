"""From whatever a person drew to what the model expects: MNIST's own normalisation, in numpy.

MNIST digits were size-normalised to fit a 20x20 box (aspect ratio kept) with anti-aliasing, then placed in
a 28x28 field so that their centre of mass is at the centre. `preprocess_canvas` does the same to a drawing
of any size, position, stroke width and polarity, so the model sees what it was trained on.
"""

from __future__ import annotations

import numpy as np

from digitrec.domain.types.errors import DigitrecError, InvalidImage
from digitrec.domain.types.predictions import IMAGE_SIDE
from digitrec.domain.types.submissions import MAX_IMAGE_PIXELS

BOX = 20  # MNIST's digit box inside the 28x28 field
INK_THRESHOLD = 0.2  # ink below this (after background removal) is noise: JPEG ringing, paper grain
MIN_INK_FRACTION = 2e-4  # fewer ink pixels than this share of the image is an empty drawing
MIN_INK_PIXELS = 4
MIN_DRAWING_SHARE = 0.1  # a drawing whose ink spans less of the canvas's shorter side is too small to read
# A blob, not strokes: (longer side of the ink)^2 / ink area under a ratio (a dot or a filled blob is about
# 1-1.5, an 8 whose loops the brush fills in 1.7-2, a 1 over 4), while the ink spans under a share of the
# canvas's shorter side. Small drawings must be the more stroke-like; a blob spanning more than 35% is a
# scribble: the not-a-digit verdict's business.
BLOB_RULES = ((0.2, 2.0), (0.35, 1.5))  # (share of the canvas, least ratio of strokes)


class EmptyDrawing(DigitrecError):
    pass


class TooSmallDrawing(DigitrecError):
    """Ink too small or too blob-like to be a digit: a dot, a tap, a tiny scribble. The model would still
    answer (a dot scales up to a big disc, a confident "0"), so the app asks for a bigger digit instead."""


def check_drawing_size(image: np.ndarray) -> None:
    """Raise TooSmallDrawing when the ink spans under MIN_DRAWING_SHARE of the canvas's shorter side, or is
    a small blob (a dot as wide as the brush) rather than strokes; EmptyDrawing when there is no ink."""
    _, mask, rows, cols = drawn_ink(image)
    longer = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    if longer < MIN_DRAWING_SHARE * min(mask.shape):
        raise TooSmallDrawing("the drawing is too small to read")
    for share, ratio in BLOB_RULES:
        if longer < share * min(mask.shape) and longer * longer < ratio * mask.sum():
            raise TooSmallDrawing("this is a dot or a blob, not strokes (a thinner brush helps)")


def drawn_ink(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ink of an image (`ink_map`), where it counts as ink (above INK_THRESHOLD), and the indices of the
    rows and of the columns that hold some. Raises EmptyDrawing when there is no (or almost no) ink."""
    ink = ink_map(image)
    mask = ink > INK_THRESHOLD
    if mask.sum() < max(MIN_INK_PIXELS, MIN_INK_FRACTION * mask.size):
        raise EmptyDrawing("the drawing is empty: draw a digit first")
    return ink, mask, np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))


def ink_map(image: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] (1 = full ink) from a grayscale, RGB or RGBA image of any dtype, whatever its polarity.

    An RGBA image whose alpha varies is a drawing on a transparent background: the alpha is the ink.
    Otherwise the background is what the border mostly is, and ink is the distance from it.
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise InvalidImage(f"expected a grayscale, RGB or RGBA image, got an array of shape {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1 or array.shape[0] * array.shape[1] > MAX_IMAGE_PIXELS:
        raise InvalidImage(f"image of {array.shape[1]}x{array.shape[0]} pixels is empty or too large")
    values = array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer) or values.max(initial=0.0) > 1.0:
        values /= 255.0
    if values.ndim == 2:
        luminance = values
    elif values.shape[2] == 4 and values[..., 3].min() < 0.98:
        return np.clip(values[..., 3], 0.0, 1.0)
    elif values.shape[2] == 1:
        luminance = values[..., 0]
    else:
        luminance = values[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    border = np.concatenate([luminance[0], luminance[-1], luminance[:, 0], luminance[:, -1]])
    background = float(np.median(border))
    if background > 0.5:  # dark ink on a light background
        return np.clip((background - luminance) / max(background, 1e-6), 0.0, 1.0)
    return np.clip((luminance - background) / max(1.0 - background, 1e-6), 0.0, 1.0)


def resampling_weights(n_in: int, n_out: int, scale: float, offset: float) -> np.ndarray:
    """(n_out, n_in) weights of an anti-aliased triangle filter that scales n_in samples by `scale` and shifts
    them by `offset` output pixels. Downscaling widens the filter, so every input pixel counts."""
    support = max(1.0, 1.0 / scale)  # in input pixels
    sources = (np.arange(n_out, dtype=np.float64) + 0.5 - offset) / scale  # output centres, input coordinates
    pad = int(np.ceil(support))
    taps = np.arange(-pad, n_in + pad) + 0.5  # the input grid, extended beyond the image on both sides
    weights = np.clip(1.0 - np.abs(taps[None, :] - sources[:, None]) / support, 0.0, None)
    # Each output pixel's weights sum to 1 over the extended grid, so a uniform area stays uniform whatever
    # the scale (sampled at unit steps, a triangle's weights alone sum to between ~0.9 and ~1.1 of that).
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    return weights[:, pad : pad + n_in]


def preprocess_canvas(image: np.ndarray) -> np.ndarray:
    """A 28x28 float32 image in [0, 1], light ink on dark, normalised as MNIST digits are.

    Raises EmptyDrawing when there is no (or almost no) ink, InvalidImage for arrays that are not images.
    """
    ink, mask, rows, cols = drawn_ink(image)
    return normalise_crop(np.where(mask, ink, 0.0)[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def normalise_crop(crop: np.ndarray) -> np.ndarray:
    """MNIST's normalisation of ink cropped to its bounding box (light on dark, in [0, 1]): the longer side
    scaled to BOX pixels, the centre of mass on the centre of the 28x28 field. One resampling per axis does
    both."""
    scale = BOX / max(crop.shape)
    total = crop.sum()
    cy = crop.sum(axis=1) @ (np.arange(crop.shape[0]) + 0.5) / total
    cx = crop.sum(axis=0) @ (np.arange(crop.shape[1]) + 0.5) / total
    centre = IMAGE_SIDE / 2 + 0.5  # MNIST centred the mass on pixel 14 (whose centre is at 14.5)
    weights_y = resampling_weights(crop.shape[0], IMAGE_SIDE, scale, centre - cy * scale)
    weights_x = resampling_weights(crop.shape[1], IMAGE_SIDE, scale, centre - cx * scale)
    field = weights_y @ crop @ weights_x.T
    return np.clip(field / field.max(), 0.0, 1.0).astype(np.float32)
