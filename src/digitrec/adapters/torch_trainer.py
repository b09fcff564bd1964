"""The `Trainer` port with torch: train a DigitNet from scratch, or fine-tune one on MNIST plus submissions,
and write a versioned checkpoint with its config, metrics, data hashes and lineage."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from digitrec.adapters.torch_model import DigitNet, build_model, load_checkpoint, save_checkpoint
from digitrec.adapters.torch_training import (
    Fitted,
    MnistSplits,
    code_version,
    confusion_matrix,
    evaluate,
    fit,
    load_splits,
    pick_device,
)
from digitrec.domain.training import (
    EpochMetrics,
    FineTuneConfig,
    FineTuneResult,
    LabelledInputs,
    ModelRecord,
    TrainConfig,
    TrainingRun,
)

log = logging.getLogger(__name__)


def as_tensors(inputs: LabelledInputs, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.from_numpy(np.ascontiguousarray(inputs.images, dtype=np.float32))[:, None]
    return images.to(device), torch.from_numpy(inputs.labels.astype(np.int64)).to(device)


def accuracy_on(model: torch.nn.Module, inputs: tuple[torch.Tensor, torch.Tensor]) -> float | None:
    return evaluate(model, *inputs)[1] if len(inputs[1]) else None


class TorchTrainer:
    def __init__(self, data_dir: Path, models_dir: Path, download: bool = True, progress: bool = True):
        self.data_dir, self.models_dir = Path(data_dir), Path(models_dir)
        self.download, self.progress = download, progress
        self.train_limit: int | None = None  # use only the first N training images (tests, smoke runs)

    def _setup(
        self, config: TrainConfig | FineTuneConfig, val_size: int
    ) -> tuple[torch.device, torch.Generator, MnistSplits]:
        device = pick_device(config.device)
        torch.set_num_threads(config.threads or os.cpu_count() or 1)
        torch.manual_seed(config.seed)
        data = load_splits(self.data_dir, self.download, val_size, device, self.train_limit)
        return device, torch.Generator(device=device).manual_seed(config.seed), data

    def train(
        self, config: TrainConfig, on_epoch: Callable[[EpochMetrics], None] | None = None
    ) -> TrainingRun:
        device, g, data = self._setup(config, config.val_size)
        architecture = {"name": "DigitNet", "kwargs": {"widths": list(config.widths)}}
        model = DigitNet(config.widths).to(device, memory_format=torch.channels_last)
        log.info(
            "training DigitNet%s on %d images (%d validation, %d test) on %s, %d threads",
            tuple(config.widths),
            len(data.train_x),
            len(data.val_x),
            len(data.test_x),
            device,
            torch.get_num_threads(),
        )
        fitted = fit(
            model,
            data,
            config,
            g,
            augment=config.augment,
            target_accuracy=config.target_accuracy,
            on_epoch=on_epoch,
            progress=self.progress,
        )
        run = self._save(model, architecture, data, fitted, config, f"digitnet-{{}}-s{config.seed}")
        log.info(
            "saved %s (epoch %d by validation accuracy, test %.2f%%)",
            run.checkpoint_path,
            run.best_epoch,
            100 * run.test_accuracy,
        )
        return run

    def finetune(
        self,
        parent: ModelRecord,
        submissions: LabelledInputs,
        heldout: LabelledInputs,
        config: FineTuneConfig,
        on_epoch: Callable[[EpochMetrics], None] | None = None,
    ) -> FineTuneResult:
        device, g, data = self._setup(config, TrainConfig.val_size)  # the split the parent was trained with
        payload = load_checkpoint(Path(parent.location))
        model = build_model(payload["architecture"])
        model.load_state_dict(payload["state_dict"])
        model = model.to(device, memory_format=torch.channels_last)
        heldout_data, extra = as_tensors(heldout, device), as_tensors(submissions, device)
        heldout_before = accuracy_on(model, heldout_data)
        extra_per_epoch = round(len(data.train_x) * config.submission_share / (1 - config.submission_share))
        log.info(
            "fine-tuning %s on %d MNIST images + %d drawn from %d submissions per epoch (%d held out)",
            parent.version,
            len(data.train_x),
            extra_per_epoch,
            len(submissions),
            len(heldout),
        )
        fitted = fit(
            model,
            data,
            config,
            g,
            extra=extra,
            extra_per_epoch=extra_per_epoch,
            select_on_validation=True,
            on_epoch=on_epoch,
            progress=self.progress,
        )
        heldout_after = accuracy_on(model, heldout_data)
        lineage = {"parent": parent.version, "submissions_used": len(submissions), "heldout": len(heldout)}
        extra_metrics = {
            "heldout_accuracy": heldout_after,
            "parent_heldout_accuracy": heldout_before,
            "parent_test_accuracy": parent.test_accuracy,
        }
        run = self._save(
            model,
            payload["architecture"],
            data,
            fitted,
            config,
            f"digitnet-ft-{{}}-s{config.seed}",
            lineage=lineage,
            extra_metrics=extra_metrics,
        )
        log.info(
            "saved %s: held-out submissions %s -> %s, MNIST test %.2f%% -> %.2f%%",
            run.checkpoint_path,
            heldout_before,
            heldout_after,
            100 * (parent.test_accuracy or 0),
            100 * run.test_accuracy,
        )
        return FineTuneResult(
            run,
            parent.version,
            len(submissions),
            len(heldout),
            heldout_before,
            heldout_after,
            parent.test_accuracy or 0.0,
        )

    def _save(
        self, model, architecture, data, fitted: Fitted, config, name: str, lineage=None, extra_metrics=None
    ):
        created = datetime.now(UTC)
        version = name.format(f"{created:%Y%m%d-%H%M%S}")
        test_accuracy = fitted.history[fitted.epoch - 1].test_accuracy
        confusion = confusion_matrix(data.test_y, fitted.test_predicted)
        path = save_checkpoint(
            self.models_dir / f"{version}.pt",
            model,
            architecture,
            version=version,
            created_at=created.isoformat(timespec="seconds"),
            train_config={k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()},
            metrics={
                "best_epoch": fitted.epoch,
                "test_accuracy": test_accuracy,
                "confusion": [list(r) for r in confusion],
                "history": [m.as_dict() for m in fitted.history],
                **(extra_metrics or {}),
            },
            lineage=lineage or {"parent": None, "submissions_used": 0},
            data_sha256=data.sha256,
            code_version=code_version(),
            device=str(data.train_x.device),
        )
        return TrainingRun(version, str(path), tuple(fitted.history), fitted.epoch, test_accuracy, confusion)
