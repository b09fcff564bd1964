"""`digitrec predict` and `digitrec evaluate`: recognise drawings in image files, and score the model on a
labelled folder. Thin: parse, call a use case, print."""

from __future__ import annotations

import json
from pathlib import Path

import click

from digitrec.domain.model import DigitrecError, Prediction
from digitrec.domain.recognition import Evaluation
from digitrec.entrypoints.cli_common import MODEL_OPTION, MODELS_DIR_OPTION, classifier_from


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@MODEL_OPTION
@MODELS_DIR_OPTION
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list of {file, digit, confidence, probabilities, is_digit}.",
)
@click.pass_context
def predict(
    ctx: click.Context, images: tuple[Path, ...], model_path: Path | None, models_dir: Path, as_json: bool
) -> None:
    """Recognise the digit drawn in each IMAGE (PNG, JPEG, ...; any size, either polarity).

    Prints `IMAGE: 7 (99.9%)`, or `IMAGE: not a digit (best guess 4, 38%)` when the model says the drawing
    does not look like a digit (is_digit false in --json; digit and confidence are then the best guess)."""
    from digitrec.adapters.image_codec import read_image
    from digitrec.domain.recognition import recognise

    classifier = classifier_from(ctx, model_path, models_dir)
    results, failed = [], 0
    for path in images:
        try:
            prediction = recognise(classifier, read_image(path)).prediction
        except DigitrecError as exc:
            click.echo(f"{path}: error: {exc}", err=True)
            failed += 1
            continue
        results.append(
            {
                "file": str(path),
                "digit": prediction.digit,
                "confidence": prediction.confidence,
                "probabilities": list(prediction.probabilities),
                "is_digit": prediction.is_digit,
            }
        )
        if not as_json:
            click.echo(f"{path}: {verdict_of(prediction)}")
    if as_json:
        click.echo(json.dumps(results, indent=2))
    if failed:
        ctx.exit(1)


def verdict_of(prediction: Prediction) -> str:
    """`7 (99.9%)`, or `not a digit (best guess 4, 38%)`."""
    if prediction.is_digit:
        return f"{prediction.digit} ({100 * prediction.confidence:.1f}%)"
    return f"not a digit (best guess {prediction.digit}, {100 * prediction.confidence:.0f}%)"


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@MODEL_OPTION
@MODELS_DIR_OPTION
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print {n, accuracy, per_class, confusion, refused, non_digits, non_digits_refused} as JSON.",
)
@click.option(
    "--plot", type=click.Path(dir_okay=False, path_type=Path), help="Write the confusion matrix as PNG."
)
@click.pass_context
def evaluate(
    ctx: click.Context,
    folder: Path,
    model_path: Path | None,
    models_dir: Path,
    as_json: bool,
    plot: Path | None,
) -> None:
    """Score the model on FOLDER/labels.csv (columns file,label) and the images it lists.

    A label is a digit 0-9, or `none` for an image that is not a digit. Accuracy is that of the model's best
    guess on the digits; beside it, how many digits it refused as not digits, and how many `none` images it
    refused (as it should)."""
    from tqdm import tqdm

    from digitrec.adapters.labelled_folder import read_labelled_folder
    from digitrec.domain.recognition import evaluate as evaluate_images

    classifier = classifier_from(ctx, model_path, models_dir)
    try:
        items, problems = read_labelled_folder(folder)
    except DigitrecError as exc:
        raise click.ClickException(str(exc)) from exc
    with tqdm(total=len(items), unit="img", desc="evaluating", disable=None) as bar:
        report, unreadable = evaluate_images(classifier, items, on_progress=bar.update)
    for problem in sorted(problems + unreadable, key=lambda p: p.line):
        click.echo(f"skipped {problem}", err=True)
    if plot is not None:
        from digitrec.adapters.matplotlib_plotter import save_confusion_plot

        save_confusion_plot(report.confusion, f"{folder}: {accuracy_of(report)}", plot)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(f"{accuracy_of(report)} ({classifier.info.version})")
    echo_refusals(report)
    if report.n:
        echo_per_digit(report)


def accuracy_of(report: Evaluation) -> str:
    """`2,000 images, accuracy 99.50%` (`digit images` when the folder also has `none` rows)."""
    if not report.n:
        return "no digit images: accuracy not applicable"
    images = "digit images" if report.non_digits else "images"
    return f"{report.n} {images}, accuracy {100 * report.accuracy:.2f}%"


def echo_refusals(report: Evaluation) -> None:
    """How many digits the model refused as not digits, and how many of the `none` rows it refused."""
    if report.n:
        share = 100 * report.refused / report.n
        click.echo(f"refused as not a digit: {report.refused:,} of {report.n:,} digits ({share:.2f}%)")
    if report.non_digits:
        share = 100 * report.non_digits_refused / report.non_digits
        click.echo(
            f"not-a-digit rows: {report.non_digits_refused:,} of {report.non_digits:,} refused ({share:.1f}%)"
        )


def echo_per_digit(report: Evaluation) -> None:
    """Accuracy per digit and the confusion matrix."""
    click.echo(
        "per digit: "
        + "  ".join(
            f"{d}: {'-' if acc is None else f'{100 * acc:.1f}%'}" for d, acc in report.per_class.items()
        )
    )
    click.echo("confusion (rows: true digit, columns: predicted)")
    click.echo("     " + "".join(f"{d:>6}" for d in range(10)))
    for d, row in enumerate(report.confusion):
        click.echo(f"{d:>5}" + "".join(f"{c:>6}" for c in row))
