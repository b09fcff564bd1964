"""The records the ports pass that are not submissions, predictions or training types: a fine-tune job, a
labelled image or number read from a folder, a problem with one of its rows, and an exported submission
read back. Types only, so that `ports.py` imports no use case. Standard library and numpy only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from digitrec.domain.types.submissions import OK
from digitrec.domain.types.training import EpochMetrics, FineTuneConfig


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    status: str
    config: dict[str, Any]
    requested_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    worker: str | None = None
    progress: tuple[EpochMetrics, ...] = ()
    result: dict[str, Any] = field(default_factory=dict)  # the new version and its before/after numbers
    error: str | None = None

    @property
    def epochs(self) -> int:
        return int(self.config.get("epochs", FineTuneConfig.epochs))

    @property
    def version(self) -> str | None:
        return self.result.get("version")


@dataclass(frozen=True)
class LabelledImage:
    line: int  # where it is listed (e.g. the line of labels.csv), for error messages
    name: str
    label: int | None  # None: the image is not a digit (the classifier should say so)
    load: Callable[[], np.ndarray]  # reads the image when needed; raises DigitrecError if it can't


@dataclass(frozen=True)
class Problem:
    line: int
    name: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.name}: {self.message}"


@dataclass(frozen=True)
class LabelledNumber:
    line: int  # in labels.csv
    name: str
    number: str  # the true digits, left to right
    load: Callable[[], np.ndarray]  # reads the image; raises DigitrecError if it can't


@dataclass(frozen=True)
class SubmissionRecord:
    """One row of an exported folder, as read back: the PNG and what was stored with it."""

    line: int  # in labels.csv, for messages
    name: str
    image_png: bytes
    load: Callable[[], np.ndarray]  # decodes image_png; raises InvalidImage
    label: int
    predicted: int
    model_version: str
    created_at: datetime
    probabilities: tuple[float, ...] | None  # None: the folder has none, a one-hot for `predicted` is stored
    is_digit: bool = True  # the model's verdict
    status: str = OK  # what a review made of it
    number_id: str | None = None  # a digit of a written number: the number, and the digit's place
    number_position: int | None = None
    visitor: str | None = None  # who sent it; None: the operator's own data
    reviewed: bool = True
