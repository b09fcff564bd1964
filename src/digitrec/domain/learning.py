"""Making a model learn: train one (on MNIST and drawings of its own), or fine-tune one on what people drew.
Each use case trains through the `Trainer` port and plots through the `Plotter` port.

Trusted submissions (the operator's own and reviewed ones) are split once and for all by a hash of their
visitor (or id): the held-out share is never trained on, by this or any later fine-tuning, so before/after
accuracies on it stay comparable, and the promotion guard reads it digit by digit. Crowd submissions are
never measured with: the trust check (domain/trust.py) decides what each of their labels counts for. What a
review decided counts: an excluded submission is never trained on, and one marked "not a digit" is trained
on as a negative for the not-a-digit verdict, never as a digit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from digitrec.domain.model_versions import find_model
from digitrec.domain.ports import ModelRegistry, Plotter, Trainer, TrainingRows, TrustRecords
from digitrec.domain.trust import TrustReport, decide_trust
from digitrec.domain.types.submissions import EXCLUDED, NOT_A_DIGIT, TrainingRow
from digitrec.domain.types.training import (
    EpochMetrics,
    FineTuneConfig,
    FineTuneResult,
    LabelledInputs,
    ModelRecord,
    TooFewSubmissions,
    TrainConfig,
    TrainingRun,
)


def is_heldout(key: int | str, percent: int) -> bool:
    """Whether a submission (by its id, or its visitor) belongs to the held-out share: the same on every
    run."""
    digest = hashlib.sha256(f"digitrec-heldout:{key}".encode()).digest()
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


@dataclass(frozen=True)
class FineTuneInputs:
    """What a fine-tune learns from, read from the stored submissions.

    `train`: every crowd submission and the trusted ones not held out, with the rows they came from (the
    trust check needs who sent each); `heldout`: the trusted hold-out (the operator's own and reviewed
    submissions whose visitor, or id when there is none, falls in the held-out share), never trained on;
    `negatives`: submissions reviewed as "not a digit"."""

    train: LabelledInputs
    train_rows: tuple[TrainingRow, ...]
    heldout: LabelledInputs
    negatives: np.ndarray


def heldout_key(row: TrainingRow) -> int | str:
    """What decides a submission's side of the split: its visitor (all of one writer's drawings on one side),
    or its id for the operator's own data."""
    return row.id if row.visitor is None else row.visitor


def training_inputs(repo: TrainingRows, heldout_percent: int, page_size: int = 1000) -> FineTuneInputs:
    """The stored submissions as FineTuneInputs, read a page at a time: only the 28x28 inputs are kept,
    never the PNGs, in one buffer sized by a count: the submissions to train on fill it from the front and
    the held-out ones from the back, so both are views of it and nothing is copied. Excluded submissions
    are left out. Crowd submissions (a visitor's, not reviewed) are never held out: their labels are not
    trusted enough to measure with; the trust check decides what they count for. Submissions added while
    this reads are left for the next fine-tune."""
    total = repo.count()
    images, labels = np.empty((total, 28, 28), np.float32), np.empty(total, np.int64)
    negatives: list[np.ndarray] = []
    rows: list[TrainingRow] = []
    front, back, after = 0, total, 0
    while front < back and (page := repo.training_rows(after, page_size)):
        for row in page:
            if row.status == NOT_A_DIGIT:
                negatives.append(row.model_input)
                continue
            if row.status == EXCLUDED or front == back:
                continue
            if not row.from_crowd and is_heldout(heldout_key(row), heldout_percent):
                back -= 1
                images[back], labels[back] = row.model_input, row.label
            else:
                images[front], labels[front] = row.model_input, row.label
                rows.append(replace(row, model_input=images[front]))
                front += 1
        after = page[-1].id
    negative_images = np.stack(negatives) if negatives else np.zeros((0, 28, 28), np.float32)
    return FineTuneInputs(
        LabelledInputs(images[:front], labels[:front]),
        tuple(rows),
        LabelledInputs(images[back:], labels[back:]),
        negative_images.astype(np.float32),
    )


def check_trust(
    trainer: Trainer, repo: TrustRecords, parent: ModelRecord, inputs: FineTuneInputs
) -> tuple[LabelledInputs, TrustReport | None]:
    """Decide what each crowd label counts for (domain/trust.py), store the decisions with their
    submissions, and return what to train on: the held-back drawings left out, the rest weighted. Without
    crowd submissions, everything as it is."""
    rows = inputs.train_rows
    if not any(row.from_crowd for row in rows):
        return inputs.train, None
    probabilities, features = trainer.features(parent, inputs.train.images)
    report = decide_trust(rows, probabilities, features, repo.blocked_visitors())
    repo.record_trust({row.id: d for row, d in zip(rows, report.decisions, strict=True) if row.from_crowd})
    weights = report.weights()
    kept = weights > 0
    train = LabelledInputs(inputs.train.images[kept], inputs.train.labels[kept], weights[kept])
    return train, report


def finetune_model(
    trainer: Trainer,
    plotter: Plotter,
    registry: ModelRegistry,
    repo: FineTuneSource,
    config: FineTuneConfig,
    plots_dir: Path,
    from_version: str | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> tuple[FineTuneResult, list[Path]]:
    """Fine-tune the live model (or `from_version`) on MNIST plus the stored submissions the trust check
    lets through, and plot it into `plots_dir`; the new version is written and registered but not
    promoted. The result carries the trust check's report."""
    parent = find_model(registry, from_version)
    inputs = training_inputs(repo, config.heldout_percent)
    if len(inputs.train) < config.min_submissions:
        raise TooFewSubmissions(
            f"only {len(inputs.train)} submissions to learn from ({len(inputs.heldout)} more are held out "
            f"for measuring); fine-tuning needs at least {config.min_submissions}. Collect more drawings in "
            "the app first."
        )
    train, report = check_trust(trainer, repo, parent, inputs) if config.trust_check else (inputs.train, None)
    negatives = inputs.negatives if len(inputs.negatives) else None
    result = trainer.finetune(parent, train, inputs.heldout, config, on_epoch=on_epoch, negatives=negatives)
    registry.register(Path(result.run.checkpoint_path))
    return replace(result, trust=report), plotter.plot(result.run, plots_dir)


class FineTuneSource(TrainingRows, TrustRecords, Protocol):
    """What fine-tuning reads the submissions from and writes its trust decisions to."""
