"""Use cases: what the CLI and the app do, written once against the ports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from digitrec.domain.ports import Trainer, TrainingPlotter
from digitrec.domain.training import EpochMetrics, TrainConfig, TrainingRun


def train_model(
    trainer: Trainer,
    plotter: TrainingPlotter,
    config: TrainConfig,
    plots_dir: Path,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> tuple[TrainingRun, list[Path]]:
    """Train a model, then plot its curves and test confusion matrix into `plots_dir`."""
    run = trainer.train(config, on_epoch=on_epoch)
    return run, plotter.plot(run, plots_dir)
