"""A folder of labelled drawings: `DIR/labels.csv` (header with at least `file` and `label`) and the images
it lists, relative to DIR. The format `digitrec evaluate` reads and `submissions export` writes. A label is a
digit 0-9, or `none` (any case) for an image that is not a digit. A folder of numbers has a `number`
column instead (`digitrec evaluate --numbers`)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from digitrec.adapters.files.image_codec import read_image
from digitrec.domain.numbers import MAX_DIGITS
from digitrec.domain.types.errors import DatasetNotFound, DigitrecError
from digitrec.domain.types.predictions import validate_label
from digitrec.domain.types.records import LabelledImage, LabelledNumber, Problem

T = TypeVar("T")

LABELS_FILE = "labels.csv"
NOT_A_DIGIT = "none"  # the label of an image that is not a digit


def read_labelled_folder(folder: Path) -> tuple[list[LabelledImage], list[Problem]]:
    """The images listed in `folder/labels.csv`, and a Problem for every row that can't be used."""

    def item(line: int, name: str, text: str, path: Path) -> LabelledImage:
        try:
            label = parse_label(text)
        except (ValueError, DigitrecError):
            raise DigitrecError(f"label {text!r} is not a digit 0-9") from None
        return LabelledImage(line, name, label, partial(read_image, path))

    return read_listed(folder, "label", item)


def read_number_folder(folder: Path) -> tuple[list[LabelledNumber], list[Problem]]:
    """The images listed in `folder/labels.csv` with the columns file,number (a number: 1 to 32 digits)."""

    def item(line: int, name: str, text: str, path: Path) -> LabelledNumber:
        number = text.strip()
        if not (number.isascii() and number.isdigit() and len(number) <= MAX_DIGITS):
            raise DigitrecError(f"number {text!r} is not 1 to {MAX_DIGITS} digits 0-9")
        return LabelledNumber(line, name, number, partial(read_image, path))

    return read_listed(folder, "number", item)


def read_listed(
    folder: Path, column: str, item: Callable[[int, str, str, Path], T]
) -> tuple[list[T], list[Problem]]:
    """`item(line, file name, the row's `column`, path)` for every row of `folder/labels.csv`; a row whose
    file or value is unusable (item raises DigitrecError) becomes a Problem."""
    folder = Path(folder)
    labels_csv = folder / LABELS_FILE
    if not labels_csv.is_file():
        raise DatasetNotFound(
            f"{labels_csv} not found: a labelled folder needs a {LABELS_FILE} with columns "
            f"file,{column} and the images it names"
        )
    items: list[T] = []
    problems: list[Problem] = []
    try:
        with labels_csv.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or not {"file", column} <= set(reader.fieldnames):
                raise DatasetNotFound(
                    f"{labels_csv} must start with a header naming the columns file and {column}, "
                    f"got {reader.fieldnames}"
                )
            for row in reader:
                line, name = reader.line_num, (row.get("file") or "").strip()
                try:
                    items.append(item(line, name, row.get(column) or "", listed_file(folder, name)))
                except DigitrecError as exc:
                    problems.append(Problem(line, name, str(exc)))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetNotFound(f"cannot read {labels_csv}: {exc}") from exc
    return items, problems


def parse_label(text: str) -> int | None:
    """A digit 0-9, or None for `none`; raises ValueError or InvalidLabel for anything else."""
    text = text.strip()
    return None if text.lower() == NOT_A_DIGIT else validate_label(int(text))


def listed_file(folder: Path, name: str) -> Path:
    """The file a labels.csv row names, which must be inside `folder` (no `..`, no absolute paths)."""
    path = (folder / name).resolve()
    if not name or not path.is_relative_to(folder.resolve()):
        raise DigitrecError(f"file must name an image inside {folder}")
    if not path.is_file():
        raise DigitrecError("file not found")
    return path


class LabelledFolderFormat:
    """The `LabelledFolders` port: the labels.csv format `digitrec evaluate` reads."""

    read = staticmethod(read_labelled_folder)
    read_numbers = staticmethod(read_number_folder)
