"""The drawing canvas both Draw and Number use: white ink on black, free drawing, the image sent back.

It is cleared in place by giving it a new initial drawing (a new `round`), not replaced: a replaced
component drops the strokes made while it mounts."""

from __future__ import annotations

from streamlit_drawable_canvas import CanvasResult, st_canvas


def drawing_canvas(key: str, width: int, height: int, brush: int, round_: int) -> CanvasResult:
    return st_canvas(
        stroke_width=brush,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=width,
        height=height,
        drawing_mode="freedraw",
        return_image_data=True,
        initial_drawing={"objects": [], "digitrecCanvas": round_},  # a new value clears it
        key=key,
    )
