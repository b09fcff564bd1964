"""Training, in the spirit of pytorch/examples `mnist/main.py` and airbench: one file, plain functions.

Speed comes from keeping the whole data set as one tensor on the device, slicing batches out of it with a
seeded permutation, augmenting whole batches at once (no per-item Python, no DataLoader), and bf16
autocast where the hardware runs it natively (CUDA, and CPUs with AVX-512 BF16 or AMX).
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
from digitrec.adapters.torch_augment import augment_batch
from digitrec.domain.training import EpochMetrics, FineTuneConfig, TrainConfig

log = logging.getLogger(__name__)

SPLIT_SEED = 20240101  # the validation split is the same for every training seed
DIGITS = 10  # outputs beyond the first ten (not a digit) are not part of accuracy or loss on digits


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA device here")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


def use_bf16(device: torch.device) -> bool:
    """bf16 autocast where the hardware has it: CUDA GPUs, and CPUs with AVX-512 BF16 or AMX (oneDNN then
    runs the convolutions about twice as fast as in float32)."""
    if device.type == "cuda":
        return True
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def to_images(data: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1] on `device`."""
    return data.to(device)[:, None].float().div_(255.0)


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
) -> MnistSplits:
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


@dataclass(frozen=True)
class Mixture:
    """What the epochs are drawn from: every MNIST training image once per epoch, plus a fixed number of
    images drawn with repeats from each extra source (synthetic digits, non-digits, submissions)."""

    images: torch.Tensor  # MNIST's first, then each source's
    labels: torch.Tensor
    mnist: int
    sources: tuple[tuple[int, int, int], ...]  # (start, stop, per epoch) of each extra source

    @classmethod
    def of(cls, data: MnistSplits, extras: list[tuple[torch.Tensor, torch.Tensor, int]]) -> Mixture:
        extras = [(x, y, n) for x, y, n in extras if len(y) and n > 0]
        images = torch.cat([data.train_x] + [x for x, _, _ in extras])
        labels = torch.cat([data.train_y] + [y for _, y, _ in extras])
        sources, start = [], len(data.train_x)
        for x, _, per_epoch in extras:
            sources.append((start, start + len(x), per_epoch))
            start += len(x)
        return cls(images, labels, len(data.train_x), tuple(sources))

    @property
    def per_epoch(self) -> int:
        return self.mnist + sum(n for _, _, n in self.sources)

    def epoch_order(self, g: torch.Generator) -> torch.Tensor:
        device = self.images.device
        parts = [torch.arange(self.mnist, device=device)]
        parts += [torch.randint(a, b, (n,), generator=g, device=device) for a, b, n in self.sources]
        order = torch.cat(parts)
        return order[torch.randperm(len(order), generator=g, device=device)]


def per_epoch(mnist: int, share: float) -> int:
    """How many extra images make `share` of an epoch that holds `mnist` MNIST images besides."""
    return round(mnist * share / (1 - share)) if share > 0 else 0


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    mixture: Mixture,
    order: torch.Tensor,
    batch_size: int,
    augment: bool,
    g: torch.Generator,
    label_smoothing: float = 0.0,
    progress: tqdm | None = None,
) -> float:
    """One pass over `mixture.images[order]` in batches; returns the mean training loss."""
    model.train()
    total, bf16 = torch.zeros((), device=order.device), use_bf16(order.device)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        x, y = mixture.images[idx], mixture.labels[idx]
        if augment:
            x = augment_batch(x, g)
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(order.device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x), y, label_smoothing=label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.detach() * len(idx)
        if progress is not None:
            progress.update(len(idx))
    return total.item() / len(order)


@torch.inference_mode()
def logits_of(model: nn.Module, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """All the model's outputs for `images`, in float32, batch by batch."""
    model.eval()
    chunks = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].contiguous(memory_format=torch.channels_last)
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=use_bf16(images.device)):
            chunks.append(model(x).float())
    return torch.cat(chunks) if chunks else torch.zeros(0, DIGITS, device=images.device)


def evaluate(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor
) -> tuple[float, float, torch.Tensor]:
    """Mean loss, accuracy and the predicted digit of every image, over the ten digit outputs."""
    logits = logits_of(model, images)[:, :DIGITS]
    predicted = logits.argmax(1)
    loss = F.cross_entropy(logits, labels).item()
    return loss, (predicted == labels).float().mean().item(), predicted


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


@dataclass
class BestEpoch:
    """The epoch with the best validation accuracy (ties: lower validation loss), and its weights."""

    epoch: int
    val_accuracy: float
    val_loss: float
    state: dict
    test_predicted: torch.Tensor

    def beaten_by(self, metrics: EpochMetrics) -> bool:
        return (metrics.val_accuracy, -metrics.val_loss) > (self.val_accuracy, -self.val_loss)


@dataclass
class Fitted:
    history: list[EpochMetrics]
    best: BestEpoch  # whose weights the model holds now


def one_cycle(
    model: nn.Module, config: TrainConfig | FineTuneConfig, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """SGD with Nesterov momentum under a one-cycle learning-rate schedule of `steps` steps."""
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=True,
        weight_decay=config.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=steps, pct_start=config.warmup
    )
    return optimizer, scheduler


def measure(model: nn.Module, data: MnistSplits, epoch: int, seconds: float, train_loss: float):
    """The epoch's metrics, and its predictions on the test set (for the confusion matrix)."""
    val_loss, val_accuracy, _ = evaluate(model, data.val_x, data.val_y)
    _, test_accuracy, test_predicted = evaluate(model, data.test_x, data.test_y)
    return EpochMetrics(epoch, seconds, train_loss, val_loss, val_accuracy, test_accuracy), test_predicted


def log_epoch(metrics: EpochMetrics, epochs: int) -> None:
    log.info(
        "epoch %d/%d %6.1fs  train_loss %.4f  val_loss %.4f  val_acc %.2f%%  test_acc %.2f%%",
        metrics.epoch,
        epochs,
        metrics.seconds,
        metrics.train_loss,
        metrics.val_loss,
        100 * metrics.val_accuracy,
        100 * metrics.test_accuracy,
    )


def fit(
    model: nn.Module,
    data: MnistSplits,
    mixture: Mixture,
    config: TrainConfig | FineTuneConfig,
    g: torch.Generator,
    *,
    augment: bool,
    target_accuracy: float | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    progress: bool = True,
) -> Fitted:
    """Train for `config.epochs` epochs drawn from `mixture`, measuring after each; the model ends with the
    weights of the best epoch by validation accuracy. Stops early once test accuracy reaches
    `target_accuracy` (a benchmarking aid: the test set never selects the weights)."""
    steps = config.epochs * math.ceil(mixture.per_epoch / config.batch_size)
    optimizer, scheduler = one_cycle(model, config, steps)
    history: list[EpochMetrics] = []
    best: BestEpoch | None = None
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        label = f"epoch {epoch}/{config.epochs}"
        with tqdm(
            total=mixture.per_epoch, desc=label, unit="img", leave=False, disable=None if progress else True
        ) as bar:
            loss = train_epoch(
                model,
                optimizer,
                scheduler,
                mixture,
                mixture.epoch_order(g),
                config.batch_size,
                augment,
                g,
                config.label_smoothing,
                bar,
            )
        metrics, test_predicted = measure(model, data, epoch, time.perf_counter() - start, loss)
        history.append(metrics)
        log_epoch(metrics, config.epochs)
        if on_epoch is not None:
            on_epoch(metrics)
        if best is None or best.beaten_by(metrics):
            state = copy.deepcopy(model.state_dict())
            best = BestEpoch(epoch, metrics.val_accuracy, metrics.val_loss, state, test_predicted)
        if target_accuracy is not None and metrics.test_accuracy >= target_accuracy:
            log.info("test accuracy %.2f%% reached the target; stopping", 100 * metrics.test_accuracy)
            break
    assert best is not None
    model.load_state_dict(best.state)
    return Fitted(history, best)
