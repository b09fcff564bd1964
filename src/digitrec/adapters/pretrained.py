"""Where the model shipped inside the package is: `pretrained/digitnet.pt` and its ONNX twin."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SHIPPED_MODEL = "digitnet.pt"  # see the README for how it was trained


def shipped_model_path() -> Path:
    return Path(str(files("digitrec") / "pretrained" / SHIPPED_MODEL))


def torch_available() -> bool:
    """Whether torch can be imported here: a serving install (ONNX Runtime) has none."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
