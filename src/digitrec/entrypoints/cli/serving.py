"""`digitrec serve`: the Streamlit app, with the environment it reads."""

from __future__ import annotations

import os
from pathlib import Path

import click

from digitrec import settings
from digitrec.entrypoints.cli.common import MODEL_OPTION, MODELS_DIR_OPTION, RUNTIME_OPTION, database_options


@click.command()
@click.option(
    "--host", default=settings.HOST, show_default=True, envvar=settings.ENV_HOST, help="Address to listen on."
)
@click.option(
    "--port",
    default=settings.PORT,
    show_default=True,
    envvar=settings.ENV_PORT,
    type=click.IntRange(1, 65535),
)
@database_options
@MODEL_OPTION
@MODELS_DIR_OPTION
@RUNTIME_OPTION
def serve(
    host: str,
    port: int,
    database_url: str,
    database_timeout: float | None,
    model_path: Path | None,
    models_dir: Path,
    runtime: str,
) -> None:
    """Start the drawing app (Streamlit) with the live model (a promotion switches it), or a fixed --model;
    on torch, or on ONNX Runtime (--runtime onnx, or automatically where torch is not installed)."""
    import sys

    env = os.environ | {
        settings.ENV_DATABASE_URL: database_url,
        settings.ENV_MODELS_DIR: str(models_dir.resolve()),
        settings.ENV_RUNTIME: runtime,
    }
    if model_path is not None:
        env[settings.ENV_MODEL] = str(model_path)
    if database_timeout is not None:
        env[settings.ENV_DATABASE_TIMEOUT] = str(database_timeout)
    options = {
        "server.address": host,
        "server.port": port,
        "server.headless": "true",
        "browser.gatherUsageStats": "false",
        "client.toolbarMode": "minimal",
    }
    command = [sys.executable, "-m", "digitrec.entrypoints.webapp.server"]
    command += [arg for name, value in options.items() for arg in (f"--{name}", str(value))]
    click.echo(f"digitrec app on http://{host}:{port} (submissions: {database_url})")
    os.execvpe(command[0], command, env)
