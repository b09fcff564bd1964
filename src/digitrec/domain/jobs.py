"""Fine-tunes that run as jobs: an operator asks for one in the app, a worker process (`digitrec worker`)
takes it and runs it. The job, its progress (epoch by epoch) and its outcome live in the database, so any
app process can show them live. A worker that dies mid-job stops its heartbeat; the next worker or page
that looks marks the job failed. The new model version is written only at the end, in one atomic step, so a
failed job never leaves half a model. Standard library only."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from digitrec.domain.ports import JobQueue
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.records import Job
from digitrec.domain.types.training import EpochMetrics, FineTuneConfig, FineTuneResult

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINETUNE = "finetune"
STALE_AFTER = timedelta(seconds=120)  # a running job whose worker was silent this long has failed
# What an operator may set for a fine-tune job; the rest of FineTuneConfig keeps its defaults.
JOB_SETTINGS = ("epochs", "lr", "seed", "min_submissions", "mnist_limit")


def describe_settings(config: dict[str, Any]) -> str:
    """A fine-tune job's settings in words: `5 epochs, learning rate 0.01, seed 0, at least 50 submissions,
    every MNIST image` (what the job card and the audit log show)."""
    epochs, limit = int(config.get("epochs", FineTuneConfig.epochs)), config.get("mnist_limit")
    parts = [
        f"{epochs} epoch{'s' if epochs != 1 else ''}",
        f"learning rate {config.get('lr', FineTuneConfig.lr):g}",
        f"seed {config.get('seed', FineTuneConfig.seed)}",
        f"at least {config.get('min_submissions', FineTuneConfig.min_submissions)} submissions",
        f"the first {limit:,} MNIST images" if limit else "every MNIST image",
    ]
    return ", ".join(parts)


def finetune_job_config(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings of a fine-tune job, checked by building the FineTuneConfig they make."""
    unknown = set(settings) - set(JOB_SETTINGS)
    if unknown:
        raise DigitrecError(f"unknown fine-tune settings {sorted(unknown)}; known: {', '.join(JOB_SETTINGS)}")
    config = FineTuneConfig(**settings)
    if config.epochs < 1 or config.lr <= 0 or config.min_submissions < 1:
        raise DigitrecError("a fine-tune needs at least 1 epoch, a positive learning rate and 1 submission")
    if config.mnist_limit is not None and config.mnist_limit < 100:
        raise DigitrecError("a fine-tune needs at least 100 MNIST images an epoch")
    return {key: getattr(config, key) for key in JOB_SETTINGS}


def result_of(result: FineTuneResult) -> dict[str, Any]:
    return {
        "version": result.run.version,
        "parent": result.parent,
        "submissions_used": result.submissions_used,
        "negatives_used": result.negatives_used,
        "heldout": result.heldout,
        "heldout_before": result.heldout_before,
        "heldout_after": result.heldout_after,
        "test_before": result.test_before,
        "test_after": result.run.test_accuracy,
        "canvas_before": result.canvas_before,
        "canvas_after": result.canvas_after,
        "per_digit": result.per_digit,
        "trust": result.trust.counts() if result.trust else None,
        "trust_reasons": (
            [[d, kind, n] for (d, kind), n in result.trust.by_reason().items()] if result.trust else None
        ),
    }


def run_next_job(
    queue: JobQueue,
    worker: str,
    finetune: Callable[[FineTuneConfig, Callable[[EpochMetrics], None]], FineTuneResult],
    stale_after: timedelta = STALE_AFTER,
    keep_alive: Callable[[int], AbstractContextManager] = lambda job_id: nullcontext(),
) -> Job | None:
    """Fail the jobs whose workers went silent, then take the oldest queued job (no other worker can take
    it too) and run it inside `keep_alive(job id)` (which sends heartbeats while an epoch runs); the
    finished or failed job, or None when none was queued."""
    for stale in queue.fail_stale(datetime.now(UTC) - stale_after):
        log.warning("job %d failed: its worker %s stopped", stale.id, stale.worker)
    job = queue.claim(worker)
    if job is None:
        return None
    log.info("worker %s runs job %d (%s)", worker, job.id, job.config)
    try:
        config = FineTuneConfig(**finetune_job_config(job.config))
        with keep_alive(job.id):
            result = finetune(config, lambda metrics: queue.report_epoch(job.id, metrics))
    except Exception as exc:  # anything: the job must end failed, with the reason, never stay "running"
        log.exception("job %d failed", job.id)
        queue.fail(job.id, f"{type(exc).__name__}: {exc}" if not isinstance(exc, DigitrecError) else str(exc))
    else:
        queue.finish(job.id, result_of(result))
    return queue.get(job.id)


def stale_message(job: Job) -> str:
    return f"worker {job.worker} stopped answering (last heard from at {job.heartbeat_at:%H:%M:%S} UTC)"


def with_progress(job: Job, metrics: EpochMetrics) -> Job:
    return dataclasses.replace(job, progress=(*job.progress, metrics))
