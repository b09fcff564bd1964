"""Review before training: which submissions should not be trusted blindly, and what an operator's review
does to one. Standard library and numpy only.

A submission is due for review while nobody has reviewed it and one of these holds: the model disagrees
with its label with high confidence, the model said it is not a digit, or the same drawing (the same PNG)
was sent many times. A review relabels it (the old label stays in its history), excludes it (never
trained on, kept for audit), marks it "not a digit" (a negative for the verdict, never a digit), or accepts
it as labelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digitrec.domain.types.reviews import VisitorSummary
from digitrec.domain.types.submissions import HELD_BACK, Submission

DISAGREEMENT_CONFIDENCE = 0.9  # the model disagrees with the label at least this sure
MANY_COPIES = 3  # the same PNG sent this many times


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
