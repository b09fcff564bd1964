"""The Alembic migrations, on SQLite and PostgreSQL: they build the schema orm.py describes, keep the data of
an older database, adopt a database made before there were migrations, and refuse what they can't handle."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect

from digitrec.adapters.sql.engine import create_sql_engine
from digitrec.adapters.sql.repository import SqlSubmissionRepository, row_values
from digitrec.adapters.sql.schema import alembic_config, head_revision, schema_revision, upgrade_database
from digitrec.adapters.sql.tables import metadata, submissions
from digitrec.containers import Container
from digitrec.domain.types.errors import StorageUnavailable

HEAD = "0009"

# What `metadata.create_all` made before digitrec had migrations (the schema of revision 0001), verbatim.
COLUMNS = """
    created_at {timestamp} NOT NULL,
    label SMALLINT NOT NULL CONSTRAINT ck_submissions_label_is_digit CHECK (label BETWEEN 0 AND 9),
    predicted SMALLINT NOT NULL
        CONSTRAINT ck_submissions_predicted_is_digit CHECK (predicted BETWEEN 0 AND 9),
    probabilities JSON NOT NULL,
    model_version VARCHAR(100) NOT NULL,
    image_png {blob} NOT NULL,
    model_input {blob} NOT NULL,
    image_sha256 VARCHAR(64) NOT NULL"""
LEGACY_SCHEMA = {
    "sqlite": "CREATE TABLE submissions (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,"
    + COLUMNS.format(timestamp="DATETIME", blob="BLOB")
    + ")",
    "postgresql": "CREATE TABLE submissions (id SERIAL NOT NULL,"
    + COLUMNS.format(timestamp="TIMESTAMP WITH TIME ZONE", blob="BYTEA")
    + ", CONSTRAINT pk_submissions PRIMARY KEY (id))",
}
LEGACY_INDEXES = [
    "CREATE INDEX ix_submissions_created_at ON submissions (created_at)",
    "CREATE INDEX ix_submissions_image_sha256 ON submissions (image_sha256)",
    "CREATE INDEX ix_submissions_model_version ON submissions (model_version)",
]


def differences_from_orm(engine: Engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def index_names(engine: Engine) -> set[str]:
    return {index["name"] for index in inspect(engine).get_indexes("submissions")}


REVISION_0001_COLUMNS = (
    "created_at", "label", "predicted", "probabilities", "model_version", "image_png", "model_input",
    "image_sha256",
)  # fmt: skip


def fill(engine: Engine, make_submission, n: int = 5) -> list[tuple]:
    """Store `n` submissions as a database at any revision holds them: the columns of revision 0001 only."""
    with engine.begin() as connection:
        for seed in range(n):
            values = row_values(make_submission(seed=seed, label=seed % 10))
            connection.execute(insert(submissions).values({k: values[k] for k in REVISION_0001_COLUMNS}))
    return stored(engine)


def stored(engine: Engine) -> list[tuple]:
    """Every field of every stored submission that revision 0001 has, oldest first (read with plain SQL, so
    that it works at every revision)."""
    columns = "id, image_png, model_input, probabilities, predicted, label, model_version, created_at"
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT {columns} FROM submissions ORDER BY id").all()
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def test_a_new_database_gets_exactly_the_schema_of_orm_py(database_url):
    engine = create_sql_engine(database_url)

    assert upgrade_database(engine) == head_revision() == schema_revision(engine) == HEAD
    assert differences_from_orm(engine) == []
    assert upgrade_database(engine) == HEAD  # a second start changes nothing


def test_a_database_at_the_first_revision_keeps_its_data_through_the_upgrade(database_url, make_submission):
    engine = create_sql_engine(database_url)
    assert upgrade_database(engine, "0001") == "0001"
    assert "ix_submissions_model_version" in index_names(engine)
    before = fill(engine, make_submission)

    assert upgrade_database(engine) == HEAD

    assert stored(engine) == before
    stats = SqlSubmissionRepository(engine).stats()  # the kept counts were filled from the rows there were
    assert sum(v.n for v in stats.per_version) == SqlSubmissionRepository(engine).count() == len(before)
    assert "ix_submissions_stats" in index_names(engine)
    assert "ix_submissions_model_version" not in index_names(engine)
    assert differences_from_orm(engine) == []


def test_the_submit_token_migration_keeps_the_rows_and_sqlite_keeps_autoincrement(
    database_url, make_submission
):
    engine = create_sql_engine(database_url)
    upgrade_database(engine, "0002")
    before = fill(engine, make_submission)

    assert upgrade_database(engine) == HEAD

    assert stored(engine) == before
    assert "uq_submissions_submit_token" in index_names(engine)
    assert differences_from_orm(engine) == []
    if engine.dialect.name == "sqlite":  # ids are never reused, so the table was altered, not copied
        with engine.connect() as connection:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'submissions'"
            ).scalar()
        assert "AUTOINCREMENT" in sql


def test_a_database_made_before_migrations_is_adopted_with_its_data(database_url, make_submission):
    engine = create_sql_engine(database_url)
    with engine.begin() as connection:
        for statement in [LEGACY_SCHEMA[engine.dialect.name], *LEGACY_INDEXES]:
            connection.exec_driver_sql(statement)
    before = fill(engine, make_submission)
    assert schema_revision(engine) is None

    assert upgrade_database(engine) == HEAD

    assert stored(engine) == before
    assert differences_from_orm(engine) == []


def test_downgrading_to_the_first_revision_and_back_keeps_the_data(database_url, make_submission):
    engine = create_sql_engine(database_url)
    upgrade_database(engine)
    before = fill(engine, make_submission)
    with engine.connect() as connection:
        command.downgrade(alembic_config(connection), "0001")
        connection.commit()
    assert schema_revision(engine) == "0001"

    upgrade_database(engine)

    assert stored(engine) == before


def test_processes_starting_together_migrate_once(database_url):
    def start() -> str:
        engine = create_sql_engine(database_url)
        try:
            return upgrade_database(engine)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda _: start(), range(4))) == [HEAD] * 4


def test_a_database_migrated_by_a_newer_digitrec_is_refused_with_a_clear_message(database_url):
    engine = create_sql_engine(database_url)
    upgrade_database(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")

    with pytest.raises(StorageUnavailable, match="revision 0099, which this digitrec does not know"):
        upgrade_database(engine)


def test_a_submissions_table_digitrec_did_not_make_is_refused(database_url):
    engine = create_sql_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE submissions (id INTEGER PRIMARY KEY, body TEXT)")

    with pytest.raises(StorageUnavailable, match="did not create"):
        upgrade_database(engine)
    assert schema_revision(engine) is None  # nothing was stamped


def test_the_app_and_cli_container_upgrade_an_old_database_when_they_open_it(database_url, make_submission):
    engine = create_sql_engine(database_url)
    with engine.begin() as connection:
        for statement in [LEGACY_SCHEMA[engine.dialect.name], *LEGACY_INDEXES]:
            connection.exec_driver_sql(statement)
    before = fill(engine, make_submission, n=3)
    container = Container()
    container.config.from_dict({"database_url": database_url})

    repo = container.submissions()

    assert container.database_revision() == HEAD == schema_revision(engine)
    assert repo.count() == 3 and stored(engine) == before


def test_a_migration_that_fails_half_way_changes_nothing(database_url, make_submission, monkeypatch):
    engine = create_sql_engine(database_url)
    upgrade_database(engine, "0001")
    before = fill(engine, make_submission, n=2)

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(Operations, "drop_index", fail)  # 0002 creates an index, then drops one
    with pytest.raises(RuntimeError, match="the disk is full"):
        upgrade_database(engine)

    assert schema_revision(engine) == "0001"
    assert "ix_submissions_stats" not in index_names(engine)
    assert stored(engine) == before


def test_the_visitor_migration_reads_each_app_rows_visitor_from_its_submit_token(
    database_url, make_submission
):
    engine = create_sql_engine(database_url)
    upgrade_database(engine, "0007")
    tokens = ["0123456789abcdef-" + "a" * 32, None, "not-from-the-app", "fedcba9876543210-7"]
    with engine.begin() as connection:
        for seed, token in enumerate(tokens):
            values = row_values(make_submission(seed=seed))
            connection.execute(
                insert(submissions).values(
                    {**{k: values[k] for k in REVISION_0001_COLUMNS}, "submit_token": token}
                )
            )
    before = stored(engine)

    assert upgrade_database(engine) == HEAD

    assert stored(engine) == before
    repo = SqlSubmissionRepository(engine)
    assert [s.visitor for s in repo.oldest_after(0, 10)] == [
        "0123456789abcdef",
        None,
        None,
        "fedcba9876543210",
    ]
    assert "ix_submissions_visitor" in index_names(engine) and differences_from_orm(engine) == []
    with engine.connect() as connection:  # and back down, keeping the rows
        command.downgrade(alembic_config(connection), "0007")
        connection.commit()
    assert schema_revision(engine) == "0007" and stored(engine) == before
