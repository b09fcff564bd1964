"""`digitrec predict` and `digitrec evaluate`: recognise drawings in image files, and score the model on a
labelled folder. Thin: parse, call a use case, print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from digitrec.domain.numbers import NumberReading, NumberReport
from digitrec.domain.recognition import Evaluation
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.predictions import Prediction
from digitrec.entrypoints.cli.common import (
    MODEL_OPTION,
    RUNTIME_OPTION,
    classifier_from,
    container_from,
    echo_confusion,
    json_option,
    registry_options,
)
from digitrec.entrypoints.formatting import percent


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@MODEL_OPTION
@registry_options
@RUNTIME_OPTION
@json_option("a list of {file, digit, confidence, probabilities, is_digit, number, digits}")
@click.pass_context
def predict(
    ctx: click.Context,
    images: tuple[Path, ...],
    model_path: Path | None,
    runtime: str,
    as_json: bool,
    **registry: Any,
) -> None:
    """Recognise the digit, or the number, drawn in each IMAGE (PNG, JPEG, ...; any size, either polarity).

    Prints `IMAGE: 7 (99.9%)`, or `IMAGE: not a digit (best guess 4, 38%)` when the model says the drawing
    does not look like a digit (is_digit false in --json; digit and confidence are then the best guess).
    A drawing of several digits prints `IMAGE: number 42 (4: 99.9%, 2: 98.1%)`. --json gives every image's
    `number` (its digits left to right; "7" for a single digit) and `digits` (each one's digit, confidence,
    is_digit and box [x0, y0, x1, y1] in image pixels, x1 and y1 exclusive); its single-digit fields
    (digit, confidence, probabilities, is_digit) are null when the drawing holds several digits."""
    from digitrec.domain.numbers import read_number
    from digitrec.domain.recognition import recognise

    classifier = classifier_from(ctx, model_path, runtime, **registry)
    codec = container_from(ctx).images()
    results, failed = [], 0
    for path in images:
        try:
            image = codec.read(path)
            prediction, reading = recognise(classifier, image).prediction, read_number(classifier, image)
        except DigitrecError as exc:
            click.echo(f"{path}: error: {exc}", err=True)
            failed += 1
            continue
        single = len(reading.digits) == 1  # else the whole drawing's digit fields would contradict `number`
        results.append(
            {
                "file": str(path),
                "digit": prediction.digit if single else None,
                "confidence": prediction.confidence if single else None,
                "probabilities": list(prediction.probabilities) if single else None,
                "is_digit": prediction.is_digit if single else None,
                "number": reading.number,
                "digits": [digit.as_dict() for digit in reading.digits],
            }
        )
        if not as_json:
            click.echo(
                f"{path}: {verdict_of(prediction) if len(reading.digits) == 1 else number_of(reading)}"
            )
    if as_json:
        click.echo(json.dumps(results, indent=2))
    if failed:
        ctx.exit(1)


def number_of(reading: NumberReading) -> str:
    """`number 42 (4: 99.9%, 2: 98.1%)`; a piece that is not a digit shows as `4?`."""
    parts = ", ".join(
        f"{d.prediction.digit}{'' if d.prediction.is_digit else '?'}: {percent(d.prediction.confidence, 1)}"
        for d in reading.digits
    )
    return f"number {reading.number} ({parts})"


def verdict_of(prediction: Prediction) -> str:
    """`7 (99.9%)`, or `not a digit (best guess 4, 38%)`."""
    if prediction.is_digit:
        return f"{prediction.digit} ({percent(prediction.confidence, 1)})"
    return f"not a digit (best guess {prediction.digit}, {percent(prediction.confidence, 0)})"


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@MODEL_OPTION
@registry_options
@RUNTIME_OPTION
@json_option("{n, accuracy, per_class, confusion, refused, non_digits, non_digits_refused}")
@click.option(
    "--plot", type=click.Path(dir_okay=False, path_type=Path), help="Write the confusion matrix as PNG."
)
@click.option(
    "--numbers",
    is_flag=True,
    help="FOLDER holds numbers (labels.csv with file,number): report exact-number and per-digit accuracy.",
)
@click.pass_context
def evaluate(
    ctx: click.Context,
    folder: Path,
    model_path: Path | None,
    runtime: str,
    as_json: bool,
    plot: Path | None,
    numbers: bool,
    **registry: Any,
) -> None:
    """Score the model on FOLDER/labels.csv (columns file,label) and the images it lists.

    A label is a digit 0-9, or `none` for an image that is not a digit. Accuracy is that of the model's best
    guess on the digits; beside it, how many digits it refused as not digits, and how many `none` images it
    refused (as it should)."""
    from tqdm import tqdm

    from digitrec.domain.recognition import evaluate_folder

    classifier = classifier_from(ctx, model_path, runtime, **registry)
    container = container_from(ctx)
    if numbers:
        from digitrec.domain.numbers import evaluate_number_folder

        report = evaluate_number_folder(classifier, container.labelled_folders(), folder)
        echo_numbers(report, as_json, classifier.info.version)
        return
    with tqdm(unit="img", desc="evaluating", disable=None) as bar:

        def on_progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done)

        folders, plotter = container.labelled_folders(), container.plotter()
        result = evaluate_folder(classifier, folders, folder, plotter, plot, on_progress)
    for problem in result.problems:
        click.echo(f"skipped {problem}", err=True)
    report = result.evaluation
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(f"{accuracy_of(report)} ({classifier.info.version})")
    echo_refusals(report)
    if report.n:
        click.echo("per digit: " + "  ".join(f"{d}: {percent(a, 1)}" for d, a in report.per_class.items()))
        echo_confusion(report.confusion)


def accuracy_of(report: Evaluation) -> str:
    """`2,000 images, accuracy 99.50%` (`digit images` when the folder also has `none` rows)."""
    if not report.n:
        return "no digit images: accuracy not applicable"
    images = "digit images" if report.non_digits else "images"
    return f"{report.n} {images}, accuracy {percent(report.accuracy)}"


def echo_refusals(report: Evaluation) -> None:
    """How many digits the model refused as not digits, and how many of the `none` rows it refused."""
    if report.n:
        share = percent(report.refused / report.n)
        click.echo(f"refused as not a digit: {report.refused:,} of {report.n:,} digits ({share})")
    if report.non_digits:
        refused, share = report.non_digits_refused, percent(report.non_digits_refused / report.non_digits, 1)
        click.echo(f"not-a-digit rows: {refused:,} of {report.non_digits:,} refused ({share})")


def echo_numbers(report: NumberReport, as_json: bool, version: str) -> None:
    for problem in report.problems:
        click.echo(f"skipped {problem}", err=True)
    score = report.score
    if as_json:
        click.echo(json.dumps({**score.as_dict(), "misread": [list(m) for m in report.misread]}, indent=2))
        return
    click.echo(f"{score.n:,} numbers, read exactly: {percent(score.accuracy)} ({version})")
    click.echo(f"per digit: {percent(score.digit_accuracy)} of {score.digits:,} digits")
    click.echo(f"read with a wrong number of digits: {score.wrong_count:,}")
    click.echo(
        "by length: "
        + "  ".join(f"{k}: {percent(e / n, 1)} of {n}" for k, (n, e) in sorted(score.by_length.items()))
    )
