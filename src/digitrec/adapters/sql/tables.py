"""The database schema (submissions, the operators' audit log, fine-tune jobs, the model registry), as
SQLAlchemy Core tables.
Domain classes are never mapped here: `sql_repository` converts rows to and from `Submission` explicitly.

The migrations in `migrations/versions/` create this schema; a change here needs a new migration there
(tests/integration/test_migrations.py checks that both agree, on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

# Named constraints, so that later Alembic migrations can refer to them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),  # UTC
    Column(
        "label",
        SmallInteger,
        CheckConstraint("label BETWEEN 0 AND 9", name="label_is_digit"),
        nullable=False,
    ),
    Column(
        "predicted",
        SmallInteger,
        CheckConstraint("predicted BETWEEN 0 AND 9", name="predicted_is_digit"),
        nullable=False,
    ),
    Column("probabilities", JSON, nullable=False),  # list of 10 floats, index = digit
    Column("model_version", String(100), nullable=False),
    Column("image_png", LargeBinary, nullable=False),
    Column("model_input", LargeBinary, nullable=False),  # 28*28 float32, little-endian, row-major
    Column("image_sha256", String(64), nullable=False, index=True),  # hex digest of image_png
    # The app's idempotency key (one per canvas): a repeated submit finds the first row instead of adding one.
    Column("submit_token", String(64), nullable=True),
    Column("predicted_is_digit", Boolean, nullable=True),  # the model's verdict; NULL (older rows): a digit
    # What a review made of it (ok, excluded, not_digit), and when it was last reviewed (NULL: never).
    Column("status", String(16), nullable=False, server_default=text("'ok'")),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    # A digit of a written number: the number's id (its digits share it) and the digit's place, 0 = leftmost.
    Column("number_id", String(64), nullable=True, index=True),
    Column("number_position", SmallInteger, nullable=True),
    # Who sent it (the app's per-tab visitor key; NULL: the operator's own data), and what the last trust
    # check before a fine-tune decided about its label (trusted, down_weighted, held_back), why, how
    # suspicious the label is (0-1) and what the drawing weighed in training.
    Column("visitor", String(64), nullable=True, index=True),
    Column("trust", String(16), nullable=True),
    Column("trust_reason", Text, nullable=True),
    Column("trust_suspicion", Float, nullable=True),
    Column("trust_weight", Float, nullable=True),
    # The statistics (GROUP BY these three) read this index instead of every row with its images.
    Index("ix_submissions_stats", "model_version", "label", "predicted"),
    Index("uq_submissions_submit_token", "submit_token", unique=True),
    # History's "only the mistakes" walks this index of the mistakes' ids, not the whole table.
    Index(
        "ix_submissions_mistake_ids",
        "id",
        postgresql_where=text("predicted <> label"),
        sqlite_where=text("predicted <> label"),
    ),
    sqlite_autoincrement=True,  # never reuse an id, even after deleting the newest row
)

# Every operator action (reviews, fine-tunes started, promotions, rollbacks): who, what, when. A review's
# row names its submission, so the rows of one submission are its history (old and new labels included).
operator_actions = Table(
    "operator_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("operator", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("submission_id", Integer, nullable=True, index=True),
    sqlite_autoincrement=True,
)

# Visitors an operator blocked: what they send is stored and never trained on.
blocked_visitors = Table(
    "blocked_visitors",
    metadata,
    Column("visitor", String(64), primary_key=True),
    Column("blocked_at", DateTime(timezone=True), nullable=False),
    Column("operator", String(64), nullable=False),
)

# Fine-tune jobs: queued by an operator, claimed by one worker, with their progress and outcome.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # queued, running, done, failed
    Column("config", JSON, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Column("worker", String(128), nullable=True),
    Column("progress", JSON, nullable=False),  # one dict of metrics per finished epoch
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    sqlite_autoincrement=True,
)

# How many submissions there are per (model version, true label, predicted digit), kept up to date in the
# same transaction as every insert and relabel: the Stats page and History's counts read these few rows
# instead of counting a million submissions.
submission_counts = Table(
    "submission_counts",
    metadata,
    Column("model_version", String(100), primary_key=True),
    Column("label", SmallInteger, primary_key=True),
    Column("predicted", SmallInteger, primary_key=True),
    Column("n", Integer, nullable=False),
)

# The model registry: every version's checkpoint and ONNX twin (bytes, so that every machine reading this
# database can serve it), lineage and metrics; the promotions, newest last (a rollback marks the newest
# standing one undone); and the live pointer, one row that every promotion updates first, so that two
# promotions at once are serialised by its row lock. A NULL version means the model shipped in the package.
model_versions = Table(
    "model_versions",
    metadata,
    Column("version", String(100), primary_key=True),
    Column("created_at", String(40), nullable=True),  # ISO 8601, as the checkpoint says
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("parent", String(100), nullable=True),
    Column("test_accuracy", Float, nullable=True),
    Column("details", JSON, nullable=False),  # the rest of the ModelRecord: curves, confusion, held-out...
    Column("checkpoint_sha256", String(64), nullable=False),
    Column("checkpoint", LargeBinary, nullable=False),
    Column("onnx", LargeBinary, nullable=True),
    Column("explain_onnx", LargeBinary, nullable=True),  # its explain graph (adapters/onnx/explain.py)
)

model_promotions = Table(
    "model_promotions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(100), ForeignKey("model_versions.version"), nullable=False),
    Column("promoted_at", DateTime(timezone=True), nullable=False),
    Column("undone_at", DateTime(timezone=True), nullable=True),
    sqlite_autoincrement=True,
)

live_model = Table(
    "live_model",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("version", String(100), ForeignKey("model_versions.version"), nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=True),
    Column("folder_imported", Boolean, nullable=False),  # a models/ folder of older digitrec was read
)
