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

from digitrec.adapters.onnx.explain import OUTPUTS, explain_path
from digitrec.adapters.onnx.session import METADATA_KEY, onnx_path
from digitrec.adapters.torch.explain import staged_forward
from digitrec.adapters.torch.model import build_model, load_checkpoint
from digitrec.domain.types.predictions import IMAGE_SIDE

OPSET = 17
KEPT = ("version", "created_at", "metrics", "calibration", "lineage", "architecture", "code_version")


class ExplainGraph(nn.Module):
    """A DigitNet whose outputs are what "Inside the model" needs (onnx_explain.OUTPUTS), for one image."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits, stages = staged_forward(self.model, x)
        return (logits, *stages, self.model.head.weight + 0)


def export_onnx(model: nn.Module, checkpoint: Path, payload: dict[str, Any]) -> Path:
    """Write `checkpoint`'s ONNX twin atomically (the network, any batch size) and, beside it, its explain
    graph (onnx_explain.py), each with what the checkpoint says about the model as metadata. Returns the
    twin's path."""
    target = onnx_path(checkpoint)
    model = copy.deepcopy(model).float().eval().to("cpu", memory_format=torch.contiguous_format)
    meta = json.dumps({key: payload[key] for key in KEPT if key in payload})
    write_graph(explain_path(target), ExplainGraph(model), OUTPUTS, meta, dynamic=False)
    write_graph(target, model, ("logits",), meta, dynamic=True)
    return target


def export_checkpoint(checkpoint: Path) -> Path:
    """Write (again) the ONNX twin and explain graph of the checkpoint at `checkpoint`."""
    payload = load_checkpoint(checkpoint)
    model = build_model(payload["architecture"])
    model.load_state_dict(payload["state_dict"])
    return export_onnx(model, checkpoint, payload)


def write_graph(target: Path, model: nn.Module, outputs: tuple[str, ...], meta: str, dynamic: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    example = torch.zeros(1, 1, IMAGE_SIDE, IMAGE_SIDE)
    axes = {"image": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated; it needs no extras
            torch.onnx.export(
                model, example, str(tmp), input_names=["image"], output_names=list(outputs),
                dynamic_axes=axes, opset_version=OPSET, dynamo=False,
                do_constant_folding=dynamic,  # folding would make the explain graph's head_weight no output
            )  # fmt: skip
        exported = onnx.load(str(tmp))
        exported.metadata_props.add(key=METADATA_KEY, value=meta)
        onnx.save(exported, str(tmp))
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
