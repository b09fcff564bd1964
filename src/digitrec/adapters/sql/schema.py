"""The submission database's schema, kept by the Alembic migrations shipped in `migrations/versions/`.

`upgrade_database` brings any database to the newest revision, safely when several processes start at once
(PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), and in one transaction where the database allows.
A database created before digitrec had migrations (by `metadata.create_all`, with no alembic_version table)
is recognised and stamped as revision 0001, which is that schema, then upgraded like any other.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, inspect, select

from digitrec.adapters.sql.engine import storage_errors
from digitrec.domain.types.errors import StorageUnavailable

MIGRATIONS = Path(__file__).with_name("migrations")
BEFORE_MIGRATIONS = "0001"  # the schema that `create_schema` made before there were migrations
LEGACY_COLUMNS = {
    "id", "created_at", "label", "predicted", "probabilities", "model_version", "image_png", "model_input",
    "image_sha256",
}  # fmt: skip
MIGRATION_LOCK = 0x64696769  # any constant shared by every digitrec process: "digi"

log = logging.getLogger(__name__)  # reports an upgrade in one line; alembic's own logs say more


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: no alembic.ini is needed or read."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database without digitrec's migrations."""
    with storage_errors(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_database(engine: Engine, revision: str = "head") -> str:
    """Apply every pending migration up to `revision`; return the revision the database is at now.

    Raises StorageUnavailable when the database can't be reached, was migrated by a newer digitrec (its
    revision is unknown here), or holds a `submissions` table that digitrec did not create."""
    where = engine.url.render_as_string(hide_password=True)
    with storage_errors(engine), engine.connect() as connection:
        hold_migration_lock(connection)
        before = MigrationContext.configure(connection).get_current_revision()
        known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if before is not None and before not in known:
            raise StorageUnavailable(
                f"submission database {where} is at schema revision {before}, which this digitrec does not "
                f"know (it knows up to {head_revision()}): a newer digitrec migrated it; upgrade digitrec"
            )
        if before is None and inspect(connection).has_table("submissions"):
            check_legacy_table(connection, where)
            command.stamp(alembic_config(connection), BEFORE_MIGRATIONS)
            before = BEFORE_MIGRATIONS
        command.upgrade(alembic_config(connection), revision)
        after = MigrationContext.configure(connection).get_current_revision()
        connection.commit()
    if after != before:
        log.info("submission database %s: schema upgraded from %s to %s", where, before or "empty", after)
    return str(after)


def hold_migration_lock(connection: Connection) -> None:
    """Make another process that migrates the same database wait until this transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, now; DDL then runs inside it


def check_legacy_table(connection: Connection, where: str) -> None:
    columns = {column["name"] for column in inspect(connection).get_columns("submissions")}
    if columns != LEGACY_COLUMNS:
        raise StorageUnavailable(
            f"submission database {where} has a submissions table that digitrec did not create (columns "
            f"{sorted(columns)}) and no migration history: point digitrec at another database"
        )
