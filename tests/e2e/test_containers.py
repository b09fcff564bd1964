"""The images and compose stack, for real: the test starts its own dockerd, bootstraps a Debian base with
debootstrap (no image registry is reachable here), builds the serving image and a PostgreSQL stand-in on it,
brings up compose.yaml with two app replicas on host networking (every service on 127.0.0.1), draws and
submits through each replica, and finds both submissions in the one database; then a promotion made on the
host reaches both replicas without a restart. Everything is torn down at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, ONE, SEVEN, draw, draw_page, label_option, require
from docker_stack import debian_python_image, docker_engine, image_size, missing_tools

from model_files import version_like_shipped

pytestmark = [pytest.mark.docker, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
PROJECT = "digitrec-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def stack(tmp_path):
    """The compose stack up with two app replicas: (their URLs, the database URL, the compose command)."""
    if missing := missing_tools() + (["root"] if os.geteuid() != 0 else []):
        reason = "needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"the container test {reason}; CI must run it", pytrace=False)
        pytest.skip(reason)
    with docker_engine() as environment:
        base = debian_python_image(environment, tmp_path, "digitrec-test/debian-python")
        build = ["docker", "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}"]
        postgres = "digitrec-test/postgres"
        here = Path(__file__).parent / "containers"
        run([*build, "-t", postgres, "-f", str(here / "postgres.Dockerfile"), str(here)], environment)
        db_port = free_port()
        environment |= {"PYTHON_IMAGE": base, "POSTGRES_IMAGE": postgres, "DB_PORT": str(db_port)}
        compose = ["docker-compose", "-p", PROJECT, "-f", str(REPO / "compose.yaml")]
        compose += ["-f", str(here / "compose.hostnet.yaml")]
        run([*compose, "build", "app"], environment, timeout=1200)
        sizes = {name: image_size(environment, name) / 1e6 for name in (base, postgres, "digitrec-serving")}
        print("\nimage sizes: " + ", ".join(f"{name} {size:,.0f} MB" for name, size in sizes.items()))
        run([*compose, "up", "-d", "db"], environment)
        ports = [free_port(), free_port()]
        try:
            for n, port in enumerate(ports, 1):  # two replicas of the app service, each on its own port
                replica = ["run", "-d", "--name", f"{PROJECT}-app-{n}", "-e", f"DIGITREC_PORT={port}", "app"]
                run([*compose, *replica], environment)
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            for url in urls:
                wait_until_healthy(url, environment)
            yield urls, f"postgresql://digitrec:digitrec@127.0.0.1:{db_port}/digitrec", environment
        finally:
            for n in (1, 2):
                subprocess.run(
                    ["docker", "rm", "-f", f"{PROJECT}-app-{n}"], env=environment, capture_output=True
                )
            subprocess.run([*compose, "down", "-v", "--remove-orphans"], env=environment, capture_output=True)


def run(command: list[str], environment: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def wait_until_healthy(url: str, environment: dict[str, str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError as exc:
            if time.monotonic() > deadline:
                logs = subprocess.run(
                    ["docker", "logs", f"{PROJECT}-app-1"], env=environment, capture_output=True
                )
                raise AssertionError(
                    f"{url} never answered: {logs.stdout[-2000:]} {logs.stderr[-2000:]}"
                ) from exc
            time.sleep(1)


def draw_and_submit(url: str, stroke, digit: int) -> None:
    from playwright.sync_api import expect

    with draw_page(url) as (page, canvas):
        draw(page, canvas, stroke)
        label_option(page, digit).click()
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Saved as submission #")).to_be_visible(timeout=30_000)


def wait_for_version(urls: list[str], version: str, since: float, seconds: float = 10) -> float:
    """Reload each replica's page until its sidebar names `version`; the seconds from `since` until all do."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        for url in urls:
            while True:
                page.goto(url)
                sidebar = page.get_by_test_id("stSidebar")
                sidebar.get_by_test_id("stMetric").first.wait_for(timeout=30_000)  # after the version
                if version in sidebar.inner_text():
                    break
                assert time.monotonic() - since < seconds, (
                    f"{url} still serves another model after {seconds} s"
                )
        browser.close()
    return time.monotonic() - since


def test_two_app_replicas_in_compose_store_into_one_database_and_follow_a_promotion(stack, tmp_path):
    require(Path("/usr/bin/chromium").exists(), "chromium is missing (apt-get install chromium)")
    (first, second), database, _ = stack

    draw_and_submit(first, SEVEN, 7)
    draw_and_submit(second, ONE, 1)

    with psycopg.connect(database) as connection:
        rows = connection.execute("SELECT label, submit_token FROM submissions ORDER BY id").fetchall()
    assert [label for label, _ in rows] == [7, 1] and len({token for _, token in rows}) == 2

    # A version registered and promoted from this machine reaches both replicas, with no restart.
    checkpoint = version_like_shipped(tmp_path / "upload", "ft-compose", 0.996)
    url = database.replace("postgresql://", "postgresql+psycopg://")
    digitrec = [sys.executable, "-m", "digitrec", "models"]
    for step in (["import", str(checkpoint)], ["promote", "ft-compose"]):
        run(
            [*digitrec, *step, "--database-url", url, "--models-dir", str(tmp_path / "models")],
            dict(os.environ),
        )
    reached = wait_for_version([first, second], "ft-compose", since=time.monotonic())
    print(f"\nthe promotion reached both replicas {reached:.1f} s after it was made")
