"""Moving submissions out of one repository and into another: the use cases behind `digitrec submissions
export` and `import` (the folder format itself is adapters/files/submission_folder.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from digitrec.domain.ports import SubmissionTransfer
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.predictions import NUM_CLASSES, Prediction
from digitrec.domain.types.records import Problem, SubmissionRecord
from digitrec.domain.types.submissions import Submission, validate_png


def submissions_in_order(
    repo: SubmissionTransfer,
    *,
    since: datetime | None = None,
    mismatches_only: bool = False,
    page_size: int = 500,
) -> Iterator[Submission]:
    """Every matching submission, oldest first, a page at a time. Pages continue after the last id seen
    (not at an offset), so submissions added meanwhile never make one appear twice."""
    after = 0
    while page := repo.oldest_after(after, page_size, since=since, mismatches_only=mismatches_only):
        yield from page
        after = page[-1].id or after


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0  # rows whose PNG the repository held before this import
    problems: list[Problem] = field(default_factory=list)


def as_submission(record: SubmissionRecord) -> Submission:
    """The submission a record describes; the 28x28 model input is computed again from the PNG, as the app
    computed it. Raises DigitrecError or ValueError for a record that is not a valid submission."""
    validate_png(record.image_png)  # before decoding it
    probabilities = record.probabilities
    if probabilities is None:
        probabilities = tuple(1.0 if d == record.predicted else 0.0 for d in range(NUM_CLASSES))
    return Submission(
        image_png=record.image_png,
        model_input=preprocess_canvas(record.load()),
        prediction=Prediction(digit=record.predicted, probabilities=probabilities, is_digit=record.is_digit),
        label=record.label,
        model_version=record.model_version,
        created_at=record.created_at,
        status=record.status,
        number_id=record.number_id,
        number_position=record.number_position,
        visitor=record.visitor,
        reviewed=record.reviewed,
    )


def import_submissions(
    repo: SubmissionTransfer,
    records: Iterable[SubmissionRecord | Problem],
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Add every record whose PNG is not in the repository yet (identical PNGs within the folder are all
    added: people may draw the same thing). Each submission is its own transaction, so an import that stops
    half-way (StorageUnavailable is raised) can simply be run again: what is stored is skipped. Imports of
    the same folder running at once store each PNG once (`add_unless_stored` is atomic)."""
    report = ImportReport()
    added_now: set[str] = set()
    for record in records:
        if on_progress is not None:
            on_progress(1)
        if isinstance(record, Problem):
            report.problems.append(record)
            continue
        digest = hashlib.sha256(record.image_png).hexdigest()
        if digest not in added_now and repo.contains_image(digest):
            report.duplicates += 1
            continue
        try:
            submission = as_submission(record)
        except (DigitrecError, ValueError) as exc:
            report.problems.append(Problem(record.line, record.name, str(exc)))
            continue
        if digest in added_now:
            repo.add(submission)
        elif repo.add_unless_stored(submission) is None:  # another import stored it meanwhile
            report.duplicates += 1
            continue
        added_now.add(digest)
        report.imported += 1
    return report
