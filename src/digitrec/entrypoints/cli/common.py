"""What the CLI's command modules share: one error mapping, the options several commands take (defined
once, with defaults from settings.py), the container they get, and how numbers are printed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from digitrec import settings
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.training import EpochMetrics

if TYPE_CHECKING:
    from digitrec.containers import Container


class DigitrecGroup(click.Group):
    """A command group whose commands' errors a user can act on (`DigitrecError`, and `OSError`: a full
    disk, a missing folder) end as `Error: <message>` and exit status 1, instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DigitrecError, OSError) as exc:
            raise click.ClickException(str(exc)) from exc


def echo_confusion(confusion: Sequence[Sequence[int]]) -> None:
    click.echo("confusion (rows: true digit, columns: predicted)")
    click.echo("     " + "".join(f"{d:>6}" for d in range(len(confusion))))
    for d, row in enumerate(confusion):
        click.echo(f"{d:>5}" + "".join(f"{c:>6}" for c in row))


def container_from(ctx: click.Context, **config: object) -> Container:
    """The container the caller passed in (tests do), else a fresh one; `config` values are set on it."""
    if ctx.obj is None:
        from digitrec.containers import Container

        ctx.obj = Container()
    ctx.obj.config.from_dict({k: v for k, v in config.items() if v is not None})
    return ctx.obj


DATA_DIR_OPTION = click.option(
    "--data-dir",
    envvar=settings.ENV_DATA_DIR,
    default=settings.DATA_DIR,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="MNIST root (torchvision layout: DIR/MNIST/raw/...); downloaded there when missing.",
)
DATABASE_URL_OPTION = click.option(
    "--database-url",
    envvar=settings.ENV_DATABASE_URL,
    default=settings.DATABASE_URL,
    show_default=True,
    help="Database of submissions and model versions, a SQLAlchemy URL (PostgreSQL: "
    "postgresql+psycopg://user:password@host/db); "
    f"a SQLite file is created when missing; {settings.MEMORY_DATABASE_URL} keeps a throwaway store in "
    "memory (a demo: nothing survives the process).",
)
DATABASE_TIMEOUT_OPTION = click.option(
    "--database-timeout",
    envvar=settings.ENV_DATABASE_TIMEOUT,
    type=click.FloatRange(0, settings.MAX_DATABASE_TIMEOUT, min_open=True),
    help="Seconds a database call may wait for a lock, a connection or the server before it fails "
    f"[default: {settings.DATABASE_TIMEOUT:g}].",
)


def database_options(command: Callable) -> Callable:
    """--database-url and --database-timeout, for every command that opens the submission database."""
    return DATABASE_URL_OPTION(DATABASE_TIMEOUT_OPTION(command))


MODELS_DIR_OPTION = click.option(
    "--models-dir",
    default=settings.MODELS_DIR,
    show_default=True,
    envvar=settings.ENV_MODELS_DIR,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where `train` writes checkpoints and the registry keeps local copies of its versions (the registry "
    "is in the database; a live.json here from an older digitrec is imported once).",
)


def registry_options(command: Callable) -> Callable:
    """--models-dir plus the database options: what every command that reads the model registry takes."""
    return MODELS_DIR_OPTION(database_options(command))


def registry_config(models_dir: Path, database_url: str, database_timeout: float | None) -> dict[str, object]:
    return {"models_dir": str(models_dir), "database_url": database_url, "database_timeout": database_timeout}


MODEL_OPTION = click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=settings.ENV_MODEL,
    help="Checkpoint to use (default: the live model, see `digitrec models list`).",
)


PLOTS_DIR_OPTION = click.option(
    "--plots-dir",
    default=settings.PLOTS_DIR,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the run's plots go.",
)
DEVICE_OPTION = click.option(
    "--device", default=settings.DEVICES[0], show_default=True, type=click.Choice(settings.DEVICES)
)
METRICS_JSONL_OPTION = click.option(
    "--metrics-jsonl",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write one JSON object per epoch to this file.",
)


def json_option(what: str) -> Callable:
    """--json, for every command that can print its result as JSON; `what` says what it prints."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


RUNTIME_OPTION = click.option(
    "--runtime",
    type=click.Choice(settings.RUNTIMES),
    default=settings.RUNTIMES[0],
    show_default=True,
    envvar=settings.ENV_RUNTIME,
    help="What runs the model: torch, or ONNX Runtime (no torch needed); auto takes torch where installed.",
)


def classifier_from(ctx: click.Context, model_path: Path | None, runtime: str, **registry: Any):
    """The classifier of --model, else the registry's live model (`registry`: see registry_config); the
    shipped model when the database does not exist yet, which is then not created."""
    from digitrec.containers import model_before_any_database

    if model_path is None:
        model_path = model_before_any_database(registry["database_url"], registry["models_dir"])
    model = str(model_path) if model_path else None
    return container_from(ctx, model_path=model, runtime=runtime, **registry_config(**registry)).classifier()


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
