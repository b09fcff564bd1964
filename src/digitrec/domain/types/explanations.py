"""What a classifier computed for one drawing: the image it saw, each convolution stage's feature maps, which
pixels drove its answer, and the answer; and how to lay them out as pictures. Stdlib and numpy only."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.predictions import IMAGE_SIDE, Prediction

GAP = 0.35  # the grey between feature maps in a grid: visible next to black (idle) and white (firing) cells
INK_GREY = 0.55  # how bright the drawing's ink shows under a saliency overlay
WARM = np.array([1.0, 0.45, 0.05], np.float32)  # the overlay's colour: orange, on a dark or a light page


class CannotExplain(DigitrecError):
    """The model that answers cannot show what is inside it (served by ONNX Runtime, without torch)."""


@dataclass(frozen=True)
class FeatureMaps:
    """One convolution stage's output for one image: `maps` is (channels, height, width)."""

    name: str  # e.g. "stage 1 (16 x 14x14)"
    maps: np.ndarray

    def __post_init__(self) -> None:
        if np.ndim(self.maps) != 3:
            raise ValueError(f"feature maps must be (channels, height, width), got {np.shape(self.maps)}")


@dataclass(frozen=True)
class Explanation:
    """The inside of one prediction. `saliency` (same shape as `model_input`, in [0, 1], its largest value 1
    unless nothing mattered) says how much each pixel drove the predicted digit."""

    model_input: np.ndarray
    stages: tuple[FeatureMaps, ...]
    saliency: np.ndarray
    prediction: Prediction

    def __post_init__(self) -> None:
        side = (IMAGE_SIDE, IMAGE_SIDE)
        if np.shape(self.model_input) != side or np.shape(self.saliency) != side:
            raise ValueError(
                f"model input and saliency must be {side}, got {np.shape(self.model_input)} and "
                f"{np.shape(self.saliency)}"
            )
        if not (np.all(np.isfinite(self.saliency)) and 0 <= self.saliency.min() <= self.saliency.max() <= 1):
            raise ValueError("saliency must be finite and in [0, 1]")

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The `k` likeliest digits and their probabilities, likeliest first (on a tie, the lower digit)."""
        ranked = sorted(enumerate(self.prediction.probabilities), key=lambda dp: (-dp[1], dp[0]))
        return ranked[:k]


def explained_input(image: np.ndarray) -> np.ndarray:
    """A float32 copy of the preprocessed image to explain (the explanation keeps it); ValueError unless
    it is 28x28."""
    model_input = np.array(image, dtype=np.float32)
    if model_input.shape != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"expected an image of shape ({IMAGE_SIDE}, {IMAGE_SIDE}), got {model_input.shape}")
    return model_input


def stage_name(index: int, maps: np.ndarray) -> str:
    channels, height, width = np.shape(maps)
    return f"stage {index} ({channels} x {height}x{width})"


def on_the_ink(cam: np.ndarray, model_input: np.ndarray) -> np.ndarray:
    """Grad-CAM times the ink, scaled so that its largest value is 1 (all zeros where nothing mattered)."""
    weight = (cam * np.clip(model_input, 0, 1)).astype(np.float32)
    top = float(weight.max())
    return weight / top if top > 0 else weight


def normalised(image: np.ndarray) -> np.ndarray:
    """`image` stretched to [0, 1] (its minimum 0, its maximum 1); all zeros when it is flat."""
    image = np.asarray(image, np.float32)
    low, high = float(image.min()), float(image.max())
    if not high - low > 1e-12:  # also catches nan
        return np.zeros_like(image)
    return (image - low) / (high - low)


def feature_grid(maps: np.ndarray, columns: int) -> np.ndarray:
    """(C, H, W) feature maps as one picture in [0, 1]: each map stretched to [0, 1] on its own, laid out
    `columns` to a row, left to right then top to bottom, with 1-pixel lines of grey between them (and grey
    where the last row has no map)."""
    maps = np.asarray(maps, np.float32)
    if maps.ndim != 3 or len(maps) == 0:
        raise ValueError(f"expected feature maps of shape (channels, height, width), got {maps.shape}")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    count, height, width = maps.shape
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    grid = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), GAP, np.float32)
    for index, feature_map in enumerate(maps):
        top, left = (index // columns) * (height + 1), (index % columns) * (width + 1)
        grid[top : top + height, left : left + width] = normalised(feature_map)
    return grid


def saliency_overlay(model_input: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """An (H, W, 3) float RGB picture in [0, 1]: the drawing in grey, and over it, as strongly as each pixel
    drove the answer, orange."""
    model_input = np.clip(np.asarray(model_input, np.float32), 0, 1)
    saliency = np.clip(np.asarray(saliency, np.float32), 0, 1)
    if model_input.shape != saliency.shape or model_input.ndim != 2:
        raise ValueError(
            f"expected two images of one (H, W) shape, got {model_input.shape}, {saliency.shape}"
        )
    grey = np.repeat((INK_GREY * model_input)[..., None], 3, axis=2)
    weight = saliency[..., None]
    return (1 - weight) * grey + weight * WARM
