"""The app's container: built once per process from the environment, shared by every session.

`digitrec serve` passes DIGITREC_DATABASE_URL and DIGITREC_MODEL through to `streamlit run`. Tests replace
`build_container` (and call `get_container.clear()`) to hand the app a container with fakes swapped in.
"""

from __future__ import annotations

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


def build_container(environ: Mapping[str, str] = os.environ) -> Container:
    container = Container()
    container.config.from_dict({key: environ[name] for name, key in ENVIRONMENT.items() if environ.get(name)})
    return container


@st.cache_resource(show_spinner=False)
def get_container() -> Container:
    return build_container()
