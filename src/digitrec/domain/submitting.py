"""Keeping what people draw and looking back at it: the use cases behind the app's Draw, Number, History
and Stats.

Paging, filtering and counting are the repository's work (SQL `LIMIT`, `WHERE`, `GROUP BY`): nothing here
reads every submission to answer a page or the statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digitrec.domain.numbers import NumberReading
from digitrec.domain.ports import SubmissionBrowser, SubmissionStatistics, SubmissionWriter
from digitrec.domain.recognition import Evaluation, Recognition, evaluation_of
from digitrec.domain.types.errors import DigitrecError, InvalidLabel
from digitrec.domain.types.predictions import validate_label
from digitrec.domain.types.submissions import Submission, VersionCount, validate_visitor

# How fast one visitor may send drawings (a number counts each digit): a person drawing by hand stays far
# below; a script sending a thousand wrong labels does not.
RATE_LIMITS = ((timedelta(minutes=1), 20), (timedelta(days=1), 500))


class TooManySubmissions(DigitrecError):
    pass


def check_rate(repo: SubmissionWriter, visitor: str | None, adding: int = 1) -> None:
    """Refuse (TooManySubmissions, saying how long to wait) when storing `adding` more drawings would take
    `visitor` over one of RATE_LIMITS. Counted in the storage, so every app replica counts alike."""
    if visitor is None:
        return
    now = datetime.now(UTC)
    for window, limit in RATE_LIMITS:
        sent = repo.sent_since(visitor, now - window)
        if sent + adding > limit:
            span = "minute" if window <= timedelta(minutes=1) else "day"
            raise TooManySubmissions(
                f"you have sent {sent} drawings in the last {span}; at most {limit} are taken per {span}. "
                f"Wait a {span} before sending more: your drawing is still here"
            )


def submit_drawing(
    repo: SubmissionWriter,
    recognition: Recognition,
    image_png: bytes,
    label: int,
    model_version: str,
    submit_token: str | None = None,
    visitor: str | None = None,
) -> int:
    """Store a drawing with what the model made of it and the label its author gave; return its id.

    With a `submit_token` the call is idempotent: a repeat (a double click, a retry after a lost answer)
    stores nothing and returns the id of the first submission with that token.

    `image_png` must be a PNG of at most MAX_IMAGE_BYTES and MAX_IMAGE_PIXELS (checked from its header here;
    callers decode it first, as the app does to recognise it). Raises InvalidLabel / InvalidImage for a
    submission that could never be stored, TooManySubmissions when `visitor` sent too many too fast (see
    check_rate), and StorageUnavailable (from the repository) when the database cannot be reached: nothing
    is stored then.
    """
    check_rate(repo, validate_visitor(visitor))
    submission = Submission(
        image_png=image_png,
        model_input=recognition.model_input,
        prediction=recognition.prediction,
        label=validate_label(label),
        model_version=model_version,
        submit_token=submit_token,
        visitor=visitor,
    )
    return repo.add(submission)


def check_true_number(reading: NumberReading, true_number: str) -> str:
    """The true number's digits, stripped; InvalidLabel unless they are digits 0-9, WrongDigitCount (saying
    what to do) unless there are as many as the reading found."""
    labels = true_number.strip()
    if not (labels.isascii() and labels.isdigit()):
        raise InvalidLabel(f"the true number must be digits 0-9 only, got {true_number!r}")
    if len(labels) != len(reading.digits):
        raise WrongDigitCount(
            f"the drawing was read as {len(reading.digits)} digits ({reading.number}) but the true number "
            f"{labels} has {len(labels)}: leave more space between the digits, or correct the number"
        )
    return labels


def submit_number(
    repo: SubmissionWriter,
    reading: NumberReading,
    digit_pngs: Sequence[bytes],
    true_number: str,
    model_version: str,
    number_id: str,
    visitor: str | None = None,
) -> list[int]:
    """Store a written number as one submission per digit (its crop as PNG, its label, the model's answer
    for it), tied together by `number_id`; return their ids, leftmost first.

    `true_number` must pass `check_true_number`. Each digit's submit token is `<number_id>-<position>`, so a
    repeat (a double click, a retry after a digit failed to store) stores nothing twice and completes what
    is missing."""
    labels = check_true_number(reading, true_number)
    if len(digit_pngs) != len(reading.digits):
        raise ValueError("one PNG per digit is needed")
    check_rate(repo, validate_visitor(visitor), len(labels))
    return [
        repo.add(
            Submission(
                image_png=png,
                model_input=digit.model_input,
                prediction=digit.prediction,
                label=int(label),
                model_version=model_version,
                submit_token=f"{number_id}-{position}",
                number_id=number_id,
                number_position=position,
                visitor=visitor,
            )
        )
        for position, (digit, png, label) in enumerate(zip(reading.digits, digit_pngs, labels, strict=True))
    ]


class WrongDigitCount(DigitrecError):
    pass


@dataclass(frozen=True)
class HistoryRow:
    """A History row: one submission, or the digits of one written number (consecutive on a page)."""

    submissions: tuple[Submission, ...]

    @property
    def label(self) -> str:
        return "".join(str(s.label) for s in self.submissions)

    @property
    def predicted(self) -> str:
        return "".join(str(s.prediction.digit) for s in self.submissions)

    @property
    def correct(self) -> bool:
        return all(s.correct for s in self.submissions)

    @property
    def confidence(self) -> float:
        """The least sure digit's confidence."""
        return min(s.prediction.confidence for s in self.submissions)


def history_rows(submissions: Sequence[Submission]) -> list[HistoryRow]:
    """`submissions` (newest first) with the digits of each number on one row, leftmost first."""
    rows: list[list[Submission]] = []
    for s in submissions:
        if s.number_id is not None and rows and rows[-1][0].number_id == s.number_id:
            rows[-1].append(s)
        else:
            rows.append([s])
    return [HistoryRow(tuple(sorted(row, key=lambda s: s.number_position or 0))) for row in rows]


@dataclass(frozen=True)
class HistoryPage:
    submissions: list[Submission]  # newest first
    page: int  # 1-based, within 1..pages
    pages: int  # at least 1, even with no submissions
    total: int  # submissions matching the filter, on every page


def history_page(
    repo: SubmissionBrowser, page: int, page_size: int = 10, *, mistakes_only: bool = False
) -> HistoryPage:
    """One page of the latest submissions (only those the model got wrong, if asked); a page past the end
    gives the last page."""
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    total = repo.count(mismatches_only=mistakes_only)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 1), pages)
    rows = repo.latest(page_size, (page - 1) * page_size, mismatches_only=mistakes_only)
    return HistoryPage(submissions=rows, page=page, pages=pages, total=total)


@dataclass(frozen=True)
class LiveStats:
    """How the models do on what people drew: `evaluation` holds the overall and per-digit accuracy and the
    confusion matrix (rows: true label, columns: predicted digit)."""

    evaluation: Evaluation
    per_version: tuple[VersionCount, ...]  # most submissions first; each has n, correct, accuracy

    @property
    def per_digit_count(self) -> tuple[int, ...]:
        """Submissions per true label."""
        return tuple(sum(row) for row in self.evaluation.confusion)


def live_stats(repo: SubmissionStatistics) -> LiveStats:
    """Accuracy overall, per digit and per model version, and the confusion matrix, from counts the
    repository makes in one query."""
    counts = repo.stats()
    return LiveStats(evaluation=evaluation_of(counts.confusion), per_version=counts.per_version)
