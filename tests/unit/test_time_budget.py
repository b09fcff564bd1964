"""The training time budget: how many epochs fit, judged by the pace of those trained so far."""

import pytest

from digitrec.domain.training import GROWTH_MARGIN, TrainConfig, epochs_within, replanned_epochs


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


def test_a_cut_run_grows_back_when_the_pace_picks_up():
    """The paces of a real run (seed 0 on the 2-core CPU without bf16): its fourth epoch ran slow enough to
    cut it to 14 epochs, the fifth showed that 15 fit after all."""
    assert replanned_epochs(510, 36, 15, 4, 136.1) == 14  # 34.0 s an epoch: 15 would take 510.4 s
    assert replanned_epochs(510, 36, 14, 5, 165.3) == 15  # 33.1 s: 15 take 496 s
    assert replanned_epochs(510, 36, 15, 14, 455.5) == 15  # 32.5 s: a 16th would take 520.6 s


def test_a_run_at_the_edge_of_the_budget_does_not_flip_back_and_forth():
    pace = 510 / 15 * (1 - GROWTH_MARGIN / 2)  # 15 fit, but without the margin
    assert replanned_epochs(510, 36, 15, 5, 5 * pace) == 15  # kept
    assert replanned_epochs(510, 36, 14, 5, 5 * pace) == 14  # not grown back


def test_a_run_never_grows_beyond_its_epochs_and_without_a_budget_never_changes():
    assert replanned_epochs(510, 36, 30, 10, 10.0) == 36
    assert replanned_epochs(None, 36, 36, 10, 1000.0) == 36
    assert replanned_epochs(510, 36, 20, 20, 600.0) == 20  # over budget already: stop now


def test_the_default_budget_leaves_room_within_ten_minutes_for_drawing_and_calibrating():
    assert TrainConfig().time_budget is not None and TrainConfig().time_budget <= 510
