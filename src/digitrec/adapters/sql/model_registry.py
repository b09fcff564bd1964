"""The model registry in the SQL database, beside the submissions: every version's checkpoint and ONNX bytes,
lineage and metrics, the promotions in order, and the live pointer. Any machine that reaches the database
serves the live model: it copies a version's files into a local cache the first time it needs them.

Every promotion and rollback first updates the one pointer row, so two at once are serialised: PostgreSQL
makes the second wait for the first's row lock, SQLite for its write lock. On first use, the model shipped
in the package is registered, and a `models/` folder of an older digitrec is imported once, with the
versions it made live."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select, update

from digitrec.adapters.model_registry import (
    NOTHING_TO_ROLL_BACK,
    ModelFiles,
    already_registered,
    older_folder,
    read_model_files,
    unknown_version,
)
from digitrec.adapters.onnx.explain import explain_path
from digitrec.adapters.onnx.session import onnx_path
from digitrec.adapters.sql.engine import storage_errors
from digitrec.adapters.sql.tables import live_model, model_promotions, model_versions
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.training import EpochMetrics, ModelRecord

log = logging.getLogger(__name__)

CACHE_FOLDER = ".registry-cache"
SUMMARY_COLUMNS = [c for c in model_versions.c if c.name not in ("checkpoint", "onnx", "explain_onnx")]


class SqlModelRegistry:
    def __init__(self, engine: Engine, shipped: Path, models_dir: Path) -> None:
        self._engine, self.shipped, self.models_dir = engine, Path(shipped), Path(models_dir)
        self.cache_dir = self.models_dir / CACHE_FOLDER
        self._shipped_version: str | None = None
        self.changes = 0  # promotions and rollbacks made through this object (LiveClassifier follows them)

    # -- reading ---------------------------------------------------------------------------------------
    def list(self) -> list[ModelRecord]:
        with self._reading() as connection:
            rows = connection.execute(
                select(*SUMMARY_COLUMNS).order_by(model_versions.c.registered_at, model_versions.c.version)
            ).all()
            live = self._live_version(connection)
        return [record_from_row(row, self._cached(row), row.version == live) for row in rows]

    def get(self, version: str) -> ModelRecord:
        """The version's record; its `location` is a local copy of its checkpoint, made when missing."""
        with self._reading() as connection:
            row = connection.execute(
                select(*SUMMARY_COLUMNS).where(model_versions.c.version == version)
            ).first()
            if row is None:
                raise unknown_version(version)
            live = self._live_version(connection)
            location = self._local_copy(connection, row)
        return record_from_row(row, location, version == live)

    def live(self) -> ModelRecord:
        with self._reading() as connection:
            version = self._live_version(connection)
        return self.get(version)

    def live_location(self) -> Path:
        """A local copy of the live checkpoint: one small query (a copy the first time a version is live)."""
        with self._reading() as connection:
            live = func.coalesce(live_model.c.version, self._shipped_version)
            row = connection.execute(
                select(model_versions.c.version, model_versions.c.checkpoint_sha256)
                .join_from(live_model, model_versions, model_versions.c.version == live)
                .where(live_model.c.id == 1)
            ).one()
            return self._local_copy(connection, row)

    # -- changing --------------------------------------------------------------------------------------
    def register(self, checkpoint: Path) -> ModelRecord:
        files = read_model_files(checkpoint)
        with self._writing() as connection:
            self._add(connection, files)
        return self.get(files.record.version)

    def promote(self, version: str) -> ModelRecord:
        with self._writing() as connection:
            lock_pointer(connection)
            if not self._has(connection, version):
                raise unknown_version(version)
            if self._live_version(connection) != version:  # promoting the live version again changes nothing
                make_live(connection, version)
        self.changes += 1
        return self.get(version)

    def rollback_target(self) -> str | None:
        with self._reading() as connection:
            standing = standing_promotions(connection)
        if not standing:
            return None
        return standing[1].version if len(standing) > 1 else self._shipped_version

    def rollback(self) -> ModelRecord:
        """Undo the newest standing promotion: the one before it is live again (the shipped model after the
        first)."""
        with self._writing() as connection:
            lock_pointer(connection)
            standing = standing_promotions(connection)
            if not standing:
                raise DigitrecError(NOTHING_TO_ROLL_BACK)
            now = datetime.now(UTC)
            connection.execute(
                update(model_promotions).where(model_promotions.c.id == standing[0].id).values(undone_at=now)
            )
            before = standing[1].version if len(standing) > 1 else None
            connection.execute(
                update(live_model).where(live_model.c.id == 1).values(version=before, changed_at=now)
            )
        self.changes += 1
        return self.live()

    # -- inside ----------------------------------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        self._ensure_ready()
        with storage_errors(self._engine), self._engine.connect() as connection:
            yield connection

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        self._ensure_ready()
        with storage_errors(self._engine), self._engine.begin() as connection:
            yield connection

    def _ensure_ready(self) -> None:
        if self._shipped_version is None:
            self._first_use()

    def _first_use(self) -> None:
        """Register the shipped model, and import an older digitrec's models/ folder once, unless done."""
        shipped = read_model_files(self.shipped)
        with storage_errors(self._engine), self._engine.begin() as connection:
            state = connection.execute(select(live_model.c.folder_imported)).scalar_one()
            if state and self._has(connection, shipped.record.version):
                self._shipped_version = shipped.record.version
                return
        with storage_errors(self._engine), self._engine.begin() as connection:
            lock_pointer(connection)
            self._add(connection, shipped)
            if not connection.execute(select(live_model.c.folder_imported)).scalar_one():
                found, chain = older_folder(self.models_dir)
                for files in found:
                    try:
                        self._add(connection, files)
                    except DigitrecError as exc:  # one clashing file must not make the registry unusable
                        log.warning("not importing %s: %s", files.record.location, exc)
                for version in chain:
                    if self._has(connection, version) and self._live_version(connection) != version:
                        make_live(connection, version)
                connection.execute(update(live_model).values(folder_imported=True))
        self._shipped_version = shipped.record.version

    def _add(self, connection: Connection, files: ModelFiles) -> None:
        known = connection.execute(
            select(model_versions.c.checkpoint_sha256).where(model_versions.c.version == files.record.version)
        ).first()
        if known is not None:
            if known.checkpoint_sha256 != files.sha256:
                raise already_registered(files.record.version)
            return
        connection.execute(insert(model_versions).values(**row_values(files)))

    @staticmethod
    def _has(connection: Connection, version: str) -> bool:
        found = select(model_versions.c.version).where(model_versions.c.version == version)
        return connection.execute(found).first() is not None

    def _live_version(self, connection: Connection) -> str:
        version = connection.execute(select(live_model.c.version).where(live_model.c.id == 1)).scalar_one()
        return version or self._shipped_version

    def _cached(self, row: Row[Any]) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", row.version)
        return self.cache_dir / f"{safe}-{row.checkpoint_sha256[:12]}.pt"

    def _local_copy(self, connection: Connection, row: Row[Any]) -> Path:
        """The version's checkpoint (and ONNX twin and explain graph) as local files, written the first time
        they are needed: the twins first, then the checkpoint, each atomically, so a checkpoint there always
        has its twins."""
        path = self._cached(row)
        if path.is_file():
            return path
        blobs = connection.execute(
            select(model_versions.c.checkpoint, model_versions.c.onnx, model_versions.c.explain_onnx).where(
                model_versions.c.version == row.version
            )
        ).one()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        twins = ((explain_path(onnx_path(path)), blobs.explain_onnx), (onnx_path(path), blobs.onnx))
        for target, data in (*twins, (path, blobs.checkpoint)):
            if data is not None:
                partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                partial.write_bytes(data)
                os.replace(partial, target)
        return path


def standing_promotions(connection: Connection) -> list[Row[Any]]:
    """The newest two promotions not undone (id, version), newest first."""
    return connection.execute(
        select(model_promotions.c.id, model_promotions.c.version)
        .where(model_promotions.c.undone_at.is_(None))
        .order_by(model_promotions.c.id.desc())
        .limit(2)
    ).all()


def lock_pointer(connection: Connection) -> None:
    """Take the pointer row's lock (PostgreSQL) or the database's write lock (SQLite) until the transaction
    ends: the serialisation point of every change to what is live."""
    connection.execute(update(live_model).where(live_model.c.id == 1).values(id=1))


def make_live(connection: Connection, version: str) -> None:
    now = datetime.now(UTC)
    connection.execute(insert(model_promotions).values(version=version, promoted_at=now))
    connection.execute(update(live_model).where(live_model.c.id == 1).values(version=version, changed_at=now))


def row_values(files: ModelFiles) -> dict[str, Any]:
    record = files.record
    columns = ("version", "location", "live", "created_at", "test_accuracy", "parent")
    details = {k: v for k, v in record.summary().items() if k not in columns}
    details["history"] = [epoch.as_dict() for epoch in record.history]
    details["confusion"] = [list(row) for row in record.confusion] if record.confusion else None
    return {
        "version": record.version,
        "created_at": record.created_at,
        "registered_at": datetime.now(UTC),
        "parent": record.parent,
        "test_accuracy": record.test_accuracy,
        "details": details,
        "checkpoint_sha256": files.sha256,
        "checkpoint": files.checkpoint,
        "onnx": files.onnx,
        "explain_onnx": files.explain,
    }


def record_from_row(row: Row[Any], location: Path, live: bool) -> ModelRecord:
    details = dict(row.details)
    confusion = details.pop("confusion", None)
    history = details.pop("history", [])
    return ModelRecord(
        version=row.version,
        location=str(location),
        created_at=row.created_at,
        test_accuracy=row.test_accuracy,
        parent=row.parent,
        live=live,
        history=tuple(EpochMetrics(**epoch) for epoch in history),
        confusion=tuple(tuple(r) for r in confusion) if confusion else None,
        **details,
    )
