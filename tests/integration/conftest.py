from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image

from digitrec.adapters.memory_repository import InMemorySubmissionRepository
from digitrec.adapters.sql_repository import SqlSubmissionRepository, create_schema, create_sql_engine
from digitrec.domain.model import IMAGE_SIDE, NUM_CLASSES, Prediction, Submission


def build_submission(
    *, label: int = 3, predicted: int = 3, seed: int = 0, created_at: datetime | None = None
) -> Submission:
    """A valid submission: a tiny PNG of random pixels, and probabilities whose argmax is `predicted`."""
    rng = np.random.default_rng(seed)
    pixels = rng.random((IMAGE_SIDE, IMAGE_SIDE), dtype=np.float32)
    png = io.BytesIO()
    Image.fromarray((pixels * 255).astype(np.uint8), mode="L").save(png, format="PNG")
    probabilities = rng.random(NUM_CLASSES)
    probabilities[predicted] = probabilities.max() + 1.0
    probabilities /= probabilities.sum()
    return Submission(
        image_png=png.getvalue(),
        model_input=pixels,
        prediction=Prediction.from_probabilities(probabilities),
        label=label,
        model_version=f"cnn-test-{seed % 3}",
        created_at=created_at or datetime.now(UTC),
    )


@pytest.fixture
def make_submission() -> Callable[..., Submission]:
    return build_submission


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'submissions.sqlite3'}"


def memory_repository(request: pytest.FixtureRequest) -> Iterator[InMemorySubmissionRepository]:
    yield InMemorySubmissionRepository()


def sqlite_repository(request: pytest.FixtureRequest) -> Iterator[SqlSubmissionRepository]:
    engine = create_sql_engine(request.getfixturevalue("sqlite_url"))
    create_schema(engine)
    yield SqlSubmissionRepository(engine)
    engine.dispose()


# Every SubmissionRepository backend the contract suite runs against; add "postgresql" here.
REPOSITORY_BACKENDS = {"memory": memory_repository, "sqlite": sqlite_repository}


@pytest.fixture(params=sorted(REPOSITORY_BACKENDS))
def repo(request: pytest.FixtureRequest) -> Iterator[InMemorySubmissionRepository | SqlSubmissionRepository]:
    yield from REPOSITORY_BACKENDS[request.param](request)
