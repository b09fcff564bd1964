"""The Number page: a wide canvas read as a number, one submission per digit tied by the number's id."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from digitrec.domain.types.errors import StorageUnavailable

FOUR, TWO = (slice(60, 220), slice(200, 225)), (slice(60, 220), slice(330, 355))  # two bars, far apart


def put_number(at, bars):
    pixels = np.zeros((280, 700, 4), np.uint8)
    pixels[..., 3] = 255
    for rows, cols in bars:
        pixels[rows, cols, :3] = 255
    png = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(png, format="PNG")
    data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
    at.session_state["number-canvas"] = {"drawing": {"raw": {"objects": []}, "data": data_url}}
    return at.run()


def submit(at):
    at.session_state["number-submit"] = {"click": at.session_state["number_answers"]}
    return at.run()


@pytest.fixture
def number_page(app):
    return app("number.py")


def test_an_empty_canvas_gives_a_hint_and_asks_for_no_number(number_page):
    assert "Write a number" in number_page.info[0].value
    assert not number_page.main.text_input


def test_two_digits_are_read_boxed_and_their_probabilities_shown(number_page, fake_classifier):
    at = put_number(number_page, [FOUR, TWO])

    assert at.metric[0].value == "77"  # the fake says 7 for every digit
    assert len(fake_classifier.seen) == 2  # both pieces, in one batch
    assert at.text_input(key="number-label-0").value == "77"  # the True number starts at what was read
    captions = [c.value for c in at.caption]
    assert "digit 1: 7 at 91.0%" in captions and "digit 2: 7 at 91.0%" in captions


def test_submit_stores_one_submission_per_digit_tied_by_the_number(number_page, repo):
    at = put_number(number_page, [FOUR, TWO])
    at.text_input(key="number-label-0").input("42").run()
    at = submit(at)

    assert not at.exception and "Saved 42 as submissions #1-#2" in at.success[0].value
    first, second = repo.get(1), repo.get(2)
    assert (first.label, second.label) == (4, 2) and (first.number_position, second.number_position) == (0, 1)
    assert first.number_id == second.number_id and first.submit_token == f"{first.number_id}-0"
    crop = np.asarray(Image.open(io.BytesIO(first.image_png)))
    assert crop.shape[:2] == (160 + 16, 25 + 16)  # the first bar's box and an 8-pixel margin
    assert first.model_version == "fake-v1" and first.prediction.digit == 7


def test_a_true_number_of_another_length_is_refused_under_the_field_and_nothing_stored(number_page, repo):
    at = put_number(number_page, [FOUR, TWO])
    at.text_input(key="number-label-0").input("421").run()

    reason = "read as 2 digits (77) but the true number 421 has 3"
    assert reason in at.warning[0].value and not at.error  # said as it is typed, not after a Submit
    order = [node.type for node in at.columns[0].children.values()]  # beside the boxed drawing
    assert order[order.index("text_input") + 1] == "warning", order  # right under the field
    at = submit(at)  # Submit is off: a click stores nothing
    assert repo.count() == 0 and at.metric[0].value == "77"  # the drawing is still there
    at.text_input(key="number-label-0").input("42").run()
    assert not at.warning and "Saved 42" in submit(at).success[0].value


def test_letters_in_the_true_number_are_refused(number_page, repo):
    at = put_number(number_page, [FOUR, TWO])
    at.text_input(key="number-label-0").input("4a").run()
    at = submit(at)
    assert "digits 0-9 only" in at.warning[0].value and repo.count() == 0


def test_an_unreachable_database_keeps_the_number_on_the_canvas(number_page, repo, monkeypatch):
    def down(submission):
        raise StorageUnavailable("database is down")

    monkeypatch.setattr(repo, "add", down)
    at = submit(put_number(number_page, [FOUR, TWO]))
    assert "Your number was not saved: database is down" in at.error[0].value
    assert at.metric[0].value == "77"
