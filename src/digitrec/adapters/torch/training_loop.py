"""The training loop, in the spirit of pytorch/examples `mnist/main.py` and airbench: plain functions.

Speed comes from keeping the whole data set as one tensor on the device, slicing batches out of it with a
seeded permutation, augmenting whole batches at once (no per-item Python, no DataLoader), and bf16
autocast where the hardware runs it natively (GPUs from Ampere on, and CPUs with AVX-512 BF16 or AMX).
"""

from __future__ import annotations

import copy
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from digitrec.adapters.torch.augment import TRAINING, augment_batch
from digitrec.adapters.torch.devices import synchronize, use_bf16
from digitrec.adapters.torch.distributed_training import ALONE, Shard, mean_over_processes, wrap
from digitrec.adapters.torch.evaluation import evaluate
from digitrec.adapters.torch.model import build_model
from digitrec.adapters.torch.training_data import Mixture, MnistSplits
from digitrec.domain.curves import kept_epoch, lowest_epoch
from digitrec.domain.types.training import EpochMetrics, FineTuneConfig, TrainConfig, replanned_epochs

log = logging.getLogger(__name__)


def batches(
    mixture: Mixture,
    g: torch.Generator,
    batch_size: int,
    augment: bool,
    shard: Shard = ALONE,
    untouched: float = TRAINING.untouched,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of (images, labels) batches drawn from `mixture` in a seeded order, augmented if asked (with
    the share `untouched` of them left as they are); in a distributed run, this process's shard of it, in
    batches of batch_size / processes."""
    aug = replace(TRAINING, untouched=untouched)
    order = shard.take(mixture.epoch_order(g))
    batch_size = max(1, batch_size // shard.world_size)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        images = mixture.images[idx]
        yield (augment_batch(images, g, aug) if augment else images), mixture.labels[idx]


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    epoch: Iterable[tuple[torch.Tensor, torch.Tensor]],
    label_smoothing: float = 0.0,
    progress: tqdm | None = None,
) -> float:
    """One pass over the batches of `epoch`, a step each; returns the mean training loss."""
    model.train()
    total, seen = 0.0, 0
    for x, y in epoch:
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=use_bf16(x.device)):
            loss = F.cross_entropy(model(x), y, label_smoothing=label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total, seen = total + loss.detach() * len(y), seen + len(y)
        if progress is not None:
            progress.update(len(y))
    return float(total) / seen


PACE_STEPS = 12  # timed training steps behind an estimate of an epoch's seconds (after one to warm up)


def epoch_seconds(
    architecture: dict,
    mixture: Mixture,
    config: TrainConfig,
    augment: bool,
    shard: Shard = ALONE,
    steps: int = PACE_STEPS,
) -> float:
    """About how many seconds an epoch of `mixture` takes to train the network `architecture` here: a few
    augmented training steps of a throwaway one, timed, scaled to the epoch's steps (the mean over the
    processes of a distributed run, so that they decide alike). Random state is forked, so the run that
    follows draws and initialises exactly what it would have without the measurement."""
    device = mixture.images.device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        model = build_model(architecture).to(device, memory_format=torch.channels_last)
        optimizer, scheduler = one_cycle(model, config, 1 + steps)  # the run's optimiser, as it steps
        g = torch.Generator(device=device).manual_seed(config.seed)
        timed = batches(mixture, g, config.batch_size, augment, shard, config.untouched)
        train_epoch(model, optimizer, scheduler, itertools.islice(timed, 1))  # warm-up
        synchronize(device)
        start = time.perf_counter()
        train_epoch(model, optimizer, scheduler, itertools.islice(timed, steps))
        synchronize(device)
        per_step = (time.perf_counter() - start) / steps
    _, steps_per_epoch = epoch_size(mixture, config.batch_size, shard)
    return mean_over_processes(per_step * steps_per_epoch, shard, device)


def epoch_size(mixture: Mixture, batch_size: int, shard: Shard) -> tuple[int, int]:
    """(images this process trains in an epoch of `mixture`, the optimiser steps they take)."""
    per_process = math.ceil(mixture.per_epoch / shard.world_size)
    return per_process, math.ceil(per_process / max(1, batch_size // shard.world_size))


@dataclass
class KeptEpoch:
    """An epoch whose weights the run may keep (see `kept_epoch`), and its test predictions."""

    epoch: int
    state: dict | None  # None: the weights the model holds now
    test_predicted: torch.Tensor


@dataclass
class Fitted:
    history: list[EpochMetrics]
    best: KeptEpoch  # whose weights the model holds now


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
    return optimizer, one_cycle_schedule(optimizer, config, steps)


def one_cycle_schedule(
    optimizer: torch.optim.Optimizer, config: TrainConfig | FineTuneConfig, steps: int, done: int = 0
) -> torch.optim.lr_scheduler.LRScheduler:
    """A one-cycle schedule of `steps` steps in all, picked up after the `done` steps already taken (a run
    shortened to fit its time budget)."""
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=steps, pct_start=config.warmup
    )
    if done:
        scheduler.last_epoch = done - 1
        scheduler.step()  # sets the learning rate and momentum of step `done`
    return scheduler


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


def within_budget(
    config: TrainConfig | FineTuneConfig, epochs: int, done: int, seconds: float, shard: Shard, device
) -> int:
    """How many epochs the run should have, planning `epochs` now, at the pace of the `done` epochs so far
    (which took `seconds`): cut to those that fit in the config's time budget, or grown back towards
    `config.epochs` when the pace picks up. Every process of a distributed run decides on the same mean, so
    they stop together."""
    if config.time_budget is None:
        return epochs
    seconds = mean_over_processes(seconds, shard, device)
    fitting = replanned_epochs(config.time_budget, config.epochs, epochs, done, seconds)
    pace = seconds / done
    if fitting < epochs and shard.main:
        log.warning(
            "at %.1f s an epoch, %d epochs would take about %.0f s, more than the time budget of %.0f s: "
            "training only %d of them (--time-budget 0 trains them all)",
            pace, config.epochs, pace * config.epochs, config.time_budget, fitting,
        )  # fmt: skip
    elif fitting > epochs and shard.main:
        log.info(
            "at %.1f s an epoch, %d epochs fit in the time budget of %.0f s after all: training %d",
            pace, fitting, config.time_budget, fitting,
        )  # fmt: skip
    return fitting


def replan(
    config: TrainConfig | FineTuneConfig,
    optimizer: torch.optim.Optimizer,
    scheduler,
    epochs: int,
    epoch: int,
    seconds: float,
    steps_per_epoch: int,
    shard: Shard,
    device: torch.device,
):
    """After `epoch` of `epochs`: how many epochs fit the time budget at the pace so far, and the schedule
    for them (the rest of a one-cycle schedule over the new total, when there are more to run)."""
    if epoch >= epochs or (fits := within_budget(config, epochs, epoch, seconds, shard, device)) == epochs:
        return epochs, scheduler
    if fits > epoch:
        scheduler = one_cycle_schedule(optimizer, config, fits * steps_per_epoch, epoch * steps_per_epoch)
    return fits, scheduler


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
    shard: Shard = ALONE,
) -> Fitted:
    """Train for `config.epochs` epochs drawn from `mixture` (fewer when the pace so far shows that they
    would not fit in `config.time_budget`), measuring after each; the model ends with the
    weights of the last epoch, or of the one with the lowest validation loss when the run ended well
    above it (`kept_epoch`). Stops early once test accuracy reaches
    `target_accuracy` (a benchmarking aid: the test set never selects the weights). In a distributed run
    (`shard`), DistributedDataParallel trains and only the main process logs and calls `on_epoch`."""
    device = mixture.images.device
    trained = wrap(model, shard, device)
    per_process, steps_per_epoch = epoch_size(mixture, config.batch_size, shard)
    epochs = config.epochs
    optimizer, scheduler = one_cycle(trained, config, epochs * steps_per_epoch)
    history: list[EpochMetrics] = []
    lowest: KeptEpoch | None = None  # of validation loss so far
    start = time.perf_counter()
    epoch = 0
    while epoch < epochs:
        epoch += 1
        label, disable = f"epoch {epoch}/{epochs}", None if progress and shard.main else True
        with tqdm(total=per_process, desc=label, unit="img", leave=False, disable=disable) as bar:
            epoch_batches = batches(mixture, g, config.batch_size, augment, shard, config.untouched)
            loss = train_epoch(trained, optimizer, scheduler, epoch_batches, config.label_smoothing, bar)
        loss = mean_over_processes(loss, shard, device)
        metrics, test_predicted = measure(model, data, epoch, time.perf_counter() - start, loss)
        history.append(metrics)
        epochs, scheduler = replan(
            config, optimizer, scheduler, epochs, epoch, metrics.seconds, steps_per_epoch, shard, device
        )
        if shard.main:
            log_epoch(metrics, epochs)
            if on_epoch is not None:
                on_epoch(metrics)
        if lowest_epoch(history) == epoch:
            lowest = KeptEpoch(epoch, copy.deepcopy(model.state_dict()), test_predicted)
        if target_accuracy is not None and metrics.test_accuracy >= target_accuracy:
            log.info("test accuracy %.2f%% reached the target; stopping", 100 * metrics.test_accuracy)
            break
    return kept(model, history, lowest, test_predicted)


def kept(model: nn.Module, history: list[EpochMetrics], lowest: KeptEpoch | None, last_predicted) -> Fitted:
    """The run's end: the last epoch's weights (in `model` already), or the lowest validation loss's when
    `kept_epoch` names it, loaded into `model`."""
    assert lowest is not None
    if kept_epoch(history) == history[-1].epoch:
        return Fitted(history, KeptEpoch(history[-1].epoch, None, last_predicted))
    model.load_state_dict(lowest.state)  # kept_epoch names the lowest when not the last
    return Fitted(history, lowest)
