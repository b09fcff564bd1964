"""Review before training: which submissions should not be trusted blindly, and what an operator's review
does to one. Standard library and numpy only.

A submission is due for review while nobody has reviewed it and one of these holds: the model disagrees
with its label with high confidence, the model said it is not a digit, or the same drawing (the same PNG)
was sent many times. A review relabels it (the old label stays in its history), excludes it (never
trained on, kept for audit), marks it "not a digit" (a negative for the verdict, never a digit), or accepts
it as labelled."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from digitrec.domain.predictions import validate_label
from digitrec.domain.submissions import EXCLUDED, NOT_A_DIGIT, OK, Submission

DISAGREEMENT_CONFIDENCE = 0.9  # the model disagrees with the label at least this sure
MANY_COPIES = 3  # the same PNG sent this many times

RELABEL, EXCLUDE, MARK_NOT_A_DIGIT, ACCEPT = "relabel", "exclude", "not_digit", "accept"
REVIEW_ACTIONS = (RELABEL, EXCLUDE, MARK_NOT_A_DIGIT, ACCEPT)


@dataclass(frozen=True)
class Review:
    """What an operator decided about one submission; `label` only for RELABEL."""

    action: str
    label: int | None = None

    def __post_init__(self) -> None:
        if self.action not in REVIEW_ACTIONS:
            raise ValueError(f"a review is one of {', '.join(REVIEW_ACTIONS)}, got {self.action!r}")
        if (self.action == RELABEL) != (self.label is not None):
            raise ValueError("a relabel needs the new label, and only a relabel has one")
        if self.label is not None:
            validate_label(self.label)

    def apply(self, submission: Submission) -> Submission:
        if self.action == RELABEL:
            return replace(submission, label=self.label, status=OK, reviewed=True)
        status = {EXCLUDE: EXCLUDED, MARK_NOT_A_DIGIT: NOT_A_DIGIT, ACCEPT: OK}[self.action]
        return replace(submission, status=status, reviewed=True)

    def describe(self, before: Submission) -> str:
        if self.action == RELABEL:
            return f"label {before.label} -> {self.label}"
        return {
            EXCLUDE: "excluded from training",
            MARK_NOT_A_DIGIT: "marked not a digit",
            ACCEPT: "accepted as labelled",
        }[self.action]


@dataclass(frozen=True)
class AuditEntry:
    """One operator action: who, what, when; `submission_id` for a review."""

    id: int
    at: datetime
    operator: str
    action: str
    detail: str
    submission_id: int | None = None


@dataclass(frozen=True)
class ReviewItem:
    submission: Submission
    copies: int  # submissions with the same PNG, this one included
    reasons: tuple[str, ...]


def review_reasons(
    submission: Submission,
    copies: int,
    confidence: float = DISAGREEMENT_CONFIDENCE,
    many_copies: int = MANY_COPIES,
) -> tuple[str, ...]:
    """Why `submission` should not be trusted blindly; empty when nothing is suspicious."""
    prediction, reasons = submission.prediction, []
    if prediction.digit != submission.label and prediction.confidence >= confidence:
        reasons.append(
            f"the model says {prediction.digit} at {100 * prediction.confidence:.0f}%, "
            f"the label says {submission.label}"
        )
    if not prediction.is_digit:
        reasons.append("the model said it is not a digit")
    if copies >= many_copies:
        reasons.append(f"the same drawing was sent {copies} times")
    return tuple(reasons)


def due_for_review(
    candidates: list[tuple[Submission, int]],
    confidence: float = DISAGREEMENT_CONFIDENCE,
    many_copies: int = MANY_COPIES,
) -> list[ReviewItem]:
    """The candidates (submission, copies) a store found that really are suspicious, in the given order."""
    items = (ReviewItem(s, n, review_reasons(s, n, confidence, many_copies)) for s, n in candidates)
    return [item for item in items if item.reasons]
