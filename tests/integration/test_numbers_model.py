"""Numbers with the shipped model: numbers written with MNIST test digits (real handwriting) are read
exactly, moving, scaling or spreading them out changes no reading, a wide 0 stays one digit, and
`digitrec predict --json` / `evaluate --numbers` give the numbers."""

from __future__ import annotations

import csv
import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from digitrec.adapters.torch.mnist import load_mnist
from digitrec.containers import Container
from digitrec.domain.numbers import read_number
from digitrec.entrypoints.cli import cli

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def testset():
    return importlib.import_module("number_testset")  # benchmarks/ is on the tests' import path


@pytest.fixture(scope="module")
def classifier():
    container = Container()
    container.config.from_dict({"database_url": "memory://"})  # the shipped model, no database file
    return container.classifier()


@pytest.fixture(scope="module")
def tiles(testset, mnist_dir):
    """Ten thick-stroke MNIST test digits per digit, as ink tiles."""
    mnist = load_mnist(mnist_dir, download=False)
    test = (mnist.test_images.numpy(), mnist.test_labels.numpy())
    rng = np.random.default_rng(3)
    return {d: [testset.digit_tile(d, "mnist", test, rng) for _ in range(10)] for d in range(10)}


def written(
    testset, tiles, digits: str, gaps: list[int], height: int = 120, slope: float = 0.0
) -> np.ndarray:
    chosen = [tiles[int(d)][i % 10] for i, d in enumerate(digits)]
    return testset.compose(chosen, [height] * len(digits), gaps, math.radians(slope))


def test_numbers_from_real_handwriting_are_read_exactly(testset, tiles, classifier):
    numbers = ["42", "2026", "1985", "90210", "7", "31415", "8080", "123456"]
    read = [
        read_number(classifier, written(testset, tiles, n, [20] * (len(n) - 1), slope=3)).number
        for n in numbers
    ]
    assert read == numbers


@settings(max_examples=12, deadline=None)
@given(
    shift=st.tuples(st.integers(0, 120), st.integers(0, 60)),
    scale=st.floats(0.6, 1.6),
    extra_gap=st.integers(0, 60),
    dark_on_light=st.booleans(),
)
def test_moving_scaling_or_spreading_a_number_does_not_change_its_reading(
    testset, tiles, classifier, shift, scale, extra_gap, dark_on_light
):
    base = written(testset, tiles, "4071", [14, 14, 14])
    spread = written(testset, tiles, "4071", [14 + extra_gap] * 3)
    moved = np.pad(spread, ((shift[1], 10), (shift[0], 10)))
    size = (max(1, round(moved.shape[1] * scale)), max(1, round(moved.shape[0] * scale)))
    changed = np.asarray(Image.fromarray(moved).resize(size, Image.BILINEAR))
    if dark_on_light:
        changed = 255 - changed
    assert read_number(classifier, changed).number == read_number(classifier, base).number == "4071"


def test_a_wide_zero_stays_one_digit_and_bridged_zeros_are_two(classifier):
    from number_drawings import bridged_zeros, number, ring

    assert read_number(classifier, number([ring(110, 200)], [])).number == "0"
    assert read_number(classifier, bridged_zeros()).number == "00"


def test_predict_json_and_evaluate_numbers(testset, tiles, tmp_path):
    for name, digits in (("a.png", "42"), ("b.png", "2026"), ("c.png", "7")):
        Image.fromarray(written(testset, tiles, digits, [25] * (len(digits) - 1))).save(tmp_path / name)
    with (tmp_path / "labels.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["file", "number"], ["a.png", "42"], ["b.png", "2026"], ["c.png", "7"]])

    predicted = CliRunner().invoke(
        cli, ["predict", "--json", str(tmp_path / "a.png"), str(tmp_path / "c.png")]
    )
    [a, c] = json.loads(predicted.stdout)
    assert a["number"] == "42" and [d["digit"] for d in a["digits"]] == [4, 2]
    assert a["digit"] is None and a["is_digit"] is None and a["confidence"] is None  # nothing beside "42"
    x0, y0, x1, y1 = a["digits"][0]["box"]
    assert 15 <= x0 < x1 <= a["digits"][1]["box"][0] and y0 < y1 and a["digits"][0]["is_digit"] is True
    assert c["number"] == "7" and c["digit"] == 7 and len(c["digits"]) == 1

    human = CliRunner().invoke(cli, ["predict", str(tmp_path / "a.png")])
    assert human.stdout.startswith(f"{tmp_path / 'a.png'}: number 42 (4: ")

    evaluated = CliRunner().invoke(cli, ["evaluate", "--numbers", str(tmp_path)])
    assert evaluated.exit_code == 0, evaluated.output
    assert "3 numbers, read exactly: 100.00%" in evaluated.output
    assert "per digit: 100.00% of 7 digits" in evaluated.output
    as_json = json.loads(CliRunner().invoke(cli, ["evaluate", "--numbers", "--json", str(tmp_path)]).stdout)
    assert as_json["by_length"] == {
        "1": {"n": 1, "exact": 1},
        "2": {"n": 1, "exact": 1},
        "4": {"n": 1, "exact": 1},
    }


def test_evaluate_numbers_reports_bad_rows_and_misreadings(testset, tiles, tmp_path):
    Image.fromarray(written(testset, tiles, "42", [25])).save(tmp_path / "a.png")
    with (tmp_path / "labels.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["file", "number"], ["a.png", "43"], ["missing.png", "1"], ["a.png", "4x"]])
    result = CliRunner().invoke(cli, ["evaluate", "--numbers", "--json", str(tmp_path)])
    report = json.loads(result.stdout)
    assert report["n"] == 1 and report["exact_accuracy"] == 0 and report["misread"] == [["a.png", "43", "42"]]
    assert "file not found" in result.stderr and "number '4x' is not 1 to 32 digits" in result.stderr
