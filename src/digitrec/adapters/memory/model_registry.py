"""The model registry in memory, for the throwaway `memory://` store and as the tests' fake: versions are the
checkpoint files where they lie, and the promotions a list. It starts as the SQL registry does: the shipped
model, plus a `models/` folder of an older digitrec with the versions it made live."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from digitrec.adapters.model_registry import (
    NOTHING_TO_ROLL_BACK,
    already_registered,
    older_folder,
    read_model_files,
    unknown_version,
)
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.training import ModelRecord


class InMemoryModelRegistry:
    def __init__(self, shipped: Path, models_dir: Path) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, tuple[ModelRecord, str]] = {}  # version -> (record, checkpoint sha256)
        self._promotions: list[str] = []  # standing promotions, oldest first
        self.changes = 0  # promotions and rollbacks made through this object (LiveClassifier follows them)
        shipped_files = read_model_files(shipped)
        self._shipped = shipped_files.record.version
        found, chain = older_folder(models_dir)
        for files in [shipped_files, *found]:
            if self._records.get(files.record.version, (None, files.sha256))[1] == files.sha256:
                self._records[files.record.version] = (files.record, files.sha256)
        for version in chain:
            if version in self._records and self._live_version() != version:
                self._promotions.append(version)

    def list(self) -> list[ModelRecord]:
        with self._lock:
            live = self._live_version()
            return [replace(record, live=record.version == live) for record, _ in self._records.values()]

    def get(self, version: str) -> ModelRecord:
        with self._lock:
            if version not in self._records:
                raise unknown_version(version)
            return replace(self._records[version][0], live=version == self._live_version())

    def live(self) -> ModelRecord:
        return self.get(self._live_version())

    def live_location(self) -> Path:
        return Path(self.live().location)

    def register(self, checkpoint: Path) -> ModelRecord:
        files = read_model_files(checkpoint)
        version = files.record.version
        with self._lock:
            if version in self._records and self._records[version][1] != files.sha256:
                raise already_registered(version)
            self._records.setdefault(version, (files.record, files.sha256))
        return self.get(version)

    def promote(self, version: str) -> ModelRecord:
        with self._lock:
            if version not in self._records:
                raise unknown_version(version)
            if self._live_version() != version:
                self._promotions.append(version)
            self.changes += 1
        return self.get(version)

    def rollback(self) -> ModelRecord:
        with self._lock:
            if not self._promotions:
                raise DigitrecError(NOTHING_TO_ROLL_BACK)
            self._promotions.pop()
            self.changes += 1
        return self.live()

    def rollback_target(self) -> str | None:
        with self._lock:
            if not self._promotions:
                return None
            return self._promotions[-2] if len(self._promotions) > 1 else self._shipped

    def _live_version(self) -> str:
        return self._promotions[-1] if self._promotions else self._shipped
