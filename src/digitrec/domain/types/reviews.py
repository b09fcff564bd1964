"""What an operator's review is (relabel, exclude, mark "not a digit", accept), the audit log's entries,
and what one visitor sent: the types the review ports pass. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from digitrec.domain.types.predictions import validate_label
from digitrec.domain.types.submissions import EXCLUDED, NOT_A_DIGIT, OK, Submission

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
