"""A submit token per submission, unique: the app mints one per canvas, so a double click or a retried
request finds the row stored first instead of adding a second one. Existing rows have none (NULL, which a
unique constraint allows many times on SQLite and PostgreSQL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A unique index rather than a constraint: SQLite adds it in place, where a constraint would make Alembic
    # copy the table (and lose its AUTOINCREMENT). ON CONFLICT works with either, on both backends.
    op.add_column("submissions", sa.Column("submit_token", sa.String(64), nullable=True))
    op.create_index("uq_submissions_submit_token", "submissions", ["submit_token"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_submissions_submit_token", table_name="submissions")
    op.drop_column("submissions", "submit_token")  # SQLite drops a column in place since 3.35
