"""The training time budget: how many epochs fit, judged by the first one."""

import pytest

from digitrec.domain.training import TrainConfig, epochs_within


def test_every_epoch_is_trained_when_they_fit_or_there_is_no_budget():
    assert epochs_within(540, 36, 14.0) == 36  # 504 s
    assert epochs_within(540, 36, 15.0) == 36  # exactly the budget
    assert epochs_within(None, 36, 1000.0) == 36


@pytest.mark.parametrize(
    ("first_epoch_seconds", "fitting"),
    [(15.1, 35), (35.0, 15), (270.0, 2), (539.0, 1), (5000.0, 1)],
)
def test_a_slow_first_epoch_shortens_the_run_to_the_epochs_that_fit(first_epoch_seconds, fitting):
    assert epochs_within(540, 36, first_epoch_seconds) == fitting
    assert fitting * first_epoch_seconds <= 540 or fitting == 1  # the one already trained always counts


def test_the_default_budget_leaves_room_within_ten_minutes_for_drawing_and_calibrating():
    assert TrainConfig().time_budget is not None and TrainConfig().time_budget <= 540
