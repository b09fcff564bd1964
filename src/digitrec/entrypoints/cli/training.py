"""`digitrec train`: train a model on MNIST (and the synthetic sets), alone or as one of several processes."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click

from digitrec.domain.types.training import NETWORK_WIDTHS, WIDER_MIN_EPOCHS, TrainConfig, TrainingRun
from digitrec.entrypoints.cli.common import (
    DATA_DIR_OPTION,
    DEVICE_OPTION,
    METRICS_JSONL_OPTION,
    PLOTS_DIR_OPTION,
    container_from,
    epoch_metrics_writer,
    registry_config,
    registry_options,
)
from digitrec.entrypoints.formatting import run_summary

log = logging.getLogger("digitrec")


NARROWER, WIDER = (",".join(map(str, widths)) for widths in (NETWORK_WIDTHS[0], NETWORK_WIDTHS[-1]))


@click.command()
@DATA_DIR_OPTION
@click.option("--epochs", default=TrainConfig.epochs, show_default=True, type=click.IntRange(1))
@click.option("--batch-size", default=TrainConfig.batch_size, show_default=True, type=click.IntRange(1))
@click.option(
    "--lr",
    default=TrainConfig.lr,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Peak learning rate of the one-cycle schedule.",
)
@click.option("--seed", default=TrainConfig.seed, show_default=True, type=int)
@DEVICE_OPTION
@click.option(
    "--target-accuracy",
    type=click.FloatRange(0, 1),
    default=None,
    help="Stop as soon as MNIST test accuracy reaches this fraction (e.g. 0.99): a benchmarking aid.",
)
@click.option(
    "--no-augment",
    is_flag=True,
    help="Train on MNIST as it is: no drawing-like augmentation, no synthetic digits, no non-digits (so the "
    "model has no not-a-digit verdict). The fast recipe.",
)
@click.option(
    "--mnist-limit",
    type=click.IntRange(100),
    default=None,
    help="Train on only the first N MNIST training images: a quick trial.",
)
@click.option(
    "--time-budget",
    type=click.FloatRange(0),
    default=TrainConfig.time_budget,
    show_default=True,
    help="Seconds the epochs may take: when the pace so far (checked after every epoch) shows that all of "
    "them would take longer, the schedule is shortened to the epochs that fit. 0: train every epoch, however "
    "long it takes.",
)
@click.option(
    "--widths",
    callback=lambda ctx, param, value: parse_widths(value),
    default="auto",
    show_default=True,
    help=f"Channels of the network's three stages, such as 32,64,128. auto: {WIDER} when at least "
    f"{WIDER_MIN_EPOCHS} of its epochs fit in the time budget on this machine (measured before training), "
    f"else {NARROWER}; without a budget (--time-budget 0), or with fewer than {WIDER_MIN_EPOCHS} epochs, "
    f"{NARROWER}.",
)
@registry_options
@PLOTS_DIR_OPTION
@METRICS_JSONL_OPTION
@click.pass_context
def train(
    ctx: click.Context,
    data_dir: Path,
    plots_dir: Path,
    metrics_jsonl: Path | None,
    **options: Any,
) -> None:
    """Train a CNN on MNIST; write the checkpoint to --models-dir, register it in the database (not live),
    and write plots to --plots-dir.

    Under `torchrun --nproc-per-node N -m digitrec train ...` the N processes train one model with
    DistributedDataParallel (gloo on CPU, NCCL on GPU); only the first writes the checkpoint, registers it
    and plots."""
    from digitrec.domain.learning import train_model

    processes = torchrun_processes(os.environ)
    registry = registry_config(
        *(options.pop(key) for key in ("models_dir", "database_url", "database_timeout"))
    )
    container = container_from(ctx, data_dir=str(data_dir), processes=processes, **registry)
    config = train_config(**options)
    with epoch_metrics_writer(metrics_jsonl if not processes or processes["rank"] == 0 else None) as on_epoch:
        trainer, plotter = container.trainer(), container.plotter()
        run, plots = train_model(trainer, plotter, container.models(), config, plots_dir, on_epoch)
    if run is None:  # another process of a distributed run writes and reports the model
        return
    echo_run(run)
    for path in plots:
        click.echo(f"plot: {path}")


def train_config(no_augment: bool, time_budget: float, **options: Any) -> TrainConfig:
    """The training settings of `digitrec train`'s options (0 as the time budget: none)."""
    return TrainConfig(augment=not no_augment, time_budget=time_budget or None, **options)


def parse_widths(value: str) -> tuple[int, int, int] | None:
    """--widths: None for auto, else three positive channel counts."""
    if value.strip().lower() == "auto":
        return None
    try:
        widths = tuple(int(part) for part in value.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 3 or min(widths) < 1:
        raise click.BadParameter(
            f"expected auto or three positive channel counts such as 32,64,128, got {value!r}"
        )
    return widths  # type: ignore[return-value]


def torchrun_processes(environ) -> dict[str, int] | None:
    """This process's place in a distributed run, from the variables torchrun sets; None when alone."""
    names = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")
    if int(environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    return {name.lower(): int(environ.get(name, "0" if "RANK" in name else "1")) for name in names}


def echo_run(run: TrainingRun) -> None:
    """The chosen epoch, test accuracy, calibration and verdict of a run, and where its checkpoint is."""
    for line in run_summary(run):
        click.echo(line)
    click.echo(
        f"checkpoint: {run.checkpoint_path} (registered as {run.version}; make it live with "
        f"`digitrec models promote {run.version}`)"
    )
