"""The submissions table, as digitrec created it before it had migrations (`metadata.create_all`).

A database made then has no alembic_version table; `upgrade_database` stamps it with this revision.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "label",
            sa.SmallInteger,
            sa.CheckConstraint("label BETWEEN 0 AND 9", name="ck_submissions_label_is_digit"),
            nullable=False,
        ),
        sa.Column(
            "predicted",
            sa.SmallInteger,
            sa.CheckConstraint("predicted BETWEEN 0 AND 9", name="ck_submissions_predicted_is_digit"),
            nullable=False,
        ),
        sa.Column("probabilities", sa.JSON, nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("image_png", sa.LargeBinary, nullable=False),
        sa.Column("model_input", sa.LargeBinary, nullable=False),
        sa.Column("image_sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_submissions_created_at", "submissions", ["created_at"])
    op.create_index("ix_submissions_image_sha256", "submissions", ["image_sha256"])
    op.create_index("ix_submissions_model_version", "submissions", ["model_version"])


def downgrade() -> None:
    op.drop_table("submissions")
