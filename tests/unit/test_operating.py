"""Operators, reviews and jobs in the domain, with the in-memory stores as fakes."""

from __future__ import annotations

import hmac
from contextlib import contextmanager

import numpy as np
import pytest
from fake_registry import FakeRegistry

from digitrec.adapters.files.image_codec import encode_png
from digitrec.adapters.memory.jobs import InMemoryJobQueue
from digitrec.adapters.memory.repository import InMemorySubmissionRepository
from digitrec.adapters.memory.reviews import InMemoryReviews
from digitrec.domain.jobs import DONE, FAILED, QUEUED, finetune_job_config, run_next_job
from digitrec.domain.model_versions import promote_version, rollback_version
from digitrec.domain.operating import request_finetune, review_submission, sign_in
from digitrec.domain.reviewing import review_reasons
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.operators import NotAnOperator, Operator
from digitrec.domain.types.predictions import Prediction
from digitrec.domain.types.reviews import EXCLUDE, RELABEL, Review
from digitrec.domain.types.submissions import EXCLUDED, Submission
from digitrec.domain.types.training import EpochMetrics, FineTuneResult, ModelRecord, TrainingRun

PNG = encode_png(np.zeros((28, 28), np.uint8))
ANN = Operator("ann")


def submission(label: int, digit: int, confidence: float, is_digit: bool = True) -> Submission:
    rest = (1 - confidence) / 9
    probabilities = tuple(confidence if d == digit else rest for d in range(10))
    return Submission(
        PNG, np.zeros((28, 28), np.float32), Prediction(digit, probabilities, is_digit), label, "v"
    )


def test_sign_in_needs_the_password_a_name_and_a_configured_password(monkeypatch):
    compared = []
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or a == b)
    assert sign_in(" ann ", "s3cret", "s3cret") == Operator("ann")
    assert compared == [(b"s3cret", b"s3cret")]  # the constant-time comparison decides
    with pytest.raises(NotAnOperator, match="wrong operator password"):
        sign_in("ann", "s3cre", "s3cret")
    with pytest.raises(NotAnOperator, match="DIGITREC_ADMIN_PASSWORD"):
        sign_in("ann", "", None)
    with pytest.raises(NotAnOperator, match="give a name"):
        sign_in("  ", "s3cret", "s3cret")


@pytest.mark.parametrize("who", [None, "ann", {"name": "ann"}])
def test_every_operator_action_refuses_anyone_not_signed_in(who):
    repo = InMemorySubmissionRepository()
    reviews, queue = InMemoryReviews(repo), InMemoryJobQueue()
    submission_id = repo.add(submission(3, 3, 0.99))
    with pytest.raises(NotAnOperator):
        review_submission(reviews, who, submission_id, Review(EXCLUDE))
    with pytest.raises(NotAnOperator):
        request_finetune(queue, reviews, who, {"epochs": 1})
    with pytest.raises(NotAnOperator):
        promote_version(None, reviews, who, "v2")
    with pytest.raises(NotAnOperator):
        rollback_version(None, reviews, who)
    assert repo.get(submission_id).status == "ok" and queue.latest(5) == [] and reviews.entries(5) == []


def test_an_operators_actions_are_done_and_recorded():
    repo = InMemorySubmissionRepository()
    reviews, queue = InMemoryReviews(repo), InMemoryJobQueue()
    submission_id = repo.add(submission(3, 5, 0.99))
    assert review_submission(reviews, ANN, submission_id, Review(RELABEL, 5)).label == 5
    job = request_finetune(queue, reviews, ANN, {"epochs": 2, "mnist_limit": 1000})
    assert job.status == QUEUED and job.requested_by == "ann" and job.config["epochs"] == 2
    assert [(e.operator, e.action) for e in reviews.entries(5)] == [
        ("ann", "start fine-tune"),
        ("ann", RELABEL),
    ]


def test_fine_tune_settings_are_checked_before_a_job_is_queued():
    with pytest.raises(DigitrecError, match="unknown fine-tune settings"):
        finetune_job_config({"epochs": 1, "device": "cuda"})
    with pytest.raises(DigitrecError, match="at least 1 epoch"):
        finetune_job_config({"epochs": 0})
    with pytest.raises(DigitrecError, match="at least 100 MNIST images"):
        finetune_job_config({"mnist_limit": 10})


def test_review_reasons():
    assert review_reasons(submission(3, 3, 0.99), copies=1) == ()
    assert review_reasons(submission(3, 5, 0.6), copies=1) == ()  # unsure: a person may well be right
    assert review_reasons(submission(3, 5, 0.95), copies=1) == ("the model says 5 at 95%, the label says 3",)
    assert review_reasons(submission(3, 3, 0.9, is_digit=False), copies=3) == (
        "the model said it is not a digit",
        "the same drawing was sent 3 times",
    )
    with pytest.raises(ValueError, match="needs the new label"):
        Review(RELABEL)
    assert Review(EXCLUDE).apply(submission(3, 3, 0.99)).status == EXCLUDED


def test_promote_and_rollback_from_the_app_are_recorded():
    records = ModelRecord("v1", "v1.pt", None, 0.99, live=True), ModelRecord("v2", "v2.pt", None, 0.991)
    registry, audit = FakeRegistry(*records), InMemoryReviews(InMemorySubmissionRepository())
    assert promote_version(registry, audit, ANN, "v2").version == "v2"
    assert rollback_version(registry, audit, ANN).version == "v1"
    assert [e.detail for e in audit.entries(5)] == ["v1 (was v2)", "v2 (was v1)"]


def run(queue, finetune):
    beats = []

    @contextmanager
    def keep_alive(job_id):
        beats.append(("start", job_id))
        yield
        beats.append(("stop", job_id))

    return run_next_job(queue, "w", finetune, keep_alive=keep_alive), beats


def test_a_job_runs_with_heartbeats_and_reports_each_epoch():
    queue = InMemoryJobQueue()
    job = queue.submit("finetune", finetune_job_config({"epochs": 2}), "ann")
    metrics = [EpochMetrics(n, n, 0.1, 0.1, 0.99, 0.99) for n in (1, 2)]

    def finetune(config, on_epoch):
        assert config.epochs == 2 and queue.get(job.id).status == "running"
        for m in metrics:
            on_epoch(m)
        run_ = TrainingRun("v2", "v2.pt", tuple(metrics), 2, 0.99, ())
        return FineTuneResult(run_, "v1", 40, 10, 0.5, 0.9, 0.985)

    done, beats = run(queue, finetune)
    assert done.status == DONE and done.progress == tuple(metrics) and done.result["version"] == "v2"
    assert beats == [("start", job.id), ("stop", job.id)]
    assert run(queue, finetune)[0] is None  # nothing left


def test_a_job_that_raises_ends_failed_with_the_reason():
    queue = InMemoryJobQueue()
    queue.submit("finetune", {"epochs": 1}, "ann")

    def finetune(config, on_epoch):
        raise DigitrecError("only 3 submissions to learn from")

    failed, _ = run(queue, finetune)
    assert failed.status == FAILED and failed.error == "only 3 submissions to learn from"
