"""`digitrec finetune` and `digitrec models list|promote`: refine the model from submissions, then choose
which version answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from digitrec.domain.model_versions import digit_changes
from digitrec.domain.types.training import FineTuneConfig, FineTuneResult, ModelRecord
from digitrec.entrypoints.cli.common import (
    DATA_DIR_OPTION,
    DEVICE_OPTION,
    METRICS_JSONL_OPTION,
    MODELS_DIR_OPTION,
    PLOTS_DIR_OPTION,
    DigitrecGroup,
    container_from,
    database_options,
    epoch_metrics_writer,
    json_option,
    registry_config,
    registry_options,
)
from digitrec.entrypoints.formatting import per_digit_lines, percent, trust_lines


@click.command()
@click.option("--from", "from_version", help="Version to start from (default: the live model).")
@DATA_DIR_OPTION
@database_options
@MODELS_DIR_OPTION
@click.option("--epochs", default=FineTuneConfig.epochs, show_default=True, type=click.IntRange(1))
@click.option("--lr", default=FineTuneConfig.lr, show_default=True, type=click.FloatRange(0, min_open=True))
@click.option("--seed", default=FineTuneConfig.seed, show_default=True, type=int)
@DEVICE_OPTION
@click.option(
    "--submission-share",
    default=FineTuneConfig.submission_share,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Share of each epoch's images drawn (with repeats) from the submissions.",
)
@click.option(
    "--mnist-per-epoch",
    default=FineTuneConfig.mnist_per_epoch,
    show_default=True,
    type=click.IntRange(0),
    callback=lambda _ctx, _param, value: value or None,
    help="MNIST training images in each epoch, drawn anew every epoch (0: all of them).",
)
@click.option(
    "--min-submissions",
    default=FineTuneConfig.min_submissions,
    show_default=True,
    type=click.IntRange(1),
    help="Refuse with fewer training submissions than this.",
)
@click.option(
    "--trust-check/--no-trust-check",
    default=True,
    show_default=True,
    help="Decide what each crowd label counts for before training (--no-trust-check trains on every label as "
    "sent: only for data you trust).",
)
@PLOTS_DIR_OPTION
@METRICS_JSONL_OPTION
@click.pass_context
def finetune(
    ctx: click.Context,
    from_version: str | None,
    data_dir: Path,
    database_url: str,
    database_timeout: float | None,
    models_dir: Path,
    plots_dir: Path,
    metrics_jsonl: Path | None,
    **hyperparameters: Any,
) -> None:
    """Fine-tune the live model on MNIST plus the stored submissions; write a new version (not promoted).

    Crowd labels (sent by visitors, not reviewed) are checked first: each is trusted, down-weighted or held
    back for review, and the counts are printed by reason. The hyperparameters (--epochs, --lr, --seed,
    --device, --submission-share, --mnist-per-epoch, --min-submissions, --trust-check) go into a
    FineTuneConfig as they are."""
    from digitrec.domain.learning import finetune_model
    from digitrec.domain.model_versions import promotion_problems

    container = container_from(
        ctx, data_dir=str(data_dir), **registry_config(models_dir, database_url, database_timeout)
    )
    config = FineTuneConfig(**hyperparameters)
    with epoch_metrics_writer(metrics_jsonl) as on_epoch:
        trainer, plotter, registry = container.trainer(), container.plotter(), container.models()
        result, plots = finetune_model(
            trainer, plotter, registry, container.submissions(), config, plots_dir, from_version, on_epoch
        )
    candidate = registry.get(result.run.version)
    echo_finetuned(result, promotion_problems(candidate, registry.live()), candidate)
    for path in plots:
        click.echo(f"plot: {path}")


def echo_finetuned(result: FineTuneResult, problems: list[str], candidate: ModelRecord) -> None:
    if result.trust is not None:
        report = result.trust
        by_reason = [(d, kind, n) for (d, kind), n in report.by_reason().items()]
        for line in trust_lines(report.counts(), by_reason):
            click.echo(line)
    click.echo(
        f"model {result.run.version} (from {result.parent}, {result.submissions_used} submissions, "
        f"{result.heldout} held out, {result.negatives_used} reviewed as not digits)"
    )
    click.echo(f"  trusted hold-out:     {percent(result.heldout_before)} -> {percent(result.heldout_after)}")
    click.echo(
        f"  MNIST test:           {percent(result.test_before)} -> {percent(result.run.test_accuracy)}"
    )
    click.echo(f"  canvas set:           {percent(result.canvas_before)} -> {percent(result.canvas_after)}")
    worse = {(c.test_set, c.digit) for c in digit_changes(candidate.per_digit) if c.worse}
    for line in per_digit_lines(candidate.per_digit, worse):
        click.echo(line)
    click.echo(f"checkpoint: {result.run.checkpoint_path} (registered)")
    if problems:
        click.echo(f"`models promote` would refuse it: {'; '.join(problems)} (--force promotes it anyway)")
    else:
        click.echo(f"make it live with: digitrec models promote {result.run.version}")


@click.group(cls=DigitrecGroup)
def models() -> None:
    """List model versions, import one, choose the live one, roll back: in the database, so every machine
    that uses it (app replicas, workers) follows."""


@models.command("list")
@registry_options
@json_option("every version's fields")
@click.pass_context
def list_models(ctx: click.Context, as_json: bool, **registry: Any) -> None:
    """Every version: parent, created, MNIST test and held-out submission accuracy, which one is live."""
    records = container_from(ctx, **registry_config(**registry)).models().list()
    if as_json:
        click.echo(json.dumps([r.summary() for r in records], indent=2))
        return
    click.echo(f"{'':2}{'version':34}{'parent':34}{'created':27}{'MNIST test':>11}{'held-out':>10}")
    for r in records:
        click.echo(
            f"{'*' if r.live else ' ':2}{r.version:34}{r.parent or '-':34}{r.created_at or '-':27}"
            f"{percent(r.test_accuracy):>11}{percent(r.heldout_accuracy):>10}"
        )


@models.command("import")
@click.argument("checkpoint", type=click.Path(dir_okay=False, path_type=Path))
@registry_options
@click.pass_context
def import_model(ctx: click.Context, checkpoint: Path, **registry: Any) -> None:
    """Register the model version in CHECKPOINT (a .pt file; its .onnx twin beside it is stored too), not
    live. Importing the same file again changes nothing."""
    record = container_from(ctx, **registry_config(**registry)).models().register(checkpoint)
    twin = "with" if checkpoint.with_suffix(".onnx").is_file() else "without"
    click.echo(
        f"{record.version} registered ({twin} an ONNX twin; MNIST test {percent(record.test_accuracy)})"
    )
    click.echo(f"make it live with: digitrec models promote {record.version}")


@models.command()
@click.argument("version")
@registry_options
@click.option("--force", is_flag=True, help="Promote even if it is worse on MNIST test than the live model.")
@click.pass_context
def promote(ctx: click.Context, version: str, force: bool, **registry: Any) -> None:
    """Make VERSION the live model; every running app switches to it within a few seconds."""
    from digitrec.domain.model_versions import promote_model

    record = promote_model(container_from(ctx, **registry_config(**registry)).models(), version, force=force)
    click.echo(f"{record.version} is live (MNIST test {percent(record.test_accuracy)})")


@models.command()
@registry_options
@click.pass_context
def rollback(ctx: click.Context, **registry: Any) -> None:
    """Make the version that was live before the last promotion live again."""
    record = container_from(ctx, **registry_config(**registry)).models().rollback()
    click.echo(f"{record.version} is live again (MNIST test {percent(record.test_accuracy)})")
