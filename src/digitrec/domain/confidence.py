"""Whether confidence means what it says, and how well "not a digit" is told apart: temperature scaling,
expected calibration error, reliability bins, ROC curves. numpy only; the trainer fits with it and the
benchmarks measure with it.
"""

from __future__ import annotations

import numpy as np

CALIBRATION_BINS = 15
TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(8.0), 241))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    probabilities = softmax(logits, temperature)
    return float(-np.mean(np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, None))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature (0.25-8, on a fine log grid) that minimises the validation negative log-likelihood."""
    losses = [negative_log_likelihood(logits, labels, t) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def reliability(
    confidences: np.ndarray, correct: np.ndarray, bins: int = CALIBRATION_BINS
) -> list[tuple[float, float, int]]:
    """Per equal-width confidence bin that holds any answers: (mean confidence, accuracy, count)."""
    confidences, correct = np.asarray(confidences, dtype=np.float64), np.asarray(correct, dtype=np.float64)
    which = np.minimum((confidences * bins).astype(int), bins - 1)
    return [
        (float(confidences[which == b].mean()), float(correct[which == b].mean()), int((which == b).sum()))
        for b in range(bins)
        if (which == b).any()
    ]


def expected_calibration_error(
    confidences: np.ndarray, correct: np.ndarray, bins: int = CALIBRATION_BINS
) -> float:
    """The count-weighted mean gap between confidence and accuracy over equal-width bins (Guo et al. 2017)."""
    table = reliability(confidences, correct, bins)
    total = sum(count for _, _, count in table)
    return sum(count * abs(conf - acc) for conf, acc, count in table) / total if total else 0.0


def threshold_refusing(scores: np.ndarray, share: float) -> float:
    """The score above which `share` of `scores` lie (the not-a-digit probabilities of real digits)."""
    return float(np.quantile(np.asarray(scores, dtype=np.float64), 1.0 - share))


def roc_curve(positives: np.ndarray, negatives: np.ndarray) -> list[tuple[float, float]]:
    """(false positive rate, true positive rate) for every threshold on a score where higher means
    positive; here the positives are digits and the score how digit-like a drawing is."""
    scores = np.concatenate([positives, negatives]).astype(np.float64)
    truth = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    order = np.argsort(-scores, kind="stable")
    tp, fp = np.cumsum(truth[order]), np.cumsum(1 - truth[order])
    points = [(0.0, 0.0)] + list(zip(fp / max(len(negatives), 1), tp / max(len(positives), 1), strict=True))
    return [(float(f), float(t)) for f, t in points]


def area_under(roc: list[tuple[float, float]]) -> float:
    fpr, tpr = np.array([p[0] for p in roc]), np.array([p[1] for p in roc])
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def thin_out(roc: list[tuple[float, float]], points: int = 200) -> tuple[tuple[float, float], ...]:
    """At most `points` of a ROC curve, evenly spread over its length, for storing in a checkpoint."""
    if len(roc) <= points:
        return tuple(roc)
    keep = np.unique(np.linspace(0, len(roc) - 1, points).round().astype(int))
    return tuple(roc[i] for i in keep)
