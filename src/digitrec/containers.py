"""The composition root: the one place that picks concrete adapters, from configuration.

Configuration keys (set by the CLI from flags / environment, or by tests; defaults in settings.py):
  database_url     SQLAlchemy URL (a SQLite file by default), or memory:// for a throwaway in-memory store
  database_timeout seconds a database call may wait for a lock, a connection or the server (15)
  data_dir         MNIST root
  model_path       checkpoint to serve (None: the live model of the registry in the database, which is the
                   model shipped in the package until another is promoted)
  models_dir       where `train` writes checkpoints, the registry keeps local copies of the versions it
                   serves, and an older digitrec's models/ folder (live.json) is imported from once
  live_check_seconds  how often a serving process asks which model is live (2)
  download         fetch MNIST when missing (bool)
  progress         show progress bars (bool)
  admin_password   the operator password (None: operator actions are off)
  processes        {rank, world_size, local_rank, local_world_size} of a distributed run (torchrun), or None
  runtime          what serves predictions: auto (torch where installed, else ONNX Runtime), torch, onnx

Entrypoints reach every adapter through this container, file formats and plots included, so a test can
swap any of them. torch is imported only when a torch adapter is first asked for, so commands that never
touch the model (and `digitrec --help`) start fast.
"""

from __future__ import annotations

from pathlib import Path

from dependency_injector import containers, providers

from digitrec import settings
from digitrec.adapters.files.image_codec import PillowImageCodec
from digitrec.adapters.files.labelled_folder import LabelledFolderFormat
from digitrec.adapters.files.plots import MatplotlibPlotter
from digitrec.adapters.files.submission_folder import SubmissionFolderFormat
from digitrec.adapters.memory.jobs import InMemoryJobQueue
from digitrec.adapters.memory.repository import InMemorySubmissionRepository
from digitrec.adapters.memory.reviews import InMemoryReviews
from digitrec.adapters.sql.engine import create_sql_engine
from digitrec.adapters.sql.jobs import SqlJobQueue
from digitrec.adapters.sql.repository import SqlSubmissionRepository
from digitrec.adapters.sql.reviews import SqlReviews


def storage_backend(database_url: str) -> str:
    return "memory" if database_url == settings.MEMORY_DATABASE_URL else "sql"


def open_database(url: str, timeout: float):
    """An engine on a database whose schema is up to date: pending migrations are applied first."""
    from digitrec.adapters.sql.schema import upgrade_database

    engine = create_sql_engine(url, timeout)
    upgrade_database(engine)
    return engine


def schema_revision_of(engine) -> str | None:
    from digitrec.adapters.sql.schema import schema_revision

    return schema_revision(engine)


def sql_model_registry(engine, models_dir: str | Path):
    """Model versions and the live pointer in the database; `models_dir` holds local copies (and, from an
    older digitrec, checkpoints and a live choice to import once)."""
    from digitrec.adapters.pretrained import shipped_model_path
    from digitrec.adapters.sql.model_registry import SqlModelRegistry

    return SqlModelRegistry(engine, shipped_model_path(), Path(models_dir))


def memory_model_registry(models_dir: str | Path):
    from digitrec.adapters.memory.model_registry import InMemoryModelRegistry
    from digitrec.adapters.pretrained import shipped_model_path

    return InMemoryModelRegistry(shipped_model_path(), Path(models_dir))


def serving_runtime(choice: str) -> str:
    """torch or onnx: `auto` takes torch where it is installed, ONNX Runtime where it is not."""
    from digitrec.adapters.pretrained import torch_available

    if choice not in settings.RUNTIMES:
        raise ValueError(f"the runtime is one of {', '.join(settings.RUNTIMES)}, not {choice!r}")
    return ("torch" if torch_available() else "onnx") if choice == "auto" else choice


def serving_classifier(model_path: str | Path | None, registry, runtime: str, check_every: float):
    """The checkpoint at `model_path` when one is given, else whatever model the registry says is live
    (asked at most every `check_every` seconds); on torch or on ONNX Runtime (the checkpoint's `.onnx` twin).
    `registry` is the provider: a fixed model never opens the database."""
    from digitrec.adapters.model_registry import LiveClassifier, classifier_at

    runtime = serving_runtime(runtime)
    if model_path:
        return classifier_at(Path(model_path), runtime)
    return LiveClassifier(registry(), runtime, check_every)


def model_before_any_database(database_url: str, models_dir: str | Path) -> Path | None:
    """The shipped model when the database is a SQLite file not created yet, with no older models folder to
    import (a `live.json`): nothing was ever promoted, so `predict` and `evaluate` read the shipped model
    without creating the database in the current folder. None otherwise (the registry says what is live)."""
    from digitrec.adapters.pretrained import shipped_model_path

    return shipped_model_path() if nothing_stored_yet(database_url, models_dir) else None


def nothing_stored_yet(database_url: str, models_dir: str | Path) -> bool:
    """Whether the database is a SQLite file not created yet, and no older models folder has a live.json."""
    from sqlalchemy.engine import make_url

    from digitrec.adapters.model_registry import LIVE_FILE

    url = make_url(database_url) if "://" in database_url and not database_url.startswith("memory") else None
    if url is None or url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    return not Path(url.database).exists() and not (Path(models_dir) / LIVE_FILE).exists()


def torch_trainer(
    data_dir: str | Path, models_dir: str | Path, download: bool, progress: bool, processes: dict | None
):
    """The torch trainer; `processes` (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE as torchrun sets
    them, lower-cased) makes it one process of a distributed run."""
    from digitrec.adapters.torch.distributed_training import Shard
    from digitrec.adapters.torch.trainer import TorchTrainer

    shard = Shard(**processes) if processes else Shard()
    return TorchTrainer(Path(data_dir), Path(models_dir), download=download, progress=progress, shard=shard)


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(default=settings.DEFAULTS)

    # Thread-safe: Streamlit serves each session in its own thread, and the model or engine is built once.
    engine = providers.ThreadSafeSingleton(
        open_database, config.database_url, config.database_timeout.as_float()
    )
    database_revision = providers.Factory(schema_revision_of, engine)
    backend = providers.Callable(storage_backend, config.database_url)
    memory_submissions = providers.ThreadSafeSingleton(InMemorySubmissionRepository)
    submissions = providers.Selector(
        backend, sql=providers.ThreadSafeSingleton(SqlSubmissionRepository, engine), memory=memory_submissions
    )
    # Reviews and the audit log (SubmissionReviews, AuditLog), and the fine-tune jobs (JobQueue).
    reviews = providers.Selector(
        backend,
        sql=providers.ThreadSafeSingleton(SqlReviews, engine),
        memory=providers.ThreadSafeSingleton(InMemoryReviews, memory_submissions),
    )
    jobs = providers.Selector(
        backend,
        sql=providers.ThreadSafeSingleton(SqlJobQueue, engine),
        memory=providers.ThreadSafeSingleton(InMemoryJobQueue),
    )
    # Model versions and the live pointer (ModelRegistry), in the same database as the submissions.
    models = providers.Selector(
        backend,
        sql=providers.ThreadSafeSingleton(sql_model_registry, engine, config.models_dir),
        memory=providers.ThreadSafeSingleton(memory_model_registry, config.models_dir),
    )
    classifier = providers.ThreadSafeSingleton(
        serving_classifier,
        config.model_path,
        models.provider,
        config.runtime,
        config.live_check_seconds.as_float(),
    )
    trainer = providers.Factory(
        torch_trainer,
        config.data_dir,
        config.models_dir,
        config.download.as_(bool),
        config.progress.as_(bool),
        config.processes,
    )
    plotter = providers.Factory(MatplotlibPlotter)
    images = providers.Singleton(PillowImageCodec)  # PNG, JPEG... <-> arrays
    labelled_folders = providers.Singleton(LabelledFolderFormat)  # labels.csv + images, as evaluate reads
    submission_folders = providers.Singleton(SubmissionFolderFormat)  # what export writes and import reads
