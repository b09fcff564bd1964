"""Fine-tune jobs in the SQL database. A claim is one UPDATE of the oldest queued job that checks the job
is still queued, so of two workers claiming at once only one gets it (SQLite serialises the writers;
PostgreSQL makes the second wait for the first's row lock, then finds the job no longer queued)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, func, insert, select, update

from digitrec.adapters.sql.engine import storage_errors
from digitrec.adapters.sql.tables import jobs
from digitrec.domain.jobs import DONE, FAILED, QUEUED, RUNNING, stale_message
from digitrec.domain.types.records import Job
from digitrec.domain.types.submissions import as_utc
from digitrec.domain.types.training import EpochMetrics

CLAIM_ATTEMPTS = 5  # another worker took the job we aimed at: try the next one


class SqlJobQueue:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def submit(self, kind: str, config: dict, requested_by: str) -> Job:
        values = {"kind": kind, "status": QUEUED, "config": config, "requested_by": requested_by}
        with storage_errors(self._engine), self._engine.begin() as connection:
            new = insert(jobs).values(**values, created_at=datetime.now(UTC), progress=[])
            return self._job(connection, connection.execute(new).inserted_primary_key[0])

    def claim(self, worker: str) -> Job | None:
        oldest = select(func.min(jobs.c.id)).where(jobs.c.status == QUEUED).scalar_subquery()
        for _ in range(CLAIM_ATTEMPTS):
            now = datetime.now(UTC)
            with storage_errors(self._engine), self._engine.begin() as connection:
                if (
                    connection.execute(select(jobs.c.id).where(jobs.c.status == QUEUED).limit(1)).first()
                    is None
                ):
                    return None
                claimed = connection.execute(
                    update(jobs)
                    .where(jobs.c.id == oldest, jobs.c.status == QUEUED)
                    .values(status=RUNNING, worker=worker, started_at=now, heartbeat_at=now)
                    .returning(jobs.c.id)
                ).first()
                if claimed is not None:
                    return self._job(connection, claimed.id)
        return None

    def heartbeat(self, job_id: int) -> None:
        self._update(job_id, (RUNNING,), heartbeat_at=datetime.now(UTC))

    def report_epoch(self, job_id: int, metrics: EpochMetrics) -> None:
        with storage_errors(self._engine), self._engine.begin() as connection:
            progress = connection.execute(select(jobs.c.progress).where(jobs.c.id == job_id)).scalar_one()
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == RUNNING)
                .values(progress=[*progress, metrics.as_dict()], heartbeat_at=datetime.now(UTC))
            )

    def finish(self, job_id: int, result: dict) -> None:
        self._update(job_id, (RUNNING,), status=DONE, result=result, finished_at=datetime.now(UTC))

    def fail(self, job_id: int, error: str) -> None:
        self._update(job_id, (QUEUED, RUNNING), status=FAILED, error=error, finished_at=datetime.now(UTC))

    def fail_stale(self, silent_since: datetime) -> list[Job]:
        silent = (jobs.c.status == RUNNING, jobs.c.heartbeat_at < silent_since)
        failed = []
        with storage_errors(self._engine), self._engine.begin() as connection:
            for row in connection.execute(select(jobs).where(*silent)).all():
                job = job_from_row(row)
                connection.execute(
                    update(jobs)
                    .where(jobs.c.id == job.id, *silent)
                    .values(status=FAILED, error=stale_message(job), finished_at=datetime.now(UTC))
                )
                failed.append(self._job(connection, job.id))
        return failed

    def get(self, job_id: int) -> Job | None:
        with storage_errors(self._engine), self._engine.connect() as connection:
            row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else job_from_row(row)

    def latest(self, limit: int) -> list[Job]:
        with storage_errors(self._engine), self._engine.connect() as connection:
            rows = connection.execute(select(jobs).order_by(jobs.c.id.desc()).limit(limit)).all()
        return [job_from_row(row) for row in rows]

    def _update(self, job_id: int, when: tuple[str, ...], **values: Any) -> None:
        with storage_errors(self._engine), self._engine.begin() as connection:
            connection.execute(
                update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_(when)).values(**values)
            )

    @staticmethod
    def _job(connection, job_id: int) -> Job:
        return job_from_row(connection.execute(select(jobs).where(jobs.c.id == job_id)).one())


def job_from_row(row: Row[Any]) -> Job:
    def moment(value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    return Job(
        id=row.id,
        kind=row.kind,
        status=row.status,
        config=dict(row.config),
        requested_by=row.requested_by,
        created_at=as_utc(row.created_at),
        started_at=moment(row.started_at),
        finished_at=moment(row.finished_at),
        heartbeat_at=moment(row.heartbeat_at),
        worker=row.worker,
        progress=tuple(EpochMetrics(**epoch) for epoch in row.progress),
        result=dict(row.result or {}),
        error=row.error,
    )
