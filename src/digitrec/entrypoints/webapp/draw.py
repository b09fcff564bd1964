"""Draw: a canvas, what the model makes of the drawing as soon as there is ink, and a way to submit it with
its true label."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digitrec.domain.errors import InvalidImage, ModelNotFound, StorageUnavailable
from digitrec.domain.predictions import Prediction
from digitrec.domain.preprocessing import EmptyDrawing
from digitrec.domain.recognition import Recognition, recognise
from digitrec.domain.submitting import submit_drawing
from digitrec.entrypoints.formatting import percent
from digitrec.entrypoints.webapp.wiring import get_container, live_classifier, show_missing_model

CANVAS_SIDE = 280
PREVIEW_SCALE = 4  # the 28x28 model input, shown at 112x112 with square pixels


def next_canvas() -> None:
    """A new canvas key: the component remounts empty."""
    st.session_state.canvas_round += 1


def show_verdict(prediction: Prediction):
    """The predicted digit and its confidence, or, when the model says the drawing doesn't look like a digit,
    that in their place with the best guess small. Returns the column left for the preview."""
    if prediction.is_digit:
        digit_column, confidence_column, preview_column = st.columns(3)
        digit_column.metric("Predicted digit", prediction.digit)
        confidence_column.metric("Confidence", percent(prediction.confidence, 1))
        return preview_column
    verdict_column, preview_column = st.columns([2, 1])
    verdict_column.subheader("This doesn't look like a digit")
    verdict_column.caption(f"best guess {prediction.digit}, {percent(prediction.confidence, 0)}")
    return preview_column


def recognise_canvas(image_bytes: bytes | None) -> tuple[bool, np.ndarray | None, Recognition | None]:
    """Whether the canvas holds ink, its pixels, and what the model makes of them (None when it can't: the
    page then says why)."""
    if image_bytes is None:
        return False, None, None
    pixels = None
    try:
        pixels = images.decode(image_bytes, "the drawing")
        return True, pixels, recognise(classifier, pixels)
    except EmptyDrawing:
        return False, pixels, None
    except InvalidImage as exc:
        st.error(f"The drawing could not be read: {exc}")
    except ModelNotFound as exc:  # the live model went missing after the app started
        show_missing_model(exc)
    return True, pixels, None


st.session_state.setdefault("canvas_round", 0)
container = get_container()
images = container.images()
st.title("Draw a digit")
banner = st.empty()  # where a failed submission says so, above everything else

if (classifier := live_classifier(container)) is None:
    st.stop()

drawing_side, result_side = st.columns([3, 4], gap="large")

with drawing_side:
    brush = st.slider("Brush width", min_value=5, max_value=40, value=20, key="brush")
    canvas = st_canvas(
        stroke_width=brush,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=CANVAS_SIDE,
        height=CANVAS_SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"canvas-{st.session_state.canvas_round}",
    )
    st.button("Clear", on_click=next_canvas)

with result_side:
    label = None
    has_ink, pixels, recognition = recognise_canvas(canvas.image_bytes)
    if not has_ink:
        if (saved := st.session_state.get("saved_id")) is not None:
            st.success(f"Saved as submission #{saved}. Thank you! Draw another one.")
        st.info("Draw a digit (0-9) on the black square: the model's guess appears as soon as there is ink.")
    if recognition is not None:
        st.session_state.pop("saved_id", None)
        prediction = recognition.prediction
        preview_column = show_verdict(prediction)
        preview = np.kron(recognition.model_input, np.ones((PREVIEW_SCALE, PREVIEW_SCALE), np.float32))
        preview_column.image(preview, caption="what the model saw", width=preview.shape[1], clamp=True)
        st.bar_chart(
            {"digit": [str(d) for d in range(10)], "probability": list(prediction.probabilities)},
            x="digit",
            y="probability",
            height=220,
        )
        label = st.segmented_control(
            "True label",
            options=list(range(10)),
            default=prediction.digit,
            required=True,
            key=f"label-{st.session_state.canvas_round}-{prediction.digit}",
        )
    if st.button("Submit", type="primary", disabled=recognition is None):
        try:
            png, version = images.encode_png(pixels), classifier.info.version
            st.session_state.saved_id = submit_drawing(
                container.submissions(), recognition, png, label, version
            )
        except StorageUnavailable as exc:
            banner.error(f"Your drawing was not saved: {exc}. It is still on the canvas: try Submit again.")
        else:
            next_canvas()
            st.rerun()
