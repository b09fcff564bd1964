"""Numbers, not just digits: split a drawing into its digits, read them all in one batch, and score a
folder of numbers. Standard library and numpy only.

Segmentation works on the ink's columns. A connected stroke covers an unbroken run of columns, so the
strokes that overlap horizontally (a 5 whose top bar is a separate stroke, a 4 drawn in two strokes) fall
into the same run of inked columns, and runs separated by empty columns are separate digits, left to
right. A run far wider than a digit is tall may be two or more touching digits: it is cut at the columns
with the least ink near where equal-width digits would meet, and `read_number` keeps the cut only when the
model reads the parts more surely than the whole (a wide 0 or a 7 with a long bar stays whole). Specks far
smaller than the digits are dropped. Each piece gets the same MNIST-style normalisation as a single digit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitrec.domain.ports import Classifier, LabelledFolders
from digitrec.domain.preprocessing import drawn_ink, normalise_crop
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.predictions import Prediction
from digitrec.domain.types.records import Problem

TOUCHING = 1.6  # a piece wider than this many times its height may hold touching digits
NOT_A_DIGIT_PENALTY = 0.2  # a part the model calls no digit counts as this much less sure
CUT_MARGIN = 0.05  # the parts must be read this much more surely (mean log confidence) than the whole
DIGIT_ASPECT = 0.72  # the width of a digit in a number, in its height, when touching pieces are cut
CUT_WINDOW = 0.35  # a cut is sought within this share of a digit's width around where it is expected
SPECK = 0.2  # a piece less than this share of the tallest piece's height, in both sides, is a speck
MAX_DIGITS = 32  # more pieces than this is not a number someone wrote

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels; x1 and y1 exclusive


@dataclass(frozen=True)
class Piece:
    box: Box
    model_input: np.ndarray  # 28x28, as preprocess_canvas gives for a single digit


@dataclass(frozen=True)
class ReadDigit:
    box: Box
    prediction: Prediction
    model_input: np.ndarray

    def as_dict(self) -> dict:
        p = self.prediction
        return {"digit": p.digit, "confidence": p.confidence, "is_digit": p.is_digit, "box": list(self.box)}


@dataclass(frozen=True)
class NumberReading:
    digits: tuple[ReadDigit, ...]  # left to right

    @property
    def number(self) -> str:
        """The digits read, left to right (the best guess where a piece is not a digit)."""
        return "".join(str(d.prediction.digit) for d in self.digits)

    @property
    def all_digits(self) -> bool:
        return all(d.prediction.is_digit for d in self.digits)


def column_runs(inked: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every run of True in a 1-D boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inked.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def cut_touching(column_ink: np.ndarray, start: int, stop: int, height: int) -> list[tuple[int, int]]:
    """Split [start, stop) into the digits it may hold when it is far too wide for one: at the columns with
    the least ink near each expected boundary."""
    width = stop - start
    if width <= TOUCHING * height:
        return [(start, stop)]
    count = max(2, round(width / (DIGIT_ASPECT * height)))
    step = width / count
    cuts = [start]
    for k in range(1, count):
        expected = start + k * step
        low, high = int(expected - CUT_WINDOW * step), int(expected + CUT_WINDOW * step) + 1
        window = column_ink[max(low, cuts[-1] + 1) : min(high, stop - 1)]
        if len(window) == 0:
            continue
        cuts.append(max(low, cuts[-1] + 1) + int(np.argmin(window)))
    return list(zip(cuts, [*cuts[1:], stop], strict=True))


@dataclass(frozen=True)
class Run:
    """A run of inked columns: the piece it makes whole, and the parts it is cut into when far too wide (just
    the whole piece otherwise)."""

    whole: Piece
    parts: tuple[Piece, ...]


def piece_of(kept: np.ndarray, mask: np.ndarray, x0: int, x1: int) -> Piece | None:
    rows = np.flatnonzero(mask[:, x0:x1].any(axis=1))
    if len(rows) == 0:
        return None
    box = (x0, int(rows[0]), x1, int(rows[-1]) + 1)
    return Piece(box, normalise_crop(kept[box[1] : box[3], x0:x1]))


def runs_of(image: np.ndarray) -> list[Run]:
    """The drawing's runs of inked columns, left to right, specks left out. Raises EmptyDrawing for a
    drawing without ink."""
    ink, mask, _, _ = drawn_ink(image)
    kept = np.where(mask, ink, 0.0)
    column_ink = kept.sum(axis=0)
    wholes = [piece_of(kept, mask, start, stop) for start, stop in column_runs(mask.any(axis=0))]
    tallest = max(p.box[3] - p.box[1] for p in wholes)
    runs = []
    for whole in wholes:
        x0, y0, x1, y1 = whole.box
        if (y1 - y0) < SPECK * tallest and (x1 - x0) < SPECK * tallest:
            continue
        cuts = cut_touching(column_ink, x0, x1, y1 - y0)
        parts = [whole] if len(cuts) == 1 else [piece_of(kept, mask, a, b) for a, b in cuts]
        runs.append(Run(whole, tuple(p for p in parts if p is not None)))
    if sum(len(r.parts) for r in runs) > MAX_DIGITS:
        raise DigitrecError(f"the drawing splits into more pieces than a number of {MAX_DIGITS} digits")
    return runs


def segment(image: np.ndarray) -> list[Piece]:
    """The digits of a drawing, left to right, each normalised for the model, every far too wide run cut
    (read_number lets the model undo a cut)."""
    return [part for run in runs_of(image) for part in run.parts]


def sureness(predictions: Sequence[Prediction]) -> float:
    """Mean log confidence, a part the model calls no digit counting as much less sure."""
    return float(
        np.mean(
            [
                np.log(max(p.confidence * (1 if p.is_digit else NOT_A_DIGIT_PENALTY), 1e-9))
                for p in predictions
            ]
        )
    )


def read_number(classifier: Classifier, image: np.ndarray) -> NumberReading:
    """Segment `image` and classify every piece in one batch (a far too wide run both whole and cut: the
    reading the model is surer of wins)."""
    runs = runs_of(image)
    batch = [p for run in runs for p in (run.parts if len(run.parts) == 1 else (run.whole, *run.parts))]
    predictions = iter(classifier.predict_batch(np.stack([p.model_input for p in batch])))
    digits: list[ReadDigit] = []
    for run in runs:
        if len(run.parts) == 1:
            digits.append(ReadDigit(run.parts[0].box, next(predictions), run.parts[0].model_input))
            continue
        whole, parts = next(predictions), [next(predictions) for _ in run.parts]
        if sureness(parts) > sureness([whole]) + CUT_MARGIN:
            digits += [ReadDigit(p.box, q, p.model_input) for p, q in zip(run.parts, parts, strict=True)]
        else:
            digits.append(ReadDigit(run.whole.box, whole, run.whole.model_input))
    return NumberReading(tuple(digits))


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class NumberScore:
    """How a model reads a folder of numbers: exactly, digit by digit, and by length."""

    n: int
    exact: int
    digits: int  # true digits in all numbers
    digits_right: int  # true digits minus the edit distance of each reading, summed (at least 0 each)
    wrong_count: int  # readings with another number of digits than the truth
    by_length: dict[int, tuple[int, int]]  # length -> (numbers, read exactly)

    @property
    def accuracy(self) -> float:
        return self.exact / self.n if self.n else 0.0

    @property
    def digit_accuracy(self) -> float:
        return self.digits_right / self.digits if self.digits else 0.0

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "exact_accuracy": self.accuracy,
            "digit_accuracy": self.digit_accuracy,
            "wrong_number_of_digits": self.wrong_count,
            "by_length": {str(k): {"n": n, "exact": e} for k, (n, e) in sorted(self.by_length.items())},
        }


def score_numbers(pairs: Sequence[tuple[str, str]]) -> NumberScore:
    """From (true number, number read) pairs."""
    by_length: dict[int, tuple[int, int]] = {}
    exact = right = digits = wrong_count = 0
    for truth, read in pairs:
        hit = truth == read
        exact += hit
        digits += len(truth)
        right += max(0, len(truth) - edit_distance(truth, read))
        wrong_count += len(truth) != len(read)
        n, e = by_length.get(len(truth), (0, 0))
        by_length[len(truth)] = (n + 1, e + hit)
    return NumberScore(len(pairs), exact, digits, right, wrong_count, by_length)


@dataclass(frozen=True)
class NumberReport:
    score: NumberScore
    problems: list[Problem]
    misread: list[tuple[str, str, str]]  # (file, true number, number read)


def evaluate_number_folder(
    classifier: Classifier,
    folders: LabelledFolders,
    folder: Path,
    on_progress: Callable[[int, int], None] | None = None,
) -> NumberReport:
    """Read every number listed in `folder/labels.csv` (columns file,number) and score the readings."""
    items, problems = folders.read_numbers(folder)
    pairs, misread = [], []
    for done, item in enumerate(items, 1):
        try:
            read = read_number(classifier, item.load()).number
        except DigitrecError as exc:
            problems.append(Problem(item.line, item.name, str(exc)))
            continue
        pairs.append((item.number, read))
        if read != item.number:
            misread.append((item.name, item.number, read))
        if on_progress is not None:
            on_progress(done, len(items))
    return NumberReport(score_numbers(pairs), sorted(problems, key=lambda p: p.line), misread)
