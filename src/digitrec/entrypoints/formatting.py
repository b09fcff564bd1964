"""How numbers are shown, the same on the command line and in the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitrec.domain.training import TrainingRun


def percent(value: float | None, places: int = 2) -> str:
    """`99.50%`; `-` for a value that does not exist (a digit without examples)."""
    return "-" if value is None else f"{100 * value:.{places}f}%"


def run_summary(run: TrainingRun) -> list[str]:
    """What a training run ended with: the epoch whose weights were kept, MNIST test accuracy, and the
    calibration and not-a-digit verdict fitted after it (lines for `digitrec train` and the benchmarks)."""
    best = run.history[run.best_epoch - 1]
    lines = [
        f"model {run.version}: the weights of epoch {run.best_epoch} of {len(run.history)} "
        f"(validation loss {best.val_loss:.4f}, accuracy {percent(best.val_accuracy)}), "
        f"MNIST test accuracy {percent(run.test_accuracy)}, "
        f"{run.seconds:.1f}s"
    ]
    calibration = run.calibration
    if calibration is not None:
        lines.append(
            f"calibration: temperature {calibration.temperature:.2f}, expected calibration error on "
            f"validation digits {percent(calibration.ece_before)} -> {percent(calibration.ece_after)}"
        )
    if calibration is not None and calibration.reject_threshold is not None:
        lines.append(
            f"not a digit: refuses {percent(calibration.digits_refused)} of validation digits and "
            f"{percent(calibration.non_digits_refused, 1)} of validation non-digits "
            f"(AUROC {calibration.auroc:.4f})"
        )
    return lines
