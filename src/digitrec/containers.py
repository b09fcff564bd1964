"""The composition root: the one place that picks concrete adapters, from configuration.

Configuration keys (set by the CLI from flags / environment, or by tests):
  storage.backend  sql | memory          database_url  SQLAlchemy URL (sqlite file by default)
  data_dir         MNIST root            models_dir    where `train` writes checkpoints
  model_path       checkpoint to serve (None: the model shipped in the package)
  download         fetch MNIST when missing (bool)
  progress         show progress bars (bool)

File formats (image_codec, labelled_folder) are not ports and have one implementation: entrypoints use
them directly. torch is imported only when a torch adapter is first asked for, so commands that never touch
the model (and `digitrec --help`) start fast.
"""

from __future__ import annotations

from pathlib import Path

from dependency_injector import containers, providers

from digitrec.adapters.matplotlib_plotter import MatplotlibPlotter
from digitrec.adapters.memory_repository import InMemorySubmissionRepository
from digitrec.adapters.sql_repository import SqlSubmissionRepository, create_schema, create_sql_engine

DEFAULTS = {
    "storage": {"backend": "sql"},
    "database_url": "sqlite:///digitrec.db",
    "data_dir": "data",
    "models_dir": "models",
    "model_path": None,
    "download": True,
    "progress": True,
}


def open_database(url: str):
    engine = create_sql_engine(url)
    create_schema(engine)
    return engine


def torch_classifier(model_path: str | Path | None):
    from digitrec.adapters.torch_model import TorchClassifier, shipped_model_path

    return TorchClassifier(Path(model_path) if model_path else shipped_model_path())


def torch_trainer(data_dir: str | Path, models_dir: str | Path, download: bool, progress: bool):
    from digitrec.adapters.torch_training import TorchTrainer

    return TorchTrainer(Path(data_dir), Path(models_dir), download=download, progress=progress)


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(default=DEFAULTS)

    # Thread-safe: Streamlit serves each session in its own thread, and the model or engine is built once.
    engine = providers.ThreadSafeSingleton(open_database, config.database_url)
    submissions = providers.Selector(
        config.storage.backend,
        sql=providers.ThreadSafeSingleton(SqlSubmissionRepository, engine),
        memory=providers.ThreadSafeSingleton(InMemorySubmissionRepository),
    )
    classifier = providers.ThreadSafeSingleton(torch_classifier, config.model_path)
    trainer = providers.Factory(
        torch_trainer,
        config.data_dir,
        config.models_dir,
        config.download.as_(bool),
        config.progress.as_(bool),
    )
    plotter = providers.Factory(MatplotlibPlotter)
