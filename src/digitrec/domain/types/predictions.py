"""What a classifier says about one image: the digit, all ten probabilities, whether it is a digit at all;
and what a user is told about the model that answers. Standard library and numpy only."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digitrec.domain.types.errors import InvalidLabel

NUM_CLASSES = 10
IMAGE_SIDE = 28


def validate_label(label: object) -> int:
    """Return `label` as an int in 0-9, or raise InvalidLabel saying what was wrong."""
    if isinstance(label, bool) or not isinstance(label, int | np.integer):
        raise InvalidLabel(f"label must be an integer digit 0-9, got {label!r}")
    if not 0 <= int(label) < NUM_CLASSES:
        raise InvalidLabel(f"label must be a digit 0-9, got {label}")
    return int(label)


def validate_probabilities(probabilities: tuple[float, ...] | list[float]) -> tuple[float, ...]:
    values = tuple(float(p) for p in probabilities)
    if len(values) != NUM_CLASSES:
        raise ValueError(f"expected {NUM_CLASSES} probabilities, got {len(values)}")
    if any(not math.isfinite(p) or p < 0.0 for p in values):
        raise ValueError(f"probabilities must be finite and non-negative, got {values}")
    if not math.isclose(sum(values), 1.0, abs_tol=1e-3):
        raise ValueError(f"probabilities must sum to 1, got sum {sum(values):.6f}")
    return values


def validate_is_digit(is_digit: object) -> bool:
    """Return `is_digit` as a bool (numpy's bool too), or raise ValueError: 0, 1 or "yes" are not verdicts."""
    if not isinstance(is_digit, bool | np.bool_):
        raise ValueError(f"is_digit must be True or False, got {is_digit!r}")
    return bool(is_digit)


@dataclass(frozen=True)
class Prediction:
    """What a classifier thinks of one image: the digit, all ten probabilities, and whether the image looks
    like a digit at all. When `is_digit` is False, `digit` and `probabilities` are only the best guess."""

    digit: int
    probabilities: tuple[float, ...]
    is_digit: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", validate_probabilities(self.probabilities))
        object.__setattr__(self, "is_digit", validate_is_digit(self.is_digit))
        validate_label(self.digit)

    @classmethod
    def from_probabilities(cls, probabilities: np.ndarray | list[float], is_digit: bool = True) -> Prediction:
        values = [float(p) for p in probabilities]
        return cls(digit=int(np.argmax(values)), probabilities=tuple(values), is_digit=is_digit)

    @property
    def confidence(self) -> float:
        return self.probabilities[self.digit]


@dataclass(frozen=True)
class ModelInfo:
    """What a user is told about the model that is answering."""

    version: str
    test_accuracy: float | None
    created_at: str | None
