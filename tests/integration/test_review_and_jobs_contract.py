"""One contract for reviews, the audit log and the fine-tune job queue, on every storage backend (memory,
SQLite, PostgreSQL), each reached through the container as the app and the worker reach it."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from digitrec.domain.jobs import DONE, FAILED, QUEUED, RUNNING
from digitrec.domain.operating import block_visitor, review_visitor
from digitrec.domain.reviewing import due_for_review
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.operators import Operator
from digitrec.domain.types.predictions import Prediction
from digitrec.domain.types.reviews import ACCEPT, EXCLUDE, MARK_NOT_A_DIGIT, RELABEL, Review, VisitorSummary
from digitrec.domain.types.submissions import EXCLUDED, HELD_BACK, NOT_A_DIGIT, OK, Trust
from digitrec.domain.types.training import EpochMetrics


def sure(digit: int, confidence: float = 0.97, is_digit: bool = True) -> Prediction:
    rest = (1 - confidence) / 9
    return Prediction(digit, tuple(confidence if d == digit else rest for d in range(10)), is_digit)


def test_a_review_changes_label_or_status_and_keeps_the_old_label_in_the_history(container, make_submission):
    repo, reviews = container.submissions(), container.reviews()
    first = repo.add(make_submission(label=3, predicted=5, seed=1))
    second = repo.add(make_submission(label=4, predicted=4, seed=2))

    relabelled = reviews.apply_review(first, Review(RELABEL, 5), "ann")
    reviews.apply_review(second, Review(EXCLUDE), "bob")

    assert relabelled.label == 5 and repo.get(first).label == 5 and repo.get(first).status == OK
    assert repo.get(second).status == EXCLUDED and repo.get(second).label == 4
    [entry] = reviews.review_history(first)
    assert (entry.operator, entry.action, entry.submission_id) == ("ann", RELABEL, first)
    assert "label 3 -> 5" in entry.detail and entry.at.tzinfo is not None
    assert [e.operator for e in reviews.entries(10)] == ["bob", "ann"]  # newest first
    reviews.apply_review(second, Review(MARK_NOT_A_DIGIT), "ann")
    assert repo.get(second).status == NOT_A_DIGIT and len(reviews.review_history(second)) == 2


def test_reviewing_an_unknown_submission_is_refused_and_records_nothing(container):
    with pytest.raises(DigitrecError, match="no submission #999"):
        container.reviews().apply_review(999, Review(ACCEPT), "ann")
    assert container.reviews().entries(10) == []


def test_candidates_are_the_unreviewed_disagreements_verdicts_and_repeats_most_likely_wrong_first(
    container, make_submission
):
    repo, reviews = container.submissions(), container.reviews()
    base = make_submission(seed=7)
    ids = {
        "agrees": repo.add(
            replace(base, image_png=make_submission(seed=1).image_png, prediction=sure(3), label=3)
        ),
        "disagrees": repo.add(replace(make_submission(seed=2), prediction=sure(8), label=3)),
        "unsure": repo.add(replace(make_submission(seed=3), prediction=sure(8, 0.5), label=3)),
        "not a digit": repo.add(replace(make_submission(seed=4), prediction=sure(0, 0.9, False), label=0)),
    }
    repeats = [repo.add(replace(base, prediction=sure(6), label=6)) for _ in range(3)]
    repo.add(
        replace(make_submission(seed=5), prediction=sure(8), label=3, status=EXCLUDED)
    )  # imported, reviewed

    items = due_for_review(reviews.review_candidates(20, many_copies=3))

    # by how likely the label is wrong (1 - the model's probability of it), newest first among equals
    assert [item.submission.id for item in items] == [ids["disagrees"], ids["not a digit"], *repeats[::-1]]
    assert items[-1].copies == 3 and "sent 3 times" in items[-1].reasons[0]
    assert "the model says 8 at 97%, the label says 3" in items[0].reasons
    assert items[1].reasons == ("the model said it is not a digit",)

    reviews.apply_review(ids["disagrees"], Review(ACCEPT), "ann")
    remaining = due_for_review(reviews.review_candidates(20, many_copies=3))
    assert ids["disagrees"] not in [item.submission.id for item in remaining]


def test_the_verdict_and_status_are_stored_with_the_submission(container, make_submission):
    repo = container.submissions()
    submission = replace(make_submission(seed=5), prediction=sure(1, 0.6, False), status=EXCLUDED)
    stored = repo.get(repo.add(submission))
    assert stored.prediction.is_digit is False and stored.status == EXCLUDED


def metrics(epoch: int) -> EpochMetrics:
    return EpochMetrics(epoch, 1.5 * epoch, 0.5 / epoch, 0.4 / epoch, 0.9, 0.95)


def test_a_job_goes_from_queued_to_done_with_its_progress(container):
    queue = container.jobs()
    job = queue.submit("finetune", {"epochs": 2}, "ann")
    assert (job.status, job.requested_by, job.progress) == (QUEUED, "ann", ())

    claimed = queue.claim("worker-1")
    queue.report_epoch(job.id, metrics(1))
    queue.report_epoch(job.id, metrics(2))
    queue.finish(job.id, {"version": "v2", "test_after": 0.99})

    assert claimed.id == job.id and claimed.status == RUNNING and claimed.worker == "worker-1"
    done = queue.get(job.id)
    assert done.status == DONE and done.version == "v2" and done.progress == (metrics(1), metrics(2))
    assert done.started_at <= done.finished_at and queue.claim("worker-2") is None


def test_jobs_are_claimed_oldest_first_and_a_failure_keeps_its_reason(container):
    queue = container.jobs()
    first, second = (queue.submit("finetune", {"epochs": n}, "ann") for n in (1, 2))
    assert queue.claim("w").id == first.id
    queue.fail(first.id, "too few submissions")
    assert queue.get(first.id).status == FAILED and queue.get(first.id).error == "too few submissions"
    queue.finish(first.id, {"version": "late"})  # a failed job stays failed
    assert queue.get(first.id).status == FAILED
    assert queue.claim("w").id == second.id
    assert [job.id for job in queue.latest(5)] == [second.id, first.id]


def test_a_job_whose_worker_went_silent_is_failed_once(container):
    queue = container.jobs()
    silent, alive = (queue.submit("finetune", {}, "ann") for _ in range(2))
    queue.claim("dead-worker")
    time.sleep(0.01)
    cutoff = datetime.now(UTC)  # heard from before this: silent
    time.sleep(0.01)
    queue.claim("live-worker")

    [failed] = queue.fail_stale(cutoff)
    assert (
        failed.id == silent.id and failed.status == FAILED and "dead-worker stopped answering" in failed.error
    )
    assert queue.fail_stale(cutoff) == []
    assert queue.get(alive.id).status == RUNNING


def test_workers_racing_for_jobs_each_get_a_different_one(container):
    queue = container.jobs()
    submitted = [queue.submit("finetune", {}, "ann").id for _ in range(3)]
    start, claims = threading.Barrier(8), []

    def claim(n: int) -> None:
        start.wait()
        claims.append(queue.claim(f"worker-{n}"))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    taken = [job for job in claims if job is not None]
    assert sorted(job.id for job in taken) == submitted  # each job once, and every one of them
    assert {queue.get(job_id).worker for job_id in submitted} == {job.worker for job in taken}
    assert len({job.worker for job in taken}) == 3
    assert np.all([queue.get(job_id).status == RUNNING for job_id in submitted])


def test_a_relabel_moves_the_submission_in_the_statistics_and_counts(container, make_submission):
    repo, reviews = container.submissions(), container.reviews()
    wrong = repo.add(make_submission(label=3, predicted=5, seed=1))
    repo.add(make_submission(label=4, predicted=4, seed=2))
    assert repo.count(mismatches_only=True) == 1 and repo.stats().confusion[3][5] == 1

    reviews.apply_review(wrong, Review(RELABEL, 5), "ann")

    stats = repo.stats()
    assert stats.confusion[3][5] == 0 and stats.confusion[5][5] == 1 and stats.confusion[4][4] == 1
    assert repo.count() == 2 and repo.count(mismatches_only=True) == 0
    assert sum(v.correct for v in stats.per_version) == 2


def test_a_visitors_drawings_are_summarised_excluded_together_and_the_visitor_blocked(
    container, make_submission
):
    repo, reviews, operator = container.submissions(), container.reviews(), Operator("ada")
    ids = [
        repo.add(replace(make_submission(label=1, predicted=7, seed=i), visitor="attacker")) for i in range(4)
    ]
    honest = repo.add(replace(make_submission(label=7, predicted=7, seed=9), visitor="honest"))
    repo.record_trust({ids[0]: Trust(HELD_BACK, "the model says 7", 0.9, 0.0)})
    assert reviews.visitor_summaries(10) == [
        VisitorSummary("attacker", 4, 4, held_back=1, unreviewed=4),
        VisitorSummary("honest", 1, 0, unreviewed=1),
    ]
    queue = reviews.review_candidates(10, many_copies=3)
    assert queue[0][0].id == ids[0]  # the held-back one first: it is the most suspicious

    assert review_visitor(reviews, operator, "attacker", Review(EXCLUDE)) == 4
    assert {repo.get(i).status for i in ids} == {"excluded"} and all(repo.get(i).reviewed for i in ids)
    assert review_visitor(reviews, operator, "attacker", Review(ACCEPT)) == 0  # nothing unreviewed is left
    block_visitor(reviews, operator, "attacker")
    block_visitor(reviews, operator, "attacker")  # again: no error, one block
    assert repo.blocked_visitors() == {"attacker"}
    assert reviews.visitor_summaries(10)[0].blocked and not repo.get(honest).reviewed
    actions = [(e.operator, e.action, e.detail) for e in reviews.entries(10)][::-1]
    assert actions[:2] == [
        ("ada", "exclude visitor", "visitor attacker: 4 drawings excluded from training"),
        ("ada", "accept visitor", "visitor attacker: 0 drawings confirmed as labelled"),
    ]
    assert actions[2][1] == "block visitor"
    with pytest.raises(ValueError, match="a visitor key is"):
        block_visitor(reviews, operator, "no spaces allowed")
    with pytest.raises(DigitrecError, match="operator"):
        review_visitor(reviews, None, "honest", Review(EXCLUDE))
