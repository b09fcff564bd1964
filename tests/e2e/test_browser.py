"""End to end in a real browser: the Streamlit app with the real model and a SQLite file, driven by Chromium.

Draws a digit with the mouse, waits for the prediction, picks the true label, submits, and checks the row in
the database; logs the time from mouse-up to the prediction on screen (a measurement, not an assertion).
Then the ways people really use the page: repeated clicks on Submit, a stroke right after Submit, a label
picked before the model changes its mind, a dot, a scribble, a phone with touch input, the dark theme
(screenshots of both themes go to $DIGITREC_E2E_SCREENSHOTS when set, e.g. docs/screenshots for the
README), and a server that opens its database before anyone visits.
"""

from __future__ import annotations

import io
import os
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from browser import (
    NOT_A_DIGIT,
    ONE,
    PREDICTION_SHOWN,
    SCRIBBLE,
    SETTLED,
    SEVEN,
    SIDE,
    VERDICT_SHOWN,
    draw,
    draw_page,
    label_option,
    overlaps,
    serve,
    stored_rows,
    touch_stroke,
    within,
)
from PIL import Image

pytestmark = pytest.mark.browser


@pytest.fixture
def served_app(tmp_path, model_path):
    with serve(tmp_path, model_path) as (url, database):
        yield url, database


def test_draw_predict_submit_and_find_the_row(served_app, capsys, tmp_path):
    from playwright.sync_api import expect

    url, database = served_app
    with draw_page(url) as (page, canvas):
        cold_ms = draw(page, canvas, ONE)  # the first prediction of the process
        page.get_by_role("button", name="Clear").click()
        expect(page.get_by_text("Predicted digit")).to_have_count(0)
        canvas = page.locator("canvas.upper-canvas").locator("visible=true")
        warm_ms = draw(page, canvas, SEVEN)
        with capsys.disabled():
            print(f"\nmouse-up -> prediction on screen: first {cold_ms:.0f} ms, then {warm_ms:.0f} ms")

        page.mouse.move(canvas.bounding_box()["x"] + 140, canvas.bounding_box()["y"] + 140)
        toolbar = page.get_by_role("button", name="Undo")
        expect(toolbar).to_be_visible()
        assert not overlaps(toolbar.bounding_box(), page.get_by_role("slider").bounding_box()), (
            "the canvas toolbar covers the brush slider"
        )

        seven = label_option(page, 7)
        seven.click()
        expect(seven).to_have_attribute("aria-checked", "true")
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Saved as submission #1")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Predicted digit")).to_have_count(0)  # a fresh canvas

        page.get_by_role("link", name="History").click()
        expect(page.get_by_text("1 submission, newest first")).to_be_visible()
        page.get_by_role("link", name="Stats").click()
        expect(page.get_by_test_id("stMetric").filter(has_text="Submissions")).to_contain_text("1")
        expect(page.get_by_test_id("stException")).to_have_count(0)

    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT id, label, image_png FROM submissions").fetchall()
    assert [(id_, label) for id_, label, _ in rows] == [(1, 7)]
    drawing = np.asarray(Image.open(io.BytesIO(rows[0][2])).convert("L"))
    scale = drawing.shape[1] / SIDE  # the browser may render the canvas at a device pixel ratio above 1
    (x0, y0), (x1, y1), (x2, y2) = SEVEN
    on_stroke = [((x0 + x1) // 2, y0), ((x1 + x2) // 2, (y1 + y2) // 2)]
    assert all(drawing[int(y * scale), int(x * scale)] > 128 for x, y in on_stroke), "no ink where the 7 was"
    assert drawing[int(250 * scale), int(30 * scale)] < 32 and drawing.mean() < 64, "ink where none was drawn"


def test_a_dense_scribble_is_not_taken_for_a_digit(served_app):
    url, _database = served_app
    with draw_page(url) as (page, canvas):
        draw(page, canvas, SCRIBBLE, shown=VERDICT_SHOWN)
        page.wait_for_timeout(500)
        page.wait_for_function(SETTLED, timeout=20_000)  # the page's rerun has finished
        shown = page.inner_text("body")
        assert NOT_A_DIGIT in shown, f"the page says:\n{shown[:2000]}"
        assert "looks most like" in shown and "Predicted digit" not in shown


def click_fast(page, locator, times: int, gap_ms: int) -> None:
    """`times` mouse clicks on the middle of `locator`, `gap_ms` apart, as an impatient person makes them."""
    locator.scroll_into_view_if_needed()  # raw mouse clicks, unlike locator.click(), do not scroll
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for n in range(times):
        if n:
            page.wait_for_timeout(gap_ms)
        page.mouse.click(x, y)


@pytest.mark.parametrize(("times", "gap_ms"), [(2, 100), (5, 30)])
def test_clicking_submit_several_times_stores_one_row(served_app, times, gap_ms):
    """Against a freshly started server, whose first submit is the slowest."""
    from playwright.sync_api import expect

    url, database = served_app
    with draw_page(url) as (page, canvas):
        draw(page, canvas, SEVEN)
        click_fast(page, page.get_by_role("button", name="Submit"), times, gap_ms)
        expect(page.get_by_text("Saved as submission #1")).to_be_visible()
        page.wait_for_timeout(1500)  # any repeat would have landed by now
        expect(page.get_by_text("Saved as submission #1")).to_be_visible()

    assert stored_rows(database) == [(1, 7)]


def test_a_stroke_begun_right_after_submit_is_kept(served_app):
    """Submit, then draw again as soon as the page confirms: every first stroke on the new canvas shows its
    prediction (no second try), and each drawing is stored once."""
    from playwright.sync_api import expect

    url, database = served_app
    with draw_page(url) as (page, canvas):
        draw(page, canvas, SEVEN)
        for n in range(1, 5):
            page.get_by_role("button", name="Submit").click()
            expect(page.get_by_text(f"Saved as submission #{n}")).to_be_visible()
            draw(page, canvas, ONE if n % 2 else SEVEN, attempts=1)  # at once, no pause
        assert len(stored_rows(database)) == 4


def test_a_picked_label_stays_when_the_prediction_changes(served_app):
    from playwright.sync_api import expect

    url, _database = served_app
    with draw_page(url) as (page, canvas):
        draw(page, canvas, ONE)
        predicted = (
            page.get_by_test_id("stMetric").filter(has_text="Predicted digit").get_by_test_id("stMetricValue")
        )
        expect(predicted).to_have_text("1")
        label_option(page, 9).click()
        expect(label_option(page, 9)).to_have_attribute("aria-checked", "true")
        page.evaluate("delete window.__shownAt")
        draw(page, canvas, [(60, 50), (140, 50)])  # a bar on top: now it is a 7
        expect(predicted).to_have_text("7")
        page.wait_for_timeout(500)
        expect(label_option(page, 9)).to_have_attribute("aria-checked", "true")


def test_a_dot_asks_for_a_bigger_digit(served_app):
    url, _database = served_app
    with draw_page(url) as (page, canvas):
        draw(page, canvas, [(140, 140), (141, 141)], shown="() => document.body.innerText.includes('bigger')")
        assert "Predicted digit" not in page.inner_text("body")


def test_on_a_phone_a_finger_draws_and_result_labels_and_submit_fit_the_screen(served_app):
    from playwright.sync_api import expect

    url, database = served_app
    width, height = 390, 844
    with draw_page(url, viewport={"width": width, "height": height}, touch=True) as (page, canvas):
        touch_stroke(page, canvas, SEVEN)
        page.wait_for_function(PREDICTION_SHOWN, timeout=30_000)
        assert page.evaluate("window.scrollY") == 0, "the page scrolled while drawing"

        submit = page.get_by_role("button", name="Submit")
        expect(label_option(page, 9)).to_be_visible()
        for digit in range(10):  # every label on screen: no sideways scrolling, no scrolling down
            box = label_option(page, digit).bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, f"label {digit} is off screen: {box}"
            assert box["y"] + box["height"] <= height, f"label {digit} is below the screen: {box}"
        assert submit.bounding_box()["y"] + submit.bounding_box()["height"] <= height, "Submit is off screen"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"

        label_option(page, 7).tap()
        expect(label_option(page, 7)).to_have_attribute("aria-checked", "true")
        submit.tap()
        expect(page.get_by_text("Saved as submission #1")).to_be_visible()

        page.get_by_role("link", name="History").tap()
        expect(page.get_by_text("1 submission, newest first")).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar").bounding_box()  # collapsed: off the left edge
        assert sidebar is None or sidebar["x"] + sidebar["width"] <= 1, f"a sidebar is open: {sidebar}"
    assert stored_rows(database) == [(1, 7)]


def frame_contrast(screenshot: bytes, canvas_box: dict) -> float:
    """How far (0-255) the pixels just outside the canvas's left edge are from the page's background, taken
    20 px further out: the canvas must stand out from the page in either theme."""
    image = np.asarray(Image.open(io.BytesIO(screenshot)).convert("L")).astype(float)
    y = int(canvas_box["y"] + canvas_box["height"] / 2)
    x = int(canvas_box["x"])
    frame = image[y, x - 3 : x].mean()
    return abs(frame - image[y, x - 20])


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_both_themes_frame_the_canvas_and_fetch_nothing_from_outside(tmp_path, model_path, theme):
    """Also saves screenshots of the Draw and Stats pages, desktop and phone, to $DIGITREC_E2E_SCREENSHOTS
    (the README shows them)."""
    from playwright.sync_api import expect

    shots = Path(os.environ.get("DIGITREC_E2E_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with serve(tmp_path, model_path, STREAMLIT_THEME_BASE=theme) as (url, _database):
        for device, viewport in (("desktop", None), ("phone", {"width": 390, "height": 844})):
            with draw_page(url, viewport=viewport, color_scheme=theme) as (page, canvas):
                draw(page, canvas, SEVEN)
                page.wait_for_timeout(800)  # the chart's animation
                screenshot = page.screenshot(path=str(shots / f"draw-{theme}-{device}.png"))
                edge = frame_contrast(screenshot, canvas.bounding_box())
                assert edge > 40, f"the canvas has no visible edge ({edge:.0f} of 255)"
                if device == "desktop":
                    page.get_by_role("button", name="Submit").click()
                    expect(page.get_by_text("Saved as submission #1")).to_be_visible()
                    page.get_by_role("link", name="Stats").click()
                    expect(page.get_by_text("Confusion matrix")).to_be_visible()
                    heat_map = page.get_by_test_id("stVegaLiteChart").last
                    heat_map.scroll_into_view_if_needed()
                    page.wait_for_timeout(800)
                    heat_map.screenshot(path=str(shots / f"confusion-{theme}.png"))
                assert page.outside_requests == [], f"requests left this machine: {page.outside_requests}"


def test_the_server_opens_the_database_before_the_first_visitor(tmp_path, model_path):
    with serve(tmp_path, model_path) as (_url, database):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if database.exists():
                with sqlite3.connect(database) as connection:
                    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
                if {"submissions", "alembic_version"} <= tables:
                    return
            time.sleep(0.2)
    pytest.fail("no visitor came, and the database was never opened and migrated")


def test_submit_disables_itself_the_moment_it_is_clicked_until_the_answer(served_app):
    from playwright.sync_api import expect

    url, database = served_app
    with draw_page(url) as (page, canvas):
        draw(page, canvas, SEVEN)
        submit = page.locator("button.digitrec-submit").element_handle()
        assert submit.evaluate("button => button.disabled") is False
        # Clicked and read back in one task of the page: the browser has not heard from the server yet.
        assert submit.evaluate("button => { button.click(); return button.disabled }") is True
        expect(page.get_by_text("Saved as submission #1")).to_be_visible()
        draw(page, canvas, ONE)
        expect(page.get_by_role("button", name="Submit")).to_be_enabled()
    assert stored_rows(database) == [(1, 7)]


DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
BLOB = [(130, 130), (160, 140), (135, 155), (158, 128), (140, 160), (150, 132)]  # a 30-px scribble


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_labels_the_results_and_both_buttons_fit_the_screen(served_app, screen):
    url, _database = served_app
    viewport, phone = (PHONE, True) if screen == "phone" else (DESKTOP, False)
    screen_box = {"x": 0, "y": 0, **viewport}
    with draw_page(url, viewport=viewport, touch=phone) as (page, canvas):
        if phone:
            touch_stroke(page, canvas, SEVEN)
            page.wait_for_function(PREDICTION_SHOWN, timeout=30_000)
            page.wait_for_function(SETTLED, timeout=20_000)
        else:
            draw(page, canvas, SEVEN)

        group = page.get_by_role("radiogroup", name="True label").bounding_box()
        boxes = [label_option(page, digit).bounding_box() for digit in range(10)]
        rows = sorted({round(box["y"]) for box in boxes})
        assert len(rows) == (2 if phone else 1), f"labels in rows at {rows}"  # 5 + 5, or all ten in one
        assert max(b["width"] for b in boxes) - min(b["width"] for b in boxes) <= 1.5, boxes  # equal buttons
        for digit, box in enumerate(boxes):  # none clipped by the group, none off the screen
            assert within(box, group) and within(box, screen_box), f"label {digit} cut off: {box}, {group}"
        for name in ("Submit", "Clear"):
            button = page.get_by_role("button", name=name).bounding_box()
            assert within(button, screen_box), f"{name} is not wholly on screen: {button}"
        bars = page.locator(".digitrec-bars").locator("visible=true")
        seen = page.locator("[data-testid='stImage']").locator("visible=true").first
        assert bars.count() == 1, "one set of bars for this screen"
        assert within(bars.bounding_box(), screen_box), "the probabilities are off screen"
        assert within(seen.bounding_box(), screen_box), "what the model saw is off screen"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_small_blob_gets_no_digit_but_a_request_for_a_bigger_one(served_app, screen):
    url, _database = served_app
    viewport = PHONE if screen == "phone" else DESKTOP
    asked = "() => document.body.innerText.includes('Draw a bigger digit')"
    with draw_page(url, viewport=viewport) as (page, canvas):
        draw(page, canvas, BLOB, shown=asked)
        text = page.inner_text("body")
        assert "Predicted digit" not in text and "Confidence" not in text
        assert text.count("bigger digit") == 1  # said once, not "...: draw a bigger digit" again


def test_a_number_that_cannot_be_saved_says_why_next_to_its_field(served_app):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    url, database = served_app
    with draw_page(url, viewport=DESKTOP) as (page, _canvas):
        page.get_by_role("link", name="Number").click()
        wide = page.locator(".st-key-number-canvas canvas.upper-canvas")
        expect(wide).to_be_visible()
        for attempt in range(3):  # a busy machine can show the canvas before it listens: draw again then
            box = wide.bounding_box()
            for x0 in (150, 420):  # a 4-ish and a 2-ish, far apart: two digits
                page.mouse.move(box["x"] + x0, box["y"] + 60)
                page.mouse.down()
                for x, y in ((x0, 170), (x0 + 90, 170), (x0 + 70, 60), (x0 + 70, 230)):
                    page.mouse.move(box["x"] + x, box["y"] + y, steps=10)
                page.mouse.up()
                page.wait_for_function(SETTLED, timeout=20_000)
            try:
                page.get_by_label("True number").wait_for(timeout=15_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                page.get_by_role("button", name="Clear").click()
                page.wait_for_function(SETTLED, timeout=20_000)
        field = page.get_by_label("True number")
        expect(field).to_be_visible()
        field.fill("421")
        field.press("Enter")
        reason = page.get_by_text("but the true number 421 has 3")
        expect(reason).to_be_visible()
        where, field_box = reason.bounding_box(), field.bounding_box()
        assert within(where, {"x": 0, "y": 0, **DESKTOP}), f"the reason is out of sight: {where}"
        assert 0 < where["y"] - field_box["y"] < 150, "the reason is not next to the field"
    assert stored_rows(database) == []


def test_history_shows_a_whole_page_of_ten_without_a_scroll_box(served_app):
    from playwright.sync_api import expect

    from digitrec.containers import Container
    from digitrec.domain.types.predictions import Prediction
    from digitrec.domain.types.submissions import Submission

    url, database = served_app
    container = Container()
    container.config.from_dict({"database_url": f"sqlite:///{database}"})
    repo = container.submissions()  # the schema migrated, as the server does it
    png = io.BytesIO()
    Image.fromarray(np.zeros((280, 280), np.uint8)).save(png, format="PNG")
    for digit in range(12):
        probabilities = np.full(10, 0.01)
        probabilities[digit % 10] = 0.91
        repo.add(
            Submission(
                image_png=png.getvalue(),
                model_input=np.zeros((28, 28), np.float32),
                prediction=Prediction.from_probabilities(probabilities),
                label=digit % 10,
                model_version="digitnet-20261202-145211-s0",
            )
        )
    with draw_page(url, viewport=DESKTOP) as (page, _canvas):
        page.get_by_role("link", name="History").click()
        expect(page.get_by_text("12 submissions, newest first")).to_be_visible()
        grid = page.get_by_test_id("stDataFrame")
        expect(grid).to_be_visible()
        page.wait_for_function(SETTLED, timeout=20_000)
        scroller = grid.locator(".dvn-scroller").first
        inner, shown = scroller.evaluate("e => [e.scrollHeight, e.clientHeight]")
        assert inner <= shown + 2, f"the table scrolls inside the page: {inner} px in {shown}"
        assert grid.bounding_box()["height"] >= 11 * 56, "fewer than ten rows and the header on show"
        wide, room = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert wide <= room + 2, f"the columns do not fit at 1280 px: {wide} px in {room}"


def test_the_models_table_fits_1280_pixels(served_app):
    from playwright.sync_api import expect

    url, _database = served_app
    with draw_page(url, viewport=DESKTOP) as (page, _canvas):
        page.get_by_role("link", name="Models").click()
        grid = page.get_by_test_id("stDataFrame").first
        expect(grid).to_be_visible()
        page.wait_for_function(SETTLED, timeout=20_000)
        wide, room = grid.locator(".dvn-scroller").first.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert wide <= room + 2, f"the versions table is cut at 1280 px: {wide} px in {room}"
