"""Model versions for tests: the shipped network under another version name and metrics, as a checkpoint with
an ONNX twin whose metadata says the same."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import torch

from digitrec.adapters.onnx.session import METADATA_KEY
from digitrec.adapters.pretrained import shipped_model_path
from digitrec.adapters.torch.model import load_checkpoint

SHIPPED = load_checkpoint(shipped_model_path())


def version_like_shipped(folder: Path, version: str, test_accuracy: float = 0.995, parent: str | None = None):
    """A checkpoint (with its ONNX twin and explain graph): the shipped weights under another version name
    and metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        **SHIPPED,
        "version": version,
        "metrics": {**SHIPPED["metrics"], "test_accuracy": test_accuracy},
        "lineage": {"parent": parent, "submissions_used": 123},
    }
    torch.save(payload, folder / f"{version}.pt")
    for suffix in (".onnx", ".explain.onnx"):
        twin = onnx.load(shipped_model_path().with_suffix(suffix))
        for prop in twin.metadata_props:
            if prop.key == METADATA_KEY:
                prop.value = json.dumps({**json.loads(prop.value), **payload, "state_dict": None})
        onnx.save(twin, folder / f"{version}{suffix}")
    return folder / f"{version}.pt"
