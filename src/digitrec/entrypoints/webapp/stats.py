"""Stats: how the models do on what people drew, overall, per model version and per digit."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from digitrec.domain.errors import StorageUnavailable
from digitrec.domain.predictions import NUM_CLASSES
from digitrec.domain.submitting import live_stats
from digitrec.entrypoints.formatting import percent
from digitrec.entrypoints.webapp.wiring import get_container, theme, use_page_style

DIGITS = [str(d) for d in range(NUM_CLASSES)]
# The heat map's colours run from a shade just off the page's background to a strong blue, in each theme,
# so that an empty matrix is a quiet grid and not a glaring block.
HEAT = {"light": ("#eef2f8", "#1d4ed8"), "dark": ("#1e2430", "#60a5fa")}
INK_ON_HEAT = {"light": ("#31333f", "#ffffff"), "dark": ("#fafafa", "#0e1117")}  # (pale cells, strong cells)


def confusion_heat_map(confusion: tuple[tuple[int, ...], ...]) -> alt.LayerChart:
    """Rows: the true label, columns: the predicted digit; each cell's count written in it (empty for 0)."""
    mode = theme()
    cells = pd.DataFrame(
        [(DIGITS[t], DIGITS[p], n) for t, row in enumerate(confusion) for p, n in enumerate(row)],
        columns=["true", "predicted", "n"],
    )
    strong = max(1, int(cells["n"].max())) / 2
    base = alt.Chart(cells).encode(
        x=alt.X("predicted:O", title="predicted", axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("true:O", title="true label"),
        tooltip=["true", "predicted", "n"],
    )
    heat = base.mark_rect(stroke=HEAT[mode][0], strokeWidth=1).encode(
        color=alt.Color("n:Q", scale=alt.Scale(range=list(HEAT[mode])), legend=None)
    )
    pale, bold = INK_ON_HEAT[mode]
    counts = base.mark_text().encode(
        text="n:Q", color=alt.condition(alt.datum.n > strong, alt.value(bold), alt.value(pale))
    )
    return (heat + counts.transform_filter(alt.datum.n > 0)).properties(height=380)


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
