"""MNIST as whole uint8 tensors in memory, read with torchvision from a data directory.

torchvision's layout: `<data_dir>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`. Where the files
are missing, torchvision downloads them (when `download` is set and the machine has internet).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from digitrec.domain.types.errors import DatasetNotFound

log = logging.getLogger(__name__)

RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


@dataclass(frozen=True)
class Mnist:
    train_images: torch.Tensor  # (60000, 28, 28) uint8
    train_labels: torch.Tensor  # (60000,) int64
    test_images: torch.Tensor  # (10000, 28, 28) uint8
    test_labels: torch.Tensor  # (10000,) int64
    sha256: dict[str, str]  # raw file name -> hex digest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_mnist(data_dir: Path, download: bool = True) -> Mnist:
    """Read MNIST from `data_dir`, downloading it first where it is missing and `download` is set."""
    from torchvision.datasets import MNIST

    data_dir = Path(data_dir)
    try:
        train = MNIST(root=str(data_dir), train=True, download=download)
        test = MNIST(root=str(data_dir), train=False, download=download)
    except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError... depending on what failed
        raise DatasetNotFound(
            f"MNIST is not in {data_dir} and could not be downloaded ({type(exc).__name__}: {exc}). "
            "Point --data-dir (or DIGITREC_DATA_DIR) at a folder laid out as "
            f"<data-dir>/MNIST/raw/{{{','.join(RAW_FILES)}}}, or run once on a machine with internet."
        ) from exc
    raw = data_dir / "MNIST" / "raw"
    sha256 = {name: file_sha256(raw / name) for name in RAW_FILES if (raw / name).exists()}
    log.debug("MNIST from %s: %d train, %d test images", raw, len(train.data), len(test.data))
    return Mnist(train.data, train.targets.long(), test.data, test.targets.long(), sha256)
