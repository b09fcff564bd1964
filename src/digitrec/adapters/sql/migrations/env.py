"""Alembic's entry point for digitrec's migrations (versions/). digitrec runs them itself, without an
alembic.ini: `digitrec db upgrade`, and any command and the app at start, call
adapters/sql_migrations.upgrade_database, which hands this script an open connection (already locked against
other processes migrating the same database)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("digitrec's migrations run through `digitrec db upgrade`, on a live connection")

# Migrations spell out every name, so no target metadata is needed; SQLite alters tables in batch mode.
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
