import numpy as np
import pytest

from digitrec.domain.model import InvalidImage
from digitrec.domain.recognition import LabelledImage, evaluate, recognise, score


def bar(size=280):
    canvas = np.zeros((size, size), np.uint8)
    canvas[60:220, 120:150] = 255
    return canvas


def test_score_counts_a_confusion_matrix():
    report = score([1, 1, 2, 3], [1, 7, 2, 2])
    assert report.n == 4 and report.accuracy == 0.5
    assert report.per_class[1] == 0.5 and report.per_class[2] == 1.0 and report.per_class[3] == 0.0
    assert report.per_class[0] is None
    assert (
        report.confusion[1][7] == 1 and report.confusion[3][2] == 1 and sum(map(sum, report.confusion)) == 4
    )


def test_score_of_nothing_is_empty_not_an_error():
    assert score([], []).n == 0 and score([], []).accuracy == 0.0


def test_recognise_shows_the_model_the_normalised_drawing(fake_classifier):
    result = recognise(fake_classifier, bar())
    assert result.prediction.digit == 7
    assert result.model_input.shape == (28, 28)
    np.testing.assert_array_equal(fake_classifier.seen[0], result.model_input)


def test_evaluate_goes_past_unreadable_and_empty_images_in_batches(fake_classifier):
    def unreadable():
        raise InvalidImage("not a readable image")

    items = [LabelledImage(i + 2, f"{i}.png", 7 if i % 2 else 1, bar) for i in range(7)]
    items += [
        LabelledImage(9, "bad.png", 7, unreadable),
        LabelledImage(10, "blank.png", 7, lambda: np.zeros((9, 9))),
    ]
    progress = []
    report, problems = evaluate(fake_classifier, items, batch_size=4, on_progress=progress.append)
    assert report.n == 7 and report.accuracy == pytest.approx(3 / 7)
    assert [(p.line, p.name) for p in problems] == [(9, "bad.png"), (10, "blank.png")]
    assert "empty" in problems[1].message
    assert progress == [4, 4, 1]
