"""Inside the model, on the Draw page: for the drawing on the canvas, the three likeliest digits, the 28x28
image the network saw beside the strokes that drove its answer, and what each convolution stage computes.

Behind a toggle, not an expander: an expander's body runs (and the model would explain) on every drawing,
open or not; the toggle's is skipped while it is off. It stays as the visitor left it from one drawing to the
next, and is there, switched off and greyed, while the canvas is empty, so the page does not jump.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitrec.domain.ports import Classifier
from digitrec.domain.types.errors import ModelNotFound
from digitrec.domain.types.explanations import (
    CannotExplain,
    Explanation,
    FeatureMaps,
    feature_grid,
    saliency_overlay,
)
from digitrec.entrypoints.formatting import percent
from digitrec.entrypoints.webapp.wiring import show_missing_model

TOGGLE_KEY = "inside_model"
IMAGE_SCALE = 5  # the 28x28 input and its saliency, shown at 140x140 with square pixels
GRID_WIDTH = 384  # at most this wide, in pixels, each stage's grid of feature maps (the shipped model's: 360)
INTRO = (
    "Left, the 28x28 image the network saw; right, in orange, the strokes that drove its answer "
    "(Grad-CAM of the last stage). Below, what each convolution stage computes: one square per filter, "
    "bright where it fires."
)


def enlarged(image: np.ndarray, scale: int) -> np.ndarray:
    """`image` (H, W) or (H, W, 3) made `scale` times bigger with square pixels (nearest neighbour)."""
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def stage_picture(stage: FeatureMaps) -> np.ndarray:
    """A stage's maps as a grid, enlarged to fit GRID_WIDTH: 8 to a row (16 when there are more than 64),
    so that a 14x14 map is drawn about 45 px wide and a 7x7 one about 24 px, big enough to see."""
    grid = feature_grid(stage.maps, columns=8 if len(stage.maps) <= 64 else 16)
    return enlarged(grid, max(1, GRID_WIDTH // grid.shape[1]))


def show_picture(where, picture: np.ndarray, caption: str) -> None:
    """At its own size (so the browser does not blur it), losslessly: PNG, not Streamlit's default JPEG."""
    where.image(picture, caption=caption, width=picture.shape[1], clamp=True, output_format="PNG")


def show_explanation(explanation: Explanation) -> None:
    top = "   ·   ".join(f"**{digit}** {percent(p, 1)}" for digit, p in explanation.top(3))
    st.markdown(f"Top three: {top}")
    st.caption(INTRO)
    side_by_side = st.container(horizontal=True)
    show_picture(side_by_side, enlarged(explanation.model_input, IMAGE_SCALE), "28x28 input")
    overlay = saliency_overlay(explanation.model_input, explanation.saliency)
    show_picture(
        side_by_side, enlarged(overlay, IMAGE_SCALE), f"what made it say {explanation.prediction.digit}"
    )
    for stage in explanation.stages:
        show_picture(st, stage_picture(stage), stage.name)


def inside_model(classifier: Classifier, model_input: np.ndarray | None) -> None:
    """The "Inside the model" toggle and, while it is on and there is a drawing, what the model computed for
    `model_input` (the preprocessed 28x28 drawing; None while there is none)."""
    opened = st.toggle("Inside the model", key=TOGGLE_KEY, disabled=model_input is None)
    if not opened or model_input is None:
        return
    explain = getattr(classifier, "explain", None)
    if explain is None:
        st.info("This model cannot show what is inside it: it does not explain its answers.")
        return
    try:
        explanation = explain(model_input)
    except ModelNotFound as exc:  # the live model went missing since the prediction
        show_missing_model(exc)
        return
    except CannotExplain as exc:
        st.info(f"This model cannot show what is inside it: {exc}.")
        return
    show_explanation(explanation)
