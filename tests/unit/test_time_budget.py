"""The training time budget: how many epochs fit, judged by the pace of those trained so far; and which
network a run trains, judged by the pace measured before it."""

import pytest

from digitrec.domain.types.training import (
    NETWORK_WIDTHS,
    REPLAN_MARGIN,
    WIDER_MIN_EPOCHS,
    TrainConfig,
    chosen_widths,
    epochs_within,
    replanned_epochs,
)


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


def test_a_cut_run_grows_back_when_the_pace_picks_up_and_keeps_its_epochs_through_small_slowdowns():
    """The paces of a real run (seed 0 on the 2-core CPU without bf16): a slow first epoch cut it to 16
    epochs; after 8, the pace showed that 17 fit; after 14 epochs it ran 30.1 s an epoch, so 17 would take
    511 s. That is 0.2% over the budget, within the margin: the run keeps 17 (it used to be cut back to 16,
    squeezing the end of its learning-rate schedule)."""
    assert replanned_epochs(510, 36, 36, 1, 30.8) == 16
    assert replanned_epochs(510, 36, 16, 8, 233.9) == 17  # 29.2 s an epoch: 17 take 497 s
    assert replanned_epochs(510, 36, 17, 14, 420.8) == 17


def test_a_run_at_the_edge_of_the_budget_does_not_flip_back_and_forth():
    """Epochs vary by a few per cent: the plan changes only when the pace moves by more than the margin."""
    edge = 510 / 15  # the pace at which 15 epochs take exactly the budget
    assert replanned_epochs(510, 36, 15, 5, 5 * edge * (1 - REPLAN_MARGIN / 2)) == 15  # 16 do not fit
    assert replanned_epochs(510, 36, 14, 5, 5 * edge * (1 - REPLAN_MARGIN / 2)) == 14  # not grown back
    assert replanned_epochs(510, 36, 15, 5, 5 * edge * (1 + REPLAN_MARGIN / 2)) == 15  # not cut
    assert replanned_epochs(510, 36, 15, 5, 5 * edge * (1 + 2 * REPLAN_MARGIN)) == 14  # cut to what fits


def test_a_run_never_grows_beyond_its_epochs_and_without_a_budget_never_changes():
    assert replanned_epochs(510, 36, 30, 10, 10.0) == 36
    assert replanned_epochs(None, 36, 36, 10, 1000.0) == 36
    assert replanned_epochs(510, 36, 20, 20, 600.0) == 20  # over budget already: stop now


def test_the_default_budget_leaves_room_within_ten_minutes_for_drawing_and_calibrating():
    assert TrainConfig().time_budget is not None and TrainConfig().time_budget <= 510


def refusing_pace(widths):
    raise AssertionError(f"the pace of {widths} was measured, but nothing depended on it")


def test_without_a_budget_or_with_few_epochs_a_run_trains_the_narrowest_network_without_measuring():
    narrowest = NETWORK_WIDTHS[0]
    assert chosen_widths(None, 36, refusing_pace) == narrowest
    assert (
        chosen_widths(510, WIDER_MIN_EPOCHS - 1, refusing_pace) == narrowest
    )  # the quick recipe stays quick


def test_the_wider_network_is_chosen_only_when_enough_of_its_epochs_fit_the_budget():
    widest = NETWORK_WIDTHS[-1]
    measured = []

    def pace(seconds):
        def of(widths):
            measured.append(widths)
            return seconds

        return of

    edge = 510 / WIDER_MIN_EPOCHS  # the pace at which exactly the minimum of epochs fits
    assert chosen_widths(510, 36, pace(edge)) == widest
    assert chosen_widths(510, 36, pace(17.0)) == widest  # a 2-core CPU with bf16: 30 epochs fit
    assert chosen_widths(510, 36, pace(edge * 1.01)) == NETWORK_WIDTHS[0]
    assert chosen_widths(510, 36, pace(70.0)) == NETWORK_WIDTHS[0]  # one without: 7 would
    assert set(measured) == {widest}  # the narrowest, the fallback, is never measured
    assert TrainConfig().widths is None  # the default run chooses
