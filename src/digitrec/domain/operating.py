"""What an operator does from the app: review submissions, start a fine-tune, promote, roll back. Each use
case refuses anyone but a signed-in Operator and leaves an entry in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from digitrec.domain.errors import DigitrecError
from digitrec.domain.jobs import FINETUNE, STALE_AFTER, describe_settings, finetune_job_config
from digitrec.domain.model_versions import PROMOTION_MARGIN, promote_model
from digitrec.domain.operators import require_operator
from digitrec.domain.ports import (
    AuditLog,
    JobQueue,
    ModelRegistry,
    SubmissionReviews,
    TrainingRows,
    VisitorReviews,
)
from digitrec.domain.records import Job
from digitrec.domain.reviewing import ACCEPT, EXCLUDE, Review
from digitrec.domain.submissions import Submission, validate_visitor
from digitrec.domain.training import ModelRecord, TooFewSubmissions


def review_submission(
    reviews: SubmissionReviews, who: object, submission_id: int, review: Review
) -> Submission:
    operator = require_operator(who)
    return reviews.apply_review(submission_id, review, operator.name)


def review_visitor(reviews: VisitorReviews, who: object, visitor: str, review: Review) -> int:
    """Exclude or confirm everything `visitor` sent that nobody reviewed yet, in one action; how many."""
    operator = require_operator(who)
    if review.action not in (EXCLUDE, ACCEPT):
        raise DigitrecError("a visitor's drawings can be excluded or confirmed together, not relabelled")
    return reviews.review_visitor(validate_visitor(visitor), review, operator.name)


def block_visitor(reviews: VisitorReviews, who: object, visitor: str) -> None:
    """Store what `visitor` sends from now on, and never train on any of it."""
    operator = require_operator(who)
    reviews.block_visitor(validate_visitor(visitor), operator.name)


def request_finetune(
    queue: JobQueue,
    audit: AuditLog,
    who: object,
    settings: dict[str, Any],
    stored: TrainingRows | None = None,
) -> Job:
    """Queue a fine-tune of the live model for a worker to run. With `stored`, refuse (TooFewSubmissions)
    when fewer submissions are stored than the job's minimum: the worker would refuse it anyway."""
    operator = require_operator(who)
    config = finetune_job_config(settings)
    if stored is not None and (count := stored.count()) < config["min_submissions"]:
        raise TooFewSubmissions(
            f"{count} submissions are stored and this fine-tune needs at least {config['min_submissions']}: "
            "collect more drawings first, or lower the minimum"
        )
    job = queue.submit(FINETUNE, config, operator.name)
    audit.record(operator.name, "start fine-tune", f"job {job.id}: {describe_settings(config)}")
    return job


def promote_version(
    registry: ModelRegistry, audit: AuditLog, who: object, version: str, margin: float = PROMOTION_MARGIN
) -> ModelRecord:
    """Make `version` live, with the CLI's guard (never forced from the app)."""
    operator = require_operator(who)
    before = registry.live()
    record = promote_model(registry, version, margin=margin)
    audit.record(operator.name, "promote", f"{record.version} (was {before.version})")
    return record


def rollback_version(registry: ModelRegistry, audit: AuditLog, who: object) -> ModelRecord:
    operator = require_operator(who)
    before = registry.live()
    record = registry.rollback()
    audit.record(operator.name, "rollback", f"{record.version} (was {before.version})")
    return record


def current_jobs(queue: JobQueue, limit: int = 10, stale_after: timedelta = STALE_AFTER) -> list[Job]:
    """The newest jobs, after marking failed those whose worker went silent (so a dead worker's job shows as
    failed even when no other worker is running)."""
    queue.fail_stale(datetime.now(UTC) - stale_after)
    return queue.latest(limit)
