"""What a training run learns from, on the device: MNIST and its fixed validation split, the synthetic
drawings made for the run, the submissions of a fine-tuning, and how each epoch mixes them."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from digitrec.adapters.drawing.synthetic_digits import synthetic_digits
from digitrec.adapters.drawing.synthetic_non_digits import synthetic_non_digits
from digitrec.adapters.torch.augment import Augmentation, augment_batch
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.verdict import NOT_A_DIGIT
from digitrec.domain.types.training import LabelledInputs

log = logging.getLogger(__name__)

SPLIT_SEED = 20240101  # the validation split is the same for every training seed


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
    """What the epochs are drawn from: every MNIST training image once per epoch (or `mnist_per_epoch` of
    them, a different random share each epoch), plus a fixed number of images drawn with repeats from each
    extra source (synthetic digits, non-digits, submissions)."""

    images: torch.Tensor  # MNIST's first, then each source's
    labels: torch.Tensor
    mnist: int
    sources: tuple[tuple[int, int, int], ...]  # (start, stop, per epoch) of each extra source
    # Per source, what each of its images counts for when drawn (None: all alike).
    weights: tuple[torch.Tensor | None, ...] = ()
    mnist_per_epoch: int | None = None  # None: every MNIST image every epoch

    @classmethod
    def of(cls, data: MnistSplits, extras: list[tuple], mnist_per_epoch: int | None = None) -> Mixture:
        """`extras`: (images, labels, per epoch) or (images, labels, per epoch, weights) of each source."""
        extras = [(*extra, None)[:4] for extra in extras if len(extra[1]) and extra[2] > 0]
        images = torch.cat([data.train_x] + [x for x, *_ in extras])
        labels = torch.cat([data.train_y] + [y for _, y, *_ in extras])
        sources, start = [], len(data.train_x)
        for x, _, per_epoch, _ in extras:
            sources.append((start, start + len(x), per_epoch))
            start += len(x)
        weights = tuple(None if w is None else w.to(images.device, torch.float32) for *_, w in extras)
        mnist = len(data.train_x)
        seen = None if mnist_per_epoch is None or mnist_per_epoch >= mnist else mnist_per_epoch
        return cls(images, labels, mnist, tuple(sources), weights, seen)

    @property
    def mnist_seen(self) -> int:
        """MNIST images in each epoch."""
        return self.mnist if self.mnist_per_epoch is None else self.mnist_per_epoch

    @property
    def per_epoch(self) -> int:
        return self.mnist_seen + sum(n for _, _, n in self.sources)

    def epoch_order(self, g: torch.Generator) -> torch.Tensor:
        device = self.images.device
        if self.mnist_per_epoch is None:
            parts = [torch.arange(self.mnist, device=device)]
        else:
            parts = [torch.randperm(self.mnist, generator=g, device=device)[: self.mnist_per_epoch]]
        weights = self.weights or (None,) * len(self.sources)
        for (a, b, n), w in zip(self.sources, weights, strict=True):
            if w is None:
                parts.append(torch.randint(a, b, (n,), generator=g, device=device))
            else:
                parts.append(a + torch.multinomial(w, n, replacement=True, generator=g))
        order = torch.cat(parts)
        return order[torch.randperm(len(order), generator=g, device=device)]


def per_epoch(mnist: int, share: float) -> int:
    """How many extra images make `share` of an epoch that holds `mnist` MNIST images besides."""
    return round(mnist * share / (1 - share)) if share > 0 else 0


def as_tensors(inputs: LabelledInputs, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.from_numpy(np.ascontiguousarray(inputs.images, dtype=np.float32))[:, None]
    return images.to(device), torch.from_numpy(inputs.labels.astype(np.int64)).to(device)


def drawn_in_workers(jobs: Sequence[tuple[Callable[..., Any], int, np.random.Generator]], workers: int):
    """The results of `jobs` (drawing function, how many, generator), drawn by `workers` processes; None
    when processes cannot be started or one dies, so that the caller draws them itself."""
    context = multiprocessing.get_context("spawn")  # no fork of a process that runs torch's threads
    try:
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            return [future.result() for future in [pool.submit(*job) for job in jobs]]
    except (OSError, BrokenProcessPool) as error:
        log.warning("could not draw in %d processes (%s): drawing in this one", workers, error)
        return None


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
    def make(
        cls,
        seed: int,
        device: torch.device,
        count: int,
        val_count: int,
        with_digits: bool = True,
        workers: int = 1,
    ):
        """Draw the four sets, in `workers` processes when more than one: each set comes from its own
        generator, so the drawings are the same however many draw them."""

        def rng(purpose: int) -> np.random.Generator:
            return np.random.default_rng([seed, purpose])

        jobs = (  # the two large sets first, so that two workers share the work evenly
            (synthetic_digits, count if with_digits else 0, rng(1)),
            (synthetic_non_digits, count, rng(3)),
            (synthetic_digits, val_count if with_digits else 0, rng(2)),
            (synthetic_non_digits, val_count, rng(4)),
        )
        drawn = drawn_in_workers(jobs, workers) if workers > 1 else None
        if drawn is None:
            drawn = [function(n, generator) for function, n, generator in jobs]
        (digits, labels), non_digits, (val_digits, val_labels), val_non_digits = drawn
        return cls(
            (images_on(digits, device), torch.from_numpy(labels).to(device)),
            images_on(non_digits, device),
            (images_on(val_digits, device), torch.from_numpy(val_labels).to(device)),
            images_on(val_non_digits, device),
        )

    def extras(self, mnist: int, digit_share: float, non_digit_share: float):
        """The Mixture sources: synthetic digits and non-digits (labelled NOT_A_DIGIT), at their shares (a
        share of 0 leaves a source out of the epochs: `Mixture.of` drops it)."""
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
