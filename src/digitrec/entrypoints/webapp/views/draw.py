"""Draw: a canvas, what the model makes of the drawing as soon as there is ink, and a way to submit it with
its true label.

Laid out for one hand on a phone as much as for a desktop: under the canvas come the verdict in one line, the
True label (wrapping, so all ten fit a narrow screen) and Submit; the details (confidence, what the model
saw, the ten probabilities, and on request what is inside the model: inside_model.py) sit beside the canvas
on a wide screen and below on a narrow one.

Every canvas gets a submit token; the repository stores a token once, so a double click, or a click repeated
while the first is still being answered, gives one row and the first id. Submit itself (submit_button.py)
disables itself in the browser as soon as it is clicked, until the answer. The canvas is cleared in place (a
new initial drawing for the same component), not replaced: a replaced component drops the strokes made while
it mounts.
"""

from __future__ import annotations

import uuid

import numpy as np
import streamlit as st

from digitrec.domain.preprocessing import EmptyDrawing, TooSmallDrawing, check_drawing_size
from digitrec.domain.recognition import Recognition, recognise
from digitrec.domain.submitting import TooManySubmissions, submit_drawing
from digitrec.domain.types.errors import InvalidImage, ModelNotFound, StorageUnavailable
from digitrec.domain.types.predictions import NUM_CLASSES, Prediction
from digitrec.entrypoints.formatting import percent
from digitrec.entrypoints.webapp.components.bars import probability_bars
from digitrec.entrypoints.webapp.components.canvas import drawing_canvas
from digitrec.entrypoints.webapp.components.inside_model import inside_model
from digitrec.entrypoints.webapp.components.submit_button import submit_button
from digitrec.entrypoints.webapp.wiring import (
    discard_drawing,
    get_container,
    live_classifier,
    show_missing_model,
    unseen_drawing,
    use_page_style,
    visitor,
)

CANVAS_SIDE = 280
PREVIEW_SCALE = 4  # the 28x28 model input, shown at 112x112 with square pixels
EMPTY_HINT = "Draw a digit (0-9) on the black square: the model's guess appears as soon as there is ink."
state = st.session_state


def new_canvas() -> None:
    """An empty canvas with its own submit token and no label picked yet. The drawing on the old one is
    ignored from now on: the browser may send it again before the clearing reaches it."""
    state.pop(f"picked-{state.get('canvas_round')}", None)
    state.canvas_round = state.get("canvas_round", -1) + 1
    state.canvas_token = f"{visitor()}-{uuid.uuid4().hex}"
    discard_drawing("canvas")


def label_key() -> str:
    return f"label-{state.canvas_round}"


def label_picked() -> None:
    state[f"picked-{state.canvas_round}"] = True


def show_verdict(prediction: Prediction, where) -> None:
    """The predicted digit and its confidence, or, when the model says the drawing doesn't look like a digit,
    that in their place and which digit it is most like, without a percentage that would contradict it."""
    if prediction.is_digit:
        side_by_side = where.container(horizontal=True, wrap=False)  # on a phone too: one line, not two
        side_by_side.metric("Predicted digit", prediction.digit, width="content")
        side_by_side.metric("Confidence", percent(prediction.confidence, 1), width="content")
        return
    where.subheader("This doesn't look like a digit")
    where.caption(f"If it is a digit at all, it looks most like a {prediction.digit}.")


def results(recognition: Recognition, bars_at=st, preview_at=st, compact: bool = False) -> None:
    """The ten probabilities and the 28x28 image the model saw: beside the canvas on a wide screen, under
    the verdict on a phone (`compact`: smaller, the drawing's own column; CSS shows one or the other)."""
    prediction = recognition.prediction
    scale = PREVIEW_SCALE // 2 if compact else PREVIEW_SCALE
    preview = np.kron(recognition.model_input, np.ones((scale, scale), np.float32))
    if not prediction.is_digit and not compact:
        bars_at.caption("Not a digit: the bars say which digit it would be, if it were one.")
    probability_bars(prediction.probabilities, bars_at, prediction.is_digit)
    preview_at.image(
        preview, caption=None if compact else "what the model saw", width=preview.shape[1], clamp=True
    )


def recognise_canvas(image_bytes: bytes | None) -> tuple[np.ndarray | None, Recognition | None]:
    """The canvas's pixels and what the model makes of them; (pixels, None) after saying on the page why
    there is no answer (too small to read, unreadable, no model); (None, None) when the canvas is empty or
    holds a drawing just submitted or cleared (the clearing is on its way to the browser)."""
    if (image_bytes := unseen_drawing(image_bytes, "canvas")) is None:
        return None, None
    try:
        pixels = images.decode(image_bytes, "the drawing")
        check_drawing_size(pixels)
        return pixels, recognise(classifier, pixels)
    except EmptyDrawing:
        return None, None
    except TooSmallDrawing as exc:  # no digit, no bars: nothing a dot would be read as
        st.warning(f"Draw a bigger digit: {exc}.", icon=":material/zoom_in:")
        return pixels, None
    except InvalidImage as exc:
        st.error(f"The drawing could not be read: {exc}")
    except ModelNotFound as exc:  # the live model went missing after the app started
        show_missing_model(exc)
    return None, None


def choose_label(prediction: Prediction) -> int | None:
    """The True label: it starts at the model's answer (none when it says "not a digit") and follows the
    model's answer while the person draws on, until they pick one; a picked label is never changed."""
    if not state.get(f"picked-{state.canvas_round}"):
        state[label_key()] = prediction.digit if prediction.is_digit else None
    return st.segmented_control(
        "True label",
        options=list(range(NUM_CLASSES)),
        key=label_key(),
        on_change=label_picked,
        required=True,  # a second tap on the chosen label keeps it
        wrap=True,
        width="stretch",
    )


def submit(recognition: Recognition, pixels: np.ndarray, label: int) -> None:
    """Store the drawing once (its canvas's token makes a repeated click harmless), then clear the canvas."""
    state.submit_answers += 1  # this click is answered now, whatever the answer: Submit comes back after it
    try:
        png, version = images.encode_png(pixels), classifier.info.version
        saved = submit_drawing(
            container.submissions(), recognition, png, label, version, state.canvas_token, visitor()
        )
    except TooManySubmissions as exc:
        banner.error(f"Not saved: {exc}.")
        return
    except StorageUnavailable as exc:
        banner.error(f"Your drawing was not saved: {exc}. It is still on the canvas: try Submit again.")
        return
    state.saved_id = saved
    new_canvas()
    st.rerun()


if "canvas_round" not in state:
    new_canvas()
    state.submit_answers = 0  # how many Submit clicks the page has answered
container = get_container()
images = container.images()
use_page_style()
st.title("Draw a digit")
banner = st.empty()  # where a failed submission says so, above everything else

if (classifier := live_classifier(container)) is None:
    st.stop()

drawing_side, details_side = st.columns([3, 4], gap="large")

with drawing_side:
    canvas = drawing_canvas("canvas", CANVAS_SIDE, CANVAS_SIDE, state.get("brush", 20), state.canvas_round)
    pixels, recognition = recognise_canvas(canvas.image_bytes)
    label = None
    if recognition is None:
        if pixels is None and (saved := state.get("saved_id")) is not None:
            st.success(f"Saved as submission #{saved}. Thank you! Draw another one.")
        if pixels is None:
            st.info(EMPTY_HINT)
    else:
        state.pop("saved_id", None)
        show_verdict(recognition.prediction, st)
        with st.container(key="phone-results", horizontal=True, vertical_alignment="bottom"):
            results(recognition, compact=True)
        label = choose_label(recognition.prediction)
    buttons = st.container(horizontal=True)  # side by side on a phone too (columns would stack)
    ready = recognition is not None and label is not None
    with buttons:
        clicked = submit_button(ready, state.submit_answers)
    if clicked:
        submit(recognition, pixels, label)
    buttons.button("Clear", on_click=new_canvas, key="clear", width="stretch")
    st.slider("Brush width", min_value=5, max_value=40, value=20, key="brush")

with details_side:
    if recognition is None:
        st.caption("What the model saw and the ten probabilities appear here.")
        probability_bars(np.zeros(NUM_CLASSES), st)
    else:
        with st.container(key="details-results"):
            chart_column, preview_column = st.columns([3, 1])
            results(recognition, chart_column, preview_column)
    inside_model(classifier, None if recognition is None else recognition.model_input)
