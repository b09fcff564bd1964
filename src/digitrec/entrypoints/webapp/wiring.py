"""The app's container: built once per process from the environment, shared by every session.

`digitrec serve` passes DIGITREC_DATABASE_URL, DIGITREC_DATABASE_TIMEOUT, DIGITREC_MODEL and
DIGITREC_MODELS_DIR through to `streamlit run`. Tests replace
`build_container` (and call `get_container.clear()`) to hand the app a container with fakes swapped in.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import streamlit as st

from digitrec.containers import Container

ENVIRONMENT = {
    "DIGITREC_DATABASE_URL": "database_url",
    "DIGITREC_MODEL": "model_path",
    "DIGITREC_MODELS_DIR": "models_dir",
}

HOW_TO_GET_A_MODEL = (
    "To serve a model, train one with `digitrec train` and make it live with `digitrec models promote "
    "VERSION`, or start the app with `digitrec serve --model models/<checkpoint>.pt` (or set "
    "`DIGITREC_MODEL` to the checkpoint's path)."
)


MAX_DATABASE_TIMEOUT = 3600.0


def build_container(environ: Mapping[str, str] = os.environ) -> Container:
    """A container configured from `environ`; ValueError names a variable whose value is unusable."""
    config: dict[str, object] = {key: environ[name] for name, key in ENVIRONMENT.items() if environ.get(name)}
    if timeout := environ.get("DIGITREC_DATABASE_TIMEOUT"):
        config["database_timeout"] = seconds(timeout, "DIGITREC_DATABASE_TIMEOUT")
    container = Container()
    container.config.from_dict(config)
    return container


def seconds(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_DATABASE_TIMEOUT:  # also refuses nan
        raise ValueError(f"{name} must be a number of seconds above 0 and at most 3600, not {text!r}")
    return value


@st.cache_resource(show_spinner=False)
def get_container() -> Container:
    return build_container()
