"""The `digitrec` command line. Thin: parse, call one use case, print.

Every option can also come from the environment: `DIGITREC_<COMMAND>_<OPTION>` (click's convention, e.g.
`DIGITREC_TRAIN_EPOCHS=3`), plus the documented names such as `DIGITREC_DATA_DIR`.
Heavy imports (torch, the container) happen inside commands so that `digitrec --help` answers at once.
"""

from __future__ import annotations

import logging
import os

import click

from digitrec import __version__
from digitrec.entrypoints.cli.common import DigitrecGroup
from digitrec.entrypoints.cli.models import finetune, models
from digitrec.entrypoints.cli.recognition import evaluate, predict
from digitrec.entrypoints.cli.serving import serve
from digitrec.entrypoints.cli.submissions import db, submissions
from digitrec.entrypoints.cli.training import train
from digitrec.entrypoints.cli.worker import worker


def configure_logging(verbose: bool) -> None:
    debug = verbose or os.environ.get("LOG_LEVEL_DEBUG", "") not in ("", "0", "false")
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)-5s %(message)s" if debug else "%(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )


@click.group(
    cls=DigitrecGroup,
    context_settings={"auto_envvar_prefix": "DIGITREC", "help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="digitrec")
@click.option("-v", "--verbose", is_flag=True, help="Debug logs (as does LOG_LEVEL_DEBUG=1).")
def cli(verbose: bool) -> None:
    """digitrec: recognise handwritten digits, and learn from the ones people draw."""
    configure_logging(verbose)


for command in (train, serve, predict, evaluate, finetune, models, submissions, db, worker):
    cli.add_command(command)


def main() -> None:
    cli()
