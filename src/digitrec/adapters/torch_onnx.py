"""Export a trained DigitNet to ONNX, beside its checkpoint, for serving without torch (onnx_model.py)."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import onnx
import torch
from torch import nn

from digitrec.adapters.onnx_model import METADATA_KEY, onnx_path
from digitrec.domain.predictions import IMAGE_SIDE

OPSET = 17
KEPT = ("version", "created_at", "metrics", "calibration", "lineage", "architecture", "code_version")


def export_onnx(model: nn.Module, checkpoint: Path, payload: dict[str, Any]) -> Path:
    """Write `checkpoint`'s ONNX twin atomically: the network (any batch size) and, as metadata, what the
    checkpoint says about it. Returns its path."""
    target = onnx_path(checkpoint)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    model = copy.deepcopy(model).float().eval().to("cpu", memory_format=torch.contiguous_format)
    example = torch.zeros(1, 1, IMAGE_SIDE, IMAGE_SIDE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # the TorchScript exporter says it is deprecated; it needs no extras
            torch.onnx.export(
                model, example, str(tmp), input_names=["image"], output_names=["logits"],
                dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=OPSET,
                dynamo=False,
            )  # fmt: skip
        exported = onnx.load(str(tmp))
        meta = {key: payload[key] for key in KEPT if key in payload}
        exported.metadata_props.add(key=METADATA_KEY, value=json.dumps(meta))
        onnx.save(exported, str(tmp))
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
