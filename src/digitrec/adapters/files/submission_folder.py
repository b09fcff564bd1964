"""Submissions as a folder: `<id>.png` files and a `labels.csv` with the columns
file,label,predicted,model_version,created_at,probabilities (a JSON list of ten floats),is_digit (the
model's verdict: true or false),status (what a review made of it: ok, excluded or not_digit),
number_id,number_position (a digit of a written number: the number and the digit's place; empty otherwise),
visitor,reviewed (who sent it, empty for the operator's own data; whether an operator reviewed it):
what `digitrec submissions export` writes and `import` reads (the last six are optional: folders from
older versions lack them). Rows of a folder without a visitor column are the operator's own data: they are
imported as reviewed. `digitrec evaluate` reads it as a labelled folder."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType

from digitrec.adapters.files.image_codec import decode_image, read_image_bytes
from digitrec.adapters.files.labelled_folder import LABELS_FILE, listed_file
from digitrec.domain.types.errors import DatasetNotFound, DigitrecError
from digitrec.domain.types.records import Problem, SubmissionRecord
from digitrec.domain.types.submissions import OK, Submission

COLUMNS = (
    "file", "label", "predicted", "model_version", "created_at", "probabilities", "is_digit", "status",
    "number_id", "number_position", "visitor", "reviewed",
)  # fmt: skip
REQUIRED = set(COLUMNS) - {
    "probabilities", "is_digit", "status", "number_id", "number_position", "visitor", "reviewed"
}  # fmt: skip


class SubmissionFolderWriter:
    """`with SubmissionFolderWriter(folder) as writer: writer.write(submission)`. labels.csv is written under
    a temporary name and appears only once every submission is written, so a failed export is never read."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.count = Path(folder), 0
        if (self.folder / LABELS_FILE).exists():
            raise DigitrecError(f"{self.folder} already holds a {LABELS_FILE}: export into a new folder")

    def __enter__(self) -> SubmissionFolderWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._partial = self.folder / f"{LABELS_FILE}.partial"
        self._file = self._partial.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._file)
        self._csv.writerow(COLUMNS)
        return self

    def write(self, submission: Submission) -> None:
        name = f"{submission.id:08d}.png"
        (self.folder / name).write_bytes(submission.image_png)
        when = submission.created_at.astimezone(UTC).isoformat()
        probabilities = json.dumps(list(submission.prediction.probabilities))
        s = submission
        verdict = "true" if s.prediction.is_digit else "false"
        place = "" if s.number_position is None else s.number_position
        self._csv.writerow(
            [name, s.label, s.prediction.digit, s.model_version, when, probabilities, verdict, s.status]
            + [s.number_id or "", place, s.visitor or "", "true" if s.reviewed else "false"]
        )
        self.count += 1

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()
        if kind is None:
            self._partial.replace(self.folder / LABELS_FILE)
        else:
            self._partial.unlink(missing_ok=True)


def read_submission_folder(folder: Path) -> Iterator[SubmissionRecord | Problem]:
    """The rows of `folder/labels.csv`, each a record or a Problem saying why it can't be one. Raises
    DatasetNotFound at once when labels.csv is missing or lacks a column."""
    folder = Path(folder)
    labels_csv = folder / LABELS_FILE
    try:
        with labels_csv.open(newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetNotFound(f"cannot read {labels_csv}: {exc}") from exc
    if missing := REQUIRED - set(header):
        raise DatasetNotFound(
            f"{labels_csv} lacks the columns {', '.join(sorted(missing))}: an exported folder's labels.csv "
            f"has {','.join(COLUMNS)}"
        )
    return records(folder, labels_csv)


def records(folder: Path, labels_csv: Path) -> Iterator[SubmissionRecord | Problem]:
    try:
        with labels_csv.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            for row in reader:
                name = (row.get("file") or "").strip()
                try:
                    yield record_of(folder, reader.line_num, name, row)
                except (DigitrecError, ValueError) as exc:
                    yield Problem(reader.line_num, name, str(exc))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetNotFound(f"cannot read {labels_csv}: {exc}") from exc


def record_of(folder: Path, line: int, name: str, row: dict[str, str | None]) -> SubmissionRecord:
    def field(column: str) -> str:
        return (row.get(column) or "").strip()

    try:
        label, predicted = int(field("label")), int(field("predicted"))
    except ValueError:
        digits = f"label {field('label')!r} and predicted {field('predicted')!r}"
        raise ValueError(f"{digits} must be digits 0-9") from None
    try:
        created_at = datetime.fromisoformat(field("created_at"))
    except ValueError:
        raise ValueError(f"created_at {field('created_at')!r} is not an ISO 8601 time") from None
    data = read_image_bytes(listed_file(folder, name))
    return SubmissionRecord(
        line=line,
        name=name,
        image_png=data,
        load=partial(decode_image, data, name),
        label=label,
        predicted=predicted,
        model_version=field("model_version"),
        created_at=created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC),
        probabilities=parse_probabilities(field("probabilities")),
        is_digit=parse_verdict(field("is_digit")),
        status=field("status") or OK,
        number_id=field("number_id") or None,
        number_position=int(field("number_position")) if field("number_position") else None,
        **sender(row),
    )


def sender(row: dict[str, str | None]) -> dict:
    """Who sent a row and whether it counts as reviewed: without a visitor column, the operator's own data
    (reviewed); with one, the visitor named (empty: none) and the reviewed column, as exported."""
    if "visitor" not in row:
        return {"visitor": None, "reviewed": True}
    visitor = (row.get("visitor") or "").strip() or None
    reviewed = (row.get("reviewed") or "").strip().lower()
    if reviewed not in ("", "true", "false"):
        raise ValueError(f"reviewed {reviewed!r} must be true or false")
    return {"visitor": visitor, "reviewed": reviewed == "true"}


def parse_verdict(text: str) -> bool:
    if text.lower() not in ("", "true", "false"):
        raise ValueError(f"is_digit {text!r} must be true or false")
    return text.lower() != "false"


def parse_probabilities(text: str) -> tuple[float, ...] | None:
    if not text:
        return None
    try:
        values = json.loads(text)
        if not isinstance(values, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        ):
            raise ValueError
        return tuple(float(v) for v in values)  # the domain checks there are ten summing to 1
    except ValueError:
        raise ValueError(f"probabilities {text[:60]!r} must be a JSON list of numbers") from None


class SubmissionFolderFormat:
    """The `SubmissionFolders` port: the folder `submissions export` writes and `submissions import` reads."""

    writer = SubmissionFolderWriter
    read = staticmethod(read_submission_folder)
