"""The `Trainer` port with torch: train a DigitNet from scratch, or fine-tune one on MNIST plus submissions,
calibrate it on validation data, and write a versioned checkpoint with its config, metrics, data hashes and
lineage."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from torch import nn

from digitrec.adapters.synthetic_digits import synthetic_digits
from digitrec.adapters.synthetic_non_digits import synthetic_non_digits
from digitrec.adapters.torch_augment import Augmentation, augment_batch
from digitrec.adapters.torch_calibration import calibrate
from digitrec.adapters.torch_model import NOT_A_DIGIT, build_model, load_checkpoint, save_checkpoint
from digitrec.adapters.torch_training import (
    Fitted,
    Mixture,
    MnistSplits,
    code_version,
    confusion_matrix,
    evaluate,
    fit,
    load_splits,
    per_epoch,
    pick_device,
)
from digitrec.domain.training import (
    Calibration,
    EpochMetrics,
    FineTuneConfig,
    FineTuneResult,
    LabelledInputs,
    ModelRecord,
    TrainConfig,
    TrainingRun,
)

log = logging.getLogger(__name__)

DRAWN_FOR_TRAINING = 15_000  # synthetic digits, and as many non-digits, made once per run
DRAWN_FOR_VALIDATION = 2_000  # of each, from other seeds: never trained on


def as_tensors(inputs: LabelledInputs, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.from_numpy(np.ascontiguousarray(inputs.images, dtype=np.float32))[:, None]
    return images.to(device), torch.from_numpy(inputs.labels.astype(np.int64)).to(device)


def accuracy_on(model: nn.Module, inputs: tuple[torch.Tensor, torch.Tensor]) -> float | None:
    return evaluate(model, *inputs)[1] if len(inputs[1]) else None


def images_on(array: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(array).to(device)[:, None]


@dataclass(frozen=True)
class DrawnSets:
    """Synthetic drawings for one run (see synthetic_digits.py and synthetic_non_digits.py): some to train
    on, and others, drawn with other seeds, to calibrate and validate with."""

    digits: tuple[torch.Tensor, torch.Tensor]
    non_digits: torch.Tensor
    val_digits: tuple[torch.Tensor, torch.Tensor]
    val_non_digits: torch.Tensor

    @classmethod
    def make(cls, seed: int, device: torch.device, count: int, val_count: int, with_digits: bool = True):
        def rng(purpose: int) -> np.random.Generator:
            return np.random.default_rng([seed, purpose])

        digits, labels = synthetic_digits(count if with_digits else 0, rng(1))
        val_digits, val_labels = synthetic_digits(val_count if with_digits else 0, rng(2))
        return cls(
            (images_on(digits, device), torch.from_numpy(labels).to(device)),
            images_on(synthetic_non_digits(count, rng(3)), device),
            (images_on(val_digits, device), torch.from_numpy(val_labels).to(device)),
            images_on(synthetic_non_digits(val_count, rng(4)), device),
        )

    def extras(self, mnist: int, digit_share: float, non_digit_share: float):
        """The Mixture sources: synthetic digits and non-digits (labelled NOT_A_DIGIT), at their shares."""
        rejects = torch.full((len(self.non_digits),), NOT_A_DIGIT, device=self.non_digits.device)
        return [
            (*self.digits, per_epoch(mnist, digit_share)),
            (self.non_digits, rejects, per_epoch(mnist, non_digit_share)),
        ]


def degraded_validation_digits(data: MnistSplits, seed: int) -> torch.Tensor:
    """MNIST's validation split as low-resolution scans and stretched boxes, every image: the digits least
    like the training set's that the not-a-digit threshold must still accept."""
    g = torch.Generator(device=data.val_x.device).manual_seed(seed + 2)
    degraded = Augmentation(fill_box=0.5, low_resolution=1.0)
    return augment_batch(data.val_x, g, degraded)


def validation_digits(
    data: MnistSplits, drawn: DrawnSets | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The digits calibration is fitted on: MNIST's validation split as it is and once augmented (a fixed
    seed), plus the synthetic validation digits. None of them is trained on."""
    g = torch.Generator(device=data.val_x.device).manual_seed(seed + 1)
    images, labels = [data.val_x], [data.val_y]
    if drawn is not None:
        images += [augment_batch(data.val_x, g), drawn.val_digits[0]]
        labels += [data.val_y, drawn.val_digits[1]]
    return torch.cat(images), torch.cat(labels)


def calibrate_on_validation(
    model: nn.Module, data: MnistSplits, drawn: DrawnSets | None, seed: int, digit_refusal: float
) -> Calibration:
    """The temperature and not-a-digit threshold, fitted on validation data only (none is trained on)."""
    return calibrate(
        model,
        validation_digits(data, drawn, seed),
        drawn.val_non_digits if drawn else None,
        digit_refusal,
        degraded_validation_digits(data, seed) if drawn else None,
    )


class TorchTrainer:
    def __init__(self, data_dir: Path, models_dir: Path, download: bool = True, progress: bool = True):
        self.data_dir, self.models_dir = Path(data_dir), Path(models_dir)
        self.download, self.progress = download, progress
        self.train_limit: int | None = None  # use only the first N training images (tests, smoke runs)
        self.drawn_count = (DRAWN_FOR_TRAINING, DRAWN_FOR_VALIDATION)  # smaller in tests

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
        drawn = DrawnSets.make(config.seed, device, *self.drawn_count) if config.augment else None
        extras = drawn.extras(len(data.train_x), config.synthetic_digits, config.non_digits) if drawn else []
        mixture = Mixture.of(data, extras)
        classes = NOT_A_DIGIT + 1 if drawn else NOT_A_DIGIT
        architecture = {
            "name": "DigitNet",
            "kwargs": {
                "widths": list(config.widths),
                "dropout": config.dropout,
                "classes": classes,
                "keep_edges": True,
                "strided_stem": config.strided_stem,
            },
        }
        model = build_model(architecture).to(device, memory_format=torch.channels_last)
        log.info(
            "training DigitNet%s on %d images an epoch (%d MNIST; %d validation, %d test) on %s, %d threads",
            tuple(config.widths),
            mixture.per_epoch,
            len(data.train_x),
            len(data.val_x),
            len(data.test_x),
            device,
            torch.get_num_threads(),
        )
        fitted = fit(
            model,
            data,
            mixture,
            config,
            g,
            augment=config.augment,
            target_accuracy=config.target_accuracy,
            on_epoch=on_epoch,
            progress=self.progress,
        )
        calibration = calibrate_on_validation(model, data, drawn, config.seed, config.digit_refusal)
        run = self._save(
            model, architecture, data, fitted, calibration, config, f"digitnet-{{}}-s{config.seed}"
        )
        log.info(
            "saved %s (epoch %d by validation accuracy, test %.2f%%; temperature %.2f)",
            run.checkpoint_path,
            run.best_epoch,
            100 * run.test_accuracy,
            calibration.temperature,
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
        has_verdict = model.head.out_features > NOT_A_DIGIT
        count, val_count = (n // 3 for n in self.drawn_count)
        drawn = (
            DrawnSets.make(config.seed, device, count, val_count, with_digits=False) if has_verdict else None
        )
        heldout_data, extra = as_tensors(heldout, device), as_tensors(submissions, device)
        heldout_before = accuracy_on(model, heldout_data)
        share = config.submission_share
        extras = [(*extra, per_epoch(len(data.train_x), share))]
        extras += drawn.extras(len(data.train_x), 0.0, config.non_digits)[1:] if drawn else []
        mixture = Mixture.of(data, extras)
        log.info(
            "fine-tuning %s on %d MNIST images + %d drawn from %d submissions per epoch (%d held out)",
            parent.version,
            len(data.train_x),
            extras[0][2],
            len(submissions),
            len(heldout),
        )
        fitted = fit(model, data, mixture, config, g, augment=True, on_epoch=on_epoch, progress=self.progress)
        heldout_after = accuracy_on(model, heldout_data)
        calibration = calibrate_on_validation(model, data, drawn, config.seed, TrainConfig.digit_refusal)
        lineage = {"parent": parent.version, "submissions_used": len(submissions), "heldout": len(heldout)}
        extra_metrics = {
            "heldout_accuracy": heldout_after,
            "parent_heldout_accuracy": heldout_before,
            "parent_test_accuracy": parent.test_accuracy,
        }
        name = f"digitnet-ft-{{}}-s{config.seed}"
        run = self._save(
            model, payload["architecture"], data, fitted, calibration, config, name, lineage, extra_metrics
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
        self,
        model: nn.Module,
        architecture: dict,
        data: MnistSplits,
        fitted: Fitted,
        calibration: Calibration,
        config: TrainConfig | FineTuneConfig,
        name: str,
        lineage: dict | None = None,
        extra_metrics: dict | None = None,
    ) -> TrainingRun:
        created = datetime.now(UTC)
        version = name.format(f"{created:%Y%m%d-%H%M%S}")
        best = fitted.best
        test_accuracy = fitted.history[best.epoch - 1].test_accuracy
        confusion = confusion_matrix(data.test_y, best.test_predicted)
        path = save_checkpoint(
            self.models_dir / f"{version}.pt",
            model,
            architecture,
            version=version,
            created_at=created.isoformat(timespec="seconds"),
            train_config={k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()},
            metrics={
                "best_epoch": best.epoch,
                "test_accuracy": test_accuracy,
                "confusion": [list(r) for r in confusion],
                "history": [m.as_dict() for m in fitted.history],
                **(extra_metrics or {}),
            },
            calibration=calibration.as_dict(),
            lineage=lineage or {"parent": None, "submissions_used": 0},
            data_sha256=data.sha256,
            code_version=code_version(),
            device=str(data.train_x.device),
        )
        return TrainingRun(
            version, str(path), tuple(fitted.history), best.epoch, test_accuracy, confusion, calibration
        )
