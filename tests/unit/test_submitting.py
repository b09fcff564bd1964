"""The use cases behind the app, against the in-memory repository."""

from __future__ import annotations

import numpy as np
import pytest

from digitrec.adapters.files.image_codec import encode_png
from digitrec.adapters.memory.repository import InMemorySubmissionRepository
from digitrec.domain.recognition import Recognition
from digitrec.domain.submitting import history_page, live_stats, submit_drawing
from digitrec.domain.types.errors import InvalidImage, InvalidLabel
from digitrec.domain.types.predictions import Prediction


@pytest.fixture
def repo() -> InMemorySubmissionRepository:
    return InMemorySubmissionRepository()


RECOGNITION = Recognition(Prediction.from_probabilities([0.05] * 9 + [0.55]), np.zeros((28, 28), np.float32))
PNG = encode_png(np.zeros((280, 280), np.uint8))


def test_submit_drawing_stores_what_the_model_saw_and_the_label(repo):
    new_id = submit_drawing(repo, RECOGNITION, PNG, 4, "cnn-x")
    stored = repo.get(new_id)
    assert (stored.label, stored.prediction.digit, stored.model_version) == (4, 9, "cnn-x")
    assert stored.image_png == PNG
    assert not stored.correct


@pytest.mark.parametrize("label", [10, -1, "3", 2.0, True, None])
def test_submit_drawing_refuses_a_label_that_is_not_a_digit_and_stores_nothing(repo, label):
    with pytest.raises(InvalidLabel):
        submit_drawing(repo, RECOGNITION, PNG, label, "cnn-x")
    assert repo.count() == 0


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (b"", "needs the drawing's image"),
        (b"<svg onload=alert(1)>", "not a PNG"),
        (PNG + bytes(9 * 1024 * 1024), "MB; the limit is 8 MB"),
        (PNG[:16] + (50_000).to_bytes(4, "big") * 2 + PNG[24:], "50000x50000 pixels"),
    ],
)
def test_submit_drawing_refuses_what_is_not_a_sane_png_and_stores_nothing(repo, image, message):
    with pytest.raises(InvalidImage, match=message):
        submit_drawing(repo, RECOGNITION, image, 3, "cnn-x")
    assert repo.count() == 0


def test_history_page_clamps_the_page_and_counts_pages(repo):
    for _ in range(21):
        submit_drawing(repo, RECOGNITION, PNG, 9, "cnn-x")
    assert history_page(repo, 0).page == 1
    last = history_page(repo, 99)
    assert (last.page, last.pages, last.total, [s.id for s in last.submissions]) == (3, 3, 21, [1])
    empty = history_page(repo, 1, mistakes_only=True)
    assert (empty.page, empty.pages, empty.total, empty.submissions) == (1, 1, 0, [])


class CountingOnlyRepository(InMemorySubmissionRepository):
    """Answers `stats()` but refuses to hand out submissions: statistics must come from counts."""

    def latest(self, *args, **kwargs):
        raise AssertionError("live_stats read submissions instead of asking for counts")

    oldest_after = latest


def test_live_stats_come_from_the_repositorys_counts():
    repo = CountingOnlyRepository()
    for label, version in [(9, "cnn-x"), (9, "cnn-x"), (9, "cnn-y"), (1, "cnn-x"), (2, "cnn-y")]:
        submit_drawing(repo, RECOGNITION, PNG, label, version)
    stats = live_stats(repo)
    assert stats.evaluation.n == 5 and stats.evaluation.accuracy == 0.6
    assert stats.per_digit_count[9] == 3 and stats.per_digit_count[1] == 1
    assert stats.evaluation.per_class[9] == 1.0 and stats.evaluation.per_class[1] == 0.0
    assert stats.evaluation.per_class[0] is None
    assert stats.evaluation.confusion[1][9] == 1
    assert [(v.version, v.n, v.accuracy) for v in stats.per_version] == [
        ("cnn-x", 3, 2 / 3),
        ("cnn-y", 2, 0.5),
    ]


def test_live_stats_of_nothing(repo):
    stats = live_stats(repo)
    assert (stats.evaluation.n, stats.evaluation.accuracy, stats.per_version) == (0, 0.0, ())
