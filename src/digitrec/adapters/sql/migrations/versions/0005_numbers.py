"""Numbers: a written number is stored as one submission per digit, tied together by `number_id` (indexed)
and ordered by `number_position`; both NULL for a single digit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("number_id", sa.String(64), nullable=True))
    op.add_column("submissions", sa.Column("number_position", sa.SmallInteger, nullable=True))
    op.create_index("ix_submissions_number_id", "submissions", ["number_id"])


def downgrade() -> None:
    op.drop_index("ix_submissions_number_id", table_name="submissions")
    op.drop_column("submissions", "number_position")
    op.drop_column("submissions", "number_id")
