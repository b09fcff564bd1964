"""Model versions: find one by name, make one live (with a guard against a worse model), roll back."""

from __future__ import annotations

from dataclasses import dataclass

from digitrec.domain.ports import AuditLog, ModelRegistry
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.operators import require_operator
from digitrec.domain.types.training import ModelRecord

PROMOTION_MARGIN = 0.002  # a candidate may be at most 0.2 points worse than the live model, on each test set
# ...and at most 1 point worse on any single digit of MNIST test, the canvas set or the trusted hold-out
# (where one drawing of a digit is worth more than that, losing one drawing is not counted: that is noise).
DIGIT_MARGIN = 0.01
# Accuracies are float32 means (0.992 is stored as 0.99199998...): a difference of exactly the margin, two
# drawings in 1,000, must not read as more than it.
ROUNDING = 1e-6


class PromotionRefused(DigitrecError):
    pass


def find_model(registry: ModelRegistry, version: str | None) -> ModelRecord:
    return registry.live() if version is None else registry.get(version)


def promotion_problems(
    candidate: ModelRecord, live: ModelRecord, margin: float = PROMOTION_MARGIN
) -> list[str]:
    """Why `candidate` should not replace `live`: more than `margin` worse on MNIST test, or on the canvas
    set (where both accuracies are known). When the candidate was fine-tuned from the live model, the live
    model's canvas accuracy is the one the fine-tuning measured beside the candidate's, on the same drawings
    by the same code; the one in the live model's own checkpoint may be from a smaller, older canvas set."""
    if candidate.version == live.version:
        return []
    live_canvas = live.canvas_accuracy
    if candidate.parent == live.version and candidate.parent_canvas_accuracy is not None:
        live_canvas = candidate.parent_canvas_accuracy
    problems = []
    for test_set, ours, theirs, required in (
        ("MNIST test", candidate.test_accuracy, live.test_accuracy, True),
        ("the canvas set", candidate.canvas_accuracy, live_canvas, False),
    ):
        unknown = ours is None and required
        if unknown or (ours is not None and theirs is not None and ours < theirs - margin - ROUNDING):
            problems.append(
                f"{candidate.version} scores {fmt(ours)} on {test_set} against {fmt(theirs)} for the live "
                f"{live.version}: more than {100 * margin:.1f} points worse"
            )
    if candidate.parent == live.version:
        problems += digit_problems(candidate)
    return problems


@dataclass(frozen=True)
class DigitChange:
    """One digit of one test set, before (the parent) and after (the candidate)."""

    test_set: str
    digit: int
    n: int
    before: float
    after: float

    @property
    def worse(self) -> bool:
        lost = self.before - self.after
        return lost > DIGIT_MARGIN + ROUNDING and lost * self.n > 1 + ROUNDING

    def describe(self) -> str:
        return (
            f"digit {self.digit} on {self.test_set}: {fmt(self.before)} -> {fmt(self.after)} "
            f"({self.n} drawings), more than {100 * DIGIT_MARGIN:.0f} point worse"
        )


def digit_changes(per_digit: dict | None) -> list[DigitChange]:
    """Every digit of every test set a fine-tune measured before and after (ModelRecord.per_digit)."""
    changes = []
    for test_set, table in (per_digit or {}).items():
        for digit, (n, before, after) in enumerate(
            zip(table["n"], table["before"], table["after"], strict=True)
        ):
            if n and before is not None and after is not None:
                changes.append(DigitChange(test_set, digit, int(n), float(before), float(after)))
    return changes


def digit_problems(candidate: ModelRecord) -> list[str]:
    """Why `candidate` should not replace its parent, digit by digit: each digit it reads more than
    DIGIT_MARGIN worse on one of the sets its fine-tune measured (see DigitChange.worse)."""
    return [change.describe() for change in digit_changes(candidate.per_digit) if change.worse]


def promote_model(
    registry: ModelRegistry, version: str, force: bool = False, margin: float = PROMOTION_MARGIN
) -> ModelRecord:
    """Make `version` live, unless it is worse than the live model by more than `margin` (see
    promotion_problems)."""
    candidate = find_model(registry, version)
    if not force and (problems := promotion_problems(candidate, registry.live(), margin)):
        raise PromotionRefused("; ".join(problems) + ". Use --force to promote it anyway.")
    return registry.promote(candidate.version)


def fmt(accuracy: float | None) -> str:
    return "an unknown accuracy" if accuracy is None else f"{100 * accuracy:.2f}%"


def promote_version(
    registry: ModelRegistry, audit: AuditLog, who: object, version: str, margin: float = PROMOTION_MARGIN
) -> ModelRecord:
    """Make `version` live, with the CLI's guard (never forced from the app)."""
    operator = require_operator(who)
    before = registry.live()
    record = promote_model(registry, version, margin=margin)
    audit.record(operator.name, "promote", f"{record.version} (was {before.version})")
    return record


def rollback_version(registry: ModelRegistry, audit: AuditLog, who: object) -> ModelRecord:
    operator = require_operator(who)
    before = registry.live()
    record = registry.rollback()
    audit.record(operator.name, "rollback", f"{record.version} (was {before.version})")
    return record
