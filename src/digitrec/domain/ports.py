"""Ports: what the domain needs from the outside world. Adapters implement them; nothing here knows how."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from digitrec.domain.model import ModelInfo, Prediction, Submission, SubmissionStats
from digitrec.domain.training import (
    EpochMetrics,
    FineTuneConfig,
    FineTuneResult,
    LabelledInputs,
    ModelRecord,
    TrainConfig,
    TrainingRun,
)


class Classifier(Protocol):
    """Recognises preprocessed 28x28 images (float in [0, 1], light ink on dark)."""

    @property
    def info(self) -> ModelInfo: ...

    def predict(self, image: np.ndarray) -> Prediction: ...

    def predict_batch(self, images: np.ndarray | Sequence[np.ndarray]) -> list[Prediction]: ...


class SubmissionRepository(Protocol):
    """Stores submissions; each `add` is all-or-nothing and returns the new id. Paging, filtering and counting
    are done by the storage, never by reading every submission. Raises StorageUnavailable when it can't."""

    def add(self, submission: Submission) -> int: ...

    def get(self, submission_id: int) -> Submission | None: ...

    def latest(self, limit: int, offset: int = 0, *, mismatches_only: bool = False) -> list[Submission]: ...

    def count(self, *, mismatches_only: bool = False) -> int: ...

    def oldest_after(
        self, after_id: int, limit: int, *, since: datetime | None = None, mismatches_only: bool = False
    ) -> list[Submission]:
        """Up to `limit` submissions with ids above `after_id`, oldest first; created at or after `since`."""
        ...

    def add_unless_stored(self, submission: Submission) -> int | None:
        """Add `submission` unless one with the same PNG (by SHA-256) is stored; the new id, or None.
        Atomic: of several callers adding the same PNG at once, exactly one adds it."""
        ...

    def contains_image(self, image_sha256: str) -> bool: ...

    def stats(self) -> SubmissionStats: ...


class Trainer(Protocol):
    """Trains a model (from scratch, or on from a parent with MNIST plus submissions) and writes a
    checkpoint; calls `on_epoch` after every epoch."""

    def train(
        self, config: TrainConfig, on_epoch: Callable[[EpochMetrics], None] | None = None
    ) -> TrainingRun: ...

    def finetune(
        self,
        parent: ModelRecord,
        submissions: LabelledInputs,
        heldout: LabelledInputs,
        config: FineTuneConfig,
        on_epoch: Callable[[EpochMetrics], None] | None = None,
    ) -> FineTuneResult: ...


class ModelRegistry(Protocol):
    """The model versions there are, and which one is live (answers in the app, `predict`, `evaluate`)."""

    def list(self) -> list[ModelRecord]: ...

    def live(self) -> ModelRecord: ...

    def promote(self, version: str) -> ModelRecord: ...


class TrainingPlotter(Protocol):
    """Draws a training run's curves and confusion matrix; returns the files written."""

    def plot(self, run: TrainingRun, out_dir: Path) -> list[Path]: ...
