"""Model versions as checkpoint files in a folder, plus the model shipped in the package; `live.json` in the
folder names the live one (the shipped model while there is none) and the ones live before it. Promotion
and rollback rewrite that file atomically, so every process serving predictions sees the switch on its next
request."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from digitrec.adapters.onnx_model import OnnxClassifier, onnx_metadata, onnx_path
from digitrec.adapters.pretrained import torch_available
from digitrec.domain.errors import DigitrecError, ModelNotFound
from digitrec.domain.explanations import CannotExplain, Explanation
from digitrec.domain.predictions import ModelInfo, Prediction
from digitrec.domain.training import EpochMetrics, ModelRecord

log = logging.getLogger(__name__)

LIVE_FILE = "live.json"


def checkpoint_metadata(path: Path) -> dict:
    """What a checkpoint says about its model: from the checkpoint with torch, else from its ONNX twin."""
    if torch_available():
        from digitrec.adapters.torch_model import load_checkpoint

        return load_checkpoint(path)
    return onnx_metadata(onnx_path(path))


def classifier_at(location: Path, runtime: str):
    """The classifier of the checkpoint at `location`, on torch or on ONNX Runtime (its `.onnx` twin)."""
    if runtime == "onnx":
        return OnnxClassifier(location if location.suffix == ".onnx" else onnx_path(location))
    from digitrec.adapters.torch_model import TorchClassifier

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
    )


class FileModelRegistry:
    def __init__(self, models_dir: Path, shipped: Path):
        self.models_dir, self.shipped = Path(models_dir), Path(shipped)

    def live_location(self) -> Path:
        """The live checkpoint's path; cheap enough to ask on every prediction."""
        try:
            chosen = Path(json.loads((self.models_dir / LIVE_FILE).read_text())["path"])
        except FileNotFoundError:
            return self.shipped
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelNotFound(
                f"{self.models_dir / LIVE_FILE} is unreadable ({exc}); promote a model again"
            ) from exc
        if not chosen.is_file():
            raise ModelNotFound(
                f"the live model {chosen} is missing; promote another with `digitrec models promote`"
            )
        return chosen

    def list(self) -> list[ModelRecord]:
        live = self.live_location().resolve()
        records = []
        for path in [self.shipped, *sorted(self.models_dir.glob("*.pt"))]:
            try:
                record = record_from_checkpoint(path)
            except ModelNotFound as exc:
                log.warning("skipping %s: %s", path, exc)
                continue
            records.append(replace(record, live=path.resolve() == live))
        return records

    def live(self) -> ModelRecord:
        return replace(record_from_checkpoint(self.live_location()), live=True)

    def promote(self, version: str) -> ModelRecord:
        record = self._find(version)
        before = self._live_file()
        previous = [*before.get("previous", []), before] if "path" in before else []
        if before.get("path") == str(Path(record.location).resolve()):
            previous = before.get("previous", [])  # promoting the live version again changes nothing
        return self._make_live(record, previous)

    def rollback(self) -> ModelRecord:
        """Make live the version that was live before the last promotion (the shipped model when the
        first promotion is undone)."""
        previous = self._live_file().get("previous", [])
        if not previous and not (self.models_dir / LIVE_FILE).exists():
            raise DigitrecError("nothing to roll back to: no version was ever promoted")
        if not previous:
            (self.models_dir / LIVE_FILE).unlink()
            return self.live()
        *earlier, last = previous
        return self._make_live(self._find(last["version"]), earlier)

    def _find(self, version: str) -> ModelRecord:
        matches = [r for r in self.list() if r.version == version]
        if not matches:
            raise DigitrecError(f"no model version {version!r} in {self.models_dir} or the package")
        return matches[0]

    def _live_file(self) -> dict:
        try:
            return json.loads((self.models_dir / LIVE_FILE).read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ModelNotFound(f"{self.models_dir / LIVE_FILE} is unreadable ({exc})") from exc

    def _make_live(self, record: ModelRecord, previous: list[dict]) -> ModelRecord:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        target, tmp = self.models_dir / LIVE_FILE, self.models_dir / f".{LIVE_FILE}.tmp"
        chosen = {"version": record.version, "path": str(Path(record.location).resolve())}
        tmp.write_text(json.dumps({**chosen, "previous": previous[-20:]}))
        os.replace(tmp, target)
        return replace(record, live=True)


class LiveClassifier:
    """The `Classifier` port over whatever model is live: it notices a promotion on the next request and
    loads the new model, so a running app switches without a restart."""

    def __init__(self, registry: FileModelRegistry, runtime: str = "torch"):
        self.registry, self.runtime = registry, runtime
        self._lock = threading.Lock()
        self._location: Path | None = None
        self._classifier = None
        self.current()  # a missing or broken model is reported now, not at the first drawing

    def current(self):
        location = self.registry.live_location()
        with self._lock:
            if location != self._location or self._classifier is None:
                self._classifier = classifier_at(location, self.runtime)
                self._location = location
                log.info("serving model %s", self._classifier.info.version)
            return self._classifier

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
