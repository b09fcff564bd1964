"""AppTest fixtures: the app gets a container whose repository and classifier are swapped for fakes."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from digitrec.adapters.memory.repository import InMemorySubmissionRepository
from digitrec.containers import Container
from digitrec.domain.types.predictions import Prediction
from digitrec.domain.types.submissions import Submission
from digitrec.entrypoints.webapp import wiring

APP = Path(wiring.__file__).with_name("app.py")


@pytest.fixture
def repo() -> InMemorySubmissionRepository:
    return InMemorySubmissionRepository()


OPERATOR_PASSWORD = "correct horse"


@pytest.fixture
def container(monkeypatch, repo, fake_classifier, tmp_path) -> Iterator[Container]:
    """The container the app will get from `wiring.get_container()`, with fakes in place: in-memory storage
    (submissions, reviews, jobs) around `repo`, model versions in tmp_path/models, an operator password."""
    test_container = Container()
    test_container.config.from_dict(
        {
            "database_url": "memory://",
            "models_dir": str(tmp_path / "models"),
            "admin_password": OPERATOR_PASSWORD,
        }
    )
    test_container.memory_submissions.override(repo)
    test_container.submissions.override(repo)
    test_container.classifier.override(fake_classifier)
    monkeypatch.setattr(wiring, "build_container", lambda: test_container)
    wiring.get_container.clear()
    yield test_container
    wiring.get_container.clear()


@pytest.fixture
def app(container) -> Callable[[str], AppTest]:
    """`app("history.py")`: the app, run once on that page (with `query` in its address)."""

    def open_page(page: str = "draw.py", query: dict[str, str] | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        at.query_params.update(query or {})
        at.run()
        if page != "draw.py":
            at.switch_page(f"views/{page}").run()
        assert not at.exception, at.exception
        return at

    return open_page


def canvas_png(strokes: list[tuple[slice, slice]], side: int = 280) -> bytes:
    """An opaque RGBA PNG, white ink on black, as the canvas sends it."""
    pixels = np.zeros((side, side, 4), np.uint8)
    pixels[..., 3] = 255
    for rows, cols in strokes:
        pixels[rows, cols, :3] = 255
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


A_ONE = [(slice(60, 220), slice(125, 150))]  # a vertical bar


@pytest.fixture
def draw() -> Callable[..., AppTest]:
    """`draw(at)`: put a drawing on the canvas as the component would send it, and rerun."""

    def put_on_canvas(at: AppTest, strokes=A_ONE) -> AppTest:
        data_url = "data:image/png;base64," + base64.b64encode(canvas_png(strokes)).decode("ascii")
        at.session_state["canvas"] = {"drawing": {"raw": {"objects": []}, "data": data_url}}
        return at.run()

    return put_on_canvas


@pytest.fixture
def seed(repo) -> Callable[..., int]:
    """`seed(label, predicted, version, minutes_ago)`: store a submission the way the app would; its id."""

    def add(label: int, predicted: int, version: str = "cnn-a", minutes_ago: int = 0) -> int:
        probabilities = np.full(10, 0.02)
        probabilities[predicted] = 0.82
        return repo.add(
            Submission(
                image_png=canvas_png(A_ONE),
                model_input=np.zeros((28, 28), np.float32),
                prediction=Prediction.from_probabilities(probabilities),
                label=label,
                model_version=version,
                created_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC) - timedelta(minutes=minutes_ago),
            )
        )

    return add


@pytest.fixture
def sign_in() -> Callable[..., AppTest]:
    """`sign_in(at)`: sign in as operator "ann" through the sidebar form (`password` to try another)."""

    def as_operator(at: AppTest, password: str = OPERATOR_PASSWORD) -> AppTest:
        at.sidebar.text_input(key="operator-name").input("ann")
        at.sidebar.text_input(key="operator-password").input(password)
        next(b for b in at.sidebar.button if b.label == "Sign in").click()
        at.run()
        assert not at.exception, at.exception
        return at

    return as_operator
