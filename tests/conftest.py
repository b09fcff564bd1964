import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The MNIST files tests train on: $DIGITREC_DATA_DIR, else ../shared/mnist beside the checkout."""
    path = Path(os.environ.get("DIGITREC_DATA_DIR", REPO.parent / "shared" / "mnist"))
    if not (path / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        if os.environ.get("CI"):
            pytest.fail(f"MNIST is missing from {path}; CI must have it")
        pytest.skip(f"MNIST is not at {path}; set DIGITREC_DATA_DIR")
    return path
