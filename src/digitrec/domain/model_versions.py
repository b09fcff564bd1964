"""Model versions: find one by name, make one live (with a guard against a worse model), roll back."""

from __future__ import annotations

from digitrec.domain.errors import DigitrecError
from digitrec.domain.ports import ModelRegistry
from digitrec.domain.training import ModelRecord

PROMOTION_MARGIN = 0.002  # a candidate may be at most 0.2 points worse than the live model, on each test set
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
    return problems


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
