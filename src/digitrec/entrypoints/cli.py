"""The `digitrec` command line. Thin: parse, call one use case, print.

Every option can also come from the environment: `DIGITREC_<COMMAND>_<OPTION>` (click's convention, e.g.
`DIGITREC_TRAIN_EPOCHS=3`), plus the documented names such as `DIGITREC_DATA_DIR`.
Heavy imports (torch, the container) happen inside commands so that `digitrec --help` answers at once.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from digitrec import __version__, settings
from digitrec.domain.training import NETWORK_WIDTHS, WIDER_MIN_EPOCHS, TrainConfig, TrainingRun
from digitrec.entrypoints.cli_common import (
    DATA_DIR_OPTION,
    DEVICE_OPTION,
    METRICS_JSONL_OPTION,
    MODEL_OPTION,
    MODELS_DIR_OPTION,
    PLOTS_DIR_OPTION,
    RUNTIME_OPTION,
    DigitrecGroup,
    container_from,
    database_options,
    epoch_metrics_writer,
    registry_config,
    registry_options,
)
from digitrec.entrypoints.formatting import run_summary

log = logging.getLogger("digitrec")


NARROWER, WIDER = (",".join(map(str, widths)) for widths in (NETWORK_WIDTHS[0], NETWORK_WIDTHS[-1]))


def configure_logging(verbose: bool) -> None:
    debug = verbose or os.environ.get("LOG_LEVEL_DEBUG", "") not in ("", "0", "false")
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)-5s %(message)s" if debug else "%(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )


@click.group(
    cls=DigitrecGroup,
    context_settings={"auto_envvar_prefix": "DIGITREC", "help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="digitrec")
@click.option("-v", "--verbose", is_flag=True, help="Debug logs (as does LOG_LEVEL_DEBUG=1).")
def cli(verbose: bool) -> None:
    """digitrec: recognise handwritten digits, and learn from the ones people draw."""
    configure_logging(verbose)


@cli.command()
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
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    device: str,
    target_accuracy: float | None,
    no_augment: bool,
    mnist_limit: int | None,
    time_budget: float,
    widths: tuple[int, int, int] | None,
    models_dir: Path,
    database_url: str,
    database_timeout: float | None,
    plots_dir: Path,
    metrics_jsonl: Path | None,
) -> None:
    """Train a CNN on MNIST; write the checkpoint to --models-dir, register it in the database (not live),
    and write plots to --plots-dir.

    Under `torchrun --nproc-per-node N -m digitrec train ...` the N processes train one model with
    DistributedDataParallel (gloo on CPU, NCCL on GPU); only the first writes the checkpoint, registers it
    and plots."""
    from digitrec.domain.learning import train_model

    processes = torchrun_processes(os.environ)
    registry = registry_config(models_dir, database_url, database_timeout)
    container = container_from(ctx, data_dir=str(data_dir), processes=processes, **registry)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=device,
        target_accuracy=target_accuracy,
        augment=not no_augment,
        mnist_limit=mnist_limit,
        time_budget=time_budget or None,
        widths=widths,
    )
    with epoch_metrics_writer(metrics_jsonl if not processes or processes["rank"] == 0 else None) as on_epoch:
        trainer, plotter = container.trainer(), container.plotter()
        run, plots = train_model(trainer, plotter, container.models(), config, plots_dir, on_epoch)
    if run is None:  # another process of a distributed run writes and reports the model
        return
    echo_run(run)
    for path in plots:
        click.echo(f"plot: {path}")


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


@cli.command()
@click.option(
    "--host", default=settings.HOST, show_default=True, envvar=settings.ENV_HOST, help="Address to listen on."
)
@click.option(
    "--port",
    default=settings.PORT,
    show_default=True,
    envvar=settings.ENV_PORT,
    type=click.IntRange(1, 65535),
)
@database_options
@MODEL_OPTION
@MODELS_DIR_OPTION
@RUNTIME_OPTION
def serve(
    host: str,
    port: int,
    database_url: str,
    database_timeout: float | None,
    model_path: Path | None,
    models_dir: Path,
    runtime: str,
) -> None:
    """Start the drawing app (Streamlit) with the live model (a promotion switches it), or a fixed --model;
    on torch, or on ONNX Runtime (--runtime onnx, or automatically where torch is not installed)."""
    import sys

    env = os.environ | {
        settings.ENV_DATABASE_URL: database_url,
        settings.ENV_MODELS_DIR: str(models_dir.resolve()),
        settings.ENV_RUNTIME: runtime,
    }
    if model_path is not None:
        env[settings.ENV_MODEL] = str(model_path)
    if database_timeout is not None:
        env[settings.ENV_DATABASE_TIMEOUT] = str(database_timeout)
    options = {
        "server.address": host,
        "server.port": port,
        "server.headless": "true",
        "browser.gatherUsageStats": "false",
        "client.toolbarMode": "minimal",
    }
    command = [sys.executable, "-m", "digitrec.entrypoints.webapp.server"]
    command += [arg for name, value in options.items() for arg in (f"--{name}", str(value))]
    click.echo(f"digitrec app on http://{host}:{port} (submissions: {database_url})")
    os.execvpe(command[0], command, env)


# Commands that live in their own modules (they share the helpers in cli_common).
from digitrec.entrypoints.cli_models import finetune, models  # noqa: E402
from digitrec.entrypoints.cli_recognition import evaluate, predict  # noqa: E402
from digitrec.entrypoints.cli_submissions import db, submissions  # noqa: E402
from digitrec.entrypoints.cli_worker import worker  # noqa: E402

cli.add_command(predict)
cli.add_command(evaluate)
cli.add_command(finetune)
cli.add_command(models)
cli.add_command(submissions)
cli.add_command(db)
cli.add_command(worker)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
