"""Ports: what the domain needs from the outside world. Adapters implement them; nothing here knows how."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from digitrec.domain.model import EpochMetrics, ModelInfo, Prediction, Submission, TrainConfig, TrainingRun


class Classifier(Protocol):
    """Recognises preprocessed 28x28 images (float in [0, 1], light ink on dark)."""

    @property
    def info(self) -> ModelInfo: ...

    def predict(self, image: np.ndarray) -> Prediction: ...

    def predict_batch(self, images: np.ndarray | Sequence[np.ndarray]) -> list[Prediction]: ...


class SubmissionRepository(Protocol):
    """Stores submissions; each `add` is all-or-nothing and returns the new id."""

    def add(self, submission: Submission) -> int: ...

    def get(self, submission_id: int) -> Submission | None: ...

    def latest(self, limit: int, offset: int = 0, *, mismatches_only: bool = False) -> list[Submission]: ...

    def count(self, *, mismatches_only: bool = False) -> int: ...


class Trainer(Protocol):
    """Trains a model from scratch and writes a checkpoint; calls `on_epoch` after every epoch."""

    def train(
        self, config: TrainConfig, on_epoch: Callable[[EpochMetrics], None] | None = None
    ) -> TrainingRun: ...


class TrainingPlotter(Protocol):
    """Draws a training run's curves and confusion matrix; returns the files written."""

    def plot(self, run: TrainingRun, out_dir: Path) -> list[Path]: ...
