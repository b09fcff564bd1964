"""The model that ships in the package, on MNIST and on canvas-style drawings it never saw."""

import csv
import importlib
import json

import numpy as np
import pytest
from click.testing import CliRunner

from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.torch.model import load_checkpoint, shipped_model_path
from digitrec.containers import Container
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.entrypoints.cli import cli

# Floors for the held-out samples below (measured on the full final sets: README, "Drawings it never saw");
# the model of the previous release scored 96.5%, 95.8%, 96.2% and 0% refused on the same kinds.
FONTS_ACCURACY = 0.97
SCAN_ACCURACY = {"scan8": 0.965, "scan16bin": 0.965, "scan16grey": 0.99}
NON_DIGITS_REFUSED = 0.85
STYLES_ACCURACY = 0.93  # 96.56% on the final copy's 1,800 (the previous shipped model 97.33%)
STRETCHED_FLAGGED_1S = (
    "1 long flag",
    "1 slanted with flag",
)  # often read as 7 once stretched to a square; the shipped model reads 60 of the final copy's 80

REPO_BENCHMARKS = __import__("pathlib").Path(__file__).resolve().parents[2] / "benchmarks"


def benchmark_module(name: str):
    """A module of benchmarks/ (on the tests\' import path: pyproject.toml)."""
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def classifier():
    return TorchClassifier(shipped_model_path())


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir, download=False)


def test_the_shipped_checkpoint_says_how_it_was_made(classifier):
    payload = load_checkpoint(shipped_model_path())
    assert payload["train_config"]["seed"] == 0 and payload["train_config"]["augment"] is True
    assert payload["metrics"]["test_accuracy"] >= 0.995
    assert payload["metrics"]["canvas_accuracy"] >= 0.99  # the canvas set the Models page shows
    assert classifier.info.version == payload["version"]


def test_it_reads_mnist_test_digits(classifier, mnist):
    images = mnist.test_images[:2000].numpy().astype(np.float32) / 255
    predicted = [p.digit for p in classifier.predict_batch(images)]
    assert np.mean(predicted == mnist.test_labels[:2000].numpy()) >= 0.99


def test_it_reads_canvas_style_drawings_in_every_form(tmp_path, mnist_dir):
    """600 MNIST test digits redrawn on a 280x280 canvas (random size, position, brush, polarity), through
    `digitrec evaluate` with the default model."""
    generator = benchmark_module("canvas_testset")
    rng = np.random.default_rng(7)
    mnist = load_mnist(mnist_dir, download=False)
    with (tmp_path / "labels.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label"])
        for n, index in enumerate(rng.permutation(10_000)[:600]):
            form = generator.FORMS[n % 4]
            generator.canvas_drawing(mnist.test_images[index].numpy(), form, rng).save(tmp_path / f"{n}.png")
            writer.writerow([f"{n}.png", int(mnist.test_labels[index])])
    result = CliRunner().invoke(cli, ["evaluate", str(tmp_path), "--json"], obj=Container())
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 600
    assert report["accuracy"] >= 0.97  # measured 99.24% on the full 10,000 (README)
    assert min(acc for acc in report["per_class"].values()) >= 0.9


def test_it_reads_digits_drawn_as_pen_strokes_and_beats_a_naive_resize(classifier):
    """400 digits drawn from pen-stroke templates (not MNIST shapes), both polarities: through digitrec's
    preprocessing, and resized whole to 28x28 as demo apps do."""
    strokes, naive = benchmark_module("stroke_testset"), benchmark_module("bench_naive_resize")
    rng = np.random.default_rng(11)
    drawings = [np.asarray(strokes.stroke_drawing(n % 10, n // 10 % 2, n % 3 == 0, rng)) for n in range(400)]
    truth = np.arange(400) % 10

    def accuracy(prepare) -> float:
        predictions = classifier.predict_batch(np.stack([prepare(d) for d in drawings]))
        return float(np.mean([p.digit for p in predictions] == truth))

    ours = accuracy(preprocess_canvas)
    assert ours >= 0.97  # measured 99.95% on 2,000 (README)
    assert ours - accuracy(naive.naive) >= 0.15  # measured 55.15% for the naive resize (README)


@pytest.fixture(scope="module")
def heldout():
    return benchmark_module("heldout_testsets")


def read_rate(classifier, drawings) -> tuple[float, float]:
    """(accuracy of the best guess, share refused as not a digit) over (image, label, extra) drawings."""
    predictions = classifier.predict_batch(np.stack([preprocess_canvas(image) for image, _, _ in drawings]))
    truth = np.array([label for _, label, _ in drawings])
    guessed = np.array([p.digit for p in predictions])
    return float(np.mean(guessed == truth)), float(np.mean([not p.is_digit for p in predictions]))


def test_it_reads_digits_in_fonts_it_never_trained_on(classifier, heldout):
    """Hershey single-stroke fonts and Debian handwriting fonts: training used matplotlib's fonts only."""
    accuracy, refused = read_rate(classifier, heldout.fonts_set(np.random.default_rng(31), 300))
    assert accuracy >= FONTS_ACCURACY and refused <= 0.02


@pytest.mark.parametrize("scan", ["scan8", "scan16bin", "scan16grey"])
def test_it_reads_scanned_handwriting_at_low_resolution(classifier, heldout, mnist, scan):
    """MNIST test digits (people's writing, never trained on) stored as 8x8 or 16x16 scans."""
    images, labels = mnist.test_images.numpy(), mnist.test_labels.numpy()
    drawings = heldout.scan_set(heldout.SCANS[scan], images, labels, np.random.default_rng(32), 400)
    accuracy, refused = read_rate(classifier, drawings)
    assert accuracy >= SCAN_ACCURACY[scan] and refused <= 0.03


def test_it_says_not_a_digit_to_letters_doodles_scribbles_and_words(classifier, heldout):
    drawings = heldout.nondigit_set(np.random.default_rng(33), 200)
    predictions = classifier.predict_batch(np.stack([preprocess_canvas(image) for image, _, _ in drawings]))
    assert np.mean([not p.is_digit for p in predictions]) >= NON_DIGITS_REFUSED


def test_it_reads_flagged_1s_continental_9s_open_4s_and_crossed_7s(classifier, heldout):
    """The styles set: ways of writing MNIST has few of, on the canvas, as 8x8 and stretched 16x16 scans."""
    drawings = heldout.styles_set(np.random.default_rng(37), 450)
    accuracy, refused = read_rate(classifier, drawings)
    assert accuracy >= STYLES_ACCURACY and refused <= 0.02
    flagged = [d for d in drawings if d[2]["form"] == "scan16bin" and d[2]["style"] in STRETCHED_FLAGGED_1S]
    assert read_rate(classifier, flagged)[0] >= 0.5  # earlier shipped models: 66, 59, 11 of 80 (final copy)


def test_the_shipped_checkpoint_carries_its_calibration():
    calibration = load_checkpoint(shipped_model_path())["calibration"]
    assert 0.25 <= calibration["temperature"] <= 8
    assert 0 < calibration["reject_threshold"] < 1
    # The temperature minimises the validation loss, not the calibration error: on a model already calibrated
    # it may move that error a hair either way (the shipped model's: 0.128% -> 0.128%), never far.
    assert calibration["ece_after"] <= min(0.015, calibration["ece_before"] + 0.001)
    assert calibration["digits_refused"] <= 0.01 and calibration["auroc"] > 0.99


def test_bench_trust_counts_the_non_digits_it_refuses_per_kind(tmp_path, heldout):
    """The per-kind tally README's "What still fails" quotes: doodles by what they show, the rest by kind."""
    trust = benchmark_module("bench_trust")
    heldout.write_folder(tmp_path / "nd", heldout.nondigit_set(np.random.default_rng(34), 12))
    images, labels, names = trust.named_inputs(tmp_path / "nd")
    assert len(images) == 12 and (labels == -1).all() and names[0] == "00000.png"
    refused = np.arange(12) % 3 != 0  # every third drawing accepted: 00000, 00003, ...
    kinds = trust.tally(tmp_path / "nd", names, refused, trust.kind)
    # drawings go letter, doodle, scribble, word in turn; doodles n=1, 5, 9 are three different templates
    assert {k: v for k, v in kinds.items() if not k.startswith("doodle: ")} == {
        "letter": (2, 3),  # 0, 4, 8: 0 accepted
        "scribble": (2, 3),  # 2, 6, 10: 6 accepted
        "word": (2, 3),  # 3, 7, 11: 3 accepted
    }
    doodles = {k: v for k, v in kinds.items() if k.startswith("doodle: ")}
    assert len(doodles) == 3 and sorted(doodles.values()) == [(0, 1), (1, 1), (1, 1)]  # 9 accepted
    digits = tmp_path / "digits"
    heldout.write_folder(
        digits, [(image, 3, {}) for image, _, _ in heldout.nondigit_set(np.random.default_rng(35), 2)]
    )
    assert trust.tally(digits, trust.named_inputs(digits)[2], np.array([True, False]), trust.kind) == {}


def test_the_styles_set_draws_every_style_in_every_form_and_bench_trust_tallies_them(tmp_path, heldout):
    trust = benchmark_module("bench_trust")
    styles = len(heldout.HAND_STYLES)
    drawings = heldout.styles_set(np.random.default_rng(36), 3 * styles)
    heldout.write_folder(tmp_path / "styles", drawings)
    assert all(label == heldout.HAND_STYLES[extra["style"]][0] for _, label, extra in drawings)
    images, labels, names = trust.named_inputs(tmp_path / "styles")
    assert set(labels.tolist()) == {1, 4, 7, 9}
    tallied = trust.tally(tmp_path / "styles", names, labels == 1, trust.style)
    assert len(tallied) == 3 * styles  # each style once as a canvas drawing, an 8x8 and a 16x16 scan
    assert tallied["1 long flag / scan16bin"] == (1, 1) and tallied["9 curled tail / canvas"] == (0, 1)


def test_predict_and_evaluate_in_a_fresh_folder_leave_no_database_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("DIGITREC_DATABASE_URL", "DIGITREC_MODEL", "DIGITREC_MODELS_DIR"):
        monkeypatch.delenv(name, raising=False)
    pixels = np.zeros((280, 280), np.uint8)
    pixels[60:220, 125:150] = 255
    from PIL import Image

    Image.fromarray(pixels).save(tmp_path / "one.png")
    (tmp_path / "labels.csv").write_text("file,label\none.png,1\n")

    predicted = CliRunner().invoke(cli, ["predict", "--json", "one.png"], obj=Container())
    evaluated = CliRunner().invoke(cli, ["evaluate", "."], obj=Container())

    assert predicted.exit_code == 0 and json.loads(predicted.stdout)[0]["digit"] == 1, predicted.output
    assert evaluated.exit_code == 0 and "accuracy 100.00%" in evaluated.stdout, evaluated.output
    assert json.loads(predicted.stdout)[0] and not (tmp_path / "digitrec.db").exists()
    listed = CliRunner().invoke(cli, ["models", "list"], obj=Container())  # the registry itself makes one
    assert listed.exit_code == 0 and (tmp_path / "digitrec.db").exists()
