"""The learning loop in a real browser: an operator signs in, starts a tiny fine-tune from the Models page,
watches `digitrec worker` (a separate process) report its progress, promotes the new version and sees the
sidebar switch to it; the Review page lists the drawings whose labels the model doubts. Screenshots of the
Models, Review and "Inside the model" views go to $DIGITREC_E2E_SCREENSHOTS when set."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SETTLED,
    SEVEN,
    WATCH_MOUSE_UP,
    draw,
    draw_page,
    require,
    serve,
)

from digitrec.adapters.drawing.canvas_drawings import canvas_drawing
from digitrec.adapters.files.image_codec import encode_png
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.torch.model import load_checkpoint
from digitrec.containers import Container
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.submitting import RATE_LIMITS
from digitrec.domain.types.submissions import Submission

pytestmark = pytest.mark.browser
PASSWORD = "e2e operator password"
MISLABELLED = (3, 17, 29)  # drawings submitted with a wrong label: the Review page lists them


def seed_drawings(database_url: str, models_dir: Path, mnist_dir: Path, count: int = 40) -> None:
    """`count` MNIST training digits drawn as on the canvas and submitted with the shipped model's answer."""
    container = Container()
    container.config.from_dict({"database_url": database_url, "models_dir": str(models_dir)})
    classifier, repo = container.classifier(), container.submissions()
    mnist, rng = load_mnist(mnist_dir, download=False), np.random.default_rng(0)
    for n in range(count):
        drawing = np.asarray(
            canvas_drawing(mnist.train_images[n].numpy(), "white-on-black", rng).convert("L")
        )
        model_input = preprocess_canvas(drawing)
        label = int(mnist.train_labels[n]) + (n in MISLABELLED)
        prediction = classifier.predict(model_input)
        repo.add(
            Submission(encode_png(drawing), model_input, prediction, label % 10, classifier.info.version)
        )
    container.engine().dispose()


def sign_in(page) -> None:
    """Sign in as operator "ann" through the sidebar."""
    from playwright.sync_api import expect

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_label("Your name").fill("ann")
    sidebar.get_by_label("Operator password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Sign in").click()
    expect(sidebar).to_contain_text("Signed in as ann")


def screenshot(page, name: str) -> None:
    if folder := os.environ.get("DIGITREC_E2E_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_an_operator_fine_tunes_watches_promotes_and_the_sidebar_switches(tmp_path, model_path, mnist_dir):
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    database, models = tmp_path / "e2e.db", tmp_path / "models"
    seed_drawings(f"sqlite:///{database}", models, mnist_dir)
    environment = {
        "DIGITREC_MODEL": "",
        "DIGITREC_MODELS_DIR": str(models),
        "DIGITREC_ADMIN_PASSWORD": PASSWORD,
    }
    worker_log = (tmp_path / "worker.log").open("w")
    command = [sys.executable, "-m", "digitrec", "worker", "--poll", "0.5", "--data-dir", str(mnist_dir)]
    command += [
        "--database-url",
        f"sqlite:///{database}",
        "--models-dir",
        str(models),
        "--plots-dir",
        str(tmp_path),
    ]
    worker = subprocess.Popen(command, stdout=worker_log, stderr=subprocess.STDOUT)
    try:
        with serve(tmp_path, model_path, **environment) as (url, _), sync_playwright() as playwright:
            expect.set_options(timeout=30_000)
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{url}/models")
            sidebar = page.get_by_test_id("stSidebar")
            shipped = load_checkpoint(model_path)["version"]
            expect(sidebar).to_contain_text(shipped)
            expect(page.get_by_role("button", name="Start fine-tune")).to_have_count(0)  # not an operator yet

            sign_in(page)
            expect(page.get_by_text("Neither over- nor under-fitting")).to_be_visible()  # the curves' verdict
            expect(page.locator(".vega-embed canvas, .vega-embed svg")).to_have_count(3)  # curves, confusion
            page.wait_for_function(SETTLED)
            screenshot(page, "models.png")

            page.get_by_role("spinbutton", name="Epochs").fill("8")
            # gently: a trial this small at the default rate may lose a point on some digit, and Promote
            # would rightly refuse it (the per-digit guard)
            page.get_by_role("spinbutton", name="Learning rate").fill("0.0010")
            page.get_by_role("spinbutton", name="MNIST images an epoch (0: all)").fill("1000")
            page.get_by_role("spinbutton", name="Minimum submissions").fill("5")
            page.get_by_role("button", name="Start fine-tune").click()
            expect(page.get_by_text("Fine-tune job 1 is queued")).to_be_visible()
            # the worker's progress, as the page polls it: some epoch of 8 under way
            expect(page.get_by_text(re.compile(r"^epoch [1-7] of 8 on "))).to_be_visible(timeout=120_000)
            promote = page.get_by_role("button", name="Promote digitnet-ft-")
            expect(promote).to_be_visible(timeout=180_000)
            version = promote.inner_text().removeprefix("Promote ").strip()
            screenshot(page, "fine-tune.png")

            promote.click()
            expect(sidebar).to_contain_text(version, timeout=30_000)  # the app now answers with it
            expect(page.get_by_test_id("stException")).to_have_count(0)

            page.get_by_role("link", name="Review").click()
            expect(page.get_by_text("the label says")).to_have_count(len(MISLABELLED), timeout=30_000)
            page.wait_for_function(SETTLED)
            screenshot(page, "review.png")
            browser.close()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        worker_log.close()
    shared = Container()
    shared.config.from_dict({"database_url": f"sqlite:///{database}", "models_dir": str(tmp_path / "reader")})
    assert shared.models().live().version == version  # the promotion is in the database app and worker share
    assert shared.models().get(shipped).version == shipped and not (models / "live.json").exists()


def test_inside_the_model_shows_what_the_network_computed(tmp_path, model_path):
    from playwright.sync_api import expect

    with serve(tmp_path, model_path) as (url, _), draw_page(url) as (page, canvas):
        draw(page, canvas, SEVEN)
        page.get_by_text("Inside the model").click()
        expect(page.get_by_text("Top three:")).to_be_visible()
        for caption in ("28x28 input", "stage 1", "stage 3"):
            expect(page.get_by_text(caption).first).to_be_visible()
        screenshot(page, "inside-the-model.png")


FOUR = [[(150, 60), (95, 175), (185, 175)], [(160, 110), (160, 235)]]  # two strokes, on the Number canvas
TWO = [[(255, 95), (280, 68), (320, 62), (348, 85), (345, 125), (260, 230), (355, 230)]]


def test_a_number_written_with_the_mouse_is_read_and_stored_digit_by_digit(tmp_path, model_path):
    from playwright.sync_api import expect, sync_playwright

    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    with serve(tmp_path, model_path) as (url, database), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/number")
        canvas = page.locator("canvas.upper-canvas").locator("visible=true")
        expect(canvas).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Write a number (two or more digits")).to_be_visible(timeout=30_000)
        box = canvas.bounding_box()
        for stroke in FOUR + TWO:
            page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
            page.mouse.up()
            page.wait_for_timeout(400)
        read_as = page.get_by_test_id("stMetric").filter(has_text="Read as")
        expect(read_as).to_contain_text("42", timeout=30_000)
        page.wait_for_function(SETTLED)
        expect(page.get_by_label("True number")).to_have_value("42")
        screenshot(page, "number.png")

        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Saved 42 as submissions #1-#2")).to_be_visible(timeout=30_000)
        page.get_by_role("link", name="History").click()
        expect(page.get_by_text("2 submissions, newest first")).to_be_visible()
        browser.close()

    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT label, number_position, number_id, predicted FROM submissions ORDER BY id"
        ).fetchall()
    assert [(label, place) for label, place, _, _ in rows] == [(4, 0), (2, 1)]
    assert rows[0][2] == rows[1][2] is not None and [r[3] for r in rows] == [4, 2]


FAST_VISITOR = "0123456789abcdef"


def seed_crowd(database_url: str, models_dir: Path, mnist_dir: Path) -> None:
    """Visitor "attacker" sends six 7s labelled 1; FAST_VISITOR has sent as many drawings as a minute
    allows, just now."""
    container = Container()
    container.config.from_dict({"database_url": database_url, "models_dir": str(models_dir)})
    classifier, repo = container.classifier(), container.submissions()
    mnist, rng = load_mnist(mnist_dir, download=False), np.random.default_rng(1)
    sevens = [n for n in range(200) if int(mnist.train_labels[n]) == 7][:6]
    for n in sevens + list(range(RATE_LIMITS[0][1])):
        drawing = np.asarray(
            canvas_drawing(mnist.train_images[n].numpy(), "white-on-black", rng).convert("L")
        )
        model_input = preprocess_canvas(drawing)
        attack = len(repo.latest(100)) < len(sevens)
        label, visitor = (1, "attacker") if attack else (int(mnist.train_labels[n]), FAST_VISITOR)
        prediction = classifier.predict(model_input)
        repo.add(Submission(encode_png(drawing), model_input, prediction, label, classifier.info.version,
                            visitor=visitor))  # fmt: skip
    container.engine().dispose()


def test_an_operator_excludes_a_visitors_drawings_at_once_and_a_fast_visitor_is_told_to_wait(
    tmp_path, model_path, mnist_dir
):
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    database, models = tmp_path / "e2e.db", tmp_path / "models"
    seed_crowd(f"sqlite:///{database}", models, mnist_dir)
    environment = {"DIGITREC_MODELS_DIR": str(models), "DIGITREC_ADMIN_PASSWORD": PASSWORD}
    with serve(tmp_path, model_path, **environment) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        expect.set_options(timeout=30_000)
        page.goto(f"{url}/review")
        group = page.get_by_text("visitor attacker: 6 drawings, 6 against the model")
        expect(group).to_be_visible()
        sign_in(page)
        page.get_by_role("button", name="Exclude all 6").click()
        expect(page.get_by_text("6 drawings excluded")).to_be_visible()
        expect(page.get_by_role("button", name="Exclude all 6")).to_have_count(0)

        page.goto(f"{url}/?visitor={FAST_VISITOR}")
        canvas = page.locator("canvas.upper-canvas").locator("visible=true")
        expect(canvas).to_be_visible(timeout=60_000)
        page.evaluate(WATCH_MOUSE_UP)
        draw(page, canvas, SEVEN)
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Not saved: you have sent 20 drawings in the last minute")).to_be_visible()
        expect(page.get_by_text("Predicted digit")).to_be_visible()  # the drawing is still there
        expect(page.get_by_test_id("stException")).to_have_count(0)
        browser.close()

    with sqlite3.connect(database) as connection:
        statuses = connection.execute(
            "SELECT visitor, status, count(*) FROM submissions GROUP BY 1, 2"
        ).fetchall()
        audit = connection.execute("SELECT operator, action, detail FROM operator_actions").fetchall()
    assert sorted(statuses) == [(FAST_VISITOR, "ok", RATE_LIMITS[0][1]), ("attacker", "excluded", 6)]
    assert audit == [("ann", "exclude visitor", "visitor attacker: 6 drawings excluded from training")]
