"""Training, in the spirit of pytorch/examples `mnist/main.py` and airbench: one file, plain functions.

Speed comes from keeping the whole data set as one tensor on the device, slicing batches out of it with a
seeded permutation, and augmenting whole batches at once (no per-item Python, no DataLoader).
"""

from __future__ import annotations

import copy
import logging
import math
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

import digitrec
from digitrec.adapters.mnist import load_mnist
from digitrec.domain.training import EpochMetrics, FineTuneConfig, TrainConfig

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
    order: torch.Tensor,
    batch_size: int,
    augment: bool,
    g: torch.Generator,
    progress: tqdm | None = None,
) -> float:
    """One pass over `images[order]` in batches; returns the mean training loss."""
    model.train()
    total, autocast = torch.zeros((), device=images.device), images.device.type == "cuda"
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        x, y = images[idx], labels[idx]
        if augment:
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
    return total.item() / len(order)


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


@dataclass(frozen=True)
class MnistSplits:
    """MNIST on the device: training images, a fixed validation split of them, and the official test set."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    sha256: dict[str, str]


def load_splits(
    data_dir: Path, download: bool, val_size: int, device: torch.device, limit: int | None = None
):
    mnist = load_mnist(data_dir, download=download)
    split = torch.randperm(len(mnist.train_images), generator=torch.Generator().manual_seed(SPLIT_SEED))
    val_idx, train_idx = split[:val_size], split[val_size:][:limit]
    return MnistSplits(
        to_images(mnist.train_images[train_idx], device),
        mnist.train_labels[train_idx].to(device),
        to_images(mnist.train_images[val_idx], device),
        mnist.train_labels[val_idx].to(device),
        to_images(mnist.test_images, device),
        mnist.test_labels.to(device),
        mnist.sha256,
    )


@dataclass
class Fitted:
    history: list[EpochMetrics]
    epoch: int  # whose weights the model holds now
    test_predicted: torch.Tensor  # that epoch's predictions on the test set


def fit(
    model: nn.Module,
    data: MnistSplits,
    config: TrainConfig | FineTuneConfig,
    g: torch.Generator,
    *,
    extra: tuple[torch.Tensor, torch.Tensor] | None = None,
    extra_per_epoch: int = 0,
    augment: bool = True,
    target_accuracy: float | None = None,
    select_on_validation: bool = True,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    progress: bool = True,
) -> Fitted:
    """Train with SGD (Nesterov) and a one-cycle schedule, evaluating after each epoch. Each epoch sees every
    MNIST training image once plus `extra_per_epoch` images drawn with repeats from `extra`. The model ends
    with the weights of the best epoch by validation accuracy (or of the last, without selection)."""
    images, labels = data.train_x, data.train_y
    if extra is not None and extra_per_epoch:
        images, labels = torch.cat([images, extra[0]]), torch.cat([labels, extra[1]])
    per_epoch = len(data.train_x) + (extra_per_epoch if extra is not None else 0)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=0.9, nesterov=True, weight_decay=config.weight_decay
    )
    steps = config.epochs * math.ceil(per_epoch / config.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=steps, pct_start=0.2
    )
    history: list[EpochMetrics] = []
    best: tuple[tuple[float, float], int, dict, torch.Tensor] | None = None
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        order = torch.arange(len(data.train_x), device=images.device)
        if per_epoch > len(order):
            drawn = torch.randint(
                len(data.train_x), len(images), (per_epoch - len(order),), generator=g, device=images.device
            )
            order = torch.cat([order, drawn])
        order = order[torch.randperm(len(order), generator=g, device=images.device)]
        with tqdm(
            total=per_epoch,
            desc=f"epoch {epoch}/{config.epochs}",
            unit="img",
            leave=False,
            disable=None if progress else True,
        ) as bar:
            loss = train_epoch(
                model, optimizer, scheduler, images, labels, order, config.batch_size, augment, g, bar
            )
        val_loss, val_acc, _ = evaluate(model, data.val_x, data.val_y)
        _, test_acc, test_pred = evaluate(model, data.test_x, data.test_y)
        metrics = EpochMetrics(epoch, time.perf_counter() - start, loss, val_loss, val_acc, test_acc)
        history.append(metrics)
        log.info(
            "epoch %d/%d %6.1fs  train_loss %.4f  val_loss %.4f  val_acc %.2f%%  test_acc %.2f%%",
            epoch,
            config.epochs,
            metrics.seconds,
            loss,
            val_loss,
            100 * val_acc,
            100 * test_acc,
        )
        if on_epoch is not None:
            on_epoch(metrics)
        if best is None or not select_on_validation or (val_acc, -val_loss) > best[0]:
            best = ((val_acc, -val_loss), epoch, copy.deepcopy(model.state_dict()), test_pred)
        if target_accuracy is not None and test_acc >= target_accuracy:
            log.info("test accuracy %.2f%% reached the target; stopping", 100 * test_acc)
            break
    assert best is not None
    model.load_state_dict(best[2])
    return Fitted(history, best[1], best[3])
