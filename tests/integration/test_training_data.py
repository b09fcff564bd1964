"""What training is fed: the batch augmentation ends in the app's own normalisation, and the synthetic
digits and non-digits are well-formed, balanced and reproducible."""

from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter

from digitrec.adapters.drawing.canvas_drawings import dilated
from digitrec.adapters.drawing.pen import draw_strokes
from digitrec.adapters.drawing.synthetic_digits import DIGIT_STYLES, stretched_to_square, synthetic_digits
from digitrec.adapters.drawing.synthetic_letters import LETTER_STROKES
from digitrec.adapters.drawing.synthetic_non_digits import DOODLES, closed_polygon, synthetic_non_digits
from digitrec.adapters.torch import training_data
from digitrec.adapters.torch.augment import (
    TRAINING,
    Augmentation,
    augment_batch,
    low_resolution,
    normalise,
)
from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.torch.trainer import TorchTrainer
from digitrec.adapters.torch.training_data import DrawnSets, Mixture
from digitrec.adapters.torch.training_loop import batches
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.training import FineTuneConfig, TrainConfig


@pytest.fixture(scope="module")
def digits(mnist_dir):
    mnist = load_mnist(mnist_dir, download=False)
    return mnist.test_images[:256].float()[:, None] / 255


def test_batch_normalisation_is_preprocess_canvas(digits):
    ours = normalise(digits)[:, 0].numpy()
    app = np.stack([preprocess_canvas(image) for image in digits[:, 0].numpy()])
    assert np.abs(ours - app).max() < 1e-4


def test_augmented_images_are_already_normalised_as_the_app_would(digits):
    """Whatever the augmentation does, the network sees what preprocess_canvas would make of it."""
    out = augment_batch(digits, torch.Generator().manual_seed(0))
    assert out.shape == digits.shape and 0 <= out.min() and out.max() <= 1
    again = np.stack([preprocess_canvas(image) for image in out[:, 0].numpy()])
    assert np.abs(again - out[:, 0].numpy()).mean() < 0.02
    assert (out - digits).abs().mean() > 0.05  # and it did change them


def test_training_leaves_a_share_of_the_images_as_they_came(digits):
    """MNIST's own form stays in the training diet: about `untouched` of a batch comes back unchanged, drawn
    afresh for every batch, and the rest is changed."""
    out = augment_batch(digits, torch.Generator().manual_seed(1), TRAINING)
    same = (out == digits).flatten(1).all(1)
    assert 0.1 < TRAINING.untouched < 0.5
    assert abs(same.float().mean().item() - TRAINING.untouched) < 0.1
    assert (out[~same] - digits[~same]).abs().mean() > 0.05
    again = augment_batch(digits, torch.Generator().manual_seed(2), TRAINING)
    assert not torch.equal(same, (again == digits).flatten(1).all(1))
    everything = augment_batch(digits, torch.Generator().manual_seed(1), Augmentation(untouched=1.0))
    assert torch.equal(everything, digits)


def test_each_run_leaves_its_own_share_of_an_epoch_as_it_came(digits):
    """Training and fine-tuning leave different shares unchanged (`TrainConfig.untouched`,
    `FineTuneConfig.untouched`): an epoch's batches keep about the share they are given."""
    assert TrainConfig().untouched == TRAINING.untouched
    assert FineTuneConfig().untouched < TrainConfig().untouched
    # labelled with their own index, so that every batch says which digits it holds
    mixture = Mixture(digits, torch.arange(len(digits)), len(digits), ())

    def kept(untouched: float) -> float:
        epoch = batches(mixture, torch.Generator().manual_seed(3), 64, True, untouched=untouched)
        return torch.cat([(x == digits[i]).flatten(1).all(1) for x, i in epoch]).float().mean().item()

    for share in (FineTuneConfig().untouched, TrainConfig().untouched, 1.0):
        assert abs(kept(share) - share) < 0.08


def test_only_the_images_picked_for_a_low_resolution_scan_are_resampled(digits):
    """The rest are normalised already and come back as they were; the scans are normalised again."""
    normalised = normalise(digits)
    assert torch.equal(
        low_resolution(normalised, Augmentation(low_resolution=0.0), torch.Generator()), normalised
    )
    scans = low_resolution(normalised, Augmentation(low_resolution=0.5), torch.Generator().manual_seed(0))
    changed = (scans != normalised).flatten(1).any(1)
    assert 0.3 < changed.float().mean().item() < 0.7
    again = np.stack([preprocess_canvas(image) for image in scans[changed, 0].numpy()])
    assert np.abs(again - scans[changed, 0].numpy()).mean() < 0.02


def test_synthetic_digits_are_balanced_reproducible_model_inputs():
    images, labels = synthetic_digits(200, np.random.default_rng(3))
    assert images.shape == (200, 28, 28) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() == pytest.approx(1.0)
    assert np.bincount(labels, minlength=10).tolist() == [20] * 10
    again, _ = synthetic_digits(200, np.random.default_rng(3))
    assert np.array_equal(images, again)
    assert set(DIGIT_STYLES) == set(range(10)) and min(len(s) for s in DIGIT_STYLES.values()) >= 3


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(image)
    return int(np.ptp(rows)) + 1, int(np.ptp(cols)) + 1


def test_stretching_to_a_square_widens_a_flagged_1_but_leaves_a_plain_stroke():
    flagged = draw_strokes(DIGIT_STYLES[1][3], np.random.default_rng(0))  # a long flag: a narrow drawing
    height, width = ink_box(flagged)
    assert width < 0.7 * height
    stretched = stretched_to_square(flagged)
    assert ink_box(stretched) == (height, height)  # as tall as before, now as wide
    assert preprocess_canvas(stretched).shape == (28, 28)
    plain = np.zeros((96, 96), np.uint8)
    plain[10:80, 45:50] = 255  # 5 px wide, 70 tall: stretched it would be a solid block
    assert stretched_to_square(plain) is plain
    assert stretched_to_square(np.zeros((96, 96), np.uint8)).max() == 0


def test_a_run_draws_the_same_sets_in_worker_processes_as_in_its_own():
    cpu = torch.device("cpu")
    alone, shared = (DrawnSets.make(5, cpu, 60, 20, workers=n) for n in (1, 2))
    for one, other in zip(sets_of(alone), sets_of(shared), strict=True):
        assert torch.equal(one, other)
    assert len(alone.digits[0]) == len(alone.non_digits) == 60 and len(alone.val_non_digits) == 20
    without_digits = DrawnSets.make(5, cpu, 60, 20, with_digits=False, workers=2)
    assert len(without_digits.digits[0]) == 0 and torch.equal(without_digits.non_digits, alone.non_digits)


class NoSemaphores:
    """A process pool on a system without the semaphores it needs."""

    def __init__(self, *args, **kwargs):
        raise OSError(38, "Function not implemented")


class DyingWorkers(ProcessPoolExecutor):
    """A process pool whose workers are killed as soon as they start."""

    def submit(self, *args, **kwargs):
        future = Future()
        future.set_exception(BrokenProcessPool("A child process terminated abruptly"))
        return future


@pytest.mark.parametrize("pool", [NoSemaphores, DyingWorkers])
def test_a_run_draws_its_sets_itself_when_workers_fail(pool, monkeypatch, caplog):
    cpu = torch.device("cpu")
    expected = DrawnSets.make(6, cpu, 30, 10)
    monkeypatch.setattr(training_data, "ProcessPoolExecutor", pool)
    drawn = DrawnSets.make(6, cpu, 30, 10, workers=2)
    assert all(torch.equal(a, b) for a, b in zip(sets_of(expected), sets_of(drawn), strict=True))
    assert "could not draw in 2 processes" in caplog.text


def sets_of(drawn: DrawnSets) -> list[torch.Tensor]:
    return [*drawn.digits, drawn.non_digits, *drawn.val_digits, drawn.val_non_digits]


def test_non_digits_hold_no_letters_people_take_for_digits():
    assert not set(LETTER_STROKES) & set("OoIilZzSsGBbgqDd")
    images = synthetic_non_digits(120, np.random.default_rng(4))
    assert images.shape == (120, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert np.array_equal(images, synthetic_non_digits(120, np.random.default_rng(4)))
    assert len({image.tobytes() for image in images}) == 120


def test_polygons_drawn_as_non_digits_are_closed_triangles_squares_and_pentagons():
    """A clean square is read as a 0 unless training sees closed polygons as non-digits."""
    rng = np.random.default_rng(6)
    shapes = [closed_polygon(rng) for _ in range(300)]
    assert all(len(shape) == 1 and shape[0][0] == shape[0][-1] for shape in shapes)
    corners = [len(shape[0]) - 1 for shape in shapes]
    assert set(corners) == {3, 4, 5} and corners.count(4) > corners.count(3)
    for (stroke,) in shapes:
        centre = np.mean(stroke[:-1], axis=0)
        radii = np.hypot(*(np.array(stroke[:-1]) - centre).T)
        assert np.all(np.abs(radii - 0.5) < 0.1)  # on the circle, each corner a little off
    # most stand upright: two corners at the bottom, at one height
    flat = [np.subtract(*sorted(y for _, y in stroke[:-1])[-2:]) > -0.1 for (stroke,) in shapes]
    assert 0.5 < np.mean(flat) < 0.85
    assert DOODLES.count(closed_polygon) == 2
    image = draw_strokes(closed_polygon(rng), rng)
    assert preprocess_canvas(image).shape == (28, 28)


def test_a_model_that_never_saw_them_reads_the_synthetic_digits(mnist_dir, tmp_path):
    """The templates and fonts draw the digits they claim: a model trained one epoch on plain MNIST (the fast
    recipe, no synthetic data) reads most of them."""
    trainer = TorchTrainer(mnist_dir, tmp_path, download=False, progress=False)
    run = trainer.train(TrainConfig(epochs=1, augment=False, seed=1))
    classifier = TorchClassifier(run.checkpoint_path)
    images, labels = synthetic_digits(500, np.random.default_rng(5))
    predicted = np.array([p.digit for p in classifier.predict_batch(images)])
    assert np.mean(predicted == labels) >= 0.85
    assert min(np.mean(predicted[labels == d] == d) for d in range(10)) >= 0.5


@pytest.mark.parametrize("steps", [1, 2, 5, 14])
def test_the_canvas_brush_grows_strokes_exactly_as_one_large_max_filter(steps):
    """`dilated` (3x3 steps) against PIL's square max filter, on ink that touches every edge."""
    rng = np.random.default_rng(steps)
    ink = Image.fromarray(((rng.random((90, 61)) > 0.97) * rng.integers(1, 256, (90, 61))).astype(np.uint8))
    ink.putpixel((0, 0), 255)
    ink.putpixel((60, 89), 128)
    expected = np.asarray(ink.filter(ImageFilter.MaxFilter(2 * steps + 1)))
    assert np.array_equal(np.asarray(dilated(ink, steps)), expected)
