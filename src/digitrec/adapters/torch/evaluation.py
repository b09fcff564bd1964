"""Measuring a model on tensors: its logits in batches, accuracy, per-digit accuracy and the confusion
matrix (on the first ten outputs: the digits)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from digitrec.adapters.torch.devices import use_bf16
from digitrec.domain.types.predictions import NUM_CLASSES

DIGITS = NUM_CLASSES  # outputs beyond the first ten (not a digit) are not part of accuracy or loss on digits


@torch.inference_mode()
def logits_of(model: nn.Module, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """All the model's outputs for `images`, in float32, batch by batch."""
    model.eval()
    chunks = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].contiguous(memory_format=torch.channels_last)
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=use_bf16(images.device)):
            chunks.append(model(x).float())
    return torch.cat(chunks) if chunks else torch.zeros(0, DIGITS, device=images.device)


def evaluate(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor
) -> tuple[float, float, torch.Tensor]:
    """Mean loss, accuracy and the predicted digit of every image, over the ten digit outputs."""
    logits = logits_of(model, images)[:, :DIGITS]
    predicted = logits.argmax(1)
    loss = F.cross_entropy(logits, labels).item()
    return loss, (predicted == labels).float().mean().item(), predicted


def per_digit_accuracy(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor
) -> tuple[list[int], list[float | None]]:
    """How many images of each digit there are, and the share of them the model reads right (None: none)."""
    predicted = logits_of(model, images)[:, :DIGITS].argmax(1)
    n = torch.bincount(labels, minlength=DIGITS)[:DIGITS].cpu()
    right = torch.bincount(labels[predicted == labels], minlength=DIGITS)[:DIGITS].cpu()
    return n.tolist(), [r / c if c else None for r, c in zip(right.tolist(), n.tolist(), strict=True)]


def confusion_matrix(labels: torch.Tensor, predicted: torch.Tensor) -> tuple[tuple[int, ...], ...]:
    counts = torch.bincount(labels.cpu() * 10 + predicted.cpu(), minlength=100).view(10, 10)
    return tuple(tuple(int(c) for c in row) for row in counts.tolist())


def accuracy_on(model: nn.Module, inputs: tuple[torch.Tensor, torch.Tensor]) -> float | None:
    return evaluate(model, *inputs)[1] if len(inputs[1]) else None
