"""Seconds to 99.0% MNIST test accuracy: the PyTorch examples recipe vs digitrec's trainer, in one process.

The reference is pytorch/examples `mnist/main.py` as published: conv 32-64, max-pool, dropout, fc 9216-128-10,
Adadelta lr 1.0 with StepLR(gamma 0.7) per epoch, batch 64, a DataLoader applying ToTensor + Normalize to
every item, test set evaluated after each epoch. Both clocks include each recipe's own per-epoch evaluation
and start after the data files are read. Both use the same threads (all cores by default).

digitrec's fast run is short (seconds), so a stall of a shared machine weighs on it far more than on the
reference's minutes: it is trained --repeats times (3 by default; the same seed) and the median counts;
every time is printed. The default config's minutes-long run is trained once unless --repeats says more.

    python benchmarks/bench_train.py --data-dir ../shared/mnist            # digitrec's fast config
    python benchmarks/bench_train.py --data-dir ../shared/mnist --digitrec-config default
    # the default recipe of `digitrec train` trained to its end (no stop at 99%), as on the GPU:
    python benchmarks/bench_train.py --data-dir ../shared/mnist --digitrec-config default --to-the-end \
        --skip-reference
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import datasets, transforms

from digitrec.adapters.torch.devices import pick_device
from digitrec.adapters.torch.trainer import TorchTrainer
from digitrec.domain.types.training import TrainConfig
from digitrec.entrypoints.formatting import run_summary

TARGET = 0.99

# digitrec's trainer configured for time-to-99%: the default network with a one-epoch one-cycle schedule and
# no augmentation (augmentation buys robustness on drawings, not speed on MNIST).
FAST = TrainConfig(epochs=1, augment=False, target_accuracy=TARGET)


class ExamplesNet(nn.Module):
    """The network of pytorch/examples mnist/main.py."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def examples_recipe(
    data_dir: Path, device: torch.device, max_epochs: int, seed: int
) -> tuple[float, int, float]:
    """Train as mnist/main.py does; return (seconds to TARGET, epochs, accuracy at that point)."""
    torch.manual_seed(seed)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(str(data_dir), train=True, download=False, transform=transform)
    test = datasets.MNIST(str(data_dir), train=False, download=False, transform=transform)
    extra = {"num_workers": 1, "pin_memory": True} if device.type == "cuda" else {}
    train_loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True, **extra)
    test_loader = torch.utils.data.DataLoader(test, batch_size=1000, **extra)
    model = ExamplesNet().to(device)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    start = time.perf_counter()
    accuracy = 0.0
    for epoch in range(1, max_epochs + 1):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.nll_loss(model(x), y).backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
        accuracy = correct / len(test)
        elapsed = time.perf_counter() - start
        print(f"  examples recipe  epoch {epoch}: {elapsed:7.1f}s  test {100 * accuracy:.2f}%", flush=True)
        scheduler.step()
        if accuracy >= TARGET:
            return elapsed, epoch, accuracy
    return float("nan"), max_epochs, accuracy


def digitrec_trainer(data_dir: Path, config: TrainConfig) -> tuple[float, int, float]:
    """Seconds and epochs to the first epoch at the target (NaN when none got there) and the last epoch's
    test accuracy. A config without `target_accuracy` runs to its end, and how it ended is printed too."""
    with tempfile.TemporaryDirectory() as models_dir:
        trainer = TorchTrainer(data_dir, Path(models_dir), download=False, progress=False)
        run = trainer.train(
            config,
            on_epoch=lambda m: print(
                f"  digitrec         epoch {m.epoch}: {m.seconds:7.1f}s  test {100 * m.test_accuracy:.2f}%",
                flush=True,
            ),
        )
        if config.target_accuracy is None:
            for line in run_summary(run):
                print(f"  {line}")
    first = next((m for m in run.history if m.test_accuracy >= TARGET), None)
    last = run.history[-1]
    if first is None:
        return float("nan"), last.epoch, last.test_accuracy
    return first.seconds, first.epoch, last.test_accuracy


def median_run(runs: list[tuple[float, int, float]]) -> tuple[float, int, float]:
    """The run with the median time (of an even number, the slower middle one; a run that missed the
    target, NaN, counts as the slowest)."""
    ranked = sorted(runs, key=lambda run: math.inf if math.isnan(run[0]) else run[0])
    return ranked[len(ranked) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DIGITREC_DATA_DIR", "data")))
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--max-epochs", type=int, default=14, help="the examples recipe's epochs (its default)"
    )
    parser.add_argument("--digitrec-config", choices=["fast", "default"], default="fast")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeats",
        type=int,
        choices=range(1, 11),
        default=None,
        metavar="1-10",
        help="digitrec runs (the same seed); the median time counts. Default: 3 of the fast config's "
        "seconds-long run, 1 of the default config's minutes",
    )
    parser.add_argument("--skip-reference", action="store_true", help="time digitrec only")
    parser.add_argument(
        "--to-the-end",
        action="store_true",
        help="train the digitrec config to its end (no stop at the target), then report how it ended",
    )
    parser.add_argument("--epochs", type=int, default=None, help="digitrec's epochs (default: the config's)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    device = pick_device(args.device)
    base = FAST if args.digitrec_config == "fast" else TrainConfig(target_accuracy=TARGET)
    changes = {"device": args.device, "seed": args.seed}
    if args.to_the_end:
        changes["target_accuracy"] = None
    if args.epochs:
        changes["epochs"] = args.epochs
    config = TrainConfig(**{**base.__dict__, **changes})
    print(
        f"device {device}, {torch.get_num_threads()} threads, torch {torch.__version__}; target {TARGET:.1%}"
    )
    print(f"digitrec config: {config}")

    repeats = args.repeats or (3 if args.digitrec_config == "fast" else 1)
    runs = [digitrec_trainer(args.data_dir, config) for _ in range(repeats)]
    ours = median_run(runs)
    ref = (
        (float("nan"), 0, 0.0)
        if args.skip_reference
        else examples_recipe(args.data_dir, device, args.max_epochs, args.seed)
    )

    print()
    print(f"{'':18}{'seconds to 99.0%':>18}{'epochs':>8}{'test acc':>10}")
    rows = (("digitrec", ours),) if args.skip_reference else (("examples recipe", ref), ("digitrec", ours))
    for name, (seconds, epochs, acc) in rows:
        print(f"{name:18}{seconds:18.1f}{epochs:8d}{100 * acc:9.2f}%")
    if len(runs) > 1:
        times = ", ".join(f"{seconds:.1f}" for seconds, _, _ in runs)
        print(f"digitrec's {len(runs)} runs: {times} s (the median counts)")
    if not args.skip_reference:
        print(f"speed-up (examples / digitrec): {ref[0] / ours[0]:.1f}x")


if __name__ == "__main__":
    main()
