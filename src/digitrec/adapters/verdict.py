"""How a checkpoint's logits become what a user sees, in numpy, so that the torch and the ONNX Runtime
classifiers answer alike: calibrated digit probabilities and, for a model with the eleventh output, whether
the drawing is a digit at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from digitrec.domain.predictions import NUM_CLASSES, Prediction

NOT_A_DIGIT = NUM_CLASSES  # the index of the eleventh output: "this drawing is not a digit"


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


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
        digits = softmax(logits[:, :NOT_A_DIGIT] / self.temperature)
        if self.reject_threshold is None or logits.shape[1] <= NOT_A_DIGIT:
            refused = np.zeros(len(digits), dtype=bool)
        else:
            refused = softmax(logits)[:, NOT_A_DIGIT] > self.reject_threshold
        return [
            Prediction.from_probabilities(p / p.sum(), is_digit=not bool(r))
            for p, r in zip(digits, refused, strict=True)
        ]
