"""How numbers are shown, the same on the command line and in the app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitrec.domain.types.training import TrainingRun


def percent(value: float | None, places: int = 2) -> str:
    """`99.50%`; `-` for a value that does not exist (a digit without examples)."""
    return "-" if value is None else f"{100 * value:.{places}f}%"


def parse_time(iso: str | None) -> datetime | None:
    """An ISO 8601 time as a datetime; None for None or text that is not a time."""
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def moment(iso: str | None) -> str:
    """An ISO 8601 time as a person reads it: `2 December 2026, 14:52 UTC` ('an unknown time' for None or
    text that is not a time)."""
    if (when := parse_time(iso)) is None:
        return iso or "an unknown time"
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return f"{when.day} {when:%B %Y, %H:%M} UTC"


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """A past time as a person reads it at a glance, in UTC: `just now`, `12 min ago`, `today 14:52`,
    `yesterday 09:05`, `2 Dec 14:52`, `2 Dec 2025` (`-` for None)."""
    if when is None:
        return "-"
    now = (now or datetime.now(UTC)).astimezone(UTC)
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    seconds = (now - when).total_seconds()
    if -60 < seconds < 60:
        return "just now"
    if 0 < seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    days = (now.date() - when.date()).days
    if days == 0:
        return f"today {when:%H:%M}"
    if days == 1:
        return f"yesterday {when:%H:%M}"
    if when.year == now.year:
        return f"{when.day} {when:%b %H:%M}"
    return f"{when.day} {when:%b %Y}"


def run_summary(run: TrainingRun) -> list[str]:
    """What a training run ended with: the epoch whose weights were kept, MNIST test accuracy, and the
    calibration and not-a-digit verdict fitted after it (lines for `digitrec train` and the benchmarks)."""
    best = run.history[run.best_epoch - 1]
    lines = [
        f"model {run.version}: the weights of epoch {run.best_epoch} of {len(run.history)} "
        f"(validation loss {best.val_loss:.4f}, accuracy {percent(best.val_accuracy)}), "
        f"MNIST test accuracy {percent(run.test_accuracy)}, "
        f"{run.seconds:.1f}s"
    ]
    calibration = run.calibration
    if calibration is not None:
        lines.append(
            f"calibration: temperature {calibration.temperature:.2f}, expected calibration error on "
            f"validation digits {percent(calibration.ece_before)} -> {percent(calibration.ece_after)}"
        )
    if calibration is not None and calibration.reject_threshold is not None:
        lines.append(
            f"not a digit: refuses {percent(calibration.digits_refused)} of validation digits and "
            f"{percent(calibration.non_digits_refused, 1)} of validation non-digits "
            f"(AUROC {calibration.auroc:.4f})"
        )
    return lines


TRUST_WORDS = {"trusted": "trusted", "down_weighted": "down-weighted", "held_back": "held back for review"}


def trust_lines(counts: dict[str, int], by_reason: list[tuple[str, str, int]]) -> list[str]:
    """What the trust check decided: how many crowd labels trusted, down-weighted and held back, then each
    decision's reasons with their counts (`by_reason`: (decision, reason kind, count), in order)."""
    total = sum(counts.values())
    head = ", ".join(f"{counts.get(d, 0)} {word}" for d, word in TRUST_WORDS.items())
    lines = [f"trust check of {total} submissions to learn from: {head}"]
    for decision, word in TRUST_WORDS.items():
        reasons = [f"{n} {kind}" for d, kind, n in by_reason if d == decision]
        if reasons:
            lines.append(f"  {word}: {', '.join(reasons)}")
    return lines


def per_digit_lines(per_digit: dict | None, worse: set[tuple[str, int]] = frozenset()) -> list[str]:
    """The per-digit comparison a fine-tune measured (ModelRecord.per_digit) as a table: a row of accuracies
    before and after for each set; a digit in `worse` ((set, digit) pairs) is marked with '!'."""
    if not per_digit:
        return []
    lines = [
        "per digit, before -> after (! more than 1 point worse):",
        " " * 26 + "".join(f"{d:>7} " for d in range(10)),
    ]
    for test_set, table in per_digit.items():
        for when in ("before", "after"):
            cells = []
            for digit, value in enumerate(table[when]):
                mark = "!" if when == "after" and (test_set, digit) in worse else " "
                cells.append(f"{'-' if value is None else f'{100 * value:.1f}'}{mark}".rjust(8))
            name = test_set if when == "before" else f"  (n: {min(table['n'])}-{max(table['n'])})"
            lines.append(f"{name:<19}{when:>7}" + "".join(cells))
    return lines
