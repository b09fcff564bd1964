"""The use cases behind the app, against the in-memory repository."""

from __future__ import annotations

import numpy as np
import pytest

from digitrec.adapters.memory_repository import InMemorySubmissionRepository
from digitrec.domain.model import InvalidLabel, Prediction
from digitrec.domain.recognition import Recognition
from digitrec.domain.submitting import history_page, live_stats, submit_drawing


@pytest.fixture
def repo() -> InMemorySubmissionRepository:
    return InMemorySubmissionRepository()


RECOGNITION = Recognition(Prediction.from_probabilities([0.05] * 9 + [0.55]), np.zeros((28, 28), np.float32))


def test_submit_drawing_stores_what_the_model_saw_and_the_label(repo):
    new_id = submit_drawing(repo, RECOGNITION, b"png", 4, "cnn-x")
    stored = repo.get(new_id)
    assert (stored.label, stored.prediction.digit, stored.model_version) == (4, 9, "cnn-x")
    assert stored.image_png == b"png"
    assert not stored.correct


@pytest.mark.parametrize("label", [10, -1, "3", 2.0, True, None])
def test_submit_drawing_refuses_a_label_that_is_not_a_digit_and_stores_nothing(repo, label):
    with pytest.raises(InvalidLabel):
        submit_drawing(repo, RECOGNITION, b"png", label, "cnn-x")
    assert repo.count() == 0


def test_history_page_clamps_the_page_and_counts_pages(repo):
    for _ in range(21):
        submit_drawing(repo, RECOGNITION, b"png", 9, "cnn-x")
    assert history_page(repo, 0).page == 1
    last = history_page(repo, 99)
    assert (last.page, last.pages, last.total, [s.id for s in last.submissions]) == (3, 3, 21, [1])
    empty = history_page(repo, 1, mistakes_only=True)
    assert (empty.page, empty.pages, empty.total, empty.submissions) == (1, 1, 0, [])


def test_live_stats_reads_every_page(repo):
    for label in [9, 9, 9, 1, 2]:
        submit_drawing(repo, RECOGNITION, b"png", label, "cnn-x")
    stats = live_stats(repo, page_size=2)
    assert stats.evaluation.n == 5 and stats.evaluation.accuracy == 0.6
    assert stats.per_digit_count[9] == 3 and stats.per_digit_count[1] == 1
    assert [(v.version, v.n, v.accuracy) for v in stats.per_version] == [("cnn-x", 5, 0.6)]
