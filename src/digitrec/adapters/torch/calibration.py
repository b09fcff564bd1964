"""After training, on validation data only: the temperature that makes confidence honest, and the threshold
on the not-a-digit output that refuses a chosen small share of real digits."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from digitrec.adapters.torch.evaluation import logits_of
from digitrec.adapters.torch.training_data import (
    DrawnSets,
    MnistSplits,
    degraded_validation_digits,
    validation_digits,
)
from digitrec.adapters.verdict import NOT_A_DIGIT
from digitrec.domain.confidence import (
    area_under,
    expected_calibration_error,
    fit_temperature,
    reliability,
    roc_curve,
    softmax,
    thin_out,
    threshold_refusing,
)
from digitrec.domain.types.training import Calibration


def not_a_digit_probability(logits: np.ndarray) -> np.ndarray:
    return softmax(logits)[:, NOT_A_DIGIT] if logits.shape[1] > NOT_A_DIGIT else np.zeros(len(logits))


def calibrate(
    model: nn.Module,
    digits: tuple[torch.Tensor, torch.Tensor],
    non_digits: torch.Tensor | None,
    digit_refusal: float,
    hard_digits: torch.Tensor | None = None,
) -> Calibration:
    """Fit the temperature on the validation digits' ten digit outputs (minimum negative log-likelihood),
    and the not-a-digit threshold that refuses `digit_refusal` of them and of `hard_digits` (degraded ones,
    so that scans and odd drawings are rarely refused); measure both there."""
    logits = logits_of(model, digits[0]).double().cpu().numpy()
    labels = digits[1].cpu().numpy()
    hard = logits_of(model, hard_digits).double().cpu().numpy() if hard_digits is not None else logits[:0]
    temperature = fit_temperature(logits[:, :NOT_A_DIGIT], labels)
    before = softmax(logits[:, :NOT_A_DIGIT])
    after = softmax(logits[:, :NOT_A_DIGIT], temperature)
    correct = after.argmax(1) == labels
    reject_digits = not_a_digit_probability(logits)
    threshold = refused_non_digits = auroc = None
    roc: tuple[tuple[float, float], ...] = ()
    if non_digits is not None and len(non_digits) and logits.shape[1] > NOT_A_DIGIT:
        threshold = threshold_refusing(
            np.concatenate([reject_digits, not_a_digit_probability(hard)]), digit_refusal
        )
        reject_non_digits = not_a_digit_probability(logits_of(model, non_digits).double().cpu().numpy())
        refused_non_digits = float(np.mean(reject_non_digits > threshold))
        curve = roc_curve(1 - reject_digits, 1 - reject_non_digits)
        roc, auroc = thin_out(curve), area_under(curve)
    return Calibration(
        temperature=temperature,
        reject_threshold=threshold,
        ece_before=expected_calibration_error(before.max(1), correct),  # a temperature keeps the argmax
        ece_after=expected_calibration_error(after.max(1), correct),
        digits_refused=float(np.mean(reject_digits > threshold)) if threshold is not None else 0.0,
        non_digits_refused=refused_non_digits,
        auroc=auroc,
        roc=roc,
        reliability=tuple(reliability(after.max(1), correct)),
    )


def calibrate_on_validation(
    model: nn.Module, data: MnistSplits, drawn: DrawnSets | None, seed: int, digit_refusal: float
) -> Calibration:
    """The temperature and not-a-digit threshold, fitted on validation data only (none is trained on)."""
    return calibrate(
        model,
        validation_digits(data, drawn, seed),
        drawn.val_non_digits if drawn else None,
        digit_refusal,
        degraded_validation_digits(data, seed) if drawn else None,
    )
