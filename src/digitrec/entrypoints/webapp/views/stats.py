"""Stats: how the models do on what people drew, overall, per model version and per digit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from digitrec.domain.submitting import live_stats
from digitrec.domain.types.errors import StorageUnavailable
from digitrec.domain.types.predictions import NUM_CLASSES
from digitrec.entrypoints.formatting import percent
from digitrec.entrypoints.webapp.components.charts import DIGITS, confusion_heat_map
from digitrec.entrypoints.webapp.wiring import get_container, use_page_style

VISITORS_SHOWN = 20

use_page_style()
st.title("Stats")
try:
    stats = live_stats(get_container().submissions())
except StorageUnavailable as exc:
    st.error(f"The submissions cannot be read: {exc}")
    st.stop()

overall = stats.evaluation
if overall.n == 0:
    st.info("No submissions yet: draw one on the Draw page.")
    st.stop()

submissions_column, accuracy_column = st.columns(2)
submissions_column.metric("Submissions", overall.n)
accuracy_column.metric("Live accuracy", percent(overall.accuracy, 1))

st.subheader("Per model version")
st.dataframe(
    [{"model": v.version, "submissions": v.n, "accuracy": v.accuracy} for v in stats.per_version],
    hide_index=True,
    column_config={"accuracy": st.column_config.NumberColumn(format="percent")},
)

st.subheader("Per digit")
per_digit = pd.DataFrame(
    {
        "digit": DIGITS,
        "submissions": stats.per_digit_count,
        # A digit nobody drew has no accuracy: it says so instead of "None" or 0%.
        "accuracy": [
            "no submissions" if (a := overall.per_class[d]) is None else percent(a, 1)
            for d in range(NUM_CLASSES)
        ],
    }
)
table_column, chart_column = st.columns(2)
table_column.dataframe(per_digit, hide_index=True)
chart_column.bar_chart(per_digit, x="digit", y="submissions", height=260)

st.subheader("Confusion matrix")
st.caption("Rows: the true label people gave; columns: the digit the model predicted.")
st.altair_chart(confusion_heat_map(overall.confusion), width="stretch")

st.subheader("Per visitor")
try:
    senders = get_container().reviews().visitor_summaries(VISITORS_SHOWN)
except StorageUnavailable as exc:
    st.error(f"The visitors cannot be read: {exc}")
    senders = []
if senders:
    st.caption(
        f"The {len(senders)} visitors who sent the most (a visitor is one browser tab's key). Against the "
        "model: drawings whose label the model disagrees with; held back: labels the last trust check kept "
        "out of fine-tuning until an operator reviews them (Review page)."
    )
    st.dataframe(
        [
            {
                "visitor": v.visitor,
                "drawings": v.sent,
                "against the model": v.against_model,
                "held back": v.held_back,
                "blocked": "blocked" if v.blocked else "",
            }
            for v in senders
        ],  # fmt: skip
        hide_index=True,
        width="stretch",
    )
else:
    st.caption("No drawings from visitors yet: the submissions are all the operator's own.")
