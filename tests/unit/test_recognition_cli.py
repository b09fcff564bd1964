"""`digitrec predict` and `digitrec evaluate` with a fake classifier swapped in through the container."""

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from digitrec.containers import Container
from digitrec.domain.recognition import score
from digitrec.entrypoints.cli import cli
from digitrec.entrypoints.cli.recognition import echo_refusals


def draw(path, polarity="light-on-dark", size=280):
    """A thick vertical bar, like a "1", saved as an image."""
    canvas = np.zeros((size, size), np.uint8)
    canvas[60:220, 120:150] = 255
    Image.fromarray(255 - canvas if polarity == "dark-on-light" else canvas).save(path)
    return path


def run(args, classifier):
    container = Container()
    with container.classifier.override(classifier):
        return CliRunner().invoke(cli, args, obj=container, catch_exceptions=False)


def test_predict_prints_digit_and_confidence_per_file(tmp_path, fake_classifier):
    a, b = draw(tmp_path / "a.png"), draw(tmp_path / "b.jpg", "dark-on-light")
    result = run(["predict", str(a), str(b)], fake_classifier)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{a}: 7 (91.0%)", f"{b}: 7 (91.0%)"]
    # each file: the drawing as one digit, and as a number (one piece here)
    assert len(fake_classifier.seen) == 4 and fake_classifier.seen[0].shape == (28, 28)
    np.testing.assert_allclose(fake_classifier.seen[0], fake_classifier.seen[1], atol=0.05)


def test_predict_json_lists_all_ten_probabilities(tmp_path, fake_classifier):
    a = draw(tmp_path / "a.png")
    result = run(["predict", "--json", str(a)], fake_classifier)
    [entry] = json.loads(result.output)
    assert entry["file"] == str(a) and entry["digit"] == 7
    assert entry["confidence"] == pytest.approx(0.91)
    assert len(entry["probabilities"]) == 10 and sum(entry["probabilities"]) == pytest.approx(1)


def test_predict_says_not_a_digit_with_the_best_guess(tmp_path, not_a_digit_classifier):
    a = draw(tmp_path / "a.png")
    result = run(["predict", str(a)], not_a_digit_classifier)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{a}: not a digit (best guess 4, 38%)"]


def test_predict_json_says_whether_each_image_is_a_digit(tmp_path, fake_classifier, not_a_digit_classifier):
    a = draw(tmp_path / "a.png")
    [digit] = json.loads(run(["predict", "--json", str(a)], fake_classifier).output)
    [scribble] = json.loads(run(["predict", "--json", str(a)], not_a_digit_classifier).output)
    assert digit["is_digit"] is True and digit["digit"] == 7
    assert scribble["is_digit"] is False and scribble["digit"] == 4
    assert scribble["confidence"] == pytest.approx(0.38) and len(scribble["probabilities"]) == 10


def test_predict_reports_bad_files_and_goes_on(tmp_path, fake_classifier):
    good, empty, corrupt = draw(tmp_path / "good.png"), tmp_path / "empty.png", tmp_path / "corrupt.png"
    Image.fromarray(np.zeros((280, 280), np.uint8)).save(empty)
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    result = CliRunner().invoke(
        cli,
        ["predict", str(empty), str(corrupt), str(tmp_path / "nope.png"), str(good)],
        obj=override(fake_classifier),
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{good}: 7 (91.0%)"]
    assert f"{empty}: error: the drawing is empty" in result.stderr
    assert f"{corrupt}: error:" in result.stderr and "not a readable image" in result.stderr
    assert "nope.png: error: cannot read" in result.stderr


def override(classifier):
    container = Container()
    container.classifier.override(classifier)
    return container


def write_folder(folder, rows, header="file,label"):
    folder.mkdir(exist_ok=True)
    for name in ("one.png", "two.png", "three.png"):
        draw(folder / name)
    (folder / "labels.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    return folder


def test_evaluate_scores_and_reports_bad_rows_by_line(tmp_path, fake_classifier):
    folder = write_folder(
        tmp_path / "set",
        ["one.png,7", "two.png,7", "missing.png,7", "three.png,3", "one.png,12", "two.png,seven"],
    )
    result = CliRunner().invoke(
        cli,
        ["evaluate", str(folder), "--json", "--plot", str(tmp_path / "cm.png")],
        obj=override(fake_classifier),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 3
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert (
        report["per_class"]["7"] == 1.0
        and report["per_class"]["3"] == 0.0
        and report["per_class"]["0"] is None
    )
    assert report["confusion"][3][7] == 1 and report["confusion"][7][7] == 2
    assert "line 4: missing.png: file not found" in result.stderr
    assert "line 6: one.png: label '12' is not a digit 0-9" in result.stderr
    assert "line 7: two.png: label 'seven'" in result.stderr
    assert (tmp_path / "cm.png").stat().st_size > 1000


def test_evaluate_prints_a_readable_report(tmp_path, fake_classifier):
    folder = write_folder(tmp_path / "set", ["one.png,7,extra", "two.png,1,x"], header="file,label,note")
    result = run(["evaluate", str(folder)], fake_classifier)
    assert "2 images, accuracy 50.00% (fake-v1)" in result.output
    assert "7: 100.0%" in result.output and "1: 0.0%" in result.output


def test_evaluate_counts_refusals_of_digits_and_of_none_rows(
    tmp_path, fake_classifier, not_a_digit_classifier
):
    folder = write_folder(tmp_path / "set", ["one.png,7", "two.png,1", "three.png,none", "one.png,NONE"])
    accepting = run(["evaluate", str(folder)], fake_classifier).output
    assert "2 digit images, accuracy 50.00% (fake-v1)" in accepting
    assert "refused as not a digit: 0 of 2 digits (0.00%)" in accepting
    assert "not-a-digit rows: 0 of 2 refused (0.0%)" in accepting
    refusing = run(["evaluate", str(folder)], not_a_digit_classifier).output
    assert "2 digit images, accuracy 0.00% (fake-v1)" in refusing  # the best guess, 4, is never right here
    assert "refused as not a digit: 2 of 2 digits (100.00%)" in refusing
    assert "not-a-digit rows: 2 of 2 refused (100.0%)" in refusing
    report = json.loads(run(["evaluate", str(folder), "--json"], not_a_digit_classifier).stdout)
    assert report["n"] == 2 and report["refused"] == 2
    assert report["non_digits"] == 2 and report["non_digits_refused"] == 2
    assert sum(map(sum, report["confusion"])) == 2


def test_a_folder_of_only_none_rows_has_no_accuracy(tmp_path, not_a_digit_classifier):
    folder = write_folder(tmp_path / "set", ["one.png,none", "two.png,none"])
    result = run(["evaluate", str(folder), "--plot", str(tmp_path / "cm.png")], not_a_digit_classifier)
    assert result.exit_code == 0, result.output
    assert "no digit images: accuracy not applicable (fake-v1)" in result.output
    assert "not-a-digit rows: 2 of 2 refused (100.0%)" in result.output
    assert "refused as not a digit" not in result.output and "per digit" not in result.output
    report = json.loads(run(["evaluate", str(folder), "--json"], not_a_digit_classifier).stdout)
    assert report["n"] == 0 and report["accuracy"] is None and report["non_digits_refused"] == 2


def test_refusals_are_counted_with_thousands_separators(capsys):
    echo_refusals(replace(score([], []), n=2000, refused=3, non_digits=600, non_digits_refused=590))
    assert capsys.readouterr().out.splitlines() == [
        "refused as not a digit: 3 of 2,000 digits (0.15%)",
        "not-a-digit rows: 590 of 600 refused (98.3%)",
    ]


def test_help_texts_mention_the_not_a_digit_verdict():
    predict_help = CliRunner().invoke(cli, ["predict", "--help"]).output
    evaluate_help = CliRunner().invoke(cli, ["evaluate", "--help"]).output
    assert "is_digit" in predict_help and "not a digit" in predict_help
    assert "none" in evaluate_help and "non_digits_refused" in evaluate_help


def test_evaluate_without_labels_csv_says_what_it_needs(tmp_path, fake_classifier):
    result = run(["evaluate", str(tmp_path)], fake_classifier)
    assert result.exit_code == 1 and "labels.csv" in result.output and "file,label" in result.output


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        cli, ["predict", "--model", str(tmp_path / "none.pt"), "x.png"], obj=Container()
    )
    assert result.exit_code == 1
    assert "no model at" in result.output and "digitrec train" in result.output
