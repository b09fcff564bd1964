"""The inside of a prediction as the domain holds it, and the pictures made of it (numpy only)."""

import numpy as np
import pytest

from digitrec.domain.types.explanations import (
    GAP,
    WARM,
    Explanation,
    FeatureMaps,
    feature_grid,
    normalised,
    saliency_overlay,
)
from digitrec.domain.types.predictions import Prediction


def explanation(probabilities, saliency=None) -> Explanation:
    image = np.zeros((28, 28), np.float32)
    return Explanation(
        model_input=image,
        stages=(FeatureMaps("stage 1 (2 x 14x14)", np.zeros((2, 14, 14), np.float32)),),
        saliency=image if saliency is None else saliency,
        prediction=Prediction.from_probabilities(probabilities),
    )


def test_top_gives_the_likeliest_digits_best_first_with_their_probabilities():
    probabilities = [0.01, 0.05, 0.6, 0.01, 0.01, 0.01, 0.01, 0.25, 0.04, 0.01]
    assert explanation(probabilities).top() == [(2, 0.6), (7, 0.25), (1, 0.05)]
    assert explanation(probabilities).top(k=1) == [(2, 0.6)]
    assert [d for d, _ in explanation(probabilities).top(k=10)] == [2, 7, 1, 8, 0, 3, 4, 5, 6, 9]


def test_top_breaks_a_tie_by_the_lower_digit():
    probabilities = [0.02] * 10
    probabilities[6], probabilities[3], probabilities[8] = 0.32, 0.27, 0.27
    assert explanation(probabilities).top() == [(6, 0.32), (3, 0.27), (8, 0.27)]


@pytest.mark.parametrize(
    "saliency", [np.full((28, 28), 1.5, np.float32), np.full((28, 28), -0.1, np.float32), np.zeros((14, 14))]
)
def test_an_explanation_refuses_a_saliency_outside_0_1_or_of_another_shape(saliency):
    with pytest.raises(ValueError):
        explanation([0.1] * 10, saliency=saliency)


def test_feature_maps_must_be_channels_by_height_by_width():
    with pytest.raises(ValueError):
        FeatureMaps("flat", np.zeros((14, 14)))


def test_feature_grid_tiles_the_maps_row_by_row_with_one_pixel_gaps():
    maps = np.stack([np.full((3, 4), 10.0 * i) for i in range(5)])
    maps[:, 0, 0] -= (
        2.0  # each map spans [10i - 2, 10i + 2]: stretched, 0 in its corner, 1 at (2, 3), 0.5 elsewhere
    )
    maps[:, 2, 3] += 2.0
    grid = feature_grid(maps, columns=2)

    assert grid.shape == (3 * 3 + 2, 2 * 4 + 1)  # 3 rows of 3-high maps, 2 columns of 4-wide ones
    assert grid.min() >= 0 and grid.max() <= 1
    expected = np.full((3, 4), 0.5, np.float32)
    expected[0, 0], expected[2, 3] = 0.0, 1.0
    for index in range(5):
        top, left = (index // 2) * 4, (index % 2) * 5
        np.testing.assert_allclose(grid[top : top + 3, left : left + 4], expected)
    gap = np.float32(GAP)
    assert np.all(grid[3, :] == gap) and np.all(grid[7, :] == gap) and np.all(grid[:, 4] == gap)
    assert np.all(grid[8:, 5:] == gap)  # the last row has one map: grey where a second would be


def test_feature_grid_stretches_each_map_on_its_own():
    weak, strong = np.zeros((2, 2)), np.zeros((2, 2))
    weak[0, 0], strong[1, 1] = 0.01, 500.0
    grid = feature_grid(np.stack([weak, strong]), columns=8)  # more columns than maps: one row

    assert grid.shape == (2, 5)
    assert grid[0, 0] == 1.0 and grid[1, 4] == 1.0  # each map's strongest pixel is white
    assert np.all(grid[:, 2] == np.float32(GAP))


def test_a_map_that_never_fires_is_black_not_nan():
    grid = feature_grid(np.zeros((1, 5, 5)), columns=1)
    assert grid.shape == (5, 5) and np.all(grid == 0)
    assert np.all(normalised(np.full((3, 3), 7.0)) == 0)


@pytest.mark.parametrize(
    "maps, columns", [(np.zeros((0, 3, 3)), 2), (np.zeros((3, 3)), 2), (np.zeros((2, 3, 3)), 0)]
)
def test_feature_grid_refuses_what_is_no_stack_of_maps(maps, columns):
    with pytest.raises(ValueError):
        feature_grid(maps, columns)


def test_the_overlay_shows_the_ink_in_grey_and_the_salient_pixels_in_the_warm_colour():
    image = np.zeros((28, 28), np.float32)
    image[5:20, 10:14] = 1.0
    saliency = np.zeros((28, 28), np.float32)
    saliency[5:8, 10:14] = 1.0  # the top of the stroke drove the answer
    saliency[8:10, 10:14] = 0.5
    rgb = saliency_overlay(image, saliency)

    assert rgb.shape == (28, 28, 3) and rgb.min() >= 0 and rgb.max() <= 1
    assert np.all(rgb[0, 0] == 0)  # background stays black
    ink = rgb[15, 12]
    assert ink[0] == ink[1] == ink[2] > 0.3  # ink that did not matter is grey
    assert np.allclose(rgb[6, 12], WARM)  # fully salient: the warm colour itself
    half = rgb[9, 12]
    assert half[0] > half[1] > half[2]  # half salient: warm tinted grey
    assert np.allclose(half, (ink + WARM) / 2)


def test_the_overlay_needs_two_images_of_one_shape():
    with pytest.raises(ValueError):
        saliency_overlay(np.zeros((28, 28)), np.zeros((14, 14)))
