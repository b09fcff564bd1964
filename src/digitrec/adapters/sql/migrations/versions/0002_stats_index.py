"""An index that covers the statistics query (GROUP BY model_version, label, predicted), so that counting
reads the index instead of every row with its images; it replaces the index on model_version alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_submissions_stats", "submissions", ["model_version", "label", "predicted"])
    op.drop_index("ix_submissions_model_version", table_name="submissions")


def downgrade() -> None:
    op.create_index("ix_submissions_model_version", "submissions", ["model_version"])
    op.drop_index("ix_submissions_stats", table_name="submissions")
