"""Review before training: which submissions should not be trusted blindly, and what an operator's review
does to one. Standard library and numpy only.

A submission is due for review while nobody has reviewed it and one of these holds: the model disagrees
with its label with high confidence, the model said it is not a digit, or the same drawing (the same PNG)
was sent many times. A review relabels it (the old label stays in its history), excludes it (never
trained on, kept for audit), marks it "not a digit" (a negative for the verdict, never a digit), or accepts
it as labelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from digitrec.domain.predictions import validate_label
from digitrec.domain.submissions import EXCLUDED, HELD_BACK, NOT_A_DIGIT, OK, Submission

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

    def apply_status(self) -> str:
        """The status this review gives (not for RELABEL, which also changes the label)."""
        return {EXCLUDE: EXCLUDED, MARK_NOT_A_DIGIT: NOT_A_DIGIT, ACCEPT: OK}[self.action]

    def describe_many(self) -> str:
        return {EXCLUDE: "excluded from training", MARK_NOT_A_DIGIT: "marked not digits"}.get(
            self.action, "confirmed as labelled"
        )

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
    if submission.trust is not None and submission.trust.decision == HELD_BACK:
        reasons.append(f"held back from fine-tuning: {submission.trust.reason}")
    return tuple(reasons)


def suspicion(submission: Submission) -> float:
    """How likely the label is wrong, 0-1: the trust check's score, or before any check, the model's
    probability that it is not the label."""
    if submission.trust is not None:
        return submission.trust.suspicion
    return 1.0 - submission.prediction.probabilities[submission.label]


def due_for_review(
    candidates: list[tuple[Submission, int]],
    confidence: float = DISAGREEMENT_CONFIDENCE,
    many_copies: int = MANY_COPIES,
) -> list[ReviewItem]:
    """The candidates (submission, copies) a store found that really are suspicious, in the given order."""
    items = (ReviewItem(s, n, review_reasons(s, n, confidence, many_copies)) for s, n in candidates)
    return sorted((item for item in items if item.reasons), key=lambda item: -suspicion(item.submission))


@dataclass(frozen=True)
class VisitorSummary:
    """What one visitor sent: how many drawings, how many the model disagrees with, how many the trust check
    held back and are still unreviewed, whether an operator blocked them."""

    visitor: str
    sent: int
    against_model: int
    held_back: int = 0
    unreviewed: int = 0
    blocked: bool = False

    def describe(self) -> str:
        held = f", {self.held_back} held back" if self.held_back else ""
        return f"visitor {self.visitor}: {self.sent} drawings, {self.against_model} against the model{held}"


@dataclass(frozen=True)
class VisitorGroup:
    """A visitor's rows in the Review queue, with what they sent in all."""

    summary: VisitorSummary | None  # None: the operator's own data
    items: tuple[ReviewItem, ...]


def group_by_visitor(items: Sequence[ReviewItem], summaries: Sequence[VisitorSummary]) -> list[VisitorGroup]:
    """The queue's items (most suspicious first) grouped by visitor: the group with the most suspicious item
    first, of equally suspicious ones the larger (items keep their order); rows without a visitor form a
    group without a summary."""
    known = {s.visitor: s for s in summaries}
    groups: dict[str | None, list[ReviewItem]] = {}
    for item in items:
        groups.setdefault(item.submission.visitor, []).append(item)
    made = [
        VisitorGroup(
            known.get(visitor)
            or (VisitorSummary(visitor, len(rows), 0, unreviewed=len(rows)) if visitor else None),
            tuple(rows),
        )
        for visitor, rows in groups.items()
    ]
    return sorted(made, key=lambda g: (-round(suspicion(g.items[0].submission), 2), -len(g.items)))
