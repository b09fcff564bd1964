"""Ports: what the domain needs from the outside world. Adapters implement them; nothing here knows how."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from digitrec.domain.types.explanations import Explanation
from digitrec.domain.types.predictions import ModelInfo, Prediction
from digitrec.domain.types.records import Job, LabelledImage, LabelledNumber, Problem, SubmissionRecord
from digitrec.domain.types.reviews import AuditEntry, Review, VisitorSummary
from digitrec.domain.types.submissions import Submission, SubmissionStats, TrainingRow, Trust
from digitrec.domain.types.training import (
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


class Explainer(Protocol):
    """Shows what a classifier computes for one preprocessed 28x28 image: its feature maps, which pixels drove
    the answer, and the answer itself (the same as `Classifier.predict` gives)."""

    def explain(self, image: np.ndarray) -> Explanation: ...


class SubmissionWriter(Protocol):
    """Where the app puts a submission: each `add` is all-or-nothing and returns the new id. A submission
    whose `submit_token` is stored already is not stored again: `add` returns the first one's id, also when
    both arrive at once. `sent_since` counts a visitor's recent ones (the rate limit)."""

    def add(self, submission: Submission) -> int: ...

    def sent_since(self, visitor: str, since: datetime) -> int:
        """How many submissions `visitor` sent at or after `since`."""
        ...


class SubmissionBrowser(Protocol):
    """The History page's view: the newest first, a page at a time, paged and counted by the storage."""

    def latest(self, limit: int, offset: int = 0, *, mismatches_only: bool = False) -> list[Submission]: ...

    def count(self, *, mismatches_only: bool = False) -> int: ...

    def get(self, submission_id: int) -> Submission | None: ...


class SubmissionTransfer(Protocol):
    """What export, import and fine-tuning need: every submission in id order, and adding without
    duplicates."""

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


class TrainingRows(Protocol):
    """What fine-tuning reads: every submission's input, label and status, a page at a time, without the
    PNGs, so that a million submissions never sit in memory as images."""

    def training_rows(self, after_id: int, limit: int) -> list[TrainingRow]:
        """Up to `limit` rows with ids above `after_id`, oldest first."""
        ...

    def count(self, *, mismatches_only: bool = False) -> int: ...


class TrustRecords(Protocol):
    """What the trust check before a fine-tune reads and writes: the blocked visitors, and its decisions."""

    def blocked_visitors(self) -> set[str]: ...

    def record_trust(self, decisions: dict[int, Trust]) -> None:
        """Store each decision with its submission (by id), all in one transaction."""
        ...


class SubmissionStatistics(Protocol):
    """What the Stats page and `submissions stats` count, in the storage."""

    def stats(self) -> SubmissionStats: ...


class SubmissionRepository(
    SubmissionWriter,
    SubmissionBrowser,
    SubmissionTransfer,
    TrainingRows,
    TrustRecords,
    SubmissionStatistics,
    Protocol,
):
    """Every role at once: what a storage adapter implements (in memory, SQL) and the contract tests check.
    Callers ask for the role they need. Raises StorageUnavailable when the storage can't answer."""


class SubmissionReviews(Protocol):
    """The Review page's view and an operator's reviews. `apply_review` changes the submission and records
    the action (with the old label) in the audit log in one transaction."""

    def review_candidates(self, limit: int, *, many_copies: int) -> list[tuple[Submission, int]]:
        """Unreviewed submissions, newest first, that the model got wrong or called not a digit, or whose PNG
        was sent at least `many_copies` times; each with its number of copies. A submission imported with
        a review status other than ok was reviewed where it came from: it is not a candidate."""
        ...

    def apply_review(self, submission_id: int, review: Review, operator: str) -> Submission: ...

    def review_history(self, submission_id: int) -> list[AuditEntry]: ...


class VisitorReviews(Protocol):
    """An operator's actions on everything one visitor sent, each recorded in the audit log."""

    def visitor_summaries(self, limit: int) -> list[VisitorSummary]:
        """The visitors who sent the most, most first."""
        ...

    def review_visitor(self, visitor: str, review: Review, operator: str) -> int:
        """Apply `review` (EXCLUDE or ACCEPT) to every unreviewed submission of `visitor`; how many."""
        ...

    def block_visitor(self, visitor: str, operator: str) -> None:
        """From now on `visitor`'s submissions are stored and never trained on."""
        ...


class AuditLog(Protocol):
    """Every operator action: who, what, when."""

    def record(self, operator: str, action: str, detail: str) -> AuditEntry: ...

    def entries(self, limit: int) -> list[AuditEntry]: ...


class JobQueue(Protocol):
    """Fine-tune jobs and their progress. `claim` is atomic: of several workers asking at once, one gets a
    given job."""

    def submit(self, kind: str, config: dict, requested_by: str) -> Job: ...

    def claim(self, worker: str) -> Job | None: ...

    def heartbeat(self, job_id: int) -> None: ...

    def report_epoch(self, job_id: int, metrics: EpochMetrics) -> None: ...

    def finish(self, job_id: int, result: dict) -> None: ...

    def fail(self, job_id: int, error: str) -> None: ...

    def fail_stale(self, silent_since: datetime) -> list[Job]:
        """Mark failed every running job not heard from since `silent_since`; those jobs."""
        ...

    def get(self, job_id: int) -> Job | None: ...

    def latest(self, limit: int) -> list[Job]: ...


class Trainer(Protocol):
    """Trains a model (from scratch, or on from a parent with MNIST plus submissions) and writes a
    checkpoint; calls `on_epoch` after every epoch."""

    def train(
        self, config: TrainConfig, on_epoch: Callable[[EpochMetrics], None] | None = None
    ) -> TrainingRun | None:
        """The run; None in the processes of a distributed run other than the main one, which writes it."""
        ...

    def finetune(
        self,
        parent: ModelRecord,
        submissions: LabelledInputs,
        heldout: LabelledInputs,
        config: FineTuneConfig,
        on_epoch: Callable[[EpochMetrics], None] | None = None,
        negatives: np.ndarray | None = None,
    ) -> FineTuneResult:
        """`negatives`: 28x28 inputs of drawings reviewed as not digits, to train the verdict on.
        `submissions.weights`, when set, is what each drawing counts for (the trust check's)."""
        ...

    def features(self, model: ModelRecord, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What `model` makes of (N, 28, 28) inputs: its digit probabilities (N, 10) and the features its
        last layer reads (N, D), in which similar drawings lie near each other."""
        ...


class ModelRegistry(Protocol):
    """The model versions there are, and which one is live (answers in the app, `predict`, `evaluate`): shared
    by every process that uses the same database. Raises DigitrecError for an unknown version."""

    def list(self) -> list[ModelRecord]: ...

    def get(self, version: str) -> ModelRecord:
        """That version, its `location` a local file of its checkpoint (what a trainer loads)."""
        ...

    def live(self) -> ModelRecord: ...

    def register(self, checkpoint: Path) -> ModelRecord:
        """Add the version in a checkpoint file (with its ONNX twin); again with the same file: no change."""
        ...

    def promote(self, version: str) -> ModelRecord:
        """Make `version` live; of two promotions at once, one happens after the other."""
        ...

    def rollback(self) -> ModelRecord:
        """Make the version that was live before the last promotion live again."""
        ...

    def rollback_target(self) -> str | None:
        """The version `rollback` would make live now; None when no promotion stands (nothing to undo)."""
        ...


class Plotter(Protocol):
    """Draws a training run's curves and plots, or a confusion matrix; returns the files written."""

    def plot(self, run: TrainingRun, out_dir: Path) -> list[Path]: ...

    def confusion(self, confusion: Sequence[Sequence[int]], title: str, path: Path) -> Path: ...


class ImageCodec(Protocol):
    """Image files and bytes (PNG, JPEG, ...) to arrays and back; refuses what is not an image or too big."""

    def decode(self, data: bytes, name: str = "image") -> np.ndarray: ...

    def read(self, path: Path) -> np.ndarray: ...

    def encode_png(self, image: np.ndarray) -> bytes: ...


class LabelledFolders(Protocol):
    """A folder of labelled images (labels.csv with file,label) as `evaluate` reads it, or of numbers
    (file,number) as `evaluate --numbers` reads it."""

    def read(self, folder: Path) -> tuple[list[LabelledImage], list[Problem]]: ...

    def read_numbers(self, folder: Path) -> tuple[list[LabelledNumber], list[Problem]]: ...


class SubmissionFolders(Protocol):
    """The folder `submissions export` writes (images and labels.csv) and `submissions import` reads."""

    def writer(self, folder: Path) -> SubmissionFolderWriter: ...

    def read(self, folder: Path) -> Iterable[SubmissionRecord | Problem]: ...


class SubmissionFolderWriter(Protocol):
    """Writes submissions into a folder; a context manager whose exit completes (or abandons) the folder."""

    count: int

    def __enter__(self) -> SubmissionFolderWriter: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def write(self, submission: Submission) -> None: ...
