"""ONNX Runtime sessions over digitrec's ONNX files: each checkpoint `VERSION.pt` has a `VERSION.onnx` twin
whose metadata holds what the checkpoint says about the model (version, metrics, calibration, lineage)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from digitrec.domain.types.errors import ModelNotFound

METADATA_KEY = "digitrec"  # the ONNX metadata entry that holds the checkpoint's metadata, as JSON


def onnx_path(checkpoint: Path) -> Path:
    return Path(checkpoint).with_suffix(".onnx")


def session_of(path: Path):
    """An ONNX Runtime session on the CPU, one thread per call (a canvas at a time: a second thread costs
    more than it saves), and the model's metadata."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise ModelNotFound(
            f"no ONNX model at {path}: every checkpoint written by digitrec has one beside it"
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        metadata = json.loads(session.get_modelmeta().custom_metadata_map[METADATA_KEY])
    except Exception as exc:  # a truncated or foreign file: ONNX Runtime raises its own error types
        raise ModelNotFound(
            f"{path} is not a usable digitrec ONNX model ({type(exc).__name__}: {exc})"
        ) from exc
    return session, metadata


def onnx_metadata(path: Path) -> dict[str, Any]:
    """What the checkpoint said about the model, read from its ONNX file (for a registry without torch)."""
    return session_of(path)[1]
