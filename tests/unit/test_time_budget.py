"""The training time budget: how many epochs fit, judged by the pace of those trained so far."""

import pytest

from digitrec.domain.training import TrainConfig, epochs_within


def test_every_epoch_is_trained_when_they_fit_or_there_is_no_budget():
    assert epochs_within(540, 36, 1, 14.0) == 36  # 504 s
    assert epochs_within(540, 36, 2, 30.0) == 36  # exactly the budget
    assert epochs_within(None, 36, 1, 1000.0) == 36


@pytest.mark.parametrize(
    ("done", "seconds", "fitting"),
    [(1, 15.1, 35), (1, 35.0, 15), (4, 140.0, 15), (1, 270.0, 2), (1, 539.0, 1), (1, 5000.0, 1)],
)
def test_a_slow_pace_shortens_the_run_to_the_epochs_that_fit(done, seconds, fitting):
    assert epochs_within(540, 36, done, seconds) == fitting
    assert fitting * seconds / done <= 540 or fitting == done


def test_epochs_already_trained_always_count():
    assert epochs_within(540, 36, 20, 600.0) == 20  # over budget already: stop now, not earlier


def test_the_default_budget_leaves_room_within_ten_minutes_for_drawing_and_calibrating():
    assert TrainConfig().time_budget is not None and TrainConfig().time_budget <= 510
