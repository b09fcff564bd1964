"""History: the latest submissions, newest first, a page at a time; optionally only the model's mistakes.
The ones sent from this browser tab (also before a reload) are marked "yours"."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import numpy as np
import streamlit as st

from digitrec.domain.ports import ImageCodec
from digitrec.domain.preprocessing import ink_map
from digitrec.domain.submitting import history_page, history_rows
from digitrec.domain.types.errors import StorageUnavailable
from digitrec.entrypoints.formatting import ago
from digitrec.entrypoints.webapp.wiring import get_container, use_page_style, visitor

PAGE_SIZE = 10
ROW_HEIGHT = 56


def thumbnail(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def ink_on_black(image: np.ndarray) -> np.ndarray:
    return (ink_map(image) * 255).astype(np.uint8)


def side_by_side(images: ImageCodec, pngs: list[bytes]) -> bytes:
    """One PNG: the drawing itself, or a number's digit crops side by side at one height."""
    if len(pngs) == 1:
        return pngs[0]
    tiles = [ink_on_black(images.decode(png)) for png in pngs]
    height = max(t.shape[0] for t in tiles)
    padded = [np.pad(t, ((0, height - t.shape[0]), (0, 4))) for t in tiles]
    return images.encode_png(np.hstack(padded))


use_page_style()
mine = f"{visitor()}-"
st.title("History")
mistakes_only = st.toggle("Only the ones the model got wrong", key="mistakes_only")

try:
    repo = get_container().submissions()
    page_number = st.session_state.get(f"history-page-{mistakes_only}", 1)
    page = history_page(repo, page_number, PAGE_SIZE, mistakes_only=mistakes_only)
except StorageUnavailable as exc:
    st.error(f"The submissions cannot be read: {exc}")
    st.stop()

if page.total == 0:
    st.info("No mistakes so far." if mistakes_only else "No submissions yet: draw one on the Draw page.")
    st.stop()

noun = "mistake" if mistakes_only else "submission"
st.caption(f"{page.total} {noun}{'s' * (page.total != 1)}, newest first: page {page.page} of {page.pages}")
# The labels come right after the drawing, so that they are on screen on a phone too. A written number is one
# row: its digits' crops side by side, its labels and predictions as numbers.
images = get_container().images()
now = datetime.now(UTC)
rows = [
    {
        "drawing": thumbnail(side_by_side(images, [s.image_png for s in row.submissions])),
        "true label": row.label,
        "predicted": row.predicted,
        "yours": "yours" if (row.submissions[0].submit_token or "").startswith(mine) else "",
        "confidence": row.confidence,
        "correct": row.correct,
        "when": ago(row.submissions[0].created_at, now),
        "id": row.submissions[0].id,
        "version": row.submissions[0].model_version,
    }
    for row in history_rows(page.submissions)
]
# Every row on screen at once (no scroll box inside the page), each column wide enough for what it holds at
# 1280 px with the sidebar open; on a phone the table scrolls sideways, label and prediction first.
st.dataframe(
    rows,
    hide_index=True,
    row_height=ROW_HEIGHT,
    height=ROW_HEIGHT * (len(rows) + 1) + 3,
    column_config={
        "drawing": st.column_config.ImageColumn("drawing", width=64),
        "true label": st.column_config.TextColumn("label", width=56),
        "predicted": st.column_config.TextColumn("predicted", width=80),
        "yours": st.column_config.TextColumn("yours", width=56, help="sent from this browser tab"),
        "confidence": st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent", width=100),
        "correct": st.column_config.CheckboxColumn("correct", width=64),
        "when": st.column_config.TextColumn("when (UTC)", width=130),
        "id": st.column_config.NumberColumn("#", format="%d", width=56),
        "version": st.column_config.TextColumn("model version", width=200),
    },
)
st.pagination(page.pages, key=f"history-page-{mistakes_only}")
