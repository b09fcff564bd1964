import struct
import zlib

import numpy as np
import pytest

from digitrec.adapters.files.image_codec import encode_png
from digitrec.domain.types.errors import InvalidImage, InvalidLabel
from digitrec.domain.types.predictions import Prediction, validate_label
from digitrec.domain.types.submissions import MAX_IMAGE_BYTES, Submission

PNG = encode_png(np.zeros((28, 28), np.uint8))


def probabilities_for(digit: int, confidence: float = 0.91) -> list[float]:
    rest = (1 - confidence) / 9
    return [confidence if d == digit else rest for d in range(10)]


def test_prediction_picks_the_most_probable_digit():
    prediction = Prediction.from_probabilities(probabilities_for(7))
    assert prediction.digit == 7
    assert prediction.confidence == pytest.approx(0.91)
    assert len(prediction.probabilities) == 10


def test_a_prediction_is_a_digit_unless_the_classifier_says_otherwise():
    assert Prediction.from_probabilities(probabilities_for(7)).is_digit is True
    refused = Prediction.from_probabilities(probabilities_for(4, 0.38), is_digit=False)
    assert refused.is_digit is False
    assert refused.digit == 4 and refused.confidence == pytest.approx(0.38)  # still the best guess
    assert Prediction(4, tuple(probabilities_for(4)), is_digit=np.bool_(False)).is_digit is False


@pytest.mark.parametrize("is_digit", [0, 1, "no", None, 0.0])
def test_is_digit_must_be_true_or_false(is_digit):
    with pytest.raises(ValueError, match="is_digit must be True or False"):
        Prediction(digit=4, probabilities=tuple(probabilities_for(4)), is_digit=is_digit)


@pytest.mark.parametrize(
    ("probabilities", "message"),
    [
        ([0.1] * 9, "expected 10 probabilities, got 9"),
        ([0.05] * 11 + [0.45], "expected 10 probabilities, got 12"),
        ([0.2] * 10, "must sum to 1"),
        ([1.5] + [-0.5] + [0.0] * 8, "finite and non-negative"),
        ([float("nan")] * 10, "finite and non-negative"),
        ([float("inf")] + [0.0] * 9, "finite and non-negative"),
    ],
)
def test_prediction_rejects_what_is_not_a_distribution_over_ten_digits(probabilities, message):
    with pytest.raises(ValueError, match=message):
        Prediction(digit=0, probabilities=tuple(probabilities))


@pytest.mark.parametrize("label", [0, 5, 9, np.int64(3)])
def test_labels_0_to_9_are_accepted(label):
    assert validate_label(label) == int(label)


@pytest.mark.parametrize("label", [-1, 10, 3.0, "3", None, True])
def test_anything_else_is_not_a_label(label):
    with pytest.raises(InvalidLabel, match="0-9"):
        validate_label(label)


def make_submission(**overrides):
    fields = dict(
        image_png=PNG,
        model_input=np.zeros((28, 28)),
        prediction=Prediction.from_probabilities(probabilities_for(3)),
        label=3,
        model_version="v1",
    )
    return Submission(**(fields | overrides))


def test_submission_knows_whether_the_model_was_right():
    assert make_submission(label=3).correct
    assert not make_submission(label=8).correct


def test_submission_stores_its_input_as_float32():
    assert make_submission().model_input.dtype == np.float32
    assert make_submission().created_at.tzinfo is not None


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header claims width x height pixels (a decompression bomb when that is huge)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + PNG[33:]


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"label": 12}, InvalidLabel, "digit 0-9, got 12"),
        ({"image_png": b""}, InvalidImage, "needs the drawing's image"),
        ({"image_png": "not bytes"}, InvalidImage, "as PNG bytes"),
        ({"image_png": b"GIF89a" + bytes(40)}, InvalidImage, "not a PNG"),
        ({"image_png": PNG[:20]}, InvalidImage, "not a PNG"),
        ({"image_png": PNG + bytes(MAX_IMAGE_BYTES)}, InvalidImage, "MB; the limit is 8 MB"),
        ({"image_png": png_declaring(100_000, 100_000)}, InvalidImage, "100000x100000 pixels; at most"),
        ({"image_png": png_declaring(0, 28)}, InvalidImage, "0x28 pixels"),
        ({"model_input": np.zeros((20, 20))}, InvalidImage, "must be 28x28"),
        ({"model_input": np.full((28, 28), 2.0)}, InvalidImage, r"values in \[0, 1\]"),
        ({"model_input": np.full((28, 28), np.nan)}, InvalidImage, r"values in \[0, 1\]"),
        ({"model_version": ""}, ValueError, "1-100 characters"),
        ({"submit_token": "short"}, ValueError, "8-64 letters"),
        ({"submit_token": "x" * 65}, ValueError, "8-64 letters"),
        ({"submit_token": "'; DROP TABLE submissions; --"}, ValueError, "8-64 letters"),
        ({"submit_token": 12345678}, ValueError, "8-64 letters"),
        ({"model_version": "v" * 101}, ValueError, "1-100 characters"),
    ],
)
def test_submission_refuses_bad_fields_saying_what_is_wrong(overrides, error, message):
    with pytest.raises(error, match=message):
        make_submission(**overrides)


def test_a_png_of_a_sane_size_is_accepted_and_hashed():
    submission = make_submission(image_png=png_declaring(4096, 4096))
    assert len(submission.image_sha256) == 64
    assert submission.image_sha256 == make_submission(image_png=png_declaring(4096, 4096)).image_sha256
