"""Plain domain types of training: hyperparameters, per-epoch metrics, runs, model versions, fine-tuning.

Standard library and numpy only, like model.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitrec.domain.model import DigitrecError


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


class TooFewSubmissions(DigitrecError):
    pass


@dataclass(frozen=True)
class ModelRecord:
    """A model version in the registry, with its lineage and how it did."""

    version: str
    location: str  # where the adapter finds its weights
    created_at: str | None
    test_accuracy: float | None  # MNIST test
    parent: str | None = None  # the version it was fine-tuned from
    heldout_accuracy: float | None = None  # on submissions held out from its fine-tuning
    submissions_used: int = 0
    live: bool = False


@dataclass(frozen=True)
class LabelledInputs:
    """Preprocessed 28x28 images (float32 in [0, 1]) and their true digits."""

    images: np.ndarray  # (N, 28, 28)
    labels: np.ndarray  # (N,) int64

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class FineTuneConfig:
    """Hyperparameters of `digitrec finetune`. Defaults are what the command uses."""

    epochs: int = 5
    batch_size: int = 128
    lr: float = 0.01
    weight_decay: float = 5e-4
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    submission_share: float = 0.1  # of every epoch's images, drawn (with repeats) from the submissions
    heldout_percent: int = 20  # of submissions, chosen by a hash of their id, never trained on
    min_submissions: int = 50  # training submissions below this: refuse


@dataclass(frozen=True)
class FineTuneResult:
    run: TrainingRun
    parent: str
    submissions_used: int
    heldout: int
    heldout_before: float | None  # the parent's accuracy on the held-out submissions
    heldout_after: float | None
    test_before: float  # the parent's MNIST test accuracy
