"""What the trust check reads from a real model: the shipped model's probabilities and embedding."""

import numpy as np

from digitrec.adapters.model_registry import record_from_checkpoint
from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.torch.model import shipped_model_path
from digitrec.adapters.torch.trainer import TorchTrainer


def test_the_parents_probabilities_agree_with_its_answers_and_alike_drawings_lie_near(mnist_dir, tmp_path):
    mnist = load_mnist(mnist_dir, download=False)
    images = mnist.test_images[:200].numpy().astype(np.float32) / 255
    labels = mnist.test_labels[:200].numpy()
    parent = record_from_checkpoint(shipped_model_path())

    probabilities, features = TorchTrainer(mnist_dir, tmp_path).features(parent, images)

    assert probabilities.shape == (200, 10) and features.shape[0] == 200 and features.shape[1] >= 64
    np.testing.assert_allclose(probabilities.sum(1), 1, atol=1e-5)
    answers = [p.digit for p in TorchClassifier(shipped_model_path()).predict_batch(images)]
    assert (probabilities.argmax(1) == np.array(answers)).mean() >= 0.99
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -1)
    nearest = similarity.argmax(1)
    assert (labels[nearest] == labels).mean() > 0.95  # the nearest other drawing is mostly the same digit
