"""What a model version's training curves say: over-fitting, under-fitting or neither; and per-digit
accuracy from a confusion matrix, to compare two versions. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence

from digitrec.domain.types.training import EpochMetrics

RISE = 0.10  # validation loss this much above its lowest point: rising
STILL_FALLING = 0.05  # the last epoch cut the training loss by this share or more: still learning
LOW_ACCURACY = 0.98  # a final validation accuracy below this on MNIST: the model has not learnt enough


def kept_epoch(history: Sequence[EpochMetrics]) -> int:
    """The epoch whose weights a run keeps: the last, where the one-cycle schedule has annealed the learning
    rate; or, when validation loss ended more than RISE above its lowest point (the run went wrong or
    over-fitted), the epoch of that lowest point.

    Not simply the best epoch on validation: on 5,000 validation digits accuracy moves in steps of 0.02% and
    the loss by a few parts in a hundred from one epoch to the next, so the best of the last few epochs is
    mostly the luckiest, not the best trained."""
    lowest, last = history[lowest_epoch(history) - 1], history[-1]
    return lowest.epoch if last.val_loss > lowest.val_loss * (1 + RISE) else last.epoch


def lowest_epoch(history: Sequence[EpochMetrics]) -> int:
    """The epoch with the lowest validation loss (ties: the later epoch)."""
    return min(reversed(history), key=lambda m: m.val_loss).epoch


def fit_diagnosis(history: Sequence[EpochMetrics]) -> str:
    """One sentence on the curves: over-fitting when validation loss rose well above its lowest point while
    training loss kept falling; under-fitting when validation accuracy is low, or both losses were still
    falling at the end; otherwise neither."""
    if len(history) < 2:
        return "One epoch is too few to tell over- from under-fitting."
    first, last = history[0], history[-1]
    best = min(history, key=lambda m: m.val_loss)
    train_falls = last.train_loss < min(m.train_loss for m in history[: best.epoch])
    if best is not last and last.val_loss > best.val_loss * (1 + RISE) and train_falls:
        return (
            f"Over-fitting: validation loss rose from {best.val_loss:.4f} (epoch {best.epoch}) to "
            f"{last.val_loss:.4f} while training loss kept falling ({first.train_loss:.4f} -> "
            f"{last.train_loss:.4f})."
        )
    before_last = history[-2]
    still_learning = (
        last.train_loss < before_last.train_loss * (1 - STILL_FALLING)
        and last.val_loss <= before_last.val_loss
    )
    if last.val_accuracy < LOW_ACCURACY or still_learning:
        why = (
            f"validation accuracy is only {100 * last.val_accuracy:.2f}%"
            if last.val_accuracy < LOW_ACCURACY
            else "both losses were still falling in the last epoch"
        )
        return f"Under-fitting: {why}; more epochs (or a larger learning rate) would likely help."
    return (
        f"Neither over- nor under-fitting: validation loss settled at {last.val_loss:.4f} (lowest "
        f"{best.val_loss:.4f}, epoch {best.epoch}) with {100 * last.val_accuracy:.2f}% validation accuracy."
    )


def per_digit_accuracy(confusion: Sequence[Sequence[int]]) -> list[float | None]:
    """Accuracy of each true digit (a row of the matrix); None for a digit with no examples."""
    return [row[d] / sum(row) if sum(row) else None for d, row in enumerate(confusion)]
