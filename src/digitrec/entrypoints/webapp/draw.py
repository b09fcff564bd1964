"""Draw: a canvas, what the model makes of the drawing as soon as there is ink, and a way to submit it with
its true label."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digitrec.adapters.image_codec import decode_image, encode_png
from digitrec.domain.model import InvalidImage, ModelNotFound, Prediction, StorageUnavailable
from digitrec.domain.preprocessing import EmptyDrawing
from digitrec.domain.recognition import recognise
from digitrec.domain.submitting import submit_drawing
from digitrec.entrypoints.webapp.wiring import HOW_TO_GET_A_MODEL, get_container

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
        confidence_column.metric("Confidence", f"{100 * prediction.confidence:.1f}%")
        return preview_column
    verdict_column, preview_column = st.columns([2, 1])
    verdict_column.subheader("This doesn't look like a digit")
    verdict_column.caption(f"best guess {prediction.digit}, {100 * prediction.confidence:.0f}%")
    return preview_column


st.session_state.setdefault("canvas_round", 0)
container = get_container()
st.title("Draw a digit")
banner = st.empty()  # where a failed submission says so, above everything else

try:
    classifier = container.classifier()
except ModelNotFound as exc:
    st.error(f"The model could not be loaded: {exc}")
    st.info(HOW_TO_GET_A_MODEL)
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
    recognition = pixels = label = None
    try:
        if canvas.image_bytes is None:
            raise EmptyDrawing("nothing drawn yet")
        pixels = decode_image(canvas.image_bytes, "the drawing")
        recognition = recognise(classifier, pixels)
    except EmptyDrawing:
        if (saved := st.session_state.get("saved_id")) is not None:
            st.success(f"Saved as submission #{saved}. Thank you! Draw another one.")
        st.info("Draw a digit (0-9) on the black square: the model's guess appears as soon as there is ink.")
    except InvalidImage as exc:
        st.error(f"The drawing could not be read: {exc}")
    except ModelNotFound as exc:  # the live model went missing after the app started
        st.error(f"The model could not be loaded: {exc}")
        st.info(HOW_TO_GET_A_MODEL)
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
            st.session_state.saved_id = submit_drawing(
                container.submissions(), recognition, encode_png(pixels), label, classifier.info.version
            )
        except StorageUnavailable as exc:
            banner.error(f"Your drawing was not saved: {exc}. It is still on the canvas: try Submit again.")
        else:
            next_canvas()
            st.rerun()
