"""`torchrun --standalone --nproc-per-node 2 -m digitrec train`: two CPU processes (gloo) train one model on
a slice of MNIST, only the first writes the checkpoint, the plots, the report and the registry row, and the
model is as accurate as the one a single process trains with the same settings. On two cores this is a check
of correctness, not a speed-up."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import torch

TORCHRUN = Path(sys.executable).parent / "torchrun"
SETTINGS = ["--epochs", "2", "--no-augment", "--mnist-limit", "6000", "--seed", "0"]


def train(launcher: list[str], folder: Path, mnist_dir: Path) -> subprocess.CompletedProcess:
    command = [*launcher, "-m", "digitrec", "train", "--data-dir", str(mnist_dir), *SETTINGS]
    command += ["--models-dir", str(folder / "models"), "--plots-dir", str(folder / "plots")]
    command += ["--metrics-jsonl", str(folder / "metrics.jsonl")]
    command += ["--database-url", f"sqlite:///{folder / 'registry.db'}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_two_processes_train_one_model_as_accurate_as_one_process(tmp_path, mnist_dir):
    alone = train([sys.executable], tmp_path / "one", mnist_dir)
    pair = train([str(TORCHRUN), "--standalone", "--nproc-per-node", "2"], tmp_path / "two", mnist_dir)

    assert alone.returncode == 0, alone.stderr[-3000:]
    assert pair.returncode == 0, pair.stderr[-3000:]
    assert "process 1 of 2" in pair.stderr and "process 2 of 2" in pair.stderr  # both trained
    [checkpoint] = (tmp_path / "two" / "models").glob("*.pt")  # one model, written by the main process
    assert len(re.findall(r"^model digitnet-", pair.stdout, re.M)) == 1  # reported once
    assert len((tmp_path / "two" / "metrics.jsonl").read_text().splitlines()) == 2  # an epoch, a line
    with sqlite3.connect(tmp_path / "two" / "registry.db") as registry:  # one registry row, besides shipped
        registered = [row[0] for row in registry.execute("SELECT version FROM model_versions")]
    assert checkpoint.stem in registered and len(registered) == 2

    def plots(folder: Path) -> list[str]:  # the kinds of plot, without the version in their names
        return sorted(p.name.split("-s0-")[-1] for p in (folder / "plots").iterdir())

    assert plots(tmp_path / "two") == plots(tmp_path / "one") and len(plots(tmp_path / "two")) >= 3

    def accuracy(output: str) -> float:
        return float(re.search(r"MNIST test accuracy ([\d.]+)%", output).group(1))

    print(f"MNIST test: one process {accuracy(alone.stdout)}%, two processes {accuracy(pair.stdout)}%")
    assert accuracy(pair.stdout) > 96 and abs(accuracy(pair.stdout) - accuracy(alone.stdout)) < 1.0
    saved = torch.load(checkpoint, weights_only=True)
    assert saved["train_config"]["mnist_limit"] == 6000 and "module." not in next(iter(saved["state_dict"]))
