"""The CNN, its checkpoint format, and the `Classifier` that serves it.

A checkpoint is a plain dict (tensors, numbers, strings, lists): the state_dict, the architecture's
constructor arguments, the training config, metrics, the SHA-256 of the data files and the code version.
It is only ever loaded with `torch.load(..., weights_only=True)`, so a crafted file cannot run code.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

import digitrec
from digitrec.adapters.pretrained import SHIPPED_MODEL, shipped_model_path  # noqa: F401 - their old home
from digitrec.adapters.verdict import NOT_A_DIGIT
from digitrec.domain.types.errors import ModelNotFound
from digitrec.domain.types.training import TrainConfig

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class DigitNet(nn.Module):
    """Three conv-BN-ReLU stages, each halving the resolution (28 -> 14 -> 7 -> 3), then a linear layer.

    Takes (N, 1, 28, 28) images in [0, 1], light ink on dark, and returns logits: one per digit, and with
    `classes=11` an eleventh for "not a digit". It normalises its input itself, so callers never need to
    know MNIST's mean and standard deviation.
    """

    def __init__(
        self,
        widths: Sequence[int] = (16, 32, 64),
        dropout: float = 0.1,
        classes: int = 10,
        keep_edges: bool = False,
        strided_stem: bool = False,
    ):
        super().__init__()
        c1, c2, c3 = widths
        self.register_buffer("mean", torch.tensor(MNIST_MEAN), persistent=False)
        self.register_buffer("std", torch.tensor(MNIST_STD), persistent=False)
        # A strided first convolution halves the resolution itself: no 28x28 feature maps, ~30% faster.
        self.stage1 = conv_bn_relu(1, c1, stride=2 if strided_stem else 1)
        self.first_pool = nn.Identity() if strided_stem else nn.MaxPool2d(2)
        self.stage2 = conv_bn_relu(c1, c2)
        self.stage3 = nn.Sequential(conv_bn_relu(c2, c3), conv_bn_relu(c3, c3))
        self.pool = nn.MaxPool2d(2)
        # 7x7 -> 4x4 with `keep_edges` (the last row and column are pooled too), else 3x3 (they are dropped)
        self.last_pool = nn.MaxPool2d(2, ceil_mode=keep_edges)
        self.dropout = nn.Dropout(dropout)
        side = 4 if keep_edges else 3
        self.head = nn.Linear(c3 * side * side, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        x = self.first_pool(self.stage1(x))  # 28 -> 14
        x = self.pool(self.stage2(x))  # 14 -> 7
        x = self.last_pool(self.stage3(x))  # 7 -> 4 (or 3)
        x = self.dropout(torch.flatten(x, 1))
        return self.head(x)


ARCHITECTURES: dict[str, type[nn.Module]] = {"DigitNet": DigitNet}


def build_model(architecture: dict[str, Any]) -> nn.Module:
    name = architecture["name"]
    if name not in ARCHITECTURES:
        raise ModelNotFound(f"unknown architecture {name!r}; this digitrec knows {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name](**architecture.get("kwargs", {}))


def save_checkpoint(path: Path, model: nn.Module, architecture: dict[str, Any], **meta: Any) -> Path:
    """Write a checkpoint atomically (temp file + rename): a crash or a full disk never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    payload = {"format": CHECKPOINT_FORMAT, "architecture": architecture, "state_dict": state, **meta}
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save(payload, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with `weights_only=True`; raise ModelNotFound, saying what to do, if unusable."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFound(
            f"no model at {path}. Train one with `digitrec train` or pass --model PATH to a checkpoint."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # an unpickling error, a truncated zip, a foreign file...
        raise ModelNotFound(
            f"{path} is not a usable digitrec checkpoint ({type(exc).__name__}: {str(exc)[:200]}). "
            "Train a new one with `digitrec train`."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ModelNotFound(f"{path} is not a digitrec checkpoint of format {CHECKPOINT_FORMAT}")
    return payload


SMALL_BATCH = 16


def code_version() -> str:
    """The package version, plus the git commit when running from a checkout."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{digitrec.__version__}+g{sha}" if sha else digitrec.__version__


def architecture_for(config: TrainConfig, with_verdict: bool) -> dict:
    """The network a training run builds, as its checkpoint records it."""
    kwargs = {
        "widths": list(config.widths),
        "dropout": config.dropout,
        "classes": NOT_A_DIGIT + 1 if with_verdict else NOT_A_DIGIT,
        "keep_edges": True,
        "strided_stem": config.strided_stem,
    }
    return {"name": "DigitNet", "kwargs": kwargs}
