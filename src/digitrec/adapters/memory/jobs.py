"""Fine-tune jobs in a dict: the test fake for `JobQueue`, and the queue of the in-memory dev backend."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime

from digitrec.domain.jobs import DONE, FAILED, QUEUED, RUNNING, stale_message, with_progress
from digitrec.domain.types.records import Job
from digitrec.domain.types.training import EpochMetrics


class InMemoryJobQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}

    def submit(self, kind: str, config: dict, requested_by: str) -> Job:
        with self._lock:
            job = Job(len(self._jobs) + 1, kind, QUEUED, dict(config), requested_by, datetime.now(UTC))
            self._jobs[job.id] = job
            return job

    def claim(self, worker: str) -> Job | None:
        with self._lock:
            queued = [job for job in self._jobs.values() if job.status == QUEUED]
            if not queued:
                return None
            now = datetime.now(UTC)
            return self._set(queued[0], status=RUNNING, worker=worker, started_at=now, heartbeat_at=now)

    def heartbeat(self, job_id: int) -> None:
        self._change(job_id, (RUNNING,), heartbeat_at=datetime.now(UTC))

    def report_epoch(self, job_id: int, metrics: EpochMetrics) -> None:
        with self._lock:
            job = self._jobs[job_id]
            if job.status == RUNNING:
                self._set(with_progress(job, metrics), heartbeat_at=datetime.now(UTC))

    def finish(self, job_id: int, result: dict) -> None:
        self._change(job_id, (RUNNING,), status=DONE, result=dict(result), finished_at=datetime.now(UTC))

    def fail(self, job_id: int, error: str) -> None:
        self._change(job_id, (QUEUED, RUNNING), status=FAILED, error=error, finished_at=datetime.now(UTC))

    def fail_stale(self, silent_since: datetime) -> list[Job]:
        with self._lock:
            silent = [
                job
                for job in self._jobs.values()
                if job.status == RUNNING and job.heartbeat_at is not None and job.heartbeat_at < silent_since
            ]
            now = datetime.now(UTC)
            return [
                self._set(job, status=FAILED, error=stale_message(job), finished_at=now) for job in silent
            ]

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def latest(self, limit: int) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())[::-1][:limit]

    def _change(self, job_id: int, when: tuple[str, ...], **changes) -> None:
        with self._lock:
            if (job := self._jobs.get(job_id)) is not None and job.status in when:
                self._set(job, **changes)

    def _set(self, job: Job, **changes) -> Job:
        """Store `job` with `changes`; the caller holds the lock."""
        self._jobs[job.id] = dataclasses.replace(job, **changes)
        return self._jobs[job.id]
