"""`digitrec worker`: the process that runs the fine-tunes operators start in the app. It takes one job at a
time from the database, writes its progress there epoch by epoch, and sends a heartbeat every few seconds;
the Streamlit server never trains."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import click

from digitrec.domain.jobs import STALE_AFTER
from digitrec.domain.ports import JobQueue
from digitrec.entrypoints.cli.common import (
    DATA_DIR_OPTION,
    MODELS_DIR_OPTION,
    PLOTS_DIR_OPTION,
    container_from,
    database_options,
    registry_config,
)
from digitrec.entrypoints.formatting import percent

HEARTBEAT_SECONDS = 5.0


@contextmanager
def heartbeats(queue: JobQueue, job_id: int, every: float) -> Iterator[None]:
    """Tell the database every `every` seconds that this worker still runs `job_id`."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every):
            try:
                queue.heartbeat(job_id)
            except Exception as exc:  # a database blip: the next beat tries again
                click.echo(f"heartbeat of job {job_id} failed: {exc}", err=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def fine_tuner(container, plots_dir: Path):
    """What the worker runs for a job: the same use case as `digitrec finetune`."""
    from digitrec.domain.learning import finetune_model

    def finetune(config, on_epoch):
        trainer, plotter, registry = container.trainer(), container.plotter(), container.models()
        return finetune_model(
            trainer, plotter, registry, container.submissions(), config, plots_dir, on_epoch=on_epoch
        )[0]

    return finetune


@click.command()
@DATA_DIR_OPTION
@database_options
@MODELS_DIR_OPTION
@PLOTS_DIR_OPTION
@click.option("--once", is_flag=True, help="Run at most one job, then exit (default: keep waiting for jobs).")
@click.option(
    "--poll", default=2.0, show_default=True, type=click.FloatRange(0.1), help="Seconds between looks."
)
@click.option(
    "--stale-after",
    default=STALE_AFTER.total_seconds(),
    show_default=True,
    type=click.FloatRange(1),
    help="Seconds without a heartbeat after which a running job's worker counts as dead (its job fails).",
)
@click.option(
    "--name", default=f"{socket.gethostname()}-{os.getpid()}", help="This worker's name in the jobs."
)
@click.pass_context
def worker(
    ctx: click.Context,
    data_dir: Path,
    database_url: str,
    database_timeout: float | None,
    models_dir: Path,
    plots_dir: Path,
    once: bool,
    poll: float,
    stale_after: float,
    name: str,
) -> None:
    """Run the fine-tune jobs operators start in the app, one at a time, oldest first."""
    from digitrec.domain.jobs import run_next_job

    container = container_from(
        ctx,
        data_dir=str(data_dir),
        **registry_config(models_dir, database_url, database_timeout),
        progress=False,
    )
    queue, finetune = container.jobs(), fine_tuner(container, plots_dir)
    click.echo(f"worker {name} waiting for jobs")
    while True:
        job = run_next_job(
            queue,
            name,
            finetune,
            timedelta(seconds=stale_after),
            keep_alive=lambda job_id: heartbeats(queue, job_id, min(HEARTBEAT_SECONDS, stale_after / 4)),
        )
        if job is not None:
            outcome = (
                f"{job.version} (MNIST test {percent(job.result.get('test_after'))})"
                if job.version
                else job.error
            )
            click.echo(f"job {job.id} {job.status}: {outcome}")
        if once:
            if job is None:
                click.echo("no job queued")
            return
        if job is None:
            time.sleep(poll)
