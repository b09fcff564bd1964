"""`digitrec submissions export|import|stats|review` and `digitrec db upgrade`. Thin: parse, call a use
case, print.

SQLAlchemy and Alembic are imported inside the commands (through the container), so `digitrec --help` stays
fast. Every command that opens the database applies pending migrations first (see containers.open_database).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import click

from digitrec.domain.types.predictions import NUM_CLASSES
from digitrec.entrypoints.cli.common import (
    DigitrecGroup,
    container_from,
    database_options,
    echo_confusion,
    json_option,
)
from digitrec.entrypoints.formatting import percent

logging.getLogger("alembic").setLevel(logging.WARNING)  # on a terminal, one line per upgrade is enough


def repository_from(ctx: click.Context, database_url: str, database_timeout: float | None):
    return container_from(ctx, database_url=database_url, database_timeout=database_timeout).submissions()


def parse_since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time, e.g. 2026-11-24") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group(cls=DigitrecGroup)
def submissions() -> None:
    """Export, import and count the stored submissions; list what is due for review."""


@submissions.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--since",
    callback=parse_since,
    help="Only submissions made at or after this ISO 8601 date or time (UTC unless it names a zone).",
)
@click.option("--only-mismatches", is_flag=True, help="Only the submissions the model got wrong.")
@database_options
@click.pass_context
def export_submissions(
    ctx: click.Context,
    folder: Path,
    since: datetime | None,
    only_mismatches: bool,
    database_url: str,
    database_timeout: float | None,
) -> None:
    """Write FOLDER/<id>.png for each submission, oldest first, and FOLDER/labels.csv (file, label,
    predicted, model_version, created_at, probabilities): `digitrec evaluate FOLDER` and `submissions
    import FOLDER` read it as it is."""
    from digitrec.domain.transfer import submissions_in_order

    repo = repository_from(ctx, database_url, database_timeout)
    with container_from(ctx).submission_folders().writer(folder) as writer:
        for submission in submissions_in_order(repo, since=since, mismatches_only=only_mismatches):
            writer.write(submission)
    click.echo(f"exported {writer.count} submissions to {folder}")


@submissions.command("import")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@database_options
@click.pass_context
def import_submissions(
    ctx: click.Context, folder: Path, database_url: str, database_timeout: float | None
) -> None:
    """Add the submissions in FOLDER (as `export` writes it) whose PNG the database does not hold yet.

    The 28x28 model input is computed again from each PNG; a row without probabilities gets all of its
    probability on `predicted`. Unusable rows are reported on stderr (exit status 1); the others are added."""
    from tqdm import tqdm

    from digitrec.domain.transfer import import_submissions as import_records

    repo = repository_from(ctx, database_url, database_timeout)
    records = container_from(ctx).submission_folders().read(folder)
    with tqdm(unit="row", desc="importing", disable=None) as bar:
        report = import_records(repo, records, on_progress=bar.update)
    for problem in report.problems:
        click.echo(f"skipped {problem}", err=True)
    click.echo(
        f"imported {report.imported}, skipped {report.duplicates} already in the database, "
        f"{len(report.problems)} unusable"
    )
    if report.problems:
        ctx.exit(1)


@submissions.command("stats")
@json_option("n, accuracy, per_version, per_digit, confusion")
@database_options
@click.pass_context
def submission_stats(
    ctx: click.Context, as_json: bool, database_url: str, database_timeout: float | None
) -> None:
    """Submissions and live accuracy per model version and per digit, and the confusion matrix (counted by
    the database)."""
    from digitrec.domain.submitting import live_stats

    stats = live_stats(repository_from(ctx, database_url, database_timeout))
    overall, counts = stats.evaluation, stats.per_digit_count
    if as_json:
        summary = {
            "n": overall.n,
            "accuracy": overall.accuracy,
            "per_version": [
                {"version": v.version, "n": v.n, "correct": v.correct, "accuracy": v.accuracy}
                for v in stats.per_version
            ],
            "per_digit": [
                {"digit": d, "n": counts[d], "accuracy": overall.per_class[d]} for d in range(NUM_CLASSES)
            ],
            "confusion": [list(row) for row in overall.confusion],
        }
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"{overall.n} submissions, live accuracy {percent(overall.accuracy)}")
    click.echo(f"{'model version':<32}{'submissions':>12}{'accuracy':>10}")
    for v in stats.per_version:
        click.echo(f"{v.version:<32}{v.n:>12}{percent(v.accuracy):>10}")
    click.echo(f"{'true digit':<32}{'submissions':>12}{'accuracy':>10}")
    for d in range(NUM_CLASSES):
        click.echo(f"{d:<32}{counts[d]:>12}{percent(overall.per_class[d]):>10}")
    echo_confusion(overall.confusion)


@submissions.command("review")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="Rows to list at most.")
@json_option("the queue's rows: id, visitor, label, predicted, confidence, suspicion, reasons, trust")
@database_options
@click.pass_context
def review_queue(
    ctx: click.Context, limit: int, as_json: bool, database_url: str, database_timeout: float | None
) -> None:
    """What the Review page's queue holds, most likely wrong first: each submission with why it is there
    and how suspicious its label is; then the visitors who sent the most."""
    from digitrec.domain.reviewing import MANY_COPIES, due_for_review, suspicion

    container = container_from(ctx, database_url=database_url, database_timeout=database_timeout)
    reviews = container.reviews()
    items = due_for_review(reviews.review_candidates(limit, many_copies=MANY_COPIES))[:limit]
    visitors = reviews.visitor_summaries(limit)
    rows = [
        {
            "id": item.submission.id,
            "visitor": item.submission.visitor,
            "label": item.submission.label,
            "predicted": item.submission.prediction.digit,
            "confidence": item.submission.prediction.confidence,
            "suspicion": suspicion(item.submission),
            "reasons": list(item.reasons),
            "trust": item.submission.trust.decision if item.submission.trust else None,
            "copies": item.copies,
        }
        for item in items
    ]
    if as_json:
        senders = [v.__dict__ for v in visitors]
        click.echo(json.dumps({"queue": rows, "visitors": senders}, indent=2))
        return
    click.echo(f"{len(rows)} submissions to review, most likely wrong first")
    for row in rows:
        reasons = "; ".join(row["reasons"])
        who = row["visitor"] or "operator"
        click.echo(
            f"#{row['id']:<8} {who:<18} label {row['label']} · {percent(row['suspicion'], 0)} · {reasons}"
        )
    for v in visitors:
        click.echo(v.describe() + (" (blocked)" if v.blocked else ""))


@click.group(cls=DigitrecGroup)
def db() -> None:
    """The submission database's schema."""


@db.command()
@database_options
@click.pass_context
def upgrade(ctx: click.Context, database_url: str, database_timeout: float | None) -> None:
    """Apply the pending schema migrations. (Every command and the app also do this when they start.)"""
    container = container_from(ctx, database_url=database_url, database_timeout=database_timeout)
    revision = container.database_revision()
    click.echo(f"submission database schema at revision {revision}, the newest this digitrec knows")
