"""Training, in the spirit of pytorch/examples `mnist/main.py` and airbench: one file, plain functions.

Speed comes from keeping the whole data set as one tensor on the device, slicing batches out of it with a
seeded permutation, and augmenting whole batches at once (no per-item Python, no DataLoader).
"""

from __future__ import annotations

import copy
import logging
import math
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

import digitrec
from digitrec.adapters.mnist import load_mnist
from digitrec.adapters.torch_model import DigitNet, save_checkpoint
from digitrec.domain.model import EpochMetrics, TrainConfig, TrainingRun

log = logging.getLogger(__name__)

SPLIT_SEED = 20240101  # the validation split is the same for every training seed


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA device here")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


def to_images(data: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1] on `device`."""
    return data.to(device)[:, None].float().div_(255.0)


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random changes that make MNIST look more like digits drawn on a canvas."""

    rotation: float = math.radians(15)
    scale: tuple[float, float] = (0.85, 1.15)
    aspect: tuple[float, float] = (0.85, 1.15)
    shear: float = 0.25
    translate: float = 0.12  # in units of half the image side: 0.12 ~ 1.7 px
    thickness: tuple[float, float] = (-0.6, 1.0)  # < 0 erodes, > 0 dilates, as a blend with a 3x3 min/max


def uniform(n: int, low: float, high: float, g: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=g, device=device) * (high - low) + low


def augment_batch(x: torch.Tensor, g: torch.Generator, aug: Augmentation = Augmentation()) -> torch.Tensor:
    """Random affine transform and stroke-thickness change, a different one for every image in the batch."""
    n, dev = x.shape[0], x.device
    angle = uniform(n, -aug.rotation, aug.rotation, g, dev)
    scale = uniform(n, *aug.scale, g, dev)
    aspect = uniform(n, *aug.aspect, g, dev)
    shear = uniform(n, -aug.shear, aug.shear, g, dev)
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx, sy = 1.0 / (scale * aspect.sqrt()), aspect.sqrt() / scale  # affine_grid maps output -> input
    theta = torch.stack(
        [
            torch.stack(
                [cos * sx, (shear * cos - sin) * sx, uniform(n, -aug.translate, aug.translate, g, dev)], 1
            ),
            torch.stack(
                [sin * sy, (shear * sin + cos) * sy, uniform(n, -aug.translate, aug.translate, g, dev)], 1
            ),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    amount = uniform(n, *aug.thickness, g, dev).view(n, 1, 1, 1)
    dilated = F.max_pool2d(x, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-x, 3, stride=1, padding=1)
    x = torch.where(amount > 0, x + amount * (dilated - x), x + amount * (x - eroded))
    return x.clamp_(0.0, 1.0)


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    images: torch.Tensor,
    labels: torch.Tensor,
    config: TrainConfig,
    g: torch.Generator,
    progress: tqdm | None = None,
) -> float:
    """One pass over the training images in a seeded random order; returns the mean training loss."""
    model.train()
    order = torch.randperm(len(images), generator=g, device=images.device)
    total, autocast = torch.zeros((), device=images.device), images.device.type == "cuda"
    for start in range(0, len(images), config.batch_size):
        idx = order[start : start + config.batch_size]
        x, y = images[idx], labels[idx]
        if config.augment:
            x = augment_batch(x, g)
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=autocast):
            loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.detach() * len(idx)
        if progress is not None:
            progress.update(len(idx))
    return total.item() / len(images)


@torch.inference_mode()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000):
    """Mean loss, accuracy and the predicted digit of every image."""
    model.eval()
    loss, preds = torch.zeros((), device=images.device), []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].contiguous(memory_format=torch.channels_last)
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=images.device.type == "cuda"):
            logits = model(x).float()
        loss += F.cross_entropy(logits, labels[start : start + batch_size], reduction="sum")
        preds.append(logits.argmax(1))
    predicted = torch.cat(preds)
    return loss.item() / len(images), (predicted == labels).float().mean().item(), predicted


def confusion_matrix(labels: torch.Tensor, predicted: torch.Tensor) -> tuple[tuple[int, ...], ...]:
    counts = torch.bincount(labels.cpu() * 10 + predicted.cpu(), minlength=100).view(10, 10)
    return tuple(tuple(int(c) for c in row) for row in counts.tolist())


def code_version() -> str:
    """The package version, plus the git commit when running from a checkout."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{digitrec.__version__}+g{sha}" if sha else digitrec.__version__


class TorchTrainer:
    """The `Trainer` port: trains a DigitNet on MNIST and writes a checkpoint to `models_dir`."""

    def __init__(self, data_dir: Path, models_dir: Path, download: bool = True, progress: bool = True):
        self.data_dir, self.models_dir = Path(data_dir), Path(models_dir)
        self.download, self.progress = download, progress
        self.train_limit: int | None = None  # use only the first N training images (tests, smoke runs)

    def train(
        self, config: TrainConfig, on_epoch: Callable[[EpochMetrics], None] | None = None
    ) -> TrainingRun:
        device = pick_device(config.device)
        torch.set_num_threads(config.threads or os.cpu_count() or 1)
        torch.manual_seed(config.seed)
        g = torch.Generator(device=device).manual_seed(config.seed)

        mnist = load_mnist(self.data_dir, download=self.download)
        split = torch.randperm(len(mnist.train_images), generator=torch.Generator().manual_seed(SPLIT_SEED))
        val_idx, train_idx = split[: config.val_size], split[config.val_size :]
        if self.train_limit is not None:
            train_idx = train_idx[: self.train_limit]
        train_x, train_y = (
            to_images(mnist.train_images[train_idx], device),
            mnist.train_labels[train_idx].to(device),
        )
        val_x, val_y = to_images(mnist.train_images[val_idx], device), mnist.train_labels[val_idx].to(device)
        test_x, test_y = to_images(mnist.test_images, device), mnist.test_labels.to(device)

        architecture = {"name": "DigitNet", "kwargs": {"widths": list(config.widths)}}
        model = DigitNet(config.widths).to(device, memory_format=torch.channels_last)
        optimizer = torch.optim.SGD(
            model.parameters(), lr=config.lr, momentum=0.9, nesterov=True, weight_decay=config.weight_decay
        )
        steps = config.epochs * math.ceil(len(train_x) / config.batch_size)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=steps, pct_start=0.2
        )
        log.info(
            "training DigitNet%s on %d images (%d validation, %d test) on %s, %d threads",
            tuple(config.widths),
            len(train_x),
            len(val_x),
            len(test_x),
            device,
            torch.get_num_threads(),
        )

        history: list[EpochMetrics] = []
        best: tuple[float, float, int, dict, torch.Tensor] | None = (
            None  # val acc, -val loss, epoch, state, test preds
        )
        start = time.perf_counter()
        for epoch in range(1, config.epochs + 1):
            with tqdm(
                total=len(train_x),
                desc=f"epoch {epoch}/{config.epochs}",
                unit="img",
                leave=False,
                disable=None if self.progress else True,  # None: only on a terminal
            ) as bar:
                train_loss = train_epoch(model, optimizer, scheduler, train_x, train_y, config, g, bar)
            val_loss, val_acc, _ = evaluate(model, val_x, val_y)
            _, test_acc, test_pred = evaluate(model, test_x, test_y)
            metrics = EpochMetrics(
                epoch, time.perf_counter() - start, train_loss, val_loss, val_acc, test_acc
            )
            history.append(metrics)
            log.info(
                "epoch %d/%d %6.1fs  train_loss %.4f  val_loss %.4f  val_acc %.2f%%  test_acc %.2f%%",
                epoch,
                config.epochs,
                metrics.seconds,
                train_loss,
                val_loss,
                100 * val_acc,
                100 * test_acc,
            )
            if on_epoch is not None:
                on_epoch(metrics)
            if best is None or (val_acc, -val_loss) > best[:2]:
                best = (val_acc, -val_loss, epoch, copy.deepcopy(model.state_dict()), test_pred)
            if config.target_accuracy is not None and test_acc >= config.target_accuracy:
                log.info("test accuracy %.2f%% reached the target; stopping", 100 * test_acc)
                break

        assert best is not None
        _, _, best_epoch, state, test_pred = best
        model.load_state_dict(state)
        test_accuracy = history[best_epoch - 1].test_accuracy
        created = datetime.now(UTC)
        version = f"digitnet-{created:%Y%m%d-%H%M%S}-s{config.seed}"
        confusion = confusion_matrix(test_y, test_pred)
        path = save_checkpoint(
            self.models_dir / f"{version}.pt",
            model,
            architecture,
            version=version,
            created_at=created.isoformat(timespec="seconds"),
            train_config=asdict(config) | {"widths": list(config.widths)},
            metrics={
                "best_epoch": best_epoch,
                "test_accuracy": test_accuracy,
                "confusion": [list(r) for r in confusion],
                "history": [m.as_dict() for m in history],
            },
            data_sha256=mnist.sha256,
            code_version=code_version(),
            device=str(device),
        )
        log.info(
            "saved %s (epoch %d by validation accuracy, test %.2f%%)", path, best_epoch, 100 * test_accuracy
        )
        return TrainingRun(version, str(path), tuple(history), best_epoch, test_accuracy, confusion)
