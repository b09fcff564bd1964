"""Each model version's explain graph (`VERSION.explain.onnx`: the network's feature maps and head weights,
for "Inside the model" on ONNX Runtime) is stored beside its ONNX twin, so that a replica without torch can
show what is inside any version. NULL for versions registered before, or from a checkpoint without one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("model_versions", sa.Column("explain_onnx", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    op.drop_column("model_versions", "explain_onnx")
