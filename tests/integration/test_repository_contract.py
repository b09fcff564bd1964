"""One contract for every SubmissionRepository backend: each test runs once per `repo` fixture param."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import numpy as np

from digitrec.domain.types.submissions import HELD_BACK, Trust


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


def test_oldest_after_continues_after_an_id_oldest_first(repo, make_submission):
    ids = [repo.add(make_submission(seed=seed)) for seed in range(5)]

    assert [s.id for s in repo.oldest_after(0, 2)] == ids[:2]
    assert [s.id for s in repo.oldest_after(ids[1], 2)] == ids[2:4]
    assert [s.id for s in repo.oldest_after(ids[3], 10)] == ids[4:]
    assert repo.oldest_after(ids[4], 10) == []
    assert repo.oldest_after(0, 1)[0].image_png == make_submission(seed=0).image_png


def test_oldest_after_filters_by_time_and_mismatches(repo, make_submission):
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    outcomes = [(1, 1), (2, 7), (3, 3), (4, 9)]  # (label, predicted), one an hour
    ids = [
        repo.add(make_submission(label=label, predicted=predicted, created_at=start + timedelta(hours=hour)))
        for hour, (label, predicted) in enumerate(outcomes)
    ]
    two_hours_in = start + timedelta(hours=2)

    assert [s.id for s in repo.oldest_after(0, 10, since=two_hours_in)] == ids[2:]
    in_another_zone = two_hours_in.astimezone(timezone(timedelta(hours=-5)))
    assert [s.id for s in repo.oldest_after(0, 10, since=in_another_zone)] == ids[2:]
    assert [s.id for s in repo.oldest_after(0, 10, since=two_hours_in.replace(tzinfo=None))] == ids[2:]
    assert [s.id for s in repo.oldest_after(0, 10, mismatches_only=True)] == [ids[1], ids[3]]
    assert [s.id for s in repo.oldest_after(0, 10, since=two_hours_in, mismatches_only=True)] == [ids[3]]


def test_contains_image_finds_a_stored_png_by_its_sha256(repo, make_submission):
    stored = make_submission(seed=1)
    repo.add(stored)

    assert repo.contains_image(stored.image_sha256)
    assert repo.contains_image(hashlib.sha256(stored.image_png).hexdigest())
    assert not repo.contains_image(make_submission(seed=2).image_sha256)


def test_the_same_image_may_be_stored_twice(repo, make_submission):
    first, second = repo.add(make_submission(seed=4)), repo.add(make_submission(seed=4, label=5))

    assert first != second and repo.count() == 2


def test_add_unless_stored_adds_only_a_png_not_stored_yet(repo, make_submission):
    first = repo.add_unless_stored(make_submission(seed=1))
    again = repo.add_unless_stored(make_submission(seed=1, label=8))  # same PNG, another label
    other = repo.add_unless_stored(make_submission(seed=2))

    assert first is not None and other is not None and first != other
    assert again is None
    assert repo.count() == 2
    assert repo.get(first).label == 3


def test_writers_adding_the_same_pngs_at_once_store_each_exactly_once(repo, make_submission):
    """6 writers, each adding the same 40 PNGs in its own order, as concurrent imports of one folder do."""
    writers, pngs = 6, 40
    submissions = [make_submission(seed=seed) for seed in range(pngs)]
    orders = [np.random.default_rng(w).permutation(pngs) for w in range(writers)]
    start = threading.Barrier(writers)

    def write(order) -> list[int | None]:
        start.wait()
        return [repo.add_unless_stored(submissions[i]) for i in order]

    with ThreadPoolExecutor(max_workers=writers) as pool:
        results = [r for writer in pool.map(write, orders) for r in writer]

    added = [r for r in results if r is not None]
    assert len(added) == len(set(added)) == pngs
    assert repo.count() == pngs
    assert sorted(s.image_png for s in repo.latest(pngs + 10)) == sorted(s.image_png for s in submissions)


def test_a_repeated_submit_token_stores_nothing_and_answers_the_first_id(repo, make_submission):
    first = repo.add(replace(make_submission(seed=1), submit_token="canvas-token-1"))
    repeat = repo.add(replace(make_submission(seed=1, label=8), submit_token="canvas-token-1"))
    other = repo.add(replace(make_submission(seed=1), submit_token="canvas-token-2"))

    assert repeat == first and other != first
    assert repo.count() == 2
    assert repo.get(first).label == 3 and repo.get(first).submit_token == "canvas-token-1"


def test_submissions_without_a_token_are_each_stored(repo, make_submission):
    ids = {repo.add(make_submission(seed=1)) for _ in range(3)}

    assert len(ids) == 3 and repo.count() == 3


def test_clicks_racing_with_one_token_store_one_row_and_all_see_its_id(repo, make_submission):
    """8 threads submit 5 drawings at once, every drawing with its own token, as double clicks and several
    browser tabs do: each drawing is stored once, and every call for it answers the same id."""
    clicks, drawings = 8, 5
    tokens = [f"token-{n:04d}" for n in range(drawings)]
    start = threading.Barrier(clicks)

    def click(order) -> list[tuple[str, int]]:
        start.wait()
        return [
            (tokens[i], repo.add(replace(make_submission(seed=i), submit_token=tokens[i]))) for i in order
        ]

    orders = [np.random.default_rng(c).permutation(drawings) for c in range(clicks)]
    with ThreadPoolExecutor(max_workers=clicks) as pool:
        answers = [a for answers in pool.map(click, orders) for a in answers]

    ids = {token: {id_ for t, id_ in answers if t == token} for token in tokens}
    assert all(len(found) == 1 for found in ids.values()), ids
    assert repo.count() == drawings
    assert {repo.get(next(iter(found))).submit_token for found in ids.values()} == set(tokens)


def test_add_unless_stored_skips_a_known_submit_token(repo, make_submission):
    repo.add(replace(make_submission(seed=1), submit_token="canvas-token-1"))

    assert repo.add_unless_stored(replace(make_submission(seed=2), submit_token="canvas-token-1")) is None
    assert repo.count() == 1


def test_stats_of_an_empty_repository(repo):
    stats = repo.stats()

    assert stats.per_version == ()
    assert stats.confusion == tuple((0,) * 10 for _ in range(10))


def test_stats_count_per_version_and_per_label_and_prediction(repo, make_submission):
    # seed % 3 picks the version: cnn-test-0 gets 3 (2 right), cnn-test-1 gets 2 (1 right), cnn-test-2 one.
    rows = [(0, 1, 1), (3, 1, 7), (6, 7, 7), (1, 4, 4), (4, 1, 2), (2, 9, 9)]  # (seed, label, predicted)
    for seed, label, predicted in rows:
        repo.add(make_submission(seed=seed, label=label, predicted=predicted))

    stats = repo.stats()

    assert [(v.version, v.n, v.correct) for v in stats.per_version] == [
        ("cnn-test-0", 3, 2),
        ("cnn-test-1", 2, 1),
        ("cnn-test-2", 1, 1),
    ]
    assert stats.per_version[0].accuracy == 2 / 3
    expected = np.zeros((10, 10), dtype=int)
    for _, label, predicted in rows:
        expected[label, predicted] += 1
    assert stats.confusion == tuple(tuple(int(c) for c in row) for row in expected)


def test_eight_writers_store_every_submission_once_while_readers_see_consistent_pages(repo, make_submission):
    """8 writers x 200 submissions at once, and 2 readers paging through the newest all the while."""
    writers, each = 8, 200
    batches = [
        [make_submission(seed=w * each + i, label=i % 10) for i in range(each)] for w in range(writers)
    ]
    writing = threading.Event()
    writing.set()

    def write(batch) -> list[int]:
        return [repo.add(submission) for submission in batch]

    def read() -> int:
        pages, last_count = 0, 0
        while writing.is_set() or pages < 3:
            page = repo.latest(25, offset=pages % 3 * 25)
            ids = [s.id for s in page]
            assert ids == sorted(set(ids), reverse=True), f"page not strictly newest first: {ids}"
            count = repo.count()
            assert count >= last_count, "the count went backwards"
            assert sum(v.n for v in repo.stats().per_version) >= last_count
            last_count, pages = count, pages + 1
        return pages

    with ThreadPoolExecutor(max_workers=writers + 2) as pool:
        readers = [pool.submit(read) for _ in range(2)]
        try:
            written = list(pool.map(write, batches))
        finally:
            writing.clear()
        assert all(reader.result() >= 3 for reader in readers)

    ids = [i for batch_ids in written for i in batch_ids]
    assert len(ids) == len(set(ids)) == writers * each
    assert repo.count() == writers * each
    stored = repo.latest(writers * each + 10)
    assert sorted(s.id for s in stored) == sorted(ids)
    assert sorted(s.image_png for s in stored) == sorted(s.image_png for b in batches for s in b)
    assert sum(v.n for v in repo.stats().per_version) == writers * each


def test_training_rows_page_through_inputs_labels_and_statuses_without_images(repo, make_submission):
    ids = [repo.add(replace(make_submission(seed=seed, label=seed), status=status))
           for seed, status in enumerate(["ok", "excluded", "not_digit", "ok", "ok"])]  # fmt: skip

    first, rest = repo.training_rows(0, 2), repo.training_rows(ids[1], 10)

    assert [r.id for r in first + rest] == ids and repo.training_rows(ids[-1], 10) == []
    assert [(r.label, r.status) for r in first + rest] == [
        (0, "ok"), (1, "excluded"), (2, "not_digit"), (3, "ok"), (4, "ok")
    ]  # fmt: skip
    np.testing.assert_array_equal(rest[0].model_input, make_submission(seed=2).model_input)
    assert rest[0].model_input.dtype == np.float32 and not hasattr(rest[0], "image_png")


def test_far_pages_read_from_the_oldest_end_are_the_same_pages(repo, make_submission):
    outcomes = [(d % 10, (d * 7) % 10) for d in range(23)]  # some right, some wrong
    for label, predicted in outcomes:
        repo.add(make_submission(label=label, predicted=predicted))
    if hasattr(repo, "far_offset"):
        repo.far_offset = 1  # every page beyond the first reads from whichever end is nearer
    for mistakes in (False, True):
        total = repo.count(mismatches_only=mistakes)
        pages = [repo.latest(4, offset, mismatches_only=mistakes) for offset in range(0, total + 4, 4)]
        ids = [s.id for page in pages for s in page]
        assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids)) == total
        assert all(len(page) == 4 for page in pages[: total // 4]) and pages[-1] == []


def test_visitor_reviewed_and_trust_are_stored_and_read_back(repo, make_submission):
    crowd = repo.add(replace(make_submission(seed=1), visitor="0123456789abcdef"))
    own = repo.add(replace(make_submission(seed=2), reviewed=True))
    assert (repo.get(crowd).visitor, repo.get(crowd).reviewed, repo.get(crowd).trust) == (
        "0123456789abcdef", False, None
    )  # fmt: skip
    assert (repo.get(own).visitor, repo.get(own).reviewed) == (None, True)
    rows = repo.training_rows(0, 10)
    assert [(r.visitor, r.reviewed, r.from_crowd) for r in rows] == [
        ("0123456789abcdef", False, True), (None, True, False)
    ]  # fmt: skip

    decision = Trust(HELD_BACK, "the model says 7 (99%)", 0.93, 0.0)
    repo.record_trust({crowd: decision})
    assert repo.get(crowd).trust == decision and repo.get(own).trust is None
    repo.record_trust({crowd: replace(decision, decision="trusted", weight=1.0)})
    assert repo.get(crowd).trust.decision == "trusted"


def test_a_visitors_recent_submissions_are_counted(repo, make_submission):
    now = datetime.now(UTC)
    for minutes, visitor in [(0, "aaaa"), (0, "aaaa"), (5, "aaaa"), (0, "bbbb"), (0, None)]:
        repo.add(replace(make_submission(created_at=now - timedelta(minutes=minutes)), visitor=visitor))
    assert repo.sent_since("aaaa", now - timedelta(minutes=1)) == 2
    assert repo.sent_since("aaaa", now - timedelta(hours=1)) == 3
    assert repo.sent_since("cccc", now - timedelta(hours=1)) == 0
    assert repo.blocked_visitors() == set()
