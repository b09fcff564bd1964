"""Every default setting, in one place, below the entrypoints: the container starts from these, the CLI's
options show them, and the app checks its environment against the same bounds. Nothing here reads the
environment or imports an adapter."""

from __future__ import annotations

DATABASE_URL = "sqlite:///digitrec.db"  # a SQLite file in the current folder, created on first use
MEMORY_DATABASE_URL = "memory://"  # a throwaway in-memory store: a demo, nothing survives the process
DATABASE_TIMEOUT = 15.0  # seconds a database call may wait for a lock, a connection or the server
MAX_DATABASE_TIMEOUT = 3600.0
DATA_DIR = "data"  # MNIST, in torchvision's layout
MODELS_DIR = "models"  # checkpoints `train` writes, and local copies of the registry's versions
LIVE_CHECK_SECONDS = 2.0  # how often a serving process asks the registry which model is live
PLOTS_DIR = "plots"
HOST, PORT = "127.0.0.1", 8501  # where `digitrec serve` listens
DEVICES = ("auto", "cpu", "cuda")
RUNTIMES = ("auto", "torch", "onnx")  # what serves predictions (onnx: ONNX Runtime, no torch needed)

# The environment variables digitrec reads, each named here once (besides click's own for every option,
# DIGITREC_<COMMAND>_<OPTION>). `digitrec serve` passes the app's through to the Streamlit process.
ENV_DATA_DIR = "DIGITREC_DATA_DIR"
ENV_DATABASE_URL = "DIGITREC_DATABASE_URL"
ENV_DATABASE_TIMEOUT = "DIGITREC_DATABASE_TIMEOUT"
ENV_MODELS_DIR = "DIGITREC_MODELS_DIR"
ENV_MODEL = "DIGITREC_MODEL"
ENV_RUNTIME = "DIGITREC_RUNTIME"
ENV_ADMIN_PASSWORD = "DIGITREC_ADMIN_PASSWORD"
ENV_LIVE_CHECK_SECONDS = "DIGITREC_LIVE_CHECK_SECONDS"
ENV_HOST = "DIGITREC_HOST"
ENV_PORT = "DIGITREC_PORT"

DEFAULTS = {
    "database_url": DATABASE_URL,
    "database_timeout": DATABASE_TIMEOUT,
    "data_dir": DATA_DIR,
    "models_dir": MODELS_DIR,
    "model_path": None,
    "download": True,
    "progress": True,
    "admin_password": None,
    "processes": None,
    "runtime": "auto",
    "live_check_seconds": LIVE_CHECK_SECONDS,
}
