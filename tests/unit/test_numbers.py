"""Segmentation of written numbers and their scoring, with drawn shapes and a fake classifier."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitrec.adapters.files.image_codec import encode_png
from digitrec.adapters.memory.repository import InMemorySubmissionRepository
from digitrec.domain.numbers import edit_distance, read_number, score_numbers, segment
from digitrec.domain.preprocessing import EmptyDrawing, preprocess_canvas
from digitrec.domain.submitting import WrongDigitCount, submit_number
from digitrec.domain.types.predictions import Prediction
from number_drawings import bar, bridged_zeros, five, number, ring


def test_separate_digits_come_left_to_right_with_their_boxes():
    pieces = segment(number([bar(150), ring(150, 100), bar(120)], [40, 25]))
    assert [p.box for p in pieces] == [(30, 40, 44, 190), (84, 40, 184, 190), (209, 40, 223, 160)]


def test_each_piece_is_normalised_as_the_same_digit_drawn_alone():
    pieces = segment(number([ring(150, 100), five()], [30]))
    alone = preprocess_canvas(number([five()], [], left=200))
    np.testing.assert_allclose(pieces[1].model_input, alone, atol=1e-6)


def test_strokes_overlapping_horizontally_are_one_digit_and_specks_are_dropped():
    drawing = number([five(), bar(130)], [40])
    drawing[250:254, 600:604] = 1  # a speck far to the right
    assert len(segment(drawing)) == 2


def test_a_piece_far_too_wide_is_cut_where_the_ink_is_thinnest():
    assert [p.box for p in segment(bridged_zeros())] == [(30, 40, 130, 160), (130, 40, 240, 160)]


def test_the_model_keeps_a_cut_only_when_it_reads_the_parts_more_surely(fake_classifier):
    sure_of_parts = iter([0.5, 0.99, 0.99])  # the whole first, then the parts
    unsure_of_parts = iter([0.99, 0.6, 0.7])

    def answering(confidences):
        def predict_batch(images):
            return [
                Prediction(0, tuple(c if d == 0 else (1 - c) / 9 for d in range(10)))
                for c, _ in zip(confidences, images, strict=False)  # an endless supply of answers
            ]

        return predict_batch

    fake_classifier.predict_batch = answering(sure_of_parts)
    assert read_number(fake_classifier, bridged_zeros()).number == "00"
    fake_classifier.predict_batch = answering(unsure_of_parts)
    assert read_number(fake_classifier, bridged_zeros()).number == "0"


def test_an_empty_drawing_is_refused():
    with pytest.raises(EmptyDrawing):
        segment(np.zeros((280, 700), np.float32))


GLYPHS = [bar(150), ring(140, 95), five(130), bar(100)]


@settings(max_examples=40, deadline=None)
@given(dx=st.integers(-25, 150), dy=st.integers(-35, 90))
def test_moving_the_whole_number_moves_the_boxes_and_changes_nothing_else(dx, dy):
    before = segment(number(GLYPHS, [30, 25, 35]))
    after = segment(number(GLYPHS, [30, 25, 35], left=30 + dx, top=40 + dy))
    assert [tuple(np.add(p.box, (dx, dy, dx, dy))) for p in before] == [p.box for p in after]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_allclose(a.model_input, b.model_input, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(extra=st.lists(st.integers(0, 60), min_size=3, max_size=3))
def test_widening_the_gaps_changes_no_digit(extra):
    before = segment(number(GLYPHS, [30, 25, 35], shape=(280, 900)))
    after = segment(number(GLYPHS, [30 + extra[0], 25 + extra[1], 35 + extra[2]], shape=(280, 900)))
    assert len(before) == len(after) == 4
    for a, b in zip(before, after, strict=True):
        np.testing.assert_allclose(a.model_input, b.model_input, atol=1e-6)


@pytest.mark.parametrize("factor", [2, 3])
def test_scaling_the_number_keeps_its_digits(factor):
    small = number(GLYPHS, [30, 25, 35], left=10, top=10, shape=(170, 470))
    big = np.kron(small, np.ones((factor, factor), np.float32))
    before, after = segment(small), segment(big)
    assert [tuple(factor * np.array(p.box)) for p in before] == [p.box for p in after]
    for a, b in zip(before, after, strict=True):
        assert np.abs(a.model_input - b.model_input).mean() < 0.02


def test_read_number_classifies_every_piece_in_one_batch(fake_classifier):
    calls = []
    original = fake_classifier.predict_batch
    fake_classifier.predict_batch = lambda images: calls.append(len(images)) or original(images)
    reading = read_number(fake_classifier, number(GLYPHS, [30, 25, 35]))
    assert calls == [4] and reading.number == "7777" and reading.all_digits
    assert reading.digits[0].as_dict() == {
        "digit": 7,
        "confidence": 0.91,
        "is_digit": True,
        "box": [30, 40, 44, 190],
    }


def test_scores_count_exact_numbers_digits_and_lengths():
    assert edit_distance("2026", "206") == 1 and edit_distance("42", "42") == 0
    score = score_numbers([("42", "42"), ("2026", "206"), ("123", "723")])
    assert (score.n, score.exact, score.digits, score.digits_right, score.wrong_count) == (3, 1, 9, 7, 1)
    assert score.by_length == {2: (1, 1), 4: (1, 0), 3: (1, 0)}


def test_submit_number_stores_each_digit_once_even_when_retried(fake_classifier):
    repo, reading = InMemorySubmissionRepository(), read_number(fake_classifier, number(GLYPHS[:2], [30]))
    pngs = [encode_png(np.zeros((20, 20), np.uint8))] * 2
    ids = submit_number(repo, reading, pngs, "40", "v1", "visitor01-number01")
    assert ids == [1, 2] and submit_number(repo, reading, pngs, "40", "v1", "visitor01-number01") == [1, 2]
    assert [(s.label, s.number_position, s.submit_token) for s in repo.latest(5)[::-1]] == [
        (4, 0, "visitor01-number01-0"),
        (0, 1, "visitor01-number01-1"),
    ]
    with pytest.raises(WrongDigitCount, match="read as 2 digits"):
        submit_number(repo, reading, pngs, "400", "v1", "visitor01-number02")
