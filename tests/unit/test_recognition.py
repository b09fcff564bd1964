from dataclasses import replace

import numpy as np
import pytest

from digitrec.domain.recognition import evaluate, recognise, score
from digitrec.domain.types.errors import InvalidImage
from digitrec.domain.types.records import LabelledImage


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


def blob(size=280):
    """A filled square: not a digit."""
    canvas = np.zeros((size, size), np.uint8)
    canvas[40:240, 40:240] = 255
    return canvas


class RefusesBlobs:
    """Wraps a fake classifier: an input mostly inked (a filled square) is not a digit, anything else is."""

    def __init__(self, classifier):
        self.classifier = classifier

    def predict_batch(self, images):
        predictions = self.classifier.predict_batch(images)
        return [
            replace(prediction, is_digit=bool(image.mean() < 0.3))
            for prediction, image in zip(predictions, images, strict=True)
        ]


def test_evaluate_counts_refused_digits_and_refused_non_digits(fake_classifier):
    def unreadable():
        raise InvalidImage("not a readable image")

    digits = [(7, bar), (7, bar), (7, blob), (1, blob)]  # the fake's best guess is always 7
    non_digits = [blob, blob, blob, bar]
    items = [LabelledImage(i + 2, f"d{i}.png", label, load) for i, (label, load) in enumerate(digits)]
    items += [LabelledImage(i + 6, f"n{i}.png", None, load) for i, load in enumerate(non_digits)]
    items += [LabelledImage(10, "bad.png", None, unreadable)]
    report, problems = evaluate(RefusesBlobs(fake_classifier), items, batch_size=3)
    assert report.n == 4 and report.refused == 2
    assert report.accuracy == pytest.approx(3 / 4)  # the best guess counts, refused or not
    assert report.confusion[7][7] == 3 and report.confusion[1][7] == 1
    assert sum(map(sum, report.confusion)) == 4  # rows labelled none are not in the confusion matrix
    assert report.non_digits == 4 and report.non_digits_refused == 3
    assert [p.line for p in problems] == [10]
    as_dict = report.as_dict()
    assert as_dict["n"] == 4 and as_dict["accuracy"] == pytest.approx(0.75)
    assert (as_dict["refused"], as_dict["non_digits"], as_dict["non_digits_refused"]) == (2, 4, 3)


def test_a_folder_of_only_non_digits_has_no_accuracy_and_no_division_by_zero(fake_classifier):
    refusing = RefusesBlobs(fake_classifier)
    items = [LabelledImage(i + 2, f"{i}.png", None, load) for i, load in enumerate([blob, blob, bar])]
    report, problems = evaluate(refusing, items)
    assert problems == [] and report.n == 0 and report.refused == 0
    assert report.non_digits == 3 and report.non_digits_refused == 2
    assert all(acc is None for acc in report.per_class.values())
    assert report.as_dict()["accuracy"] is None and report.as_dict()["n"] == 0
