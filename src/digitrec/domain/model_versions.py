"""Model versions: find one by name, and make one live, with a guard against a worse model."""

from __future__ import annotations

from digitrec.domain.errors import DigitrecError
from digitrec.domain.ports import ModelRegistry
from digitrec.domain.training import ModelRecord

PROMOTION_MARGIN = 0.002  # a candidate may be at most 0.2 points worse on MNIST test than the live model


def find_model(registry: ModelRegistry, version: str | None) -> ModelRecord:
    if version is None:
        return registry.live()
    for record in registry.list():
        if record.version == version:
            return record
    raise DigitrecError(f"no model version {version!r}; `digitrec models list` shows the versions there are")


def promote_model(
    registry: ModelRegistry, version: str, force: bool = False, margin: float = PROMOTION_MARGIN
) -> ModelRecord:
    """Make `version` live, unless it is worse on MNIST test than the live model by more than `margin`."""
    candidate, live = find_model(registry, version), registry.live()
    if not force and candidate.version != live.version:
        if candidate.test_accuracy is None or (
            live.test_accuracy is not None and candidate.test_accuracy < live.test_accuracy - margin
        ):
            raise DigitrecError(
                f"{version} scores {fmt(candidate.test_accuracy)} on MNIST test against "
                f"{fmt(live.test_accuracy)} for the live {live.version}: more than {100 * margin:.1f} points "
                "worse. Use --force to promote it anyway."
            )
    return registry.promote(candidate.version)


def fmt(accuracy: float | None) -> str:
    return "an unknown accuracy" if accuracy is None else f"{100 * accuracy:.2f}%"
