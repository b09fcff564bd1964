from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from postgres_cluster import FAST_SETTINGS, ThrowawayCluster, create_database, drop_database, server_binaries

from digitrec.adapters.memory.repository import InMemorySubmissionRepository
from digitrec.adapters.sql.engine import create_sql_engine
from digitrec.adapters.sql.repository import SqlSubmissionRepository
from digitrec.adapters.sql.schema import upgrade_database
from digitrec.containers import Container
from digitrec.domain.types.predictions import IMAGE_SIDE, NUM_CLASSES, Prediction
from digitrec.domain.types.submissions import Submission


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


@pytest.fixture(scope="session")
def postgres_binaries() -> Path:
    """The folder of PostgreSQL's initdb and pg_ctl. Missing binaries skip the test, except in CI (CI set),
    where they fail it: there the PostgreSQL tests must run."""
    binaries = server_binaries()
    if binaries is None:
        reason = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or "
            "$DIGITREC_POSTGRES_BIN: install Debian's postgresql (scripts/install-system-packages.sh does) "
            "or set DIGITREC_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(reason)
    return binaries


@pytest.fixture(scope="session")
def postgres_server(request) -> Iterator[str]:
    """A URL of a PostgreSQL server's admin database: $DIGITREC_TEST_POSTGRES_URL (its user needs CREATEDB),
    else a throwaway cluster started for this test session."""
    if url := os.environ.get("DIGITREC_TEST_POSTGRES_URL"):
        yield url
        return
    with ThrowawayCluster(request.getfixturevalue("postgres_binaries"), FAST_SETTINGS) as admin_url:
        yield admin_url


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped after the test."""
    name = f"digitrec_test_{uuid.uuid4().hex[:12]}"
    yield create_database(postgres_server, name)
    drop_database(postgres_server, name)


def memory_repository(request: pytest.FixtureRequest) -> Iterator[InMemorySubmissionRepository]:
    yield InMemorySubmissionRepository()


def sql_repository(url: str) -> Iterator[SqlSubmissionRepository]:
    engine = create_sql_engine(url, timeout=10)
    upgrade_database(engine)
    yield SqlSubmissionRepository(engine)
    engine.dispose()


def sqlite_repository(request: pytest.FixtureRequest) -> Iterator[SqlSubmissionRepository]:
    yield from sql_repository(request.getfixturevalue("sqlite_url"))


def postgresql_repository(request: pytest.FixtureRequest) -> Iterator[SqlSubmissionRepository]:
    yield from sql_repository(request.getfixturevalue("postgres_url"))


# Every SubmissionRepository backend the contract suite runs against.
REPOSITORY_BACKENDS = {
    "memory": memory_repository,
    "sqlite": sqlite_repository,
    "postgresql": postgresql_repository,
}
SQL_BACKENDS = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}


@pytest.fixture(params=sorted(REPOSITORY_BACKENDS))
def repo(request: pytest.FixtureRequest) -> Iterator[InMemorySubmissionRepository | SqlSubmissionRepository]:
    yield from REPOSITORY_BACKENDS[request.param](request)


@pytest.fixture(params=sorted(SQL_BACKENDS))
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database: a SQLite file, then a PostgreSQL database."""
    return request.getfixturevalue(SQL_BACKENDS[request.param])


@pytest.fixture(params=["memory", *sorted(SQL_BACKENDS)])
def container(request: pytest.FixtureRequest) -> Iterator[Container]:
    """The composition root on each storage backend: what the review and job contract tests run against."""
    url = "memory://" if request.param == "memory" else request.getfixturevalue(SQL_BACKENDS[request.param])
    container = Container()
    container.config.from_dict({"database_url": url, "database_timeout": 10})
    yield container
    if request.param != "memory":
        container.engine().dispose()
