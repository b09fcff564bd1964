"""preprocess_canvas: MNIST's normalisation applied to any drawing (property-based where it can be)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitrec.domain.preprocessing import EmptyDrawing, TooSmallDrawing, check_drawing_size, preprocess_canvas
from digitrec.domain.types.errors import InvalidImage

CANVAS = 280


def render_strokes(points, *, size: float, brush: float, at=(0.0, 0.0), canvas: int = CANVAS) -> np.ndarray:
    """Anti-aliased polyline through `points` (in a unit box) scaled to `size` px, top-left at `at`: a
    light-on-dark uint8 canvas, like streamlit-drawable-canvas draws with white ink on black."""
    yy, xx = np.mgrid[0:canvas, 0:canvas].astype(np.float64) + 0.5
    ink = np.zeros((canvas, canvas))
    pts = [(at[0] + y * size, at[1] + x * size) for y, x in points]
    for (y0, x0), (y1, x1) in zip(pts, pts[1:], strict=False):
        dy, dx = y1 - y0, x1 - x0
        t = np.clip(((yy - y0) * dy + (xx - x0) * dx) / max(dy * dy + dx * dx, 1e-9), 0, 1)
        distance = np.hypot(yy - (y0 + t * dy), xx - (x0 + t * dx))
        ink = np.maximum(ink, np.clip(brush / 2 + 0.5 - distance, 0, 1))
    return (ink * 255).round().astype(np.uint8)


unit_point = st.tuples(st.floats(0, 1), st.floats(0, 1))
# Three to five points spread over the box in both directions, like the strokes of a digit.
strokes = st.lists(unit_point, min_size=3, max_size=5).filter(
    lambda p: np.ptp([q[0] for q in p]) > 0.6 and np.ptp([q[1] for q in p]) > 0.3
)

SEVEN = [(0.0, 0.1), (0.0, 0.9), (1.0, 0.35)]


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


@settings(max_examples=25, deadline=None)
@given(strokes, st.floats(90, 250), st.floats(8, 30))
def test_output_is_a_28x28_image_in_unit_range_with_full_ink(points, size, brush):
    out = preprocess_canvas(render_strokes(points, size=size, brush=brush, at=(10, 10)))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
    rows, cols = np.flatnonzero(out.max(1) > 0.3), np.flatnonzero(out.max(0) > 0.3)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 22  # the 20-px box, give or take the blur


@settings(max_examples=25, deadline=None)
@given(
    strokes,
    st.floats(80, 150),
    st.tuples(st.floats(10, 120), st.floats(10, 120)),
    st.tuples(st.floats(10, 120), st.floats(10, 120)),
)
def test_moving_the_drawing_on_the_canvas_barely_changes_the_result(points, size, here, there):
    a = preprocess_canvas(render_strokes(points, size=size, brush=16, at=here))
    b = preprocess_canvas(render_strokes(points, size=size, brush=16, at=there))
    assert mean_abs_diff(a, b) < 0.03


@settings(max_examples=25, deadline=None)
@given(strokes, st.floats(80, 130), st.floats(1.3, 2.0))
def test_drawing_larger_barely_changes_the_result(points, size, factor):
    small = preprocess_canvas(render_strokes(points, size=size, brush=size / 8, at=(20, 20)))
    large = preprocess_canvas(
        render_strokes(points, size=size * factor, brush=size * factor / 8, at=(20, 20))
    )
    assert mean_abs_diff(small, large) < 0.04


@settings(max_examples=20, deadline=None)
@given(strokes, st.floats(80, 250))
def test_dark_on_light_gives_the_same_result_as_light_on_dark(points, size):
    light_on_dark = render_strokes(points, size=size, brush=18, at=(12, 12))
    dark_on_light = 255 - light_on_dark
    np.testing.assert_allclose(preprocess_canvas(dark_on_light), preprocess_canvas(light_on_dark), atol=1e-5)


def test_the_canvas_component_rgba_forms_agree_with_grayscale():
    gray = render_strokes(SEVEN, size=200, brush=20, at=(40, 40))
    expected = preprocess_canvas(gray)
    opaque = np.dstack([gray, gray, gray, np.full_like(gray, 255)])  # white ink on an opaque black background
    transparent = np.dstack([np.full_like(gray, 255)] * 3 + [gray])  # white ink, background alpha 0
    black_ink = np.dstack([np.zeros_like(gray)] * 3 + [gray])  # black ink on a transparent background
    on_paper = np.dstack([255 - gray] * 3)  # black pen on white RGB paper
    for image in (opaque, transparent, black_ink, on_paper):
        np.testing.assert_allclose(preprocess_canvas(image), expected, atol=1e-5)


def test_float_images_in_unit_range_are_understood():
    gray = render_strokes(SEVEN, size=150, brush=14)
    np.testing.assert_allclose(preprocess_canvas(gray / 255.0), preprocess_canvas(gray), atol=1e-5)


def test_a_tiny_drawing_is_scaled_up_to_the_box():
    out = preprocess_canvas(render_strokes(SEVEN, size=12, brush=2, at=(100, 100)))
    rows = np.flatnonzero(out.max(1) > 0.3)
    assert rows[-1] - rows[0] + 1 >= 18


def test_the_centre_of_mass_lands_where_mnist_puts_it():
    out = preprocess_canvas(render_strokes(SEVEN, size=200, brush=20, at=(70, 0)))
    total = out.sum()
    cy, cx = out.sum(1) @ np.arange(28) / total, out.sum(0) @ np.arange(28) / total
    assert cy == pytest.approx(14, abs=0.35) and cx == pytest.approx(14, abs=0.35)


def test_faint_noise_is_not_ink():
    rng = np.random.default_rng(0)
    canvas = render_strokes(SEVEN, size=150, brush=16, at=(60, 60)).astype(np.int16)
    noisy = np.clip(canvas + rng.integers(0, 30, canvas.shape), 0, 255).astype(np.uint8)
    assert mean_abs_diff(preprocess_canvas(noisy), preprocess_canvas(canvas.astype(np.uint8))) < 0.02


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((280, 280), np.uint8),
        np.full((280, 280, 4), 255, np.uint8),
        np.zeros((280, 280, 4), np.uint8),
        np.pad(np.full((1, 2), 255, np.uint8), 139),  # a stray click
    ],
)
def test_an_empty_canvas_is_refused_with_a_clear_message(canvas):
    with pytest.raises(EmptyDrawing, match="draw a digit"):
        preprocess_canvas(canvas)


@pytest.mark.parametrize(
    "array", [np.zeros((5,)), np.zeros((2, 2, 2)), np.zeros((0, 10)), np.zeros((5000, 5000), np.uint8)]
)
def test_arrays_that_are_not_images_are_refused(array):
    with pytest.raises(InvalidImage):
        preprocess_canvas(array)


ONE = [(0.0, 0.5), (1.0, 0.5)]
EIGHT = [(0.0, 0.5), (0.25, 0.1), (0.5, 0.5), (0.75, 0.9), (1.0, 0.5), (0.75, 0.1), (0.5, 0.5), (0.25, 0.9)]


@pytest.mark.parametrize(
    ("points", "size", "brush", "message"),
    [
        ([(0.5, 0.5), (0.5, 0.5)], 1, 20, "too small"),  # a tap: a disc as wide as the brush
        ([(0.5, 0.5), (0.5, 0.5)], 1, 40, "dot or a blob"),
        (SEVEN, 3, 3, "too small"),  # a 3-pixel scribble
        (EIGHT, 20, 5, "too small"),
        (EIGHT, 40, 30, "dot or a blob"),  # an 8 whose loops the brush fills in
    ],
)
def test_a_dot_or_a_tiny_scribble_is_too_small_to_read(points, size, brush, message):
    canvas = render_strokes(points, size=size, brush=brush, at=(100.0, 100.0))

    with pytest.raises(TooSmallDrawing, match=message):
        check_drawing_size(canvas)


def test_a_30_pixel_scribble_with_the_default_brush_is_a_blob():
    rng = np.random.default_rng(3)
    for _ in range(20):  # what a visitor does to test the app: scribbles a small blob
        scribble = [tuple(point) for point in rng.uniform(0, 1, (int(rng.integers(4, 20)), 2))]
        with pytest.raises(TooSmallDrawing, match="dot or a blob, not strokes"):
            check_drawing_size(render_strokes(scribble, size=25, brush=20, at=(120.0, 120.0)))


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([ONE, SEVEN, EIGHT]), st.floats(60, 250), st.floats(5, 20))
def test_digits_drawn_at_any_reasonable_size_and_brush_pass_the_size_check(points, size, brush):
    check_drawing_size(render_strokes(points, size=size, brush=brush, at=(10.0, 10.0)))


def test_a_dense_scribble_over_the_canvas_is_no_blob_but_left_to_the_model():
    zigzag = [(0.05 * i, float(i % 2)) for i in range(21)]
    check_drawing_size(render_strokes(zigzag, size=240, brush=25, at=(20.0, 20.0)))


def test_the_size_check_finds_an_empty_canvas_empty():
    with pytest.raises(EmptyDrawing):
        check_drawing_size(np.zeros((CANVAS, CANVAS), np.uint8))
