"""Submissions in a SQL database (SQLite or PostgreSQL) through SQLAlchemy Core.

Rows and `Submission`s are converted explicitly: a submission is frozen and holds a numpy array and a
nested `Prediction`, which maps more plainly by hand than through an imperative mapper.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, Row, create_engine, event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from digitrec.adapters.orm import metadata, submissions
from digitrec.domain.model import IMAGE_SIDE, Prediction, StorageUnavailable, Submission

MODEL_INPUT_DTYPE = np.dtype("<f4")  # float32, little-endian, whatever the machine's byte order


def create_sql_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so that several processes can share a file."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageUnavailable(f"cannot create the folder of SQLite database {url}: {error}") from error
    engine = create_engine(parsed, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def configure_sqlite_connection(dbapi_connection: Any, _connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def create_schema(engine: Engine) -> None:
    """Create missing tables. The one place that Alembic migrations will replace."""
    with storage_errors(engine):
        metadata.create_all(engine)


@contextmanager
def storage_errors(engine: Engine) -> Iterator[None]:
    """Turn 'cannot reach or use the database' driver errors into the domain's StorageUnavailable."""
    try:
        yield
    except DBAPIError as error:
        if not isinstance(error, OperationalError | InterfaceError) and not error.connection_invalidated:
            raise  # integrity and programming errors are bugs, not an unavailable database
        where = engine.url.render_as_string(hide_password=True)
        raise StorageUnavailable(f"submission database {where} is unavailable: {error.orig}") from error


class SqlSubmissionRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, submission: Submission) -> int:
        with storage_errors(self._engine), self._engine.begin() as connection:
            result = connection.execute(insert(submissions).values(**row_values(submission)))
            return int(result.inserted_primary_key[0])

    def get(self, submission_id: int) -> Submission | None:
        query = select(submissions).where(submissions.c.id == submission_id)
        with storage_errors(self._engine), self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else submission_from_row(row)

    def latest(self, limit: int, offset: int = 0, *, mismatches_only: bool = False) -> list[Submission]:
        query = select(submissions).order_by(submissions.c.id.desc()).limit(limit).offset(offset)
        if mismatches_only:
            query = query.where(submissions.c.predicted != submissions.c.label)
        with storage_errors(self._engine), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [submission_from_row(row) for row in rows]

    def count(self, *, mismatches_only: bool = False) -> int:
        query = select(func.count()).select_from(submissions)
        if mismatches_only:
            query = query.where(submissions.c.predicted != submissions.c.label)
        with storage_errors(self._engine), self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())


def row_values(submission: Submission) -> dict[str, Any]:
    created_at = submission.created_at
    if created_at.tzinfo is None:  # a naive time is taken to be UTC already
        created_at = created_at.replace(tzinfo=UTC)
    return {
        "created_at": created_at.astimezone(UTC),
        "label": submission.label,
        "predicted": submission.prediction.digit,
        "probabilities": list(submission.prediction.probabilities),
        "model_version": submission.model_version,
        "image_png": submission.image_png,
        "model_input": np.ascontiguousarray(submission.model_input, dtype=MODEL_INPUT_DTYPE).tobytes(),
        "image_sha256": hashlib.sha256(submission.image_png).hexdigest(),
    }


def submission_from_row(row: Row[Any]) -> Submission:
    pixels = np.frombuffer(row.model_input, dtype=MODEL_INPUT_DTYPE).reshape(IMAGE_SIDE, IMAGE_SIDE)
    return Submission(
        image_png=bytes(row.image_png),
        model_input=pixels.astype(np.float32),  # native byte order, and a writable copy
        prediction=Prediction(digit=row.predicted, probabilities=tuple(row.probabilities)),
        label=row.label,
        model_version=row.model_version,
        created_at=utc(row.created_at),
        id=row.id,
    )


def utc(moment: datetime) -> datetime:
    """SQLite gives times back without a zone (they were stored as UTC); PostgreSQL in the session's zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
