"""What only the SQL backend has: a file that outlives the engine, WAL, and a database that can be down."""

from __future__ import annotations

import socket

import pytest

from digitrec.adapters.sql_repository import SqlSubmissionRepository, create_schema, create_sql_engine
from digitrec.domain.model import StorageUnavailable


def closed_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_postgresql_raises_storage_unavailable_without_the_password(make_submission):
    port = closed_local_port()
    engine = create_sql_engine(
        f"postgresql+psycopg://digitrec:s3cret@127.0.0.1:{port}/digitrec?connect_timeout=1"
    )

    with pytest.raises(StorageUnavailable) as raised:
        SqlSubmissionRepository(engine).add(make_submission())

    message = str(raised.value)
    assert f"127.0.0.1:{port}/digitrec" in message
    assert "unavailable" in message
    assert "s3cret" not in message


def test_sqlite_file_under_a_regular_file_raises_storage_unavailable(tmp_path):
    (tmp_path / "not_a_folder").write_text("")
    url = f"sqlite:///{tmp_path / 'not_a_folder' / 'submissions.sqlite3'}"

    with pytest.raises(StorageUnavailable, match="not_a_folder"):
        create_schema(create_sql_engine(url))


def test_submissions_survive_reopening_the_sqlite_file(sqlite_url, make_submission):
    first_engine = create_sql_engine(sqlite_url)
    create_schema(first_engine)
    submission_id = SqlSubmissionRepository(first_engine).add(make_submission(label=4, predicted=9, seed=5))
    first_engine.dispose()

    reopened = create_sql_engine(sqlite_url)
    create_schema(reopened)  # must leave existing rows alone
    stored = SqlSubmissionRepository(reopened).get(submission_id)
    reopened.dispose()

    assert stored is not None
    assert (stored.label, stored.prediction.digit) == (4, 9)
    assert stored.image_png == make_submission(seed=5).image_png


def test_sqlite_connections_use_wal_and_wait_for_locks(sqlite_url):
    engine = create_sql_engine(sqlite_url)
    with engine.connect() as connection:
        journal_mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
    engine.dispose()

    assert (journal_mode, busy_timeout, foreign_keys) == ("wal", 15000, 1)
