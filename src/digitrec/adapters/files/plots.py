"""The `Plotter` port with matplotlib (headless Agg backend): curves and the test confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from digitrec.domain.types.training import TrainingRun  # noqa: E402


def confusion_figure(confusion: Sequence[Sequence[int]], title: str) -> Figure:
    """A 10x10 confusion matrix, rows the true digit, columns the predicted one, counts written in."""
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    image = ax.imshow(confusion, cmap="Blues")
    fig.colorbar(image, ax=ax)
    peak = max((max(row) for row in confusion), default=0) or 1
    for i, row in enumerate(confusion):
        for j, count in enumerate(row):
            if count:
                ax.text(
                    j,
                    i,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if count > peak / 2 else "black",
                )
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    return fig


def save_confusion_plot(confusion: Sequence[Sequence[int]], title: str, path: Path) -> Path:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return MatplotlibPlotter._save(confusion_figure(confusion, title), Path(path))


def reliability_figure(run: TrainingRun) -> Figure:
    """Confidence against accuracy per bin on the validation digits, after temperature scaling."""
    calibration = run.calibration
    assert calibration is not None
    fig, ax = plt.subplots(figsize=(5.2, 5))
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    confidence, accuracy, counts = zip(*calibration.reliability, strict=True)
    ax.plot(confidence, accuracy, "o-", label=f"temperature {calibration.temperature:.2f}")
    for x, y, n in zip(confidence, accuracy, counts, strict=True):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=6, color="grey")
    ax.set(
        xlabel="confidence",
        ylabel="accuracy",
        xlim=(0, 1.01),
        ylim=(0, 1.01),
        title=f"{run.version}\nreliability on validation digits: ECE {100 * calibration.ece_before:.2f}% "
        f"before, {100 * calibration.ece_after:.2f}% after",
    )
    ax.title.set_fontsize(9)
    ax.legend(loc="upper left")
    return fig


def roc_figure(run: TrainingRun) -> Figure:
    """The not-a-digit verdict on validation digits against validation non-digits, and where it stands."""
    calibration = run.calibration
    assert calibration is not None
    fig, ax = plt.subplots(figsize=(5.2, 5))
    ax.plot(*zip(*calibration.roc, strict=True), label=f"AUROC {calibration.auroc:.4f}")
    ax.plot(
        [1 - (calibration.non_digits_refused or 0)],
        [1 - calibration.digits_refused],
        "o",
        label="the threshold in use",
    )
    ax.set(
        xlabel="non-digits accepted (false positive rate)",
        ylabel="digits accepted (true positive rate)",
        xlim=(0, 1),
        ylim=(0, 1.01),
        title=f"{run.version}\nnot a digit, on validation drawings",
    )
    ax.title.set_fontsize(9)
    ax.legend(loc="lower right")
    return fig


class MatplotlibPlotter:
    """The `Plotter` port with matplotlib."""

    def confusion(self, confusion: Sequence[Sequence[int]], title: str, path: Path) -> Path:
        return save_confusion_plot(confusion, title, path)

    def plot(self, run: TrainingRun, out_dir: Path) -> list[Path]:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        epochs = [m.epoch for m in run.history]
        paths = []

        fig, ax = plt.subplots(figsize=(6.4, 4))
        ax.plot(epochs, [m.train_loss for m in run.history], "o-", label="train")
        ax.plot(epochs, [m.val_loss for m in run.history], "o-", label="validation")
        ax.set(xlabel="epoch", ylabel="cross-entropy loss", title=f"{run.version}: loss", yscale="log")
        ax.legend()
        paths.append(self._save(fig, out_dir / f"{run.version}-loss.png"))

        fig, ax = plt.subplots(figsize=(6.4, 4))
        ax.plot(epochs, [100 * m.val_accuracy for m in run.history], "o-", label="validation")
        ax.axvline(run.best_epoch, color="grey", linestyle=":", label=f"selected (epoch {run.best_epoch})")
        ax.set(xlabel="epoch", ylabel="accuracy (%)", title=f"{run.version}: validation accuracy")
        ax.legend()
        paths.append(self._save(fig, out_dir / f"{run.version}-accuracy.png"))

        title = f"{run.version}: MNIST test, {100 * run.test_accuracy:.2f}% correct"
        paths.append(
            self._save(confusion_figure(run.confusion, title), out_dir / f"{run.version}-confusion.png")
        )
        if run.calibration is not None:
            paths.append(self._save(reliability_figure(run), out_dir / f"{run.version}-reliability.png"))
            if run.calibration.roc:
                paths.append(self._save(roc_figure(run), out_dir / f"{run.version}-roc.png"))
        return paths

    @staticmethod
    def _save(fig: Figure, path: Path) -> Path:
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path
