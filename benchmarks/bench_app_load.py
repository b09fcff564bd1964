"""Several people drawing and submitting at once, in real Chromium against `digitrec serve` (a fresh SQLite
database, the shipped model), started by this script; or against several app replicas sharing one
PostgreSQL (a throwaway server, devtools/postgres_cluster.py), the users spread over them.

    python benchmarks/bench_app_load.py                 # 6 users, 5 drawings each
    python benchmarks/bench_app_load.py --users 6 --drawings 5 --double-click
    python benchmarks/bench_app_load.py --replicas 2 --postgres

Each user opens the Draw page in their own browser context, then draws a digit with the mouse, waits for
the prediction, picks the true label and submits (with --double-click, every Submit is clicked twice 30 ms
apart), as many times as --drawings says. Prints, over all users: page load (navigation to a ready canvas),
mouse-up to prediction on screen (the first drawing of each session apart from the rest), Submit to the
confirmation; median, p95 and worst. Then checks the database: one row per drawing, no duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import create_engine

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking"]
DIGITS = {  # canvas coordinates of one stroke each, and the label the person gives
    7: [(70, 60), (210, 60), (120, 230)],
    1: [(140, 50), (140, 230)],
    4: [(180, 230), (180, 50), (70, 170), (220, 170)],
}
MOUSE_UP = "window.addEventListener('mouseup', () => { window.__up = performance.now() }, true)"
SHOWN = """() => {
    const text = document.body.innerText;
    if (!['Predicted digit', 'look like a digit'].some(t => text.includes(t))) return false;
    window.__shown = window.__shown ?? performance.now();
    return true;
}"""


def start_server(database_url: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DIGITREC_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "digitrec.entrypoints.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 60 s")


async def one_user(
    browser, url: str, drawings: int, double_click: bool, times: dict[str, list[float]]
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(url)
    canvas = page.locator("canvas.upper-canvas").locator("visible=true")
    await canvas.wait_for(state="visible", timeout=120_000)
    await page.get_by_text("Draw a digit (0-9)").wait_for(timeout=120_000)
    times["page load"].append(time.perf_counter() - started)
    await page.evaluate(MOUSE_UP)
    for n in range(drawings):
        digit = list(DIGITS)[n % len(DIGITS)]
        points = DIGITS[digit]
        box = await canvas.bounding_box()
        await page.evaluate("delete window.__up; delete window.__shown")
        await page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        await page.mouse.down()
        for x, y in points[1:]:
            await page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
        await page.mouse.up()
        await page.wait_for_function(SHOWN, polling="raf", timeout=120_000)
        latency = await page.evaluate("window.__shown - window.__up")
        times["first prediction" if n == 0 else "prediction"].append(latency / 1000)
        label = page.get_by_role("radiogroup", name="True label").get_by_role(
            "radio", name=str(digit), exact=True
        )
        await label.click()
        submit = page.get_by_role("button", name="Submit")
        started = time.perf_counter()
        await submit.click()
        if double_click:
            await page.wait_for_timeout(30)
            await submit.click(force=True, timeout=2_000, no_wait_after=True)
        await page.get_by_text("Saved as submission #").wait_for(timeout=120_000)
        times["submit"].append(time.perf_counter() - started)
    await context.close()


async def run(urls: list[str], users: int, drawings: int, double_click: bool) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright

    times: dict[str, list[float]] = {"page load": [], "first prediction": [], "prediction": [], "submit": []}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        await asyncio.gather(
            *(one_user(browser, urls[n % len(urls)], drawings, double_click, times) for n in range(users))
        )
        await browser.close()
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--drawings", type=int, default=5)
    parser.add_argument("--double-click", action="store_true", help="click every Submit twice, 30 ms apart")
    parser.add_argument("--replicas", type=int, default=1, help="app servers, the users spread over them")
    parser.add_argument("--postgres", action="store_true", help="one throwaway PostgreSQL instead of SQLite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = f"sqlite:///{Path(folder) / 'load.db'}"
        if args.postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "devtools"))
            from postgres_cluster import ThrowawayCluster, create_database, server_binaries

            url = create_database(stack.enter_context(ThrowawayCluster(server_binaries())), "digitrec_load")
        servers = [start_server(url) for _ in range(args.replicas)]
        try:
            times = asyncio.run(run([u for _, u in servers], args.users, args.drawings, args.double_click))
        finally:
            for server, _ in servers:
                server.terminate()
                server.wait(timeout=30)
        engine = create_engine(url)
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT COUNT(*), COUNT(DISTINCT submit_token) FROM submissions"
            ).fetchone()
        engine.dispose()

    clicks = " (every Submit double-clicked)" if args.double_click else ""
    where = f"{args.replicas} replica(s) on {'PostgreSQL' if args.postgres else 'SQLite'}"
    print(f"{args.users} users x {args.drawings} drawings{clicks}, {where}")
    print(f"{'':18} {'n':>3} {'median':>8} {'p95':>8} {'worst':>8}")
    for name, values in times.items():
        if values:
            print(
                f"{name:18} {len(values):3d} {statistics.median(values) * 1000:6.0f}ms "
                f"{percentile(values, 0.95) * 1000:6.0f}ms {max(values) * 1000:6.0f}ms"
            )
    expected = args.users * args.drawings
    print(f"rows stored: {rows[0]} (expected {expected}), distinct drawings among them: {rows[1]}")
    if rows[0] != expected or rows[1] != expected:
        raise SystemExit("the database does not hold exactly one row per drawing")


if __name__ == "__main__":
    main()
