"""The `Trainer` port with torch: train a DigitNet from scratch, or fine-tune one on MNIST plus submissions,
calibrate it on validation data, and write a versioned checkpoint with its config, metrics, data hashes and
lineage."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from torch import nn

from digitrec.adapters.drawing.canvas_drawings import CANVAS_SET_SIZE
from digitrec.adapters.torch.calibration import calibrate_on_validation
from digitrec.adapters.torch.canvas_cache import canvas_set_of
from digitrec.adapters.torch.devices import pick_device
from digitrec.adapters.torch.distributed_training import ALONE, Shard, process_group
from digitrec.adapters.torch.evaluation import accuracy_on, confusion_matrix, logits_of, per_digit_accuracy
from digitrec.adapters.torch.fine_tuning import (
    finetune_extras,
    overall,
    parent_model,
    per_digit_before_after,
)
from digitrec.adapters.torch.model import architecture_for, build_model, code_version, save_checkpoint
from digitrec.adapters.torch.onnx_export import export_onnx
from digitrec.adapters.torch.training_data import (
    DrawnSets,
    Mixture,
    MnistSplits,
    as_tensors,
    load_splits,
    per_epoch,
)
from digitrec.adapters.torch.training_loop import Fitted, epoch_seconds, fit
from digitrec.adapters.verdict import NOT_A_DIGIT
from digitrec.domain.types.training import (
    WIDER_MIN_EPOCHS,
    Calibration,
    EpochMetrics,
    FineTuneConfig,
    FineTuneResult,
    LabelledInputs,
    ModelRecord,
    TrainConfig,
    TrainingRun,
    chosen_widths,
    wider_fits,
)

log = logging.getLogger(__name__)

DRAWN_FOR_TRAINING = 15_000  # synthetic digits, and as many non-digits, made once per run
DRAWN_FOR_VALIDATION = 2_000  # of each, from other seeds: never trained on
DRAWN_IN_WORKERS_FROM = 2_000  # a run drawing this many uses a process per thread (each takes ~1 s to start)


class TorchTrainer:
    def __init__(
        self,
        data_dir: Path,
        models_dir: Path,
        download: bool = True,
        progress: bool = True,
        shard: Shard = ALONE,
    ):
        self.data_dir, self.models_dir = Path(data_dir), Path(models_dir)
        self.download, self.progress, self.shard = download, progress, shard
        self.train_limit: int | None = None  # use only the first N training images (tests, smoke runs)
        self.drawn_count = (DRAWN_FOR_TRAINING, DRAWN_FOR_VALIDATION)  # smaller in tests
        self.canvas_count = CANVAS_SET_SIZE  # the canvas set every version is measured on; smaller in tests

    def _setup(
        self, config: TrainConfig | FineTuneConfig, val_size: int, limit: int | None = None
    ) -> tuple[torch.device, torch.Generator, MnistSplits]:
        device = self.shard.device(pick_device(config.device))
        torch.set_num_threads(config.threads or self.shard.threads(os.cpu_count() or 1))
        torch.manual_seed(config.seed)
        data = load_splits(self.data_dir, self.download, val_size, device, limit or self.train_limit)
        return device, torch.Generator(device=device).manual_seed(config.seed), data

    def _canvas_set(self, data: MnistSplits) -> tuple[torch.Tensor, torch.Tensor]:
        """The canvas set every version is measured on (canvas_cache.py: drawn once, then kept)."""
        return canvas_set_of(data, self.canvas_count, self.models_dir / "cache")

    def train(
        self, config: TrainConfig, on_epoch: Callable[[EpochMetrics], None] | None = None
    ) -> TrainingRun | None:
        device, g, data = self._setup(config, config.val_size, config.mnist_limit)
        with process_group(self.shard, device):
            drawn = self._drawn(config.seed, device, *self.drawn_count) if config.augment else None
            extras = (
                drawn.extras(len(data.train_x), config.synthetic_digits, config.non_digits) if drawn else []
            )
            mixture = Mixture.of(data, extras)
            config = replace(config, widths=self._widths(config, mixture, with_verdict=drawn is not None))
            architecture = architecture_for(config, with_verdict=drawn is not None)
            model = build_model(architecture).to(device, memory_format=torch.channels_last)
            log.info(
                "training DigitNet%s on %d images an epoch (%d MNIST; %d validation) on %s, %d threads, "
                "process %d of %d", tuple(config.widths), mixture.per_epoch, len(data.train_x),
                len(data.val_x), device, torch.get_num_threads(), self.shard.rank + 1, self.shard.world_size,
            )  # fmt: skip
            fitted = fit(
                model, data, mixture, config, g, augment=config.augment,
                target_accuracy=config.target_accuracy, on_epoch=on_epoch, progress=self.progress,
                shard=self.shard,
            )  # fmt: skip
        if not self.shard.main:
            return None  # the main process writes the checkpoint
        calibration = calibrate_on_validation(model, data, drawn, config.seed, config.digit_refusal)
        canvas = {"canvas_accuracy": accuracy_on(model, self._canvas_set(data))}
        name = f"digitnet-{{}}-s{config.seed}"
        run = self._save(model, architecture, data, fitted, calibration, config, name, extra_metrics=canvas)
        log.info("saved %s (epoch %d)", run.checkpoint_path, run.best_epoch)
        return run

    def _widths(self, config: TrainConfig, mixture: Mixture, with_verdict: bool) -> tuple[int, int, int]:
        """The run's network: `config.widths`, or when that is None the one `chosen_widths` picks by the
        pace measured here."""
        if config.widths is not None:
            return config.widths

        measured: list[tuple[int, int, int]] = []
        budget = config.time_budget  # set whenever `pace` is called

        def pace(widths: tuple[int, int, int]) -> float:
            architecture = architecture_for(replace(config, widths=widths), with_verdict)
            seconds = epoch_seconds(architecture, mixture, config, config.augment, self.shard)
            measured.append(widths)
            if self.shard.main:
                log.info(
                    "an epoch of DigitNet%s would take about %.1f s here: %d of them about %.0f s, %s the "
                    "time budget of %.0f s", widths, seconds, WIDER_MIN_EPOCHS, WIDER_MIN_EPOCHS * seconds,
                    "within" if wider_fits(seconds, budget) else "more than", budget,
                )  # fmt: skip
            return seconds

        widths = chosen_widths(config.time_budget, config.epochs, pace)
        if self.shard.main:
            why = (
                "the widest whose epochs fit"
                if measured
                else "no time budget to weigh a wider one against"
                if config.time_budget is None
                else f"{config.epochs} epochs planned, fewer than the {WIDER_MIN_EPOCHS} a wider one needs"
            )
            log.info(
                "network: DigitNet%s (%s; pass --widths %s to train the same one anywhere)",
                widths, why, ",".join(map(str, widths)),
            )  # fmt: skip
        return widths

    def finetune(
        self,
        parent: ModelRecord,
        submissions: LabelledInputs,
        heldout: LabelledInputs,
        config: FineTuneConfig,
        on_epoch: Callable[[EpochMetrics], None] | None = None,
        negatives: np.ndarray | None = None,
    ) -> FineTuneResult:
        # The validation split the parent was trained with.
        device, g, data = self._setup(config, TrainConfig.val_size, config.mnist_limit)
        model, architecture = parent_model(parent, device)
        with_verdict = model.head.out_features > NOT_A_DIGIT
        seen = min(config.mnist_per_epoch or len(data.train_x), len(data.train_x))  # MNIST images an epoch
        drawn = self._finetune_drawings(config, device, seen) if with_verdict else None
        guarded = {"MNIST test": (data.test_x, data.test_y), "canvas set": self._canvas_set(data)}
        guarded["trusted hold-out"] = as_tensors(heldout, device)
        guarded_before = {name: per_digit_accuracy(model, *inputs) for name, inputs in guarded.items()}
        before = (overall(*guarded_before[k]) for k in ("trusted hold-out", "canvas set"))
        heldout_before, canvas_before = before
        extras, negatives_used = finetune_extras(
            submissions, drawn, negatives if with_verdict else None, seen, config, device
        )
        log.info("fine-tuning %s on MNIST (%d an epoch) + %d submissions (%d held out)", parent.version, seen,
                 len(submissions), len(heldout))  # fmt: skip
        mixture = Mixture.of(data, extras, config.mnist_per_epoch)
        fitted = fit(model, data, mixture, config, g, augment=True, on_epoch=on_epoch, progress=self.progress)
        per_digit = per_digit_before_after(guarded, guarded_before, model)
        heldout_after, canvas_after = (
            overall(table["n"], table["after"]) if (table := per_digit.get(name)) else None
            for name in ("trusted hold-out", "canvas set")
        )
        calibration = calibrate_on_validation(model, data, drawn, config.seed, TrainConfig.digit_refusal)
        lineage = {"parent": parent.version, "submissions_used": len(submissions), "heldout": len(heldout)}
        lineage["negatives_used"] = negatives_used
        extra_metrics = {
            "heldout_accuracy": heldout_after,
            "parent_heldout_accuracy": heldout_before,
            "parent_test_accuracy": parent.test_accuracy,
            "canvas_accuracy": canvas_after,
            "parent_canvas_accuracy": canvas_before,
            "per_digit": per_digit,
        }
        name = f"digitnet-ft-{{}}-s{config.seed}"
        run = self._save(model, architecture, data, fitted, calibration, config, name, lineage, extra_metrics)
        log.info("saved %s: held-out submissions %s -> %s", run.version, heldout_before, heldout_after)
        return FineTuneResult(
            run, parent.version, len(submissions), len(heldout), heldout_before, heldout_after,
            parent.test_accuracy or 0.0, negatives_used, canvas_before, canvas_after, per_digit,
        )  # fmt: skip

    @torch.inference_mode()
    def features(self, model: ModelRecord, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The parent's digit probabilities and the features its head reads (after the last pooling)."""
        network, _ = parent_model(model, torch.device("cpu"))
        captured: list[torch.Tensor] = []
        hook = network.head.register_forward_hook(lambda _m, args, _out: captured.append(args[0].float()))
        try:
            x = torch.from_numpy(np.ascontiguousarray(images, np.float32))[:, None]
            logits = logits_of(network, x)
        finally:
            hook.remove()
        probabilities = torch.softmax(logits[:, :NOT_A_DIGIT], dim=1)
        features = torch.cat(captured) if captured else torch.zeros(0, 1)
        return probabilities.numpy(), features.numpy()

    def _finetune_drawings(self, config: FineTuneConfig, device: torch.device, mnist: int) -> DrawnSets:
        """Non-digits that keep a fine-tuned model's verdict, and as many synthetic digits when the
        fine-tuning mixes some in: a third as many as training draws, or fewer when its epochs use fewer (a
        quick trial on a slice of MNIST)."""
        used = config.epochs * per_epoch(mnist, max(config.synthetic_digits, config.non_digits))
        count, val_count = (n // 3 for n in self.drawn_count)
        count = min(count, max(used, 1))
        return self._drawn(config.seed, device, count, val_count, with_digits=config.synthetic_digits > 0)

    @staticmethod
    def _drawn(seed: int, device: torch.device, count: int, val_count: int, with_digits: bool = True):
        workers = torch.get_num_threads() if count >= DRAWN_IN_WORKERS_FROM else 1
        return DrawnSets.make(seed, device, count, val_count, with_digits, workers)

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
        meta = {
            "version": version,
            "created_at": created.isoformat(timespec="seconds"),
            "train_config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()},
            "metrics": {
                "best_epoch": best.epoch,
                "test_accuracy": test_accuracy,
                "confusion": [list(r) for r in confusion],
                "history": [m.as_dict() for m in fitted.history],
                **(extra_metrics or {}),
            },
            "calibration": calibration.as_dict(),
            "lineage": lineage or {"parent": None, "submissions_used": 0},
            "data_sha256": data.sha256,
            "code_version": code_version(),
            "device": str(data.train_x.device),
        }
        # The ONNX twin first: a checkpoint that exists always has one (the registry lists checkpoints).
        export_onnx(model, self.models_dir / f"{version}.pt", {**meta, "architecture": architecture})
        path = save_checkpoint(self.models_dir / f"{version}.pt", model, architecture, **meta)
        return TrainingRun(
            version, str(path), tuple(fitted.history), best.epoch, test_accuracy, confusion, calibration
        )
