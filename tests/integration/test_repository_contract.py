"""One contract for every SubmissionRepository backend: each test runs once per `repo` fixture param."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import numpy as np


def test_add_returns_distinct_increasing_ids(repo, make_submission):
    ids = [repo.add(make_submission(seed=seed)) for seed in range(5)]

    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_get_returns_what_was_added(repo, make_submission):
    created_at = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    original = make_submission(label=7, predicted=1, seed=42, created_at=created_at)

    submission_id = repo.add(original)
    stored = repo.get(submission_id)

    assert stored is not None
    assert stored.id == submission_id
    assert stored.image_png == original.image_png
    np.testing.assert_array_equal(stored.model_input, original.model_input)
    assert stored.model_input.dtype == np.float32
    assert stored.prediction.probabilities == original.prediction.probabilities
    assert stored.prediction.digit == 1
    assert stored.label == 7
    assert stored.model_version == original.model_version
    assert stored.created_at.utcoffset() is not None
    assert stored.created_at == created_at


def test_get_of_unknown_id_is_none(repo, make_submission):
    repo.add(make_submission())

    assert repo.get(999_999) is None


def test_latest_pages_newest_first_covering_each_submission_once(repo, make_submission):
    ids = [repo.add(make_submission(seed=seed)) for seed in range(7)]

    pages = [repo.latest(3, offset) for offset in (0, 3, 6, 9)]

    assert [len(page) for page in pages] == [3, 3, 1, 0]
    assert [s.id for page in pages for s in page] == ids[::-1]
    newest_images = [make_submission(seed=seed).image_png for seed in (6, 5, 4)]
    assert [s.image_png for s in pages[0]] == newest_images


def test_latest_mismatches_only_keeps_wrong_predictions(repo, make_submission):
    outcomes = [(3, 3), (3, 8), (0, 0), (9, 4), (5, 6), (1, 1)]  # (label, predicted)
    ids = [repo.add(make_submission(label=label, predicted=predicted)) for label, predicted in outcomes]
    wrong_ids = [i for i, (label, predicted) in zip(ids, outcomes, strict=True) if label != predicted]

    mismatches = repo.latest(10, mismatches_only=True)

    assert [s.id for s in mismatches] == wrong_ids[::-1]
    assert all(s.prediction.digit != s.label for s in mismatches)
    assert [s.id for s in repo.latest(1, 1, mismatches_only=True)] == [wrong_ids[1]]
    assert len(repo.latest(10)) == len(outcomes)


def test_count_with_and_without_mismatches_only(repo, make_submission):
    assert repo.count() == 0
    assert repo.count(mismatches_only=True) == 0

    for label, predicted in [(2, 2), (2, 7), (4, 4), (8, 3)]:
        repo.add(make_submission(label=label, predicted=predicted))

    assert repo.count() == 4
    assert repo.count(mismatches_only=True) == 2


def test_concurrent_adds_are_all_stored_with_unique_ids(repo, make_submission):
    def add_many(thread: int) -> list[int]:
        return [repo.add(make_submission(seed=thread * 100 + i)) for i in range(25)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = [i for thread_ids in pool.map(add_many, range(4)) for i in thread_ids]

    assert len(set(ids)) == 100
    assert repo.count() == 100
    assert {s.id for s in repo.latest(200)} == set(ids)
