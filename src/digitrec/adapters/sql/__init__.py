"""The SQL adapters: SQLAlchemy tables, the Alembic schema, submissions, the model registry, jobs and
reviews."""
