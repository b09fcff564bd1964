"""What an operator does from the app: sign in, review submissions, start a fine-tune (promoting and rolling
back are in model_versions.py, beside the CLI's promotion). Each use
case refuses anyone but a signed-in Operator and leaves an entry in the audit log."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from digitrec.domain.jobs import FINETUNE, STALE_AFTER, describe_settings, finetune_job_config
from digitrec.domain.ports import (
    AuditLog,
    JobQueue,
    SubmissionReviews,
    TrainingRows,
    VisitorReviews,
)
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.operators import MAX_NAME_LENGTH, NotAnOperator, Operator, require_operator
from digitrec.domain.types.records import Job
from digitrec.domain.types.reviews import ACCEPT, EXCLUDE, Review
from digitrec.domain.types.submissions import Submission, validate_visitor
from digitrec.domain.types.training import TooFewSubmissions


def sign_in(name: str, password: str, expected: str | None) -> Operator:
    """An Operator when `password` is the operator password; compared in constant time, so the time taken
    tells nothing about how much of a guess was right."""
    if not expected:
        raise NotAnOperator(
            "operator actions are switched off: set DIGITREC_ADMIN_PASSWORD (or the Streamlit secret of "
            "that name) to turn them on"
        )
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise NotAnOperator(f"give a name of 1-{MAX_NAME_LENGTH} characters, for the audit log")
    if not hmac.compare_digest((password or "").encode(), expected.encode()):
        raise NotAnOperator("wrong operator password")
    return Operator(name)


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


def current_jobs(queue: JobQueue, limit: int = 10, stale_after: timedelta = STALE_AFTER) -> list[Job]:
    """The newest jobs, after marking failed those whose worker went silent (so a dead worker's job shows as
    failed even when no other worker is running)."""
    queue.fail_stale(datetime.now(UTC) - stale_after)
    return queue.latest(limit)
