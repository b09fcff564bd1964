"""Inside the shipped model: the explanation's answer is predict()'s, its stages are the network's, and its
saliency picks out the strokes the answer depends on."""

import numpy as np
import pytest

from digitrec.adapters.memory.model_registry import InMemoryModelRegistry
from digitrec.adapters.model_registry import LiveClassifier
from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.torch.model import load_checkpoint, shipped_model_path
from digitrec.domain.preprocessing import preprocess_canvas


@pytest.fixture(scope="module")
def classifier() -> TorchClassifier:
    return TorchClassifier(shipped_model_path())


@pytest.fixture(scope="module")
def mnist_digits(mnist_dir) -> np.ndarray:
    """The first 60 MNIST test digits as the model takes them: (60, 28, 28) floats in [0, 1]."""
    return load_mnist(mnist_dir, download=False).test_images[:60].float().numpy() / 255


def drawn_seven() -> np.ndarray:
    """A 7 drawn on a 280x280 canvas (white on black), preprocessed as the app does."""
    canvas = np.zeros((280, 280), np.uint8)
    canvas[60:80, 70:210] = 255  # the bar
    for row in range(80, 230):  # the stem, slanting left as it goes down
        column = 200 - (row - 80) * 60 // 150
        canvas[row, column - 10 : column + 10] = 255
    return preprocess_canvas(canvas)


def not_a_digit() -> np.ndarray:
    return np.random.default_rng(0).random((28, 28), dtype=np.float32)  # noise all over


def assert_same_prediction(explained, predicted):
    assert explained.digit == predicted.digit and explained.is_digit == predicted.is_digit
    np.testing.assert_allclose(explained.probabilities, predicted.probabilities, rtol=0, atol=1e-6)


def test_the_explanation_answers_as_predict_does(classifier, mnist_digits):
    images = [drawn_seven(), not_a_digit(), *mnist_digits[:20]]
    for image in images:
        assert_same_prediction(classifier.explain(image).prediction, classifier.predict(image))
    assert classifier.explain(drawn_seven()).prediction.digit == 7
    assert not classifier.explain(not_a_digit()).prediction.is_digit  # the refusal comes through too


def test_the_live_classifier_explains_with_the_live_model(classifier, tmp_path):
    live = LiveClassifier(InMemoryModelRegistry(shipped_model_path(), tmp_path))
    image = drawn_seven()
    assert_same_prediction(live.explain(image).prediction, classifier.predict(image))


def test_it_shows_each_stage_of_the_shipped_network(classifier):
    explanation = classifier.explain(drawn_seven())
    c1, c2, c3 = load_checkpoint(shipped_model_path())["architecture"]["kwargs"]["widths"]

    assert [s.name for s in explanation.stages] == [
        f"stage 1 ({c1} x 14x14)",  # the shipped model's first convolution is strided: 28 -> 14
        f"stage 2 ({c2} x 14x14)",
        f"stage 3 ({c3} x 7x7)",
    ]
    assert [s.maps.shape for s in explanation.stages] == [(c1, 14, 14), (c2, 14, 14), (c3, 7, 7)]
    for stage in explanation.stages:
        assert stage.maps.dtype == np.float32 and stage.maps.min() >= 0  # after the ReLU
        assert (stage.maps.reshape(len(stage.maps), -1).max(axis=1) > 0).sum() >= len(stage.maps) // 4
    np.testing.assert_array_equal(explanation.model_input, drawn_seven())


def test_explaining_leaves_the_shared_model_as_it_was(classifier):
    image = drawn_seven()
    before = classifier.predict(image)
    classifier.explain(image)
    assert all(p.grad is None for p in classifier.model.parameters())  # no gradients pile up
    assert not classifier.model.training
    assert_same_prediction(classifier.predict(image), before)


def test_the_saliency_lies_on_the_ink(classifier, mnist_digits):
    for image in [drawn_seven(), *mnist_digits[:10]]:
        saliency = classifier.explain(image).saliency
        assert saliency.shape == (28, 28) and saliency.dtype == np.float32
        assert saliency.max() == pytest.approx(1.0)
        ink = image > 0.1
        near_ink = ink.copy()  # the ink grown by one pixel each way
        near_ink[1:] |= ink[:-1]
        near_ink[:-1] |= ink[1:]
        near_ink[:, 1:] |= ink[:, :-1]
        near_ink[:, :-1] |= ink[:, 1:]
        assert saliency[near_ink].sum() >= 0.95 * saliency.sum()
        assert (saliency[ink] > 0.5).mean() < 0.7  # it picks some strokes, not all the ink alike


def test_erasing_the_most_salient_ink_hurts_the_answer_more_than_erasing_ink_at_random(
    classifier, mnist_digits
):
    """Deletion check: take away 30% of each digit's ink, either where the saliency is highest or at random;
    the model is much less sure of its digit after the first (mean 0.80 against 0.95 when measured)."""
    rng = np.random.default_rng(0)
    salient, random = [], []
    for image in mnist_digits[:50]:
        explanation = classifier.explain(image)
        digit = explanation.prediction.digit
        ink = np.flatnonzero(image.ravel() > 0.3)
        by_saliency = ink[np.argsort(explanation.saliency.ravel()[ink], kind="stable")]
        count = int(0.3 * len(ink))
        for erased, scores in (
            (by_saliency[-count:], salient),
            (rng.choice(ink, count, replace=False), random),
        ):
            damaged = image.copy().ravel()
            damaged[erased] = 0
            scores.append(classifier.predict(damaged.reshape(28, 28)).probabilities[digit])
    assert np.mean(salient) < np.mean(random) - 0.08
