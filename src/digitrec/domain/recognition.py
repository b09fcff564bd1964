"""Recognising drawings and scoring a classifier on labelled ones: the use cases behind `predict`,
`evaluate` and the app."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path

import numpy as np

from digitrec.domain.ports import Classifier, LabelledFolders, Plotter
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.predictions import NUM_CLASSES, Prediction
from digitrec.domain.types.records import LabelledImage, Problem


@dataclass(frozen=True)
class Recognition:
    prediction: Prediction
    model_input: np.ndarray  # the 28x28 image the model saw


def recognise(classifier: Classifier, image: np.ndarray) -> Recognition:
    """Normalise a drawing as MNIST digits are, then classify it. Raises EmptyDrawing / InvalidImage."""
    model_input = preprocess_canvas(image)
    return Recognition(classifier.predict(model_input), model_input)


@dataclass(frozen=True)
class Evaluation:
    """How a classifier did. `n`, `accuracy`, `per_class` and `confusion` are about the images of digits and
    the classifier's best guess for each, whether or not it refused them as not digits (so they compare with
    releases that could not refuse); `accuracy` is 0.0 when there are none (`as_dict` gives None then)."""

    n: int
    accuracy: float
    per_class: dict[int, float | None]  # None for a digit with no examples
    confusion: tuple[tuple[int, ...], ...]  # rows: true digit, columns: predicted digit
    refused: int = 0  # images of digits the classifier said are not digits
    non_digits: int = 0  # images labelled as not digits
    non_digits_refused: int = 0  # of them, how many the classifier said are not digits

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "accuracy": self.accuracy if self.n else None,
            "per_class": {str(d): acc for d, acc in self.per_class.items()},
            "confusion": [list(row) for row in self.confusion],
            "refused": self.refused,
            "non_digits": self.non_digits,
            "non_digits_refused": self.non_digits_refused,
        }


def score(labels: Iterable[int], predicted: Iterable[int]) -> Evaluation:
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    for true, guess in zip(labels, predicted, strict=True):
        confusion[true, guess] += 1
    return evaluation_of(confusion)


def evaluation_of(confusion: np.ndarray | Sequence[Sequence[int]]) -> Evaluation:
    """Accuracy overall and per digit from a confusion matrix (rows: true digit, columns: predicted)."""
    confusion = np.asarray(confusion, dtype=np.int64).reshape(NUM_CLASSES, NUM_CLASSES)
    n = int(confusion.sum())
    support = confusion.sum(axis=1)
    return Evaluation(
        n=n,
        accuracy=float(np.trace(confusion) / n) if n else 0.0,
        per_class={
            d: float(confusion[d, d] / support[d]) if support[d] else None for d in range(NUM_CLASSES)
        },
        confusion=tuple(tuple(int(c) for c in row) for row in confusion),
    )


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class Tally:
    """What `evaluate` counts as predictions come in: digit rows for the confusion matrix, and refusals."""

    labels: list[int] = field(default_factory=list)
    predicted: list[int] = field(default_factory=list)
    refused: int = 0
    non_digits: int = 0
    non_digits_refused: int = 0

    def add(self, label: int | None, prediction: Prediction) -> None:
        if label is None:
            self.non_digits += 1
            self.non_digits_refused += not prediction.is_digit
        else:
            self.labels.append(label)
            self.predicted.append(prediction.digit)
            self.refused += not prediction.is_digit

    def evaluation(self) -> Evaluation:
        return replace(
            score(self.labels, self.predicted),
            refused=self.refused,
            non_digits=self.non_digits,
            non_digits_refused=self.non_digits_refused,
        )


def evaluate(
    classifier: Classifier,
    items: Iterable[LabelledImage],
    batch_size: int = 256,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[Evaluation, list[Problem]]:
    """Recognise every labelled image in batches, images labelled None (not digits) too. An image that can't
    be read or holds no drawing becomes a Problem with its line number; it does not stop the run."""
    tally = Tally()
    problems: list[Problem] = []
    for batch in batched(items, batch_size):
        inputs, kept = [], []
        for item in batch:
            try:
                inputs.append(preprocess_canvas(item.load()))
                kept.append(item)
            except DigitrecError as exc:
                problems.append(Problem(item.line, item.name, str(exc)))
        if inputs:
            for item, prediction in zip(kept, classifier.predict_batch(np.stack(inputs)), strict=True):
                tally.add(item.label, prediction)
        if on_progress is not None:
            on_progress(len(batch))
    return tally.evaluation(), problems


@dataclass(frozen=True)
class FolderReport:
    evaluation: Evaluation
    problems: list[Problem]  # rows that could not be used, by line
    plots: list[Path]


def evaluate_folder(
    classifier: Classifier,
    folders: LabelledFolders,
    folder: Path,
    plotter: Plotter,
    plot_path: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> FolderReport:
    """Score the classifier on a labelled folder, and plot the confusion matrix to `plot_path` if given.
    `on_progress(done, total)` is called after every batch."""
    items, problems = folders.read(folder)
    progress = None if on_progress is None else (lambda done: on_progress(done, len(items)))
    evaluation, unreadable = evaluate(classifier, items, on_progress=progress)
    plots = []
    if plot_path is not None:
        title = f"{folder}: {100 * evaluation.accuracy:.2f}% of {evaluation.n}"
        plots.append(plotter.confusion(evaluation.confusion, title, plot_path))
    return FolderReport(evaluation, sorted(problems + unreadable, key=lambda p: p.line), plots)
