"""What only the SQL backends have: a file that outlives the engine, WAL, and databases that are down, hang
or are locked, which must give StorageUnavailable after a bounded wait and leave nothing half-written."""

from __future__ import annotations

import socket
import sqlite3
import time

import psycopg
import pytest
from postgres_cluster import ThrowawayCluster, libpq_url, server_binaries
from sqlalchemy import event, make_url
from sqlalchemy.exc import OperationalError

from digitrec.adapters.sql.engine import create_sql_engine, use_wal
from digitrec.adapters.sql.repository import SqlSubmissionRepository
from digitrec.adapters.sql.schema import upgrade_database
from digitrec.domain.types.errors import StorageUnavailable


def closed_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def migrated_repository(url: str, timeout: float = 10) -> SqlSubmissionRepository:
    engine = create_sql_engine(url, timeout=timeout)
    upgrade_database(engine)
    return SqlSubmissionRepository(engine)


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


def test_a_postgresql_server_that_never_answers_times_out(make_submission):
    with socket.socket() as silent:  # accepts the TCP connection (the kernel does), then says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        engine = create_sql_engine(f"postgresql+psycopg://digitrec@127.0.0.1:{port}/digitrec", timeout=2)
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="unavailable"):
            SqlSubmissionRepository(engine).add(make_submission())
    assert time.monotonic() - started < 10


def test_sqlite_file_under_a_regular_file_raises_storage_unavailable(tmp_path):
    (tmp_path / "not_a_folder").write_text("")
    url = f"sqlite:///{tmp_path / 'not_a_folder' / 'submissions.sqlite3'}"

    with pytest.raises(StorageUnavailable, match="not_a_folder"):
        upgrade_database(create_sql_engine(url))


def test_submissions_survive_reopening_the_sqlite_file(sqlite_url, make_submission):
    first = migrated_repository(sqlite_url)
    submission_id = first.add(make_submission(label=4, predicted=9, seed=5))

    reopened = migrated_repository(sqlite_url)  # upgrading again must leave existing rows alone
    stored = reopened.get(submission_id)

    assert stored is not None
    assert (stored.label, stored.prediction.digit) == (4, 9)
    assert stored.image_png == make_submission(seed=5).image_png


@pytest.mark.parametrize(("timeout", "busy_ms"), [(15, 15000), (0.25, 250)])
def test_sqlite_connections_use_wal_and_wait_for_locks(sqlite_url, timeout, busy_ms):
    engine = create_sql_engine(sqlite_url, timeout=timeout)
    with engine.connect() as connection:
        journal_mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
    engine.dispose()

    assert (journal_mode, busy_timeout, foreign_keys) == ("wal", busy_ms, 1)


class SwitchRefusedConnection:
    """A sqlite3 connection to a file in rollback-journal mode whose switch to WAL is refused `refusals`
    times with "database is locked", as SQLite does while another connection is switching the same file."""

    def __init__(self, refusals: int) -> None:
        self.connection = sqlite3.connect(":memory:")
        self.refusals = refusals
        self.mode = "delete"
        self.attempts = 0

    def execute(self, statement: str) -> sqlite3.Cursor:
        if statement == "PRAGMA journal_mode":
            return self.connection.execute("SELECT ?", (self.mode,))
        assert statement == "PRAGMA journal_mode=WAL"
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise sqlite3.OperationalError("database is locked")
        self.mode = "wal"
        return self.connection.execute("SELECT 'wal'")


def test_a_refused_switch_to_wal_is_retried_until_it_succeeds():
    connection = SwitchRefusedConnection(refusals=3)

    use_wal(connection, timeout=5)

    assert (connection.mode, connection.attempts) == ("wal", 4)


def test_a_switch_to_wal_refused_for_longer_than_the_timeout_gives_up():
    connection = SwitchRefusedConnection(refusals=10**6)
    started = time.monotonic()

    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        use_wal(connection, timeout=0.3)

    assert 0.1 < time.monotonic() - started < 2
    assert connection.attempts > 1


def test_a_file_already_in_wal_is_not_switched_again():
    connection = SwitchRefusedConnection(refusals=10**6)
    connection.mode = "wal"

    use_wal(connection, timeout=5)

    assert connection.attempts == 0


def test_a_locked_sqlite_file_gives_storage_unavailable_after_the_timeout(sqlite_url, make_submission):
    repo = migrated_repository(sqlite_url, timeout=0.5)
    repo.add(make_submission(seed=1))
    other_process = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="database is locked"):
            repo.add(make_submission(seed=2))
        waited = time.monotonic() - started
        assert repo.count() == 1  # readers are not blocked (WAL), and nothing was half-written
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
    assert 0.4 < waited < 5
    repo.add(make_submission(seed=3))
    assert repo.count() == 2


def test_a_locked_postgresql_table_gives_storage_unavailable_after_the_timeout(postgres_url, make_submission):
    repo = migrated_repository(postgres_url, timeout=1)
    repo.add(make_submission(seed=1))
    with psycopg.connect(libpq_url(postgres_url)) as other:
        other.execute("LOCK TABLE submissions IN ACCESS EXCLUSIVE MODE")  # until this transaction ends
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="lock timeout"):
            repo.add(make_submission(seed=2))
        with pytest.raises(StorageUnavailable, match="lock timeout"):
            repo.latest(10)
        waited = time.monotonic() - started
        other.rollback()
    assert 1.5 < waited < 10
    assert repo.count() == 1
    repo.add(make_submission(seed=3))
    assert repo.count() == 2


def test_a_failure_inside_the_transaction_leaves_nothing_behind(database_url, make_submission):
    repo = migrated_repository(database_url)
    engine = repo._engine

    def fail_after_the_insert(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SUBMISSIONS"):
            raise OperationalError(statement, parameters, Exception("disk I/O error"))

    event.listen(engine, "after_cursor_execute", fail_after_the_insert)
    with pytest.raises(StorageUnavailable, match="disk I/O error"):
        repo.add(make_submission(seed=1))
    event.remove(engine, "after_cursor_execute", fail_after_the_insert)

    assert repo.count() == 0
    assert repo.add(make_submission(seed=2)) is not None and repo.count() == 1


def test_a_postgresql_server_that_goes_down_and_comes_back(postgres_server, make_submission):
    binaries = server_binaries()  # postgres_server has failed (CI) or skipped already if there are none...
    if binaries is None:  # ...unless DIGITREC_TEST_POSTGRES_URL names a server elsewhere
        pytest.skip("needs PostgreSQL's server binaries to stop and start a server of its own")
    cluster = ThrowawayCluster(binaries)
    with cluster as admin_url:
        repo = migrated_repository(admin_url, timeout=2)
        repo.add(make_submission(seed=1))

        cluster.stop()
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="unavailable"):
            repo.add(make_submission(seed=2))
        assert time.monotonic() - started < 10

        cluster.start()
        repo.add(make_submission(seed=3))  # the pool's stale connections are replaced
        assert [s.image_png for s in repo.latest(10)] == [
            make_submission(seed=seed).image_png for seed in (3, 1)
        ]


def test_a_sql_ascii_postgresql_database_works_as_a_utf8_one(postgres_server, make_submission):
    """initdb without a locale makes SQL_ASCII databases, where psycopg hands text back as bytes: the engine
    asks for UTF-8, so submissions and the model registry work there too."""
    name = "digitrec_sql_ascii"
    with psycopg.connect(libpq_url(postgres_server), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(
            f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        )
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    engine = create_sql_engine(url, timeout=10)
    try:
        upgrade_database(engine)
        repo = SqlSubmissionRepository(engine)
        stored = repo.get(repo.add(make_submission(label=5, predicted=5)))
        assert stored.label == 5 and isinstance(stored.model_version, str)
    finally:
        engine.dispose()
        with psycopg.connect(libpq_url(postgres_server), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
