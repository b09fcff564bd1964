"""Fixtures of the browser tests."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import pytest


@pytest.fixture
def model_path() -> Path:
    path = Path(os.environ.get("DIGITREC_MODEL") or files("digitrec") / "pretrained" / "digitnet.pt")
    if not path.is_file():
        pytest.skip(f"no model at {path}: ship src/digitrec/pretrained/digitnet.pt or set DIGITREC_MODEL")
    return path
