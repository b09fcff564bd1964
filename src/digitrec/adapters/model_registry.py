"""What the model registries (in the database: sql_models; in memory: memory_models) share: reading a
checkpoint and its ONNX twin, the `models/` folder of older digitrec (checkpoints plus `live.json`), and the
`Classifier` that follows the live pointer, so that a running app switches models without a restart."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from digitrec.adapters.onnx.classifier import OnnxClassifier
from digitrec.adapters.onnx.explain import explain_path
from digitrec.adapters.onnx.session import onnx_metadata, onnx_path
from digitrec.adapters.pretrained import torch_available
from digitrec.domain.types.errors import DigitrecError, ModelNotFound, StorageUnavailable
from digitrec.domain.types.explanations import CannotExplain, Explanation
from digitrec.domain.types.predictions import ModelInfo, Prediction
from digitrec.domain.types.training import EpochMetrics, ModelRecord
from digitrec.settings import LIVE_CHECK_SECONDS

log = logging.getLogger(__name__)

LIVE_FILE = "live.json"  # the live choice of an older digitrec's models/ folder
NOTHING_TO_ROLL_BACK = "nothing to roll back to: no version was ever promoted"


def checkpoint_metadata(path: Path) -> dict:
    """What a checkpoint says about its model: from the checkpoint with torch, else from its ONNX twin."""
    if torch_available():
        from digitrec.adapters.torch.model import load_checkpoint

        return load_checkpoint(path)
    return onnx_metadata(onnx_path(path))


def classifier_at(location: Path, runtime: str):
    """The classifier of the checkpoint at `location`, on torch or on ONNX Runtime (its `.onnx` twin)."""
    if runtime == "onnx":
        return OnnxClassifier(location if location.suffix == ".onnx" else onnx_path(location))
    from digitrec.adapters.torch.classifier import TorchClassifier

    return TorchClassifier(location)


def record_from_checkpoint(path: Path) -> ModelRecord:
    payload = checkpoint_metadata(path)
    metrics, lineage = payload.get("metrics", {}), payload.get("lineage", {})
    return ModelRecord(
        version=str(payload.get("version", path.stem)),
        location=str(path),
        created_at=payload.get("created_at"),
        test_accuracy=metrics.get("test_accuracy"),
        parent=lineage.get("parent"),
        heldout_accuracy=metrics.get("heldout_accuracy"),
        submissions_used=int(lineage.get("submissions_used", 0)),
        canvas_accuracy=metrics.get("canvas_accuracy"),
        parent_canvas_accuracy=metrics.get("parent_canvas_accuracy"),
        history=tuple(EpochMetrics(**epoch) for epoch in metrics.get("history", [])),
        confusion=tuple(tuple(row) for row in metrics["confusion"]) if "confusion" in metrics else None,
        per_digit=metrics.get("per_digit"),
    )


@dataclass(frozen=True)
class ModelFiles:
    """A model version as stored: its record, its checkpoint's bytes, its ONNX twin's and its explain graph's
    (None without one)."""

    record: ModelRecord
    checkpoint: bytes
    onnx: bytes | None
    explain: bytes | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.checkpoint).hexdigest()


def read_model_files(path: Path) -> ModelFiles:
    """The checkpoint at `path` and its `.onnx` and `.explain.onnx` twins; ModelNotFound, saying why, if it is
    not usable."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFound(f"no checkpoint at {path}")
    record = record_from_checkpoint(path)
    twin, explain = onnx_path(path), explain_path(onnx_path(path))
    return ModelFiles(
        record,
        path.read_bytes(),
        twin.read_bytes() if twin.is_file() else None,
        explain.read_bytes() if explain.is_file() else None,
    )


def older_folder(models_dir: Path) -> tuple[list[ModelFiles], list[str]]:
    """What a `models/` folder of an older digitrec holds: its usable checkpoints, and the versions it made
    live, oldest first (`live.json`'s earlier choices, then its live one)."""
    models_dir = Path(models_dir)
    found = []
    for path in sorted(models_dir.glob("*.pt")):
        try:
            found.append(read_model_files(path))
        except ModelNotFound as exc:
            log.warning("not importing %s: %s", path, exc)
    try:
        live = json.loads((models_dir / LIVE_FILE).read_text())
    except FileNotFoundError:
        live = {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", models_dir / LIVE_FILE, exc)
        live = {}
    chain = [entry.get("version") for entry in [*live.get("previous", []), live] if isinstance(entry, dict)]
    return found, [version for version in chain if version]


def unknown_version(version: str) -> DigitrecError:
    return DigitrecError(f"no model version {version!r}; `digitrec models list` shows the versions there are")


def already_registered(version: str) -> DigitrecError:
    return DigitrecError(f"another model is registered as {version!r} already: its checkpoint differs")


class LivePointer(Protocol):
    changes: int  # promotions and rollbacks made through this object: followed at once, not at the next check

    def live_location(self) -> Path:
        """A local file of the live version's checkpoint (its ONNX twin beside it)."""
        ...


class LiveClassifier:
    """The `Classifier` port over whatever model is live. It asks the registry which one at most every
    `check_every` seconds and loads a newly promoted model, so that every running app process switches
    without a restart; a promotion made through its own registry object (an operator on this process's
    Models page) it follows at once. While the registry can't answer it keeps serving the model it has."""

    def __init__(
        self,
        registry: LivePointer,
        runtime: str = "torch",
        check_every: float = LIVE_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.registry, self.runtime, self.check_every, self._clock = registry, runtime, check_every, clock
        self._lock = threading.Lock()
        self._location: Path | None = None
        self._classifier = None
        self._next_check = 0.0
        self._changes_seen = -1
        self.current()  # a missing or broken model is reported now, not at the first drawing

    def current(self):
        with self._lock:
            now, changes = self._clock(), self.registry.changes
            if self._classifier is None or now >= self._next_check or changes != self._changes_seen:
                self._next_check, self._changes_seen = now + self.check_every, changes
                self._follow_the_pointer()
            return self._classifier

    def _follow_the_pointer(self) -> None:
        try:
            location = self.registry.live_location()
            if location != self._location or self._classifier is None:
                self._classifier = classifier_at(location, self.runtime)
                self._location = location
                log.info("serving model %s", self._classifier.info.version)
        except (StorageUnavailable, ModelNotFound) as exc:
            if self._classifier is None:
                raise
            log.warning("still serving %s: %s", self._classifier.info.version, exc)

    @property
    def info(self) -> ModelInfo:
        return self.current().info

    def predict(self, image: np.ndarray) -> Prediction:
        return self.current().predict(image)

    def explain(self, image: np.ndarray) -> Explanation:
        explain = getattr(self.current(), "explain", None)
        if explain is None:
            raise CannotExplain("the model is served by ONNX Runtime here: its insides need torch")
        return explain(image)

    def predict_batch(self, images: np.ndarray | Sequence[np.ndarray]) -> list[Prediction]:
        return self.current().predict_batch(images)
