"""Model versions as checkpoint files in a folder, plus the model shipped in the package; `live.json` in the
folder names the live one (the shipped model while there is none). Promotion rewrites that file atomically,
so every process serving predictions sees the switch on its next request."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from digitrec.adapters.torch_model import TorchClassifier, load_checkpoint
from digitrec.domain.errors import DigitrecError, ModelNotFound
from digitrec.domain.predictions import ModelInfo, Prediction
from digitrec.domain.training import ModelRecord

log = logging.getLogger(__name__)

LIVE_FILE = "live.json"


def record_from_checkpoint(path: Path) -> ModelRecord:
    payload = load_checkpoint(path)
    metrics, lineage = payload.get("metrics", {}), payload.get("lineage", {})
    return ModelRecord(
        version=str(payload.get("version", path.stem)),
        location=str(path),
        created_at=payload.get("created_at"),
        test_accuracy=metrics.get("test_accuracy"),
        parent=lineage.get("parent"),
        heldout_accuracy=metrics.get("heldout_accuracy"),
        submissions_used=int(lineage.get("submissions_used", 0)),
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
        matches = [r for r in self.list() if r.version == version]
        if not matches:
            raise DigitrecError(f"no model version {version!r} in {self.models_dir} or the package")
        record = matches[0]
        self.models_dir.mkdir(parents=True, exist_ok=True)
        target, tmp = self.models_dir / LIVE_FILE, self.models_dir / f".{LIVE_FILE}.tmp"
        tmp.write_text(json.dumps({"version": record.version, "path": str(Path(record.location).resolve())}))
        os.replace(tmp, target)
        return replace(record, live=True)


class LiveClassifier:
    """The `Classifier` port over whatever model is live: it notices a promotion on the next request and
    loads the new model, so a running app switches without a restart."""

    def __init__(self, registry: FileModelRegistry):
        self.registry = registry
        self._lock = threading.Lock()
        self._location: Path | None = None
        self._classifier: TorchClassifier | None = None
        self.current()  # a missing or broken model is reported now, not at the first drawing

    def current(self) -> TorchClassifier:
        location = self.registry.live_location()
        with self._lock:
            if location != self._location or self._classifier is None:
                self._classifier = TorchClassifier(location)
                self._location = location
                log.info("serving model %s", self._classifier.info.version)
            return self._classifier

    @property
    def info(self) -> ModelInfo:
        return self.current().info

    def predict(self, image: np.ndarray) -> Prediction:
        return self.current().predict(image)

    def predict_batch(self, images: np.ndarray | Sequence[np.ndarray]) -> list[Prediction]:
        return self.current().predict_batch(images)
