"""Plain domain types of training: hyperparameters, per-epoch metrics, runs, model versions, fine-tuning.

Standard library and numpy only, like model.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from digitrec.domain.trust import TrustReport
from digitrec.domain.types.errors import DigitrecError


@dataclass(frozen=True)
class TrainConfig:
    """Every hyperparameter of a training run, in one place. Defaults are what `digitrec train` uses."""

    epochs: int = 36
    batch_size: int = 128
    lr: float = 0.05  # peak of the one-cycle schedule
    momentum: float = 0.9  # SGD, Nesterov
    warmup: float = 0.2  # share of the steps the one-cycle schedule spends rising to `lr`
    weight_decay: float = 5e-4
    dropout: float = 0.1
    label_smoothing: float = 0.0
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    target_accuracy: float | None = None  # stop once test accuracy reaches it
    val_size: int = 5000
    augment: bool = True  # drawing-like augmentation, synthetic digits and non-digits; False: MNIST as it is
    synthetic_digits: float = 0.2  # share of each epoch: digits drawn from stroke templates and fonts
    non_digits: float = 0.15  # share of each epoch: drawings that are not digits (for the verdict)
    untouched: float = 0.4  # share of the training images that augmentation leaves as they are
    digit_refusal: float = 0.005  # share of validation digits the not-a-digit threshold may refuse
    threads: int | None = None  # None: all cores
    # Channels of the CNN's three stages. None: the widest of NETWORK_WIDTHS that the time budget can train
    # for long enough on this machine (`chosen_widths`).
    widths: tuple[int, int, int] | None = None
    strided_stem: bool = True  # the first convolution halves the resolution (faster than conv + pool)
    mnist_limit: int | None = None  # only the first N MNIST training images: a quick trial (None: all)
    # Seconds the epochs may take. When the pace of the epochs so far shows that all of them would take
    # longer (a CPU without bf16 is about 2.5x slower), the schedule is shortened to the epochs that fit.
    # None: every epoch.
    time_budget: float | None = 510.0


# What a run with `widths=None` chooses between, narrowest first. Doubling every stage costs about 2.4 times
# as much an epoch, and reads MNIST and the held-out drawings better (docs/what-works.md, "Network size").
NETWORK_WIDTHS: tuple[tuple[int, int, int], ...] = ((16, 32, 64), (32, 64, 128))
WIDER_MIN_EPOCHS = 14  # a wider network is chosen only when at least this many of its epochs fit the budget


def wider_fits(seconds_per_epoch: float, budget: float) -> bool:
    """Whether WIDER_MIN_EPOCHS epochs of a wider network, at this pace, fit in `budget` seconds."""
    return seconds_per_epoch * WIDER_MIN_EPOCHS <= budget


def chosen_widths(
    budget: float | None, planned: int, pace: Callable[[tuple[int, int, int]], float]
) -> tuple[int, int, int]:
    """The network a run with `widths=None` trains: the widest of NETWORK_WIDTHS of which WIDER_MIN_EPOCHS
    epochs, at `pace(widths)` seconds each, fit in `budget`. The narrowest when there is no budget to weigh
    against, or when the run plans fewer epochs than that (a quick recipe stays quick); `pace` is then not
    called."""
    narrowest, *wider = NETWORK_WIDTHS
    if budget is None or planned < WIDER_MIN_EPOCHS:
        return narrowest
    for widths in reversed(wider):
        if wider_fits(pace(widths), budget):
            return widths
    return narrowest


def epochs_within(budget: float | None, planned: int, done: int, seconds: float) -> int:
    """How many of `planned` epochs fit in `budget` seconds when the first `done` of them took `seconds`
    (never fewer than those already trained)."""
    pace = seconds / max(done, 1)
    if budget is None or pace * planned <= budget:
        return planned
    return max(done, min(planned, int(budget // max(pace, 1e-9))))


REPLAN_MARGIN = 0.02  # share of the time budget by which the pace must move before a planned run changes


def replanned_epochs(budget: float | None, planned: int, current: int, done: int, seconds: float) -> int:
    """How many epochs a run that now plans `current` of its `planned` epochs should have, once `done` of
    them took `seconds`. With hysteresis, so that a run at the edge of the budget, whose epochs vary by a
    few per cent, does not flip back and forth: it is cut (to the epochs that fit) only when at this pace
    `current` epochs would overrun `budget` by more than REPLAN_MARGIN of it, and it grows back towards
    `planned` (as it does after a slow first epoch) only when every extra epoch leaves REPLAN_MARGIN of the
    budget free."""
    if budget is None:
        return planned
    if epochs_within(budget * (1 + REPLAN_MARGIN), planned, done, seconds) < current:
        return epochs_within(budget, planned, done, seconds)
    return max(current, epochs_within(budget * (1 - REPLAN_MARGIN), planned, done, seconds))


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
class Calibration:
    """What is fitted on the validation split after training, and how well it does there.

    `temperature` divides the digit logits so that confidence means what it says; a drawing is not a digit
    when the not-a-digit probability exceeds `reject_threshold`, chosen to refuse `digit_refusal` of the
    validation digits. The rest are measurements on validation data, for the plots and the checkpoint.
    A model trained without non-digits (`augment=False`) has only the temperature."""

    temperature: float
    reject_threshold: float | None  # None: a model trained without non-digits has no verdict
    ece_before: float  # expected calibration error of the validation digits at temperature 1
    ece_after: float
    digits_refused: float  # share of validation digits refused
    non_digits_refused: float | None  # share of validation non-digits refused
    auroc: float | None  # validation digits against validation non-digits
    roc: tuple[tuple[float, float], ...]  # (false positive rate, true positive rate), digits as positives
    reliability: tuple[tuple[float, float, int], ...]  # per confidence bin: (confidence, accuracy, count)

    def as_dict(self) -> dict:
        return {
            "temperature": self.temperature,
            "reject_threshold": self.reject_threshold,
            "ece_before": self.ece_before,
            "ece_after": self.ece_after,
            "digits_refused": self.digits_refused,
            "non_digits_refused": self.non_digits_refused,
            "auroc": self.auroc,
            "roc": [list(p) for p in self.roc],
            "reliability": [list(b) for b in self.reliability],
        }


@dataclass(frozen=True)
class TrainingRun:
    """The outcome of training: where the model went and how it did."""

    version: str
    checkpoint_path: str
    history: tuple[EpochMetrics, ...]
    best_epoch: int  # whose weights were kept: the last, or the lowest validation loss (never test)
    test_accuracy: float  # of the selected epoch's weights
    confusion: tuple[tuple[int, ...], ...]  # test set, rows true digit, columns predicted
    calibration: Calibration | None = None  # None: a model without the not-a-digit verdict

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
    canvas_accuracy: float | None = None  # on the canvas set (MNIST test digits drawn as on the canvas)
    parent_canvas_accuracy: float | None = None  # the parent's, measured when this version was made
    history: tuple[EpochMetrics, ...] = ()  # the training curves, epoch by epoch
    confusion: tuple[tuple[int, ...], ...] | None = None  # MNIST test: rows true digit, columns predicted
    # A fine-tuned version's per-digit accuracies beside its parent's, measured when it was made:
    # {set name: {"n": [per digit], "before": [...], "after": [...]}} (domain/model_versions.py reads it).
    per_digit: dict | None = None

    def summary(self) -> dict:
        """Every field but the curves and the confusion matrix: what `models list --json` prints."""
        skip = ("history", "confusion")
        return {k: v for k, v in self.__dict__.items() if k not in skip}


@dataclass(frozen=True)
class LabelledInputs:
    """Preprocessed 28x28 images (float32 in [0, 1]) and their true digits."""

    images: np.ndarray  # (N, 28, 28)
    labels: np.ndarray  # (N,) int64
    weights: np.ndarray | None = None  # (N,) what each counts in training; None: 1 each

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class FineTuneConfig:
    """Hyperparameters of `digitrec finetune`. Defaults are what the command uses."""

    epochs: int = 5
    batch_size: int = 128
    lr: float = 0.01
    momentum: float = 0.9
    warmup: float = 0.2
    weight_decay: float = 5e-4
    label_smoothing: float = 0.0
    non_digits: float = 0.05  # share of each epoch: drawings that are not digits, so the verdict holds
    # Share of each epoch: digits drawn from stroke templates and fonts, as in training. Without them a
    # fine-tuning forgot the ways of writing only they teach; with 20%, a fine-tuning of
    # `digitnet-20261202-062624-s0` (72 epochs of training) still lost 1.28 points of the styles set, with 30%
    # 0.83 (README, "What fine-tuning keeps").
    synthetic_digits: float = 0.3
    # Fine-tuning changes more of its images than training does: with 40% left as they are, as in training,
    # a fine-tuning of `digitnet-20261201-145331-s0` (shipped then) on sideways drawings lost 0.1 points more
    # of MNIST and of the canvas set (README, "What fine-tuning keeps").
    untouched: float = 0.25
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    # Of every epoch's images, drawn (with repeats) from the submissions. 20% read bench_crowd's other writers
    # as well, but fine-tuned on sideways drawings it lost 0.21 points of the canvas set (10%: within 0.2).
    submission_share: float = 0.1
    heldout_percent: int = 20  # of trusted submissions, by a hash of their visitor (or id): never trained on
    min_submissions: int = 50  # training submissions below this: refuse
    mnist_limit: int | None = None  # only the first N MNIST training images: a quick trial (None: all)
    # MNIST images in each epoch, drawn anew at random every epoch (None: all of them every epoch). The other
    # shares are of this many. Fine-tuning needs MNIST to keep what the model knows, not to learn it again.
    mnist_per_epoch: int | None = 15_000
    time_budget: float | None = None  # see TrainConfig; a fine-tuning trains every epoch
    # Check crowd labels before training on them (domain/trust.py). False trains on every label as sent:
    # only for the operator's own, trusted data, or to measure what the check prevents.
    trust_check: bool = True


@dataclass(frozen=True)
class FineTuneResult:
    run: TrainingRun
    parent: str
    submissions_used: int
    heldout: int
    heldout_before: float | None  # the parent's accuracy on the held-out submissions
    heldout_after: float | None
    test_before: float  # the parent's MNIST test accuracy
    negatives_used: int = 0  # submissions reviewed as "not a digit", trained on as negatives
    canvas_before: float | None = None  # the parent's on the canvas set, measured beside the new version's
    canvas_after: float | None = None
    per_digit: dict | None = None  # as ModelRecord.per_digit
    trust: TrustReport | None = None  # what the trust check decided (None: no crowd submissions)
