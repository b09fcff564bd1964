"""Making a model learn: train one (on MNIST and drawings of its own), or fine-tune one on what people drew.
Each use case trains through the `Trainer` port and plots through the `Plotter` port.

Submissions are split once and for all by a hash of their id: the held-out share is never trained on, by
this or any later fine-tuning, so before/after accuracies on it stay comparable. What a review decided
counts: an excluded submission is never trained on, and one marked "not a digit" is trained on as a
negative for the not-a-digit verdict, never as a digit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from digitrec.domain.model_versions import find_model
from digitrec.domain.ports import ModelRegistry, Plotter, Trainer, TrainingRows
from digitrec.domain.submissions import EXCLUDED, NOT_A_DIGIT
from digitrec.domain.training import (
    EpochMetrics,
    FineTuneConfig,
    FineTuneResult,
    LabelledInputs,
    TooFewSubmissions,
    TrainConfig,
    TrainingRun,
)


def is_heldout(submission_id: int, percent: int) -> bool:
    """Whether a submission belongs to the held-out share: fixed by its id, the same on every run."""
    digest = hashlib.sha256(f"digitrec-heldout:{submission_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def train_model(
    trainer: Trainer,
    plotter: Plotter,
    registry: ModelRegistry,
    config: TrainConfig,
    plots_dir: Path,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> tuple[TrainingRun | None, list[Path]]:
    """Train a model, register it (not live), then plot its curves, confusion matrix and calibration into
    `plots_dir`. In a distributed run, the processes other than the main one get (None, []): the main one
    writes, registers and plots."""
    run = trainer.train(config, on_epoch=on_epoch)
    if run is None:
        return None, []
    registry.register(Path(run.checkpoint_path))
    return run, plotter.plot(run, plots_dir)


def training_inputs(
    repo: TrainingRows, heldout_percent: int, page_size: int = 1000
) -> tuple[LabelledInputs, LabelledInputs, np.ndarray]:
    """(to train on, held out, negatives) from the stored submissions, read a page at a time: only the 28x28
    inputs are kept, never the PNGs, in one buffer sized by a count: the submissions to train on fill it
    from the front and the held-out ones from the back, so both are views of it and nothing is copied.
    Excluded submissions are left out; those reviewed as "not a digit" are the negatives; the rest are split
    by the hash of their id. Submissions added while this reads are left for the next fine-tune."""
    total = repo.count()
    images, labels = np.empty((total, 28, 28), np.float32), np.empty(total, np.int64)
    negatives: list[np.ndarray] = []
    front, back, after = 0, total, 0
    while front < back and (page := repo.training_rows(after, page_size)):
        for row in page:
            if row.status == NOT_A_DIGIT:
                negatives.append(row.model_input)
                continue
            if row.status == EXCLUDED or front == back:
                continue
            if is_heldout(row.id, heldout_percent):
                back -= 1
                images[back], labels[back] = row.model_input, row.label
            else:
                images[front], labels[front] = row.model_input, row.label
                front += 1
        after = page[-1].id
    negative_images = np.stack(negatives) if negatives else np.zeros((0, 28, 28), np.float32)
    train = LabelledInputs(images[:front], labels[:front])
    return train, LabelledInputs(images[back:], labels[back:]), negative_images.astype(np.float32)


def finetune_model(
    trainer: Trainer,
    plotter: Plotter,
    registry: ModelRegistry,
    repo: TrainingRows,
    config: FineTuneConfig,
    plots_dir: Path,
    from_version: str | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> tuple[FineTuneResult, list[Path]]:
    """Fine-tune the live model (or `from_version`) on MNIST plus the stored submissions, and plot it into
    `plots_dir`; the new version is written and registered but not promoted."""
    parent = find_model(registry, from_version)
    train, heldout, negatives = training_inputs(repo, config.heldout_percent)
    if len(train) < config.min_submissions:
        raise TooFewSubmissions(
            f"only {len(train)} submissions to learn from ({len(heldout)} more are held out for measuring); "
            f"fine-tuning needs at least {config.min_submissions}. Collect more drawings in the app first."
        )
    result = trainer.finetune(
        parent, train, heldout, config, on_epoch=on_epoch, negatives=negatives if len(negatives) else None
    )
    registry.register(Path(result.run.checkpoint_path))
    return result, plotter.plot(result.run, plots_dir)
