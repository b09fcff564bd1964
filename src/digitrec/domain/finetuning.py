"""Refining the model from what people drew: fine-tune, list versions, promote one.

Submissions are split once and for all by a hash of their id: the held-out share is never trained on, by
this or any later fine-tuning, so before/after accuracies on it stay comparable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

import numpy as np

from digitrec.domain.model import DigitrecError, Submission
from digitrec.domain.ports import ModelRegistry, SubmissionRepository, Trainer
from digitrec.domain.training import (
    EpochMetrics,
    FineTuneConfig,
    FineTuneResult,
    LabelledInputs,
    ModelRecord,
    TooFewSubmissions,
)
from digitrec.domain.transfer import submissions_in_order

PROMOTION_MARGIN = 0.002  # a candidate may be at most 0.2 points worse on MNIST test than the live model


def is_heldout(submission_id: int, percent: int) -> bool:
    """Whether a submission belongs to the held-out share: fixed by its id, the same on every run."""
    digest = hashlib.sha256(f"digitrec-heldout:{submission_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def as_inputs(submissions: Iterable[Submission]) -> LabelledInputs:
    chosen = list(submissions)
    images = np.stack([s.model_input for s in chosen]) if chosen else np.zeros((0, 28, 28), np.float32)
    return LabelledInputs(images.astype(np.float32), np.array([s.label for s in chosen], dtype=np.int64))


def split_submissions(
    submissions: Iterable[Submission], heldout_percent: int
) -> tuple[LabelledInputs, LabelledInputs]:
    """(to train on, held out) by the hash of each submission's id."""
    train, heldout = [], []
    for submission in submissions:
        assert submission.id is not None, "only stored submissions can be split"
        (heldout if is_heldout(submission.id, heldout_percent) else train).append(submission)
    return as_inputs(train), as_inputs(heldout)


def find_model(registry: ModelRegistry, version: str | None) -> ModelRecord:
    if version is None:
        return registry.live()
    for record in registry.list():
        if record.version == version:
            return record
    raise DigitrecError(f"no model version {version!r}; `digitrec models list` shows the versions there are")


def finetune_model(
    trainer: Trainer,
    registry: ModelRegistry,
    repo: SubmissionRepository,
    config: FineTuneConfig,
    from_version: str | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> FineTuneResult:
    """Fine-tune the live model (or `from_version`) on MNIST plus the stored submissions; the new version is
    written but not promoted."""
    parent = find_model(registry, from_version)
    newest_first = list(submissions_in_order(repo))[::-1]  # paged by id: none seen twice while others submit
    train, heldout = split_submissions(newest_first, config.heldout_percent)
    if len(train) < config.min_submissions:
        raise TooFewSubmissions(
            f"only {len(train)} submissions to learn from ({len(heldout)} more are held out for measuring); "
            f"fine-tuning needs at least {config.min_submissions}. Collect more drawings in the app first."
        )
    return trainer.finetune(parent, train, heldout, config, on_epoch=on_epoch)


def promote_model(
    registry: ModelRegistry, version: str, force: bool = False, margin: float = PROMOTION_MARGIN
) -> ModelRecord:
    """Make `version` live, unless it is worse on MNIST test than the live model by more than `margin`."""
    candidate, live = find_model(registry, version), registry.live()
    if not force and candidate.version != live.version:
        if candidate.test_accuracy is None or (
            live.test_accuracy is not None and candidate.test_accuracy < live.test_accuracy - margin
        ):
            raise DigitrecError(
                f"{version} scores {fmt(candidate.test_accuracy)} on MNIST test against "
                f"{fmt(live.test_accuracy)} for the live {live.version}: more than {100 * margin:.1f} points "
                "worse. Use --force to promote it anyway."
            )
    return registry.promote(candidate.version)


def fmt(accuracy: float | None) -> str:
    return "an unknown accuracy" if accuracy is None else f"{100 * accuracy:.2f}%"
