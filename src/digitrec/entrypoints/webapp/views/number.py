"""Number: write a number (an age, a year, a code) on a wide canvas. The drawing is split into its digits,
left to right, all read in one batch; the page shows the number, each digit's box over the drawing, and
each digit's probabilities on demand. Submit stores one submission per digit (its crop, its label, the
model's answer for it), tied together by the number's id, so that fine-tuning learns from every digit."""

from __future__ import annotations

import uuid

import numpy as np
import streamlit as st

from digitrec.domain.numbers import NumberReading, read_number
from digitrec.domain.preprocessing import EmptyDrawing, ink_map
from digitrec.domain.submitting import (
    TooManySubmissions,
    WrongDigitCount,
    check_true_number,
    submit_number,
)
from digitrec.domain.types.errors import (
    DigitrecError,
    InvalidImage,
    InvalidLabel,
    ModelNotFound,
    StorageUnavailable,
)
from digitrec.entrypoints.formatting import percent
from digitrec.entrypoints.webapp.components.bars import probability_bars
from digitrec.entrypoints.webapp.components.canvas import drawing_canvas
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

WIDTH, HEIGHT = 700, 280
CROP_MARGIN = 8  # pixels of the canvas kept around each digit's box in its stored crop
BOX_COLOUR = np.array([255, 75, 75], np.uint8)
HINT = "Write a number (two or more digits, a little apart) on the black strip: it is read as you write."
state = st.session_state


def new_number() -> None:
    state.pop(f"number-typed-{state.get('number_round')}", None)
    state.number_round = state.get("number_round", -1) + 1
    state.number_id = f"{visitor()}-{uuid.uuid4().hex}"
    discard_drawing("number-canvas")


def read_canvas(image_bytes: bytes | None) -> tuple[np.ndarray | None, NumberReading | None]:
    if (image_bytes := unseen_drawing(image_bytes, "number-canvas")) is None:
        return None, None
    try:
        pixels = images.decode(image_bytes, "the drawing")
        return pixels, read_number(classifier, pixels)
    except EmptyDrawing:
        return None, None
    except InvalidImage as exc:
        st.error(f"The drawing could not be read: {exc}")
    except ModelNotFound as exc:
        show_missing_model(exc)
    except DigitrecError as exc:
        st.warning(f"That is not a number this page can read: {exc}")
    return None, None


def boxed(pixels: np.ndarray, reading: NumberReading) -> np.ndarray:
    """The drawing (white ink on black) with each digit's box drawn around it."""
    picture = np.repeat((ink_map(pixels) * 255).astype(np.uint8)[..., None], 3, axis=2)
    for digit in reading.digits:
        x0, y0, x1, y1 = digit.box
        x0, y0 = max(x0 - 3, 0), max(y0 - 3, 0)
        x1, y1 = min(x1 + 3, picture.shape[1]), min(y1 + 3, picture.shape[0])
        picture[y0 : y0 + 2, x0:x1] = picture[y1 - 2 : y1, x0:x1] = BOX_COLOUR
        picture[y0:y1, x0 : x0 + 2] = picture[y0:y1, x1 - 2 : x1] = BOX_COLOUR
    return picture


def crops(pixels: np.ndarray, reading: NumberReading) -> list[bytes]:
    """Each digit's part of the canvas, with a margin, as PNG."""
    height, width = pixels.shape[:2]
    pngs = []
    for digit in reading.digits:
        x0, y0, x1, y1 = digit.box
        part = pixels[
            max(y0 - CROP_MARGIN, 0) : y1 + CROP_MARGIN, max(x0 - CROP_MARGIN, 0) : x1 + CROP_MARGIN
        ]
        pngs.append(images.encode_png(np.ascontiguousarray(part)))
    return pngs


def true_number(reading: NumberReading) -> str:
    """The True number: it starts at what was read and follows it until the person types their own."""
    key = f"number-label-{state.number_round}"
    if not state.get(f"number-typed-{state.number_round}"):
        state[key] = reading.number
    typed = st.text_input(
        "True number",
        key=key,
        max_chars=32,
        on_change=lambda: state.update({f"number-typed-{state.number_round}": True}),
    )
    try:
        check_true_number(reading, typed)
    except (WrongDigitCount, InvalidLabel) as exc:  # said under the field, and Submit stays off
        st.warning(f"Cannot be saved as it is: {exc}.")
        return None
    return typed


def submit(pixels: np.ndarray, reading: NumberReading, number: str) -> None:
    state.number_answers += 1
    try:
        ids = submit_number(
            container.submissions(),
            reading,
            crops(pixels, reading),
            number,
            classifier.info.version,
            state.number_id,
            visitor(),
        )
    except (WrongDigitCount, InvalidLabel, TooManySubmissions) as exc:
        refusal.error(f"Not saved: {exc}.")
        return
    except StorageUnavailable as exc:
        refusal.error(f"Your number was not saved: {exc}. It is still on the canvas: try Submit again.")
        return
    state.number_saved = (number, ids)
    new_number()
    st.rerun()


def digit_details(reading: NumberReading) -> None:
    with st.expander("Each digit's probabilities"):
        for position, digit in enumerate(reading.digits):
            prediction = digit.prediction
            answer = (
                f"{prediction.digit} at {percent(prediction.confidence, 1)}"
                if prediction.is_digit
                else f"doesn't look like a digit (most like a {prediction.digit})"
            )
            st.caption(f"digit {position + 1}: {answer}")
            picture, bars = st.columns([1, 5])
            picture.image(np.kron(digit.model_input, np.ones((2, 2), np.float32)), clamp=True, width=56)
            probability_bars(prediction.probabilities, bars, prediction.is_digit)


if "number_round" not in state:
    new_number()
    state.number_answers = 0
container = get_container()
images = container.images()
use_page_style()
st.title("Write a number")
banner = st.empty()
if (classifier := live_classifier(container)) is None:
    st.stop()

canvas = drawing_canvas("number-canvas", WIDTH, HEIGHT, state.get("number-brush", 16), state.number_round)
pixels, reading = read_canvas(canvas.image_bytes)
number = None
if reading is None:
    if pixels is None and (saved := state.get("number_saved")) is not None:
        st.success(
            f"Saved {saved[0]} as submissions #{saved[1][0]}-#{saved[1][-1]}. Thank you! Write another."
        )
    if pixels is None:
        st.info(HINT)
else:
    state.pop("number_saved", None)
    # What was read, the True number and why it cannot be saved (if so) side by side with the boxed drawing,
    # so that all of it is on a 1280x900 screen with the canvas.
    result, preview = st.columns([2, 3])
    result.metric("Read as", reading.number)
    if not reading.all_digits:
        result.caption("Some pieces don't look like digits: their best guesses are shown.")
    with result:
        number = true_number(reading)
    preview.image(boxed(pixels, reading), caption="each digit the model read, boxed", width="stretch")
    digit_details(reading)
submit_column, clear_column = st.columns(2)
with submit_column:
    clicked = submit_button(reading is not None and bool(number), state.number_answers, key="number-submit")
clear_column.button("Clear", on_click=new_number, key="number-clear", width="stretch")
refusal = st.empty()  # why a Submit did not store: right under the button
if clicked:
    submit(pixels, reading, number)
st.slider("Brush width", min_value=5, max_value=40, value=16, key="number-brush")
