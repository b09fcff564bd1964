"""What the CLI's command modules share: the container they get, common options, metrics output."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digitrec.domain.model import DigitrecError
from digitrec.domain.training import EpochMetrics

if TYPE_CHECKING:
    from digitrec.containers import Container


def container_from(ctx: click.Context, **config: object) -> Container:
    """The container the caller passed in (tests do), else a fresh one; `config` values are set on it."""
    if ctx.obj is None:
        from digitrec.containers import Container

        ctx.obj = Container()
    ctx.obj.config.from_dict({k: v for k, v in config.items() if v is not None})
    return ctx.obj


DATA_DIR_OPTION = click.option(
    "--data-dir",
    envvar="DIGITREC_DATA_DIR",
    default="data",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="MNIST root (torchvision layout: DIR/MNIST/raw/...); downloaded there when missing.",
)
DATABASE_URL_OPTION = click.option(
    "--database-url",
    envvar="DIGITREC_DATABASE_URL",
    default="sqlite:///digitrec.db",
    show_default=True,
    help="Submission database, a SQLAlchemy URL (PostgreSQL: postgresql+psycopg://user:password@host/db); "
    "a SQLite file is created when missing.",
)
MAX_DATABASE_TIMEOUT = 3600.0  # seconds; the app reads DIGITREC_DATABASE_TIMEOUT within the same bound
DATABASE_TIMEOUT_OPTION = click.option(
    "--database-timeout",
    envvar="DIGITREC_DATABASE_TIMEOUT",
    type=click.FloatRange(0, MAX_DATABASE_TIMEOUT, min_open=True),
    help="Seconds a database call may wait for a lock, a connection or the server before it fails "
    "[default: 15].",
)


def database_options(command: Callable) -> Callable:
    """--database-url and --database-timeout, for every command that opens the submission database."""
    return DATABASE_URL_OPTION(DATABASE_TIMEOUT_OPTION(command))


MODELS_DIR_OPTION = click.option(
    "--models-dir",
    default="models",
    show_default=True,
    envvar="DIGITREC_MODELS_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where model versions are kept and which one is live (models/live.json).",
)

MODEL_OPTION = click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DIGITREC_MODEL",
    help="Checkpoint to use (default: the live model, see `digitrec models list`).",
)


def classifier_from(ctx: click.Context, model_path: Path | None, models_dir: Path):
    try:
        config = {"model_path": str(model_path) if model_path else None, "models_dir": str(models_dir)}
        return container_from(ctx, **config).classifier()
    except DigitrecError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def epoch_metrics_writer(path: Path | None) -> Iterator[Callable[[EpochMetrics], None]]:
    """An `on_epoch` callback writing each epoch's metrics to `path` as one JSON line (or doing nothing)."""
    if path is None:
        yield lambda metrics: None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as sink:

        def write(metrics: EpochMetrics) -> None:
            sink.write(json.dumps(metrics.as_dict()) + "\n")
            sink.flush()

        yield write
