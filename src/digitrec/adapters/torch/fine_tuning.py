"""What a fine-tune adds to training: the parent model, what it mixes into each epoch of MNIST (the
submissions with their trust weights, synthetic drawings, reviewed negatives), and its per-digit accuracies
before and after on the sets the promotion guard reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from digitrec.adapters.torch.evaluation import per_digit_accuracy
from digitrec.adapters.torch.model import build_model, load_checkpoint
from digitrec.adapters.torch.training_data import as_tensors, images_on, per_epoch
from digitrec.adapters.verdict import NOT_A_DIGIT
from digitrec.domain.types.training import FineTuneConfig, LabelledInputs, ModelRecord


def overall(n: list[int], accuracy: list[float | None]) -> float | None:
    """The accuracy over all digits, from per_digit_accuracy's counts and shares (None: no images)."""
    total = sum(n)
    return sum(c * (a or 0.0) for c, a in zip(n, accuracy, strict=True)) / total if total else None


def per_digit_before_after(
    sets: dict[str, tuple[torch.Tensor, torch.Tensor]], before: dict[str, tuple], model: nn.Module
) -> dict[str, dict]:
    """{set name: {"n", "before", "after"}} for the promotion guard: `before` holds the parent's
    per_digit_accuracy on each set, measured before fine-tuning."""
    table = {}
    for name, (images, labels) in sets.items():
        if len(labels):
            n, after = per_digit_accuracy(model, images, labels)
            table[name] = {"n": n, "before": before[name][1], "after": after}
    return table


def parent_model(parent: ModelRecord, device: torch.device) -> tuple[nn.Module, dict]:
    """The network of a model version, with its weights, on `device`; and its architecture."""
    payload = load_checkpoint(Path(parent.location))
    model = build_model(payload["architecture"])
    model.load_state_dict(payload["state_dict"])
    return model.to(device, memory_format=torch.channels_last), payload["architecture"]


def reviewed_negatives(
    negatives: np.ndarray | None, mnist: int, config: FineTuneConfig, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, int] | None:
    """Submissions reviewed as "not a digit", as a Mixture source labelled NOT_A_DIGIT: more negatives for
    the verdict, at a tenth of the generated non-digits' share of each epoch. None when there are none."""
    if negatives is None or len(negatives) == 0:
        return None
    rejects = torch.full((len(negatives),), NOT_A_DIGIT, device=device)
    share = max(per_epoch(mnist, config.non_digits / 10), 1)
    return images_on(np.asarray(negatives, np.float32), device), rejects, share


def finetune_extras(
    submissions: LabelledInputs,
    drawn,
    negatives: np.ndarray | None,
    seen: int,
    config: FineTuneConfig,
    device: torch.device,
) -> tuple[list, int]:
    """What a fine-tune mixes into each epoch of MNIST: the submissions (with their trust weights), the
    synthetic digits and non-digits (`drawn`, None for a model without the verdict), the reviewed
    negatives; and how many negatives that is."""
    weights = None if submissions.weights is None else torch.from_numpy(submissions.weights)
    extras = [(*as_tensors(submissions, device), per_epoch(seen, config.submission_share), weights)]
    extras += drawn.extras(seen, config.synthetic_digits, config.non_digits) if drawn else []
    reviewed = reviewed_negatives(negatives, seen, config, device)
    extras += [reviewed] if reviewed else []
    return extras, len(reviewed[0]) if reviewed else 0
