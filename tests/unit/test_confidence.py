"""Temperature scaling, calibration error, reliability bins and ROC curves (domain, numpy only)."""

import numpy as np
import pytest

from digitrec.domain.confidence import (
    area_under,
    expected_calibration_error,
    fit_temperature,
    reliability,
    roc_curve,
    softmax,
    thin_out,
    threshold_refusing,
)


def test_softmax_rows_sum_to_one_and_temperature_flattens_them():
    logits = np.array([[4.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    sharp, flat = softmax(logits), softmax(logits, temperature=3.0)
    assert np.allclose(sharp.sum(1), 1) and np.allclose(flat.sum(1), 1)
    assert flat[0].max() < sharp[0].max()
    assert np.allclose(sharp[1], 1 / 3)


def test_fit_temperature_recovers_the_temperature_that_generated_the_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, (20_000, 10))
    true_temperature = 2.0
    probabilities = softmax(logits, true_temperature)
    labels = np.array([rng.choice(10, p=p) for p in probabilities])
    assert fit_temperature(logits, labels) == pytest.approx(true_temperature, rel=0.05)


def test_a_calibrated_model_has_a_small_error_and_an_overconfident_one_a_large_one():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.5, 1.0, 50_000)
    honest = rng.random(50_000) < confidence
    assert expected_calibration_error(confidence, honest) < 0.01
    overconfident = rng.random(50_000) < confidence - 0.2
    assert expected_calibration_error(confidence, overconfident) == pytest.approx(0.2, abs=0.01)


def test_reliability_bins_count_every_answer_once():
    confidence = np.array([0.05, 0.55, 0.56, 0.99, 1.0])
    correct = np.array([0, 1, 0, 1, 1])
    table = reliability(confidence, correct, bins=10)
    assert sum(n for _, _, n in table) == 5
    assert table[-1] == (pytest.approx(0.995), 1.0, 2)  # 1.0 goes in the last bin
    assert (pytest.approx(0.555), 0.5, 2) in table


def test_roc_of_perfectly_separated_scores_has_area_one_and_of_equal_scores_one_half():
    perfect = roc_curve(np.array([0.9, 0.8, 0.7]), np.array([0.1, 0.2]))
    assert perfect[0] == (0.0, 0.0) and perfect[-1] == (1.0, 1.0)
    assert area_under(perfect) == pytest.approx(1.0)
    rng = np.random.default_rng(2)
    same = roc_curve(rng.random(5000), rng.random(5000))
    assert area_under(same) == pytest.approx(0.5, abs=0.02)


def test_the_threshold_refuses_the_asked_share_and_thinning_keeps_the_ends():
    scores = np.linspace(0, 1, 10_001)
    threshold = threshold_refusing(scores, 0.01)
    assert np.mean(scores > threshold) == pytest.approx(0.01, abs=1e-3)
    curve = [(i / 999, (i / 999) ** 0.5) for i in range(1000)]
    thinned = thin_out(curve, points=50)
    assert len(thinned) <= 50 and thinned[0] == curve[0] and thinned[-1] == curve[-1]
    assert area_under(list(thinned)) == pytest.approx(area_under(curve), abs=0.01)
