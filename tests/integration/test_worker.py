"""`digitrec worker` as real processes against SQLite and PostgreSQL: two workers racing for one job (one
runs it, to the end), and a worker killed mid-job (its job ends failed, and no model version appears).
A tiny fine-tune: 1,000 MNIST images an epoch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitrec.containers import Container
from digitrec.domain.jobs import DONE, FAILED, RUNNING
from digitrec.domain.types.reviews import EXCLUDE, MARK_NOT_A_DIGIT, Review

TINY = {"epochs": 1, "mnist_limit": 1000, "min_submissions": 5, "lr": 0.01, "seed": 0}


@pytest.fixture
def setup(database_url, make_submission, tmp_path, mnist_dir):
    container = Container()
    container.config.from_dict({"database_url": database_url, "models_dir": str(tmp_path / "models")})
    for seed in range(40):
        container.submissions().add(make_submission(seed=seed, label=seed % 10, predicted=seed % 10))
    yield container, tmp_path, mnist_dir
    container.engine().dispose()


def worker(database_url: str, tmp_path: Path, mnist_dir: Path, name: str, *options: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "digitrec", "worker", "--name", name, "--data-dir", str(mnist_dir)]
    command += ["--database-url", database_url, "--models-dir", str(tmp_path / "models")]
    command += ["--plots-dir", str(tmp_path / "plots"), *options]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def checkpoints(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "models").glob("*.pt*"))


def test_two_workers_racing_for_one_job_run_it_once(setup, database_url):
    """...and learns from the reviews: excluded rows are left out, "not a digit" ones are negatives."""
    container, tmp_path, mnist_dir = setup
    for submission_id in (1, 2):
        container.reviews().apply_review(submission_id, Review(EXCLUDE), "ann")
    for submission_id in (3, 4, 5):
        container.reviews().apply_review(submission_id, Review(MARK_NOT_A_DIGIT), "ann")
    job = container.jobs().submit("finetune", TINY, "ann")

    racers = [worker(database_url, tmp_path, mnist_dir, f"racer-{n}", "--once") for n in (1, 2)]
    outputs = [racer.communicate(timeout=300)[0] for racer in racers]

    assert [racer.returncode for racer in racers] == [0, 0], outputs
    done = container.jobs().get(job.id)
    winner = int(done.worker.removeprefix("racer-")) - 1
    assert done.status == DONE, done.error
    assert f"job {job.id} done: {done.version}" in outputs[winner]
    assert "no job queued" in outputs[1 - winner] and "job " not in outputs[1 - winner].replace("no job", "")
    assert [m.epoch for m in done.progress] == [1] and done.result["negatives_used"] == 3
    assert done.result["submissions_used"] + done.result["heldout"] == 40 - 5
    [record] = [r for r in container.models().list() if r.version == done.version]
    assert record.parent == done.result["parent"] and record.canvas_accuracy is not None
    [written] = checkpoints(tmp_path)  # one checkpoint, registered: the registry's copy has its bytes
    assert written.stem == done.version and Path(record.location).read_bytes() == written.read_bytes()


def test_a_worker_killed_mid_job_leaves_the_job_failed_and_no_model(setup, database_url):
    container, tmp_path, mnist_dir = setup
    job = container.jobs().submit("finetune", {**TINY, "epochs": 40}, "ann")
    doomed = worker(database_url, tmp_path, mnist_dir, "doomed")
    deadline = time.monotonic() + 240
    while not (current := container.jobs().get(job.id)).progress:  # wait for the first epoch to end
        assert doomed.poll() is None and time.monotonic() < deadline, doomed.stdout.read()
        time.sleep(0.5)

    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    assert container.jobs().get(job.id).status == RUNNING  # nobody knows yet
    time.sleep(1.5)
    sweeper = worker(database_url, tmp_path, mnist_dir, "sweeper", "--once", "--stale-after", "1")
    output = sweeper.communicate(timeout=120)[0]

    failed = container.jobs().get(job.id)
    assert sweeper.returncode == 0 and "no job queued" in output, output
    assert failed.status == FAILED and "worker doomed stopped answering" in failed.error
    assert 1 <= len(failed.progress) < 40 and current.worker == "doomed"
    assert checkpoints(tmp_path) == []  # no half-written model, no temporary file
