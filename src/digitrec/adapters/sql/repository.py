"""Submissions in a SQL database (SQLite or PostgreSQL) through SQLAlchemy Core.

Rows and `Submission`s are converted explicitly: a submission is frozen and holds a numpy array and a
nested `Prediction`, which maps more plainly by hand than through an imperative mapper. Every query is built
with SQLAlchemy's expression language, so values always travel as bound parameters. The schema comes from
the migrations (schema.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from digitrec.adapters.sql.engine import storage_errors
from digitrec.adapters.sql.tables import blocked_visitors, submission_counts, submissions
from digitrec.domain.types.predictions import IMAGE_SIDE, Prediction
from digitrec.domain.types.submissions import OK, Submission, SubmissionStats, TrainingRow, Trust, as_utc

MODEL_INPUT_DTYPE = np.dtype("<f4")  # float32, little-endian, whatever the machine's byte order


class AlreadyStored(Exception):
    """Rolls back an add_unless_stored transaction that found the PNG stored already."""


IMAGE_LOCKS = 0x696D67  # PostgreSQL advisory-lock class of "a PNG being added": "img"


def image_lock_key(image_sha256: str) -> int:
    """A 32-bit signed advisory-lock key from a PNG's hex SHA-256 (collisions only make a writer wait)."""
    return int.from_bytes(bytes.fromhex(image_sha256)[:4], "big", signed=True)


class SqlSubmissionRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, submission: Submission) -> int:
        with storage_errors(self._engine), self._engine.begin() as connection:  # one transaction
            return insert_row(connection, submission)[0]

    def add_unless_stored(self, submission: Submission) -> int | None:
        """Insert, then look for an earlier row with the same PNG and roll back if there is one. SQLite
        serialises writers and the INSERT takes the write lock first, so the later of two writers sees the
        earlier one's row; PostgreSQL (read committed) would not, so there a lock on the PNG's hash, held
        until the transaction ends, makes the second writer wait for the first to commit."""
        digest = submission.image_sha256
        try:
            with storage_errors(self._engine), self._engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        select(func.pg_advisory_xact_lock(IMAGE_LOCKS, image_lock_key(digest)))
                    )
                new_id, inserted = insert_row(connection, submission)
                earlier = select(submissions.c.id).where(
                    submissions.c.image_sha256 == digest, submissions.c.id != new_id
                )
                if not inserted or connection.execute(earlier.limit(1)).first() is not None:
                    raise AlreadyStored
                return new_id
        except AlreadyStored:  # raised inside the transaction, so it was rolled back
            return None

    def sent_since(self, visitor: str, since: datetime) -> int:
        query = select(func.count()).where(
            submissions.c.visitor == visitor, submissions.c.created_at >= as_utc(since)
        )
        return int(self._all(query)[0][0])

    def get(self, submission_id: int) -> Submission | None:
        rows = self._all(select(submissions).where(submissions.c.id == submission_id))
        return submission_from_row(rows[0]) if rows else None

    far_offset = 10_000  # an offset beyond this reads the page from whichever end of the table is nearer

    def latest(self, limit: int, offset: int = 0, *, mismatches_only: bool = False) -> list[Submission]:
        """A page, newest first. Only ids are walked to find it (a deferred join: the index, not whole rows),
        and a page in the older half is found from the oldest end, so the last page of a million rows costs
        what the first does."""
        ids = mismatches(select(submissions.c.id), mismatches_only)
        page = ids.order_by(submissions.c.id.desc()).limit(limit).offset(offset)
        if offset > self.far_offset:
            total = self.count(mismatches_only=mismatches_only)
            from_oldest = total - offset - limit
            if from_oldest < offset:
                kept = limit + min(from_oldest, 0)
                page = ids.order_by(submissions.c.id).limit(max(kept, 0)).offset(max(from_oldest, 0))
        query = select(submissions).where(submissions.c.id.in_(page.scalar_subquery()))
        return [submission_from_row(row) for row in self._all(query.order_by(submissions.c.id.desc()))]

    def count(self, *, mismatches_only: bool = False) -> int:
        """From the kept counts: a handful of rows, however many submissions there are."""
        query = select(func.coalesce(func.sum(submission_counts.c.n), 0))
        if mismatches_only:
            query = query.where(submission_counts.c.label != submission_counts.c.predicted)
        return int(self._all(query)[0][0])

    def oldest_after(
        self, after_id: int, limit: int, *, since: datetime | None = None, mismatches_only: bool = False
    ) -> list[Submission]:
        query = select(submissions).where(submissions.c.id > after_id).order_by(submissions.c.id).limit(limit)
        if since is not None:
            query = query.where(submissions.c.created_at >= as_utc(since))
        return [submission_from_row(row) for row in self._all(mismatches(query, mismatches_only))]

    def training_rows(self, after_id: int, limit: int) -> list[TrainingRow]:
        c = submissions.c
        columns = (c.id, c.label, c.status, c.model_input, c.visitor, c.reviewed_at)
        query = select(*columns).where(c.id > after_id).order_by(c.id).limit(limit)
        return [
            TrainingRow(
                row.id,
                row.label,
                row.status,
                input_pixels(row.model_input),
                row.visitor,
                row.reviewed_at is not None,
            )  # fmt: skip
            for row in self._all(query)
        ]

    def record_trust(self, decisions: dict[int, Trust]) -> None:
        """Store the trust check's decisions, in one transaction, by submission id."""
        if not decisions:
            return
        statement = (
            update(submissions)
            .where(submissions.c.id == bindparam("sid"))
            .values(
                trust=bindparam("decision"),
                trust_reason=bindparam("reason"),
                trust_suspicion=bindparam("suspicion"),
                trust_weight=bindparam("weight"),
            )
        )
        values = [
            {
                "sid": sid,
                "decision": t.decision,
                "reason": t.reason,
                "suspicion": t.suspicion,
                "weight": t.weight,
            }
            for sid, t in decisions.items()
        ]
        with storage_errors(self._engine), self._engine.begin() as connection:
            connection.execute(statement, values)

    def blocked_visitors(self) -> set[str]:
        return {row.visitor for row in self._all(select(blocked_visitors.c.visitor))}

    def contains_image(self, image_sha256: str) -> bool:
        query = select(submissions.c.id).where(submissions.c.image_sha256 == image_sha256).limit(1)
        return bool(self._all(query))

    def stats(self) -> SubmissionStats:
        """The kept counts per (model version, label, predicted), read in one query: one snapshot, a few
        rows, no submission read."""
        c = submission_counts.c
        rows = self._all(select(c.model_version, c.label, c.predicted, c.n).where(c.n > 0))
        return SubmissionStats.from_groups((str(v), int(label), int(p), int(n)) for v, label, p, n in rows)

    def _all(self, query: Select) -> list[Row[Any]]:
        with storage_errors(self._engine), self._engine.connect() as connection:
            return list(connection.execute(query).all())


def mismatches(query: Select, only: bool) -> Select:
    return query.where(submissions.c.predicted != submissions.c.label) if only else query


def insert_row(connection: Connection, submission: Submission) -> tuple[int, bool]:
    """INSERT the submission in the caller's transaction: (its id, True), or, when a row with its submit
    token is stored already, (that row's id, False) and nothing is inserted.

    `ON CONFLICT DO NOTHING` settles two inserts of one token at once: PostgreSQL makes the second wait for
    the first to commit and then skips it, SQLite serialises writers; the SELECT then finds the row."""
    values = row_values(submission)
    token = submissions.c.submit_token == submission.submit_token
    dialect_insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}.get(connection.dialect.name)
    if submission.submit_token is None or dialect_insert is None:  # other databases: the unique index decides
        if submission.submit_token and (
            stored := connection.execute(select(submissions.c.id).where(token)).first()
        ):
            return int(stored.id), False
        new_id = connection.execute(insert(submissions).values(**values)).inserted_primary_key[0]
        count_submission(
            connection, submission.model_version, submission.label, submission.prediction.digit, 1
        )
        return int(new_id), True
    statement = (
        dialect_insert(submissions)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[submissions.c.submit_token])
        .returning(submissions.c.id)
    )
    if (new := connection.execute(statement).first()) is not None:
        count_submission(
            connection, submission.model_version, submission.label, submission.prediction.digit, 1
        )
        return int(new.id), True
    return int(connection.execute(select(submissions.c.id).where(token)).scalar_one()), False


def count_submission(connection: Connection, version: str, label: int, predicted: int, change: int) -> None:
    """Add `change` to the kept count of (version, label, predicted), in the caller's transaction."""
    key = {"model_version": version, "label": label, "predicted": predicted}
    dialect_insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}.get(connection.dialect.name)
    if dialect_insert is not None:
        statement = dialect_insert(submission_counts).values(**key, n=change)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(key), set_={"n": submission_counts.c.n + change}
            )
        )
        return
    where = [getattr(submission_counts.c, name) == value for name, value in key.items()]
    updated = connection.execute(
        update(submission_counts).where(*where).values(n=submission_counts.c.n + change)
    )
    if updated.rowcount == 0:
        connection.execute(insert(submission_counts).values(**key, n=change))


def row_values(submission: Submission) -> dict[str, Any]:
    return {
        "created_at": as_utc(submission.created_at),
        "label": submission.label,
        "predicted": submission.prediction.digit,
        "probabilities": list(submission.prediction.probabilities),
        "model_version": submission.model_version,
        "image_png": submission.image_png,
        "model_input": np.ascontiguousarray(submission.model_input, dtype=MODEL_INPUT_DTYPE).tobytes(),
        "image_sha256": submission.image_sha256,
        # Only when they differ from what the columns default to (NULL, 'ok'), so that an INSERT of an
        # ordinary submission also fits a database still at an older revision.
        **({"submit_token": submission.submit_token} if submission.submit_token else {}),
        **({} if submission.prediction.is_digit else {"predicted_is_digit": False}),
        **({"status": submission.status} if submission.status != OK else {}),
        **({"visitor": submission.visitor} if submission.visitor else {}),
        **({"reviewed_at": as_utc(submission.created_at)} if submission.reviewed else {}),
        **(
            {"number_id": submission.number_id, "number_position": submission.number_position}
            if submission.number_id
            else {}
        ),
    }


def input_pixels(stored: bytes) -> np.ndarray:
    """A stored model input as a writable float32 array in the machine's byte order."""
    return np.frombuffer(stored, dtype=MODEL_INPUT_DTYPE).reshape(IMAGE_SIDE, IMAGE_SIDE).astype(np.float32)


def submission_from_row(row: Row[Any]) -> Submission:
    return Submission(
        image_png=bytes(row.image_png),
        model_input=input_pixels(row.model_input),
        prediction=Prediction(
            digit=row.predicted,
            probabilities=tuple(row.probabilities),
            is_digit=row._mapping.get("predicted_is_digit") is not False,
        ),
        label=row.label,
        model_version=row.model_version,
        created_at=as_utc(row.created_at),
        id=row.id,
        submit_token=row._mapping.get("submit_token"),
        status=row._mapping.get("status") or OK,
        number_id=row._mapping.get("number_id"),
        number_position=row._mapping.get("number_position"),
        visitor=row._mapping.get("visitor"),
        reviewed=row._mapping.get("reviewed_at") is not None,
        trust=trust_from_row(row),
    )


def trust_from_row(row: Row[Any]) -> Trust | None:
    decision = row._mapping.get("trust")
    if decision is None:
        return None
    return Trust(decision, row.trust_reason or "", row.trust_suspicion or 0.0, row.trust_weight or 0.0)
