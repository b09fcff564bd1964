"""Counts that stay fast at a million submissions: `submission_counts` holds how many submissions there are
per (model version, true label, predicted digit), filled from the existing rows here and kept up to date
with every insert and relabel; a partial index holds the ids of the model's mistakes, for History's filter.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_counts",
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("predicted", sa.SmallInteger, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("model_version", "label", "predicted", name="pk_submission_counts"),
    )
    op.execute(
        "INSERT INTO submission_counts (model_version, label, predicted, n) "
        "SELECT model_version, label, predicted, count(*) FROM submissions "
        "GROUP BY model_version, label, predicted"
    )
    op.create_index(
        "ix_submissions_mistake_ids",
        "submissions",
        ["id"],
        postgresql_where=sa.text("predicted <> label"),
        sqlite_where=sa.text("predicted <> label"),
    )


def downgrade() -> None:
    op.drop_index("ix_submissions_mistake_ids", table_name="submissions")
    op.drop_table("submission_counts")
