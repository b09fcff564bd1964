"""Who sent what, and what the trust check made of it: each submission's visitor (the app's per-tab key,
indexed; NULL for the operator's own data), the last trust decision before a fine-tune (trusted,
down_weighted or held_back, with its reason, how suspicious the label is and the weight it trained with),
and the visitors an operator blocked (their drawings are stored, never trained on).

Rows the app stored before this revision carry their visitor in their submit token (`<visitor>-<uuid>`):
it is copied into the new column.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("visitor", sa.String(64), nullable=True))
    op.add_column("submissions", sa.Column("trust", sa.String(16), nullable=True))
    op.add_column("submissions", sa.Column("trust_reason", sa.Text, nullable=True))
    op.add_column("submissions", sa.Column("trust_suspicion", sa.Float, nullable=True))
    op.add_column("submissions", sa.Column("trust_weight", sa.Float, nullable=True))
    op.create_index("ix_submissions_visitor", "submissions", ["visitor"])
    op.execute(
        "UPDATE submissions SET visitor = substr(submit_token, 1, 16) "
        "WHERE submit_token IS NOT NULL AND length(submit_token) > 17 AND substr(submit_token, 17, 1) = '-'"
    )
    op.create_table(
        "blocked_visitors",
        sa.Column("visitor", sa.String(64), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("visitor", name="pk_blocked_visitors"),
    )


def downgrade() -> None:
    op.drop_table("blocked_visitors")
    op.drop_index("ix_submissions_visitor", table_name="submissions")
    for column in ("trust_weight", "trust_suspicion", "trust_reason", "trust", "visitor"):
        op.drop_column("submissions", column)
