"""The model registry moves into the database: model versions (checkpoint and ONNX bytes, lineage,
metrics), the promotions in order, and the live pointer, so that every machine sharing the database serves
the same live model. The one pointer row is created here, pointing at the shipped model (NULL).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parent", sa.String(100), nullable=True),
        sa.Column("test_accuracy", sa.Float, nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("checkpoint_sha256", sa.String(64), nullable=False),
        sa.Column("checkpoint", sa.LargeBinary, nullable=False),
        sa.Column("onnx", sa.LargeBinary, nullable=True),
        sa.PrimaryKeyConstraint("version", name="pk_model_versions"),
    )
    op.create_table(
        "model_promotions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_model_promotions"),
        sa.ForeignKeyConstraint(
            ["version"],
            ["model_versions.version"],
            name="fk_model_promotions_version_model_versions",
        ),
        sqlite_autoincrement=True,
    )
    live = op.create_table(
        "live_model",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("version", sa.String(100), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("folder_imported", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_live_model"),
        sa.ForeignKeyConstraint(
            ["version"], ["model_versions.version"], name="fk_live_model_version_model_versions"
        ),
    )
    op.bulk_insert(live, [{"id": 1, "version": None, "changed_at": None, "folder_imported": False}])


def downgrade() -> None:
    op.drop_table("live_model")
    op.drop_table("model_promotions")
    op.drop_table("model_versions")
