"""Review and the learning loop in the app: each submission gets the model's not-a-digit verdict, a review
status (ok, excluded, not_digit) and when it was reviewed; new tables hold the operators' audit log (which
is also each submission's review history) and the fine-tune jobs that workers run.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain added columns: SQLite adds them in place, so the table keeps its AUTOINCREMENT.
    op.add_column("submissions", sa.Column("predicted_is_digit", sa.Boolean, nullable=True))
    op.add_column(
        "submissions", sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'ok'"))
    )
    op.add_column("submissions", sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "operator_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("submission_id", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_operator_actions"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_operator_actions_submission_id", "operator_actions", ["submission_id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("progress", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_table("jobs")
    op.drop_index("ix_operator_actions_submission_id", table_name="operator_actions")
    op.drop_table("operator_actions")
    for column in ("reviewed_at", "status", "predicted_is_digit"):
        op.drop_column("submissions", column)
