from digitrec.domain.curves import fit_diagnosis, kept_epoch, per_digit_accuracy
from digitrec.domain.types.training import EpochMetrics


def curves(train, val, accuracy=0.99):
    return [
        EpochMetrics(n + 1, n, t, v, accuracy, accuracy)
        for n, (t, v) in enumerate(zip(train, val, strict=True))
    ]


def test_a_run_keeps_its_last_epoch_when_it_ends_near_its_lowest_validation_loss():
    """The validation losses of a real default run (seed 0): epoch 13 was lower in the fifth decimal, and
    its accuracy higher, but the last epoch is where the schedule annealed."""
    val = [0.0619, 0.0584, 0.0316, 0.0303, 0.0301, 0.0251, 0.0287, 0.0266, 0.0212, 0.0226, 0.0246, 0.0178]
    val += [0.01648, 0.0170, 0.01652]
    assert kept_epoch(curves([0.1] * len(val), val)) == 15


def test_a_run_whose_validation_loss_ended_well_above_its_lowest_keeps_the_lowest():
    assert kept_epoch(curves([0.3, 0.2, 0.1, 0.05], [0.05, 0.03, 0.04, 0.06])) == 2
    assert kept_epoch(curves([0.3, 0.2, 0.1], [0.05, 0.03, 0.0325])) == 3  # within 10% of the lowest
    assert kept_epoch(curves([0.3, 0.2, 0.1, 0.05], [0.05, 0.03, 0.03, 0.05])) == 3  # a tie: the later
    assert kept_epoch(curves([0.3], [0.05])) == 1


def test_rising_validation_loss_with_falling_training_loss_is_over_fitting():
    sentence = fit_diagnosis(curves([0.5, 0.2, 0.1, 0.05, 0.02], [0.10, 0.06, 0.05, 0.07, 0.09]))
    assert sentence.startswith("Over-fitting") and "0.0500 (epoch 3)" in sentence


def test_losses_still_falling_fast_or_low_accuracy_is_under_fitting():
    assert fit_diagnosis(curves([0.9, 0.6, 0.4], [0.5, 0.3, 0.2])).startswith("Under-fitting: both losses")
    low = fit_diagnosis(curves([0.30, 0.30, 0.30], [0.2, 0.2, 0.2], accuracy=0.9))
    assert low.startswith("Under-fitting: validation accuracy is only 90.00%")


def test_settled_curves_are_neither():
    sentence = fit_diagnosis(curves([0.3, 0.1, 0.09, 0.088], [0.05, 0.03, 0.029, 0.0295]))
    assert sentence.startswith("Neither") and "epoch 3" in sentence
    # a small wobble of validation loss is not over-fitting
    assert fit_diagnosis(curves([0.3, 0.1, 0.09, 0.089], [0.05, 0.03, 0.031, 0.032])).startswith("Neither")


def test_one_epoch_cannot_tell():
    assert fit_diagnosis(curves([0.3], [0.1])).startswith("One epoch is too few")


def test_per_digit_accuracy_is_the_diagonal_over_each_row():
    confusion = [[0] * 10 for _ in range(10)]
    confusion[0][0], confusion[0][6], confusion[1][1] = 3, 1, 5
    assert per_digit_accuracy(confusion)[:3] == [0.75, 1.0, None]
