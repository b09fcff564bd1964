"""What the browser tests share: Chromium (Debian's, driven by Playwright), `digitrec serve` on a free port
with a database of its own, and strokes drawn with a mouse or a finger."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


SIDE = 280


SEVEN = [(70, 60), (210, 60), (120, 230)]  # canvas coordinates of a "7", drawn in one stroke


ONE = [(140, 50), (140, 230)]


# A dense scribble, no digit: back and forth across the canvas 16 times, then up and down 16 times.
SCRIBBLE = [(20 if i % 2 == 0 else 260, 20 + 15 * i) for i in range(16)]
SCRIBBLE += [(260 - 15 * i, 260 if i % 2 == 0 else 20) for i in range(16)]


NOT_A_DIGIT = "doesn't look like a digit"


# Records when the mouse goes up and when the prediction is first seen, both on the page's own clock.
WATCH_MOUSE_UP = "window.addEventListener('mouseup', () => { window.__mouseUpAt = performance.now() }, true)"


PREDICTION_SHOWN = """() => {
    if (!document.body.innerText.includes('Predicted digit')) return false;
    window.__shownAt = window.__shownAt ?? performance.now();
    return true;
}"""


SETTLED = "() => document.querySelector('.stApp')?.dataset.testScriptState === 'notRunning'"


# Either verdict: a predicted digit, or that the drawing doesn't look like one.
VERDICT_SHOWN = PREDICTION_SHOWN.replace(
    "!document.body.innerText.includes('Predicted digit')",
    "!['Predicted digit', 'look like a digit'].some(text => document.body.innerText.includes(text))",
)


def require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must have it")
        pytest.skip(reason)


@contextmanager
def serve(tmp_path: Path, model_path: Path, **environment: str):
    """`digitrec serve` on a free loopback port with a fresh SQLite database, started now: (url, database
    path) once it answers its health check."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = tmp_path / "e2e.db"
    env = {
        **os.environ,
        "DIGITREC_DATABASE_URL": f"sqlite:///{database}",
        "DIGITREC_MODEL": str(model_path),
        **environment,
    }
    command = [
        sys.executable,
        "-m",
        "digitrec.entrypoints.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log = (tmp_path / "streamlit.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start:\n{(tmp_path / 'streamlit.log').read_text()}")
                time.sleep(0.25)
        yield url, database
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def draw(
    page, canvas, points: list[tuple[int, int]], attempts: int = 3, shown: str = PREDICTION_SHOWN
) -> float:
    """Draw one stroke through `points`; return the milliseconds from mouse-up to the prediction on screen
    (when the JavaScript predicate `shown` first holds).

    On a busy machine the canvas can be visible before its drawing handlers are attached, and a stroke made
    then is lost: if no prediction shows within 20 s, the stroke is drawn again (at most `attempts` times)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        box = canvas.bounding_box()
        page.evaluate("delete window.__mouseUpAt; delete window.__shownAt")
        page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=15)
        page.mouse.up()
        try:
            page.wait_for_function(shown, polling="raf", timeout=20_000)
            shown_ms = page.evaluate("window.__shownAt - window.__mouseUpAt")
            # The rest of the page (the True label, an enabled Submit) comes with the rest of the run.
            page.wait_for_function(SETTLED, timeout=20_000)
            return shown_ms
        except PlaywrightTimeout:
            if attempt == attempts:
                raise AssertionError(
                    f"no prediction after {attempts} strokes; the page says:\n"
                    f"{page.inner_text('body')[:2000]}"
                ) from None
    raise AssertionError("unreachable")


@contextmanager
def draw_page(url: str, viewport: dict | None = None, touch: bool = False, color_scheme: str = "light"):
    """Chromium on the app's Draw page, its canvas ready: (page, canvas). Requests that leave this machine
    are counted in `page.outside_requests` (the app must work offline)."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a busy 2-core machine: page switches can take seconds
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 900},
            has_touch=touch,
            is_mobile=touch,
            color_scheme=color_scheme,
        )
        page = context.new_page()
        page.outside_requests = []
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else page.outside_requests.append(request.url)
            ),
        )
        page.goto(url)
        canvas = page.locator("canvas.upper-canvas").locator("visible=true")
        expect(canvas).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Draw a digit (0-9)")).to_be_visible()
        page.evaluate(WATCH_MOUSE_UP)
        yield page, canvas
        browser.close()


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and (a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
    )


def label_option(page, digit: int):
    return page.get_by_role("radiogroup", name="True label").get_by_role("radio", name=str(digit), exact=True)


def stored_rows(database: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT id, label FROM submissions ORDER BY id").fetchall()


def touch_stroke(page, canvas, points: list[tuple[int, int]]) -> None:
    """One finger stroke through `points` (canvas coordinates), as Chromium's touch screen sends it."""
    cdp = page.context.new_cdp_session(page)
    box = canvas.bounding_box()

    def touch(kind: str, x: float = 0, y: float = 0) -> None:
        where = [] if kind == "touchEnd" else [{"x": box["x"] + x, "y": box["y"] + y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": where})

    touch("touchStart", *points[0])
    for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
        for step in range(1, 16):
            touch("touchMove", xa + (xb - xa) * step / 15, ya + (yb - ya) * step / 15)
    touch("touchEnd")


def within(box: dict, outer: dict, slack: float = 1.0) -> bool:
    return (
        outer["x"] - slack <= box["x"]
        and box["x"] + box["width"] <= outer["x"] + outer["width"] + slack
        and outer["y"] - slack <= box["y"]
        and box["y"] + box["height"] <= outer["y"] + outer["height"] + slack
    )
