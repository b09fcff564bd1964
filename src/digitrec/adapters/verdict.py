"""How a checkpoint's logits become what a user sees, in numpy, so that the torch and the ONNX Runtime
classifiers answer alike: calibrated digit probabilities and, for a model with the eleventh output, whether
the drawing is a digit at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from digitrec.domain.confidence import softmax
from digitrec.domain.types.predictions import IMAGE_SIDE, NUM_CLASSES, ModelInfo, Prediction

NOT_A_DIGIT = NUM_CLASSES  # the index of the eleventh output: "this drawing is not a digit"


@dataclass(frozen=True)
class Verdict:
    temperature: float = 1.0
    reject_threshold: float | None = None  # None: the model has no not-a-digit output

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Verdict:
        calibration = payload.get("calibration") or {}
        return cls(float(calibration.get("temperature", 1.0)), calibration.get("reject_threshold"))

    def predictions(self, logits: np.ndarray) -> list[Prediction]:
        logits = np.asarray(logits, dtype=np.float64)
        digits = softmax(logits[:, :NOT_A_DIGIT], self.temperature)
        if self.reject_threshold is None or logits.shape[1] <= NOT_A_DIGIT:
            refused = np.zeros(len(digits), dtype=bool)
        else:
            refused = softmax(logits)[:, NOT_A_DIGIT] > self.reject_threshold
        return [
            Prediction.from_probabilities(p / p.sum(), is_digit=not bool(r))
            for p, r in zip(digits, refused, strict=True)
        ]


def model_info(metadata: dict[str, Any], path: Path) -> ModelInfo:
    """What a user is told about the model whose checkpoint (or ONNX twin) at `path` holds `metadata`."""
    return ModelInfo(
        version=str(metadata.get("version", Path(path).stem)),
        test_accuracy=metadata.get("metrics", {}).get("test_accuracy"),
        created_at=metadata.get("created_at"),
    )


def image_batch(images: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Images as one float32 (N, 28, 28) array, or ValueError saying what came instead."""
    batch = np.asarray(images, dtype=np.float32)
    if batch.ndim != 3 or batch.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"expected images of shape (N, {IMAGE_SIDE}, {IMAGE_SIDE}), got {batch.shape}")
    return batch
