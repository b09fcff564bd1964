"""The app's container: built once per process from the environment, shared by every session.

`digitrec serve` passes DIGITREC_DATABASE_URL, DIGITREC_DATABASE_TIMEOUT, DIGITREC_MODEL,
DIGITREC_MODELS_DIR, DIGITREC_RUNTIME, DIGITREC_LIVE_CHECK_SECONDS and DIGITREC_ADMIN_PASSWORD through to
`streamlit run`. Tests replace `build_container`
(and call `get_container.clear()`) to hand the app a container with fakes swapped in.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import uuid
from collections.abc import Callable, Mapping

import numpy as np
import streamlit as st

from digitrec import settings
from digitrec.containers import Container
from digitrec.domain.ports import Classifier
from digitrec.domain.types.errors import ModelNotFound
from digitrec.domain.types.submissions import APP_VISITOR_PATTERN
from digitrec.settings import MAX_DATABASE_TIMEOUT


def seconds(variable: str, most: float) -> Callable[[str], float]:
    """How to read `variable`: a number of seconds above 0 and at most `most`; ValueError otherwise."""

    def read(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value <= most:  # also refuses nan
            raise ValueError(
                f"{variable} must be a number of seconds above 0 and at most {most:g}, not {text!r}"
            )
        return value

    return read


# Environment variable -> (configuration key, how to read its text).
ENVIRONMENT: dict[str, tuple[str, Callable[[str], object]]] = {
    settings.ENV_DATABASE_URL: ("database_url", str),
    settings.ENV_DATABASE_TIMEOUT: (
        "database_timeout",
        seconds(settings.ENV_DATABASE_TIMEOUT, MAX_DATABASE_TIMEOUT),
    ),
    settings.ENV_MODEL: ("model_path", str),
    settings.ENV_MODELS_DIR: ("models_dir", str),
    settings.ENV_ADMIN_PASSWORD: ("admin_password", str),
    settings.ENV_RUNTIME: ("runtime", str),
    settings.ENV_LIVE_CHECK_SECONDS: ("live_check_seconds", seconds(settings.ENV_LIVE_CHECK_SECONDS, 3600)),
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


# The canvas gets a frame that shows where it ends on a dark page as on a light one; the probability bars are
# plain HTML (draw.py). Submit disables itself in the browser (submit_button.py): CSS that ignored clicks
# while the app ran also swallowed first clicks made just as a prediction's run ended.
PAGE_STYLE = """
<style>
.st-key-canvas, .st-key-number-canvas {{
    width: fit-content; margin-top: 1.25rem; border-radius: 6px; box-shadow: 0 0 0 3px {frame};
}}
.digitrec-bars {{ display: flex; gap: 6px; align-items: flex-end; height: 170px; padding-top: 8px; }}
.digitrec-bar {{ flex: 1; height: 100%; display: flex; flex-direction: column; justify-content: flex-end; }}
.digitrec-fill {{ border-radius: 3px 3px 0 0; min-height: 1px; }}
.digitrec-bars.muted .digitrec-fill {{ opacity: 0.35; }}
.digitrec-bar span {{ text-align: center; font-size: 0.85rem; padding-top: 4px; opacity: 0.8; }}
/* The True label: ten equal buttons in one row, five in two on a phone; none clipped at either edge. */
[class*="st-key-label-"] [role="radiogroup"] {{
    display: grid; grid-template-columns: repeat(10, minmax(0, 1fr)); width: 100%;
}}
[class*="st-key-label-"] [role="radiogroup"] > button {{
    width: auto; min-width: 0; margin: 0; padding-left: 0 !important; padding-right: 0 !important;
}}
/* Results under the verdict: on a phone only, where the details column would come below the fold. */
.st-key-phone-results {{ display: none; }}
.st-key-phone-results .digitrec-bars {{ height: 64px; padding-top: 0; }}
@media (max-width: 640px) {{
    [class*="st-key-label-"] [role="radiogroup"] {{ grid-template-columns: repeat(5, minmax(0, 1fr)); }}
    .st-key-phone-results {{ display: flex; }}
    .st-key-details-results {{ display: none; }}
    .stMainBlockContainer {{ padding-top: 3.5rem; }}
    [data-testid="stHeading"] h1 {{ font-size: 1.6rem !important; padding: 0 !important; }}
    [data-testid="stMetricValue"] {{ font-size: 1.6rem !important; }}
}}
</style>
"""
FRAME = {"light": "#d0d3da", "dark": "#6b7280"}


def theme() -> str:
    """The theme the browser shows, "light" or "dark" (Streamlit's setting, or the system's)."""
    try:
        return "dark" if st.context.theme.type == "dark" else "light"
    except AttributeError:  # outside a browser session (AppTest)
        return "light"


def use_page_style() -> None:
    st.html(PAGE_STYLE.format(frame=FRAME[theme()]))


VISITOR_PARAMETER = "visitor"


def visitor() -> str:
    """A random key for this browser tab, kept in the page's address (`?visitor=...`) so that it survives a
    reload: submit tokens start with it, and History marks the rows whose token does as "yours"."""
    key = st.session_state.get("visitor") or st.query_params.get(VISITOR_PARAMETER, "")
    if not APP_VISITOR_PATTERN.fullmatch(key):
        if key:  # a key typed or pasted into the address by hand: say so instead of storing it
            st.warning(
                f"The visitor key in the address ({key[:40]!r}) is not one this app makes (16 digits 0-9 and "
                "letters a-f); this tab got a new one. Nothing stored was changed."
            )
        key = uuid.uuid4().hex[:16]
    st.session_state.visitor = key
    if st.query_params.get(VISITOR_PARAMETER) != key:  # navigating between pages drops it
        st.query_params[VISITOR_PARAMETER] = key
    return key


def unseen_drawing(image_bytes: bytes | None, canvas: str) -> bytes | None:
    """What the canvas keyed `canvas` sent, or None when it is empty or sent the drawing that was just
    submitted or cleared: the browser may send it again before the clearing reaches it. Once it sends
    anything else (the emptied canvas, a new stroke), the old drawing counts again: the same stroke drawn
    anew is recognised."""
    sha = hashlib.sha256(image_bytes).hexdigest() if image_bytes is not None else None
    st.session_state[f"{canvas}-sha"] = sha
    if sha is None or sha == st.session_state.get(f"{canvas}-discarded"):
        return None
    st.session_state.pop(f"{canvas}-discarded", None)
    return image_bytes


def discard_drawing(canvas: str) -> None:
    """Ignore what the canvas keyed `canvas` holds now from here on (it is being cleared)."""
    st.session_state[f"{canvas}-discarded"] = st.session_state.get(f"{canvas}-sha")


def warm_up(container: Container) -> None:
    """Open the database (migrating it) and load the model, so that the first visitor's first drawing and
    first submit don't wait for either. A failure is left for the page to report when it is used."""
    try:
        container.classifier().predict(np.zeros((28, 28), np.float32))
        container.submissions().count()
    except Exception as exc:  # noqa: BLE001 - only an early start; the page names the problem later
        logging.getLogger(__name__).warning("warming up failed (the page will say why): %s", exc)


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
