"""`digitrec finetune` and `digitrec models list|promote`: refine the model from submissions, then choose
which version answers."""

from __future__ import annotations

import json
from pathlib import Path

import click

from digitrec.domain.model import DigitrecError
from digitrec.domain.training import FineTuneConfig
from digitrec.entrypoints.cli_common import (
    DATA_DIR_OPTION,
    MODELS_DIR_OPTION,
    container_from,
    database_options,
    epoch_metrics_writer,
)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


@click.command()
@click.option("--from", "from_version", help="Version to start from (default: the live model).")
@DATA_DIR_OPTION
@database_options
@MODELS_DIR_OPTION
@click.option("--epochs", default=FineTuneConfig.epochs, show_default=True, type=click.IntRange(1))
@click.option("--lr", default=FineTuneConfig.lr, show_default=True, type=click.FloatRange(0, min_open=True))
@click.option("--seed", default=FineTuneConfig.seed, show_default=True, type=int)
@click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"]))
@click.option(
    "--submission-share",
    default=FineTuneConfig.submission_share,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Share of each epoch's images drawn (with repeats) from the submissions.",
)
@click.option(
    "--min-submissions",
    default=FineTuneConfig.min_submissions,
    show_default=True,
    type=click.IntRange(1),
    help="Refuse with fewer training submissions than this.",
)
@click.option(
    "--plots-dir", default="plots", show_default=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--metrics-jsonl", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def finetune(
    ctx: click.Context,
    from_version,
    data_dir,
    database_url,
    database_timeout,
    models_dir,
    epochs,
    lr,
    seed,
    device,
    submission_share,
    min_submissions,
    plots_dir,
    metrics_jsonl,
) -> None:
    """Fine-tune the live model on MNIST plus the stored submissions; write a new version (not promoted)."""
    from digitrec.domain.finetuning import finetune_model

    container = container_from(
        ctx,
        data_dir=str(data_dir),
        database_url=database_url,
        database_timeout=database_timeout,
        models_dir=str(models_dir),
    )
    config = FineTuneConfig(
        epochs=epochs,
        lr=lr,
        seed=seed,
        device=device,
        submission_share=submission_share,
        min_submissions=min_submissions,
    )
    try:
        with epoch_metrics_writer(metrics_jsonl) as on_epoch:
            models, repo = container.models(), container.submissions()
            result = finetune_model(container.trainer(), models, repo, config, from_version, on_epoch)
        plots = container.plotter().plot(result.run, plots_dir)
    except (DigitrecError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"model {result.run.version} (from {result.parent}, {result.submissions_used} submissions, "
        f"{result.heldout} held out)"
    )
    click.echo(f"  held-out submissions: {percent(result.heldout_before)} -> {percent(result.heldout_after)}")
    click.echo(
        f"  MNIST test:           {percent(result.test_before)} -> {percent(result.run.test_accuracy)}"
    )
    click.echo(
        f"checkpoint: {result.run.checkpoint_path}\n"
        f"make it live with: digitrec models promote {result.run.version}"
    )
    for path in plots:
        click.echo(f"plot: {path}")


@click.group()
def models() -> None:
    """List model versions and choose the live one."""


@models.command("list")
@MODELS_DIR_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_models(ctx: click.Context, models_dir: Path, as_json: bool) -> None:
    """Every version: parent, created, MNIST test and held-out submission accuracy, which one is live."""
    try:
        records = container_from(ctx, models_dir=str(models_dir)).models().list()
    except DigitrecError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in records], indent=2))
        return
    click.echo(f"{'':2}{'version':34}{'parent':34}{'created':27}{'MNIST test':>11}{'held-out':>10}")
    for r in records:
        click.echo(
            f"{'*' if r.live else ' ':2}{r.version:34}{r.parent or '-':34}{r.created_at or '-':27}"
            f"{percent(r.test_accuracy):>11}{percent(r.heldout_accuracy):>10}"
        )


@models.command()
@click.argument("version")
@MODELS_DIR_OPTION
@click.option("--force", is_flag=True, help="Promote even if it is worse on MNIST test than the live model.")
@click.pass_context
def promote(ctx: click.Context, version: str, models_dir: Path, force: bool) -> None:
    """Make VERSION the live model; a running app switches to it on its next prediction."""
    from digitrec.domain.finetuning import promote_model

    try:
        record = promote_model(container_from(ctx, models_dir=str(models_dir)).models(), version, force=force)
    except DigitrecError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{record.version} is live (MNIST test {percent(record.test_accuracy)})")
