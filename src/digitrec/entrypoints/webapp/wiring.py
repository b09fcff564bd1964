"""The app's container: built once per process from the environment, shared by every session.

`digitrec serve` passes DIGITREC_DATABASE_URL, DIGITREC_DATABASE_TIMEOUT, DIGITREC_MODEL and
DIGITREC_MODELS_DIR through to `streamlit run`. Tests replace `build_container` (and call
`get_container.clear()`) to hand the app a container with fakes swapped in.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping

import streamlit as st

from digitrec.containers import Container
from digitrec.domain.errors import ModelNotFound
from digitrec.domain.ports import Classifier
from digitrec.settings import MAX_DATABASE_TIMEOUT


def database_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_DATABASE_TIMEOUT:  # also refuses nan
        raise ValueError(
            f"DIGITREC_DATABASE_TIMEOUT must be a number of seconds above 0 and at most "
            f"{MAX_DATABASE_TIMEOUT:g}, not {text!r}"
        )
    return value


# Environment variable -> (configuration key, how to read its text).
ENVIRONMENT: dict[str, tuple[str, Callable[[str], object]]] = {
    "DIGITREC_DATABASE_URL": ("database_url", str),
    "DIGITREC_DATABASE_TIMEOUT": ("database_timeout", database_timeout),
    "DIGITREC_MODEL": ("model_path", str),
    "DIGITREC_MODELS_DIR": ("models_dir", str),
}

HOW_TO_GET_A_MODEL = (
    "To serve a model, train one with `digitrec train` and make it live with `digitrec models promote "
    "VERSION`, or start the app with `digitrec serve --model models/<checkpoint>.pt` (or set "
    "`DIGITREC_MODEL` to the checkpoint's path)."
)


def build_container(environ: Mapping[str, str] = os.environ) -> Container:
    """A container configured from `environ`; ValueError names a variable whose value is unusable."""
    container = Container()
    container.config.from_dict(
        {key: read(environ[name]) for name, (key, read) in ENVIRONMENT.items() if environ.get(name)}
    )
    return container


@st.cache_resource(show_spinner=False)
def get_container() -> Container:
    return build_container()


def live_classifier(container: Container) -> Classifier | None:
    """The model that answers, or None after saying on the page why there is none and how to get one."""
    try:
        return container.classifier()
    except ModelNotFound as exc:
        show_missing_model(exc)
        return None


def show_missing_model(exc: ModelNotFound) -> None:
    st.error(f"The model could not be loaded: {exc}")
    st.info(HOW_TO_GET_A_MODEL)
