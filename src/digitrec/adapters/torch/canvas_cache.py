"""The canvas set every model version is measured on: MNIST test digits drawn as on the app's canvas and
preprocessed as the app does. Drawing all 10,000 takes 12-16 s on two cores, so it is drawn once, then kept
in this process and in a file under the models folder's `cache/`, for the same test digits and size."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from pathlib import Path

import numpy as np
import torch

from digitrec.adapters.drawing.canvas_drawings import canvas_set
from digitrec.adapters.torch.training_data import MnistSplits, as_tensors
from digitrec.domain.types.training import LabelledInputs

log = logging.getLogger(__name__)

_canvas_sets: dict[tuple[str, int], LabelledInputs] = {}  # the last canvas set drawn in this process


def canvas_set_of(data: MnistSplits, count: int, cache_dir: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The canvas set of `data`'s test digits (the first `count`), on their device."""
    test_images = (data.test_x[:, 0] * 255).round().byte().cpu().numpy()
    key = (hashlib.sha256(test_images.tobytes()).hexdigest(), count)
    if key not in _canvas_sets:
        _canvas_sets.clear()
        path = Path(cache_dir) / f"canvas-set-{key[0][:16]}-{count}.npz"
        _canvas_sets[key] = stored(path) or drawn(path, test_images, data, count)
    return as_tensors(_canvas_sets[key], data.test_x.device)


def stored(path: Path) -> LabelledInputs | None:
    try:
        with np.load(path) as kept:
            return LabelledInputs(kept["images"], kept["labels"])
    except (OSError, KeyError, ValueError):  # not there yet, or unreadable: draw it again
        return None


def drawn(path: Path, test_images: np.ndarray, data: MnistSplits, count: int) -> LabelledInputs:
    made = canvas_set(test_images, data.test_y.cpu().numpy(), count)
    partial = path.with_name(path.name + ".partial.npz")
    try:  # a cache: a full disk or a read-only folder only means drawing it again next time
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(partial, images=made.images, labels=made.labels)
        partial.replace(path)
    except OSError as exc:
        log.warning("could not keep the canvas set in %s (%s): it will be drawn again", path, exc)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return made
