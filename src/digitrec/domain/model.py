"""Plain domain types: what a prediction, a submission and a training run are.

Standard library and numpy only; adapters convert to and from their own representations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

NUM_CLASSES = 10
IMAGE_SIDE = 28


class DigitrecError(Exception):
    """Base class for errors that a user can act on; the message says what to do."""


class InvalidLabel(DigitrecError):
    pass


class InvalidImage(DigitrecError):
    pass


class ModelNotFound(DigitrecError):
    pass


class DatasetNotFound(DigitrecError):
    pass


class StorageUnavailable(DigitrecError):
    pass


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


@dataclass(frozen=True)
class Prediction:
    """What a classifier thinks of one image: the digit and all ten probabilities."""

    digit: int
    probabilities: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", validate_probabilities(self.probabilities))
        validate_label(self.digit)

    @classmethod
    def from_probabilities(cls, probabilities: np.ndarray | list[float]) -> Prediction:
        values = [float(p) for p in probabilities]
        return cls(digit=int(np.argmax(values)), probabilities=tuple(values))

    @property
    def confidence(self) -> float:
        return self.probabilities[self.digit]


@dataclass(frozen=True)
class ModelInfo:
    """What a user is told about the model that is answering."""

    version: str
    test_accuracy: float | None
    created_at: str | None


@dataclass(frozen=True)
class Submission:
    """A drawing a person submitted with its true label. `id` is None until a repository stores it."""

    image_png: bytes
    model_input: np.ndarray  # IMAGE_SIDE x IMAGE_SIDE float32 in [0, 1], light ink on dark
    prediction: Prediction
    label: int
    model_version: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None

    def __post_init__(self) -> None:
        validate_label(self.label)
        if not self.image_png:
            raise InvalidImage("a submission needs the drawing's image")
        pixels = np.asarray(self.model_input, dtype=np.float32)
        if pixels.shape != (IMAGE_SIDE, IMAGE_SIDE):
            raise InvalidImage(f"model input must be {IMAGE_SIDE}x{IMAGE_SIDE}, got {pixels.shape}")
        object.__setattr__(self, "model_input", pixels)

    @property
    def correct(self) -> bool:
        return self.prediction.digit == self.label


@dataclass(frozen=True)
class TrainConfig:
    """Every hyperparameter of a training run, in one place. Defaults are what `digitrec train` uses."""

    epochs: int = 16
    batch_size: int = 128
    lr: float = 0.05
    weight_decay: float = 5e-4
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    target_accuracy: float | None = None  # stop once test accuracy reaches it
    val_size: int = 5000
    augment: bool = True
    threads: int | None = None  # None: all cores
    widths: tuple[int, int, int] = (16, 32, 64)  # channels of the CNN's three stages


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int
    seconds: float  # elapsed since training started
    train_loss: float
    val_loss: float
    val_accuracy: float
    test_accuracy: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "epoch": self.epoch,
            "seconds": round(self.seconds, 3),
            "train_loss": self.train_loss,
            "val_loss": self.val_loss,
            "val_accuracy": self.val_accuracy,
            "test_accuracy": self.test_accuracy,
        }


@dataclass(frozen=True)
class TrainingRun:
    """The outcome of training: where the model went and how it did."""

    version: str
    checkpoint_path: str
    history: tuple[EpochMetrics, ...]
    best_epoch: int  # selected on validation accuracy, never on test
    test_accuracy: float  # of the selected epoch's weights
    confusion: tuple[tuple[int, ...], ...]  # test set, rows true digit, columns predicted

    @property
    def seconds(self) -> float:
        return self.history[-1].seconds if self.history else 0.0
