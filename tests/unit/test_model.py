import numpy as np
import pytest

from digitrec.domain.model import InvalidImage, InvalidLabel, Prediction, Submission, validate_label


def probabilities_for(digit: int, confidence: float = 0.91) -> list[float]:
    rest = (1 - confidence) / 9
    return [confidence if d == digit else rest for d in range(10)]


def test_prediction_picks_the_most_probable_digit():
    prediction = Prediction.from_probabilities(probabilities_for(7))
    assert prediction.digit == 7
    assert prediction.confidence == pytest.approx(0.91)
    assert len(prediction.probabilities) == 10


@pytest.mark.parametrize(
    "probabilities", [[0.1] * 9, [0.2] * 10, [1.5] + [-0.5] + [0.0] * 8, [float("nan")] * 10]
)
def test_prediction_rejects_what_is_not_a_distribution_over_ten_digits(probabilities):
    with pytest.raises(ValueError):
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
        image_png=b"\x89PNG...",
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


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"label": 12}, InvalidLabel),
        ({"image_png": b""}, InvalidImage),
        ({"model_input": np.zeros((20, 20))}, InvalidImage),
    ],
)
def test_submission_refuses_bad_fields(overrides, error):
    with pytest.raises(error):
        make_submission(**overrides)
