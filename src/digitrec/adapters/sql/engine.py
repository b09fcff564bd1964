"""Connecting to the database: an engine for SQLite or PostgreSQL that waits a bounded time for locks and
connections, and the errors of a database that cannot be reached, as StorageUnavailable."""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from digitrec.domain.types.errors import StorageUnavailable
from digitrec.settings import DATABASE_TIMEOUT


def create_sql_engine(url: str, timeout: float = DATABASE_TIMEOUT) -> Engine:
    """An engine for `url` that waits at most about `timeout` seconds for a lock or a connection.

    SQLite gets WAL (readers never block the writer) and a busy timeout, so that several threads and
    processes can share the file. PostgreSQL gets a connect timeout, a lock timeout and UTF-8 text (unless
    the URL sets them), and connections are checked before use, so a restarted server is reconnected to."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            if "connect_timeout" not in parsed.query:
                connect_args["connect_timeout"] = max(2, math.ceil(timeout))  # libpq's minimum is 2 s
            if "options" not in parsed.query:
                connect_args["options"] = f"-c lock_timeout={round(timeout * 1000)}"
            # Text as str even in a SQL_ASCII database (initdb without a locale), where psycopg gives bytes.
            connect_args.setdefault("client_encoding", parsed.query.get("client_encoding", "utf8"))
        return create_engine(parsed, pool_pre_ping=True, pool_timeout=timeout, connect_args=connect_args)
    if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageUnavailable(f"cannot create the folder of SQLite database {url}: {error}") from error
    engine = create_engine(parsed, pool_timeout=timeout, connect_args={"timeout": timeout})  # busy timeout

    @event.listens_for(engine, "connect")
    def configure_sqlite_connection(dbapi_connection: Any, _connection_record: Any) -> None:
        use_wal(dbapi_connection, timeout)
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


def use_wal(dbapi_connection: sqlite3.Connection, timeout: float) -> None:
    """Put the SQLite file in WAL mode (a setting stored in the file), waiting at most `timeout` seconds.

    Switching needs an exclusive lock, and SQLite answers "database is locked" at once, without its busy
    timeout, when another connection is switching the same file at that moment (two processes opening a
    new database together). So a file already in WAL is left alone, and a refused switch is retried."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


@contextmanager
def storage_errors(engine: Engine) -> Iterator[None]:
    """Turn 'cannot reach or use the database' errors (down, locked, timed out) into StorageUnavailable."""
    try:
        yield
    except (DBAPIError, PoolTimeout) as error:
        if isinstance(error, DBAPIError) and not (
            isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated
        ):
            raise  # integrity and programming errors are bugs, not an unavailable database
        where = engine.url.render_as_string(hide_password=True)
        reason = getattr(error, "orig", None) or error
        raise StorageUnavailable(f"submission database {where} is unavailable: {reason}") from error
