"""Models: every model version with its lineage and how it does; the chosen version's training curves,
what they say about over- and under-fitting, and its confusion matrix; two versions side by side; and, for
an operator, fine-tunes started here and run by `digitrec worker`, promotion and rollback."""

from __future__ import annotations

import streamlit as st

from digitrec.domain.curves import fit_diagnosis
from digitrec.domain.types.errors import DigitrecError, StorageUnavailable
from digitrec.domain.types.training import ModelRecord
from digitrec.entrypoints.formatting import ago, parse_time, percent
from digitrec.entrypoints.webapp.components.charts import (
    confusion_heat_map,
    curves_chart,
    digit_difference_chart,
)
from digitrec.entrypoints.webapp.components.fine_tunes import fine_tune_section, per_digit_view
from digitrec.entrypoints.webapp.components.operators import current_operator
from digitrec.entrypoints.webapp.wiring import get_container, use_page_style


def versions_table(records: list[ModelRecord], live_accuracy: dict[str, tuple[int, float]]) -> None:
    """Every version, one row each, every column wide enough for its header and values at 1280 px with the
    sidebar open (on a phone the table scrolls sideways, the version first). Each version's parent is said
    under the version picker."""
    rows = []
    for r in records:
        n, accuracy = live_accuracy.get(r.version, (0, None))
        rows.append(
            {
                "version": ("● " if r.live else "") + r.version,
                "created": ago(parse_time(r.created_at)),
                "trained on": f"MNIST + {r.submissions_used}" if r.submissions_used else "MNIST",
                "MNIST test": percent(r.test_accuracy),
                "held-out": percent(r.heldout_accuracy),
                "canvas set": percent(r.canvas_accuracy),
                "live accuracy": f"{percent(accuracy)} of {n}" if n else "-",
            }
        )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "version": st.column_config.TextColumn("version", width=205),
            "created": st.column_config.TextColumn("created (UTC)", width=110),
            "trained on": st.column_config.TextColumn("trained on", width=100, help="MNIST + submissions"),
            "MNIST test": st.column_config.TextColumn("MNIST test", width=90),
            "held-out": st.column_config.TextColumn("held-out", width=75),
            "canvas set": st.column_config.TextColumn("canvas set", width=85),
            "live accuracy": st.column_config.TextColumn("live accuracy", width=115),
        },
    )
    st.caption(
        "● live. Trained on: MNIST and how many submissions. Held-out: the share of submissions fine-tuning "
        "never trains on. Canvas set: the MNIST test digits drawn as on the canvas, the same drawings for "
        "every version. Live accuracy: on the submissions made while the version answered."
    )


def curves_of(record: ModelRecord) -> None:
    if not record.history:
        st.info(f"{record.version}'s checkpoint holds no training curves.")
        return
    loss, accuracy = st.columns(2)
    loss.altair_chart(curves_chart({record.version: record.history}, "loss"), width="stretch")
    accuracy.altair_chart(curves_chart({record.version: record.history}, "accuracy"), width="stretch")
    st.info(fit_diagnosis(record.history))


def comparison(first: ModelRecord, second: ModelRecord) -> None:
    histories = {r.version: r.history for r in (first, second) if r.history}
    if histories:
        loss, accuracy = st.columns(2)
        loss.altair_chart(curves_chart(histories, "loss"), width="stretch")
        accuracy.altair_chart(curves_chart(histories, "accuracy"), width="stretch")
    if first.confusion and second.confusion:
        st.caption("Per-digit MNIST test accuracy: how much better (green) or worse (red) the second one is.")
        chart = digit_difference_chart(first.version, first.confusion, second.version, second.confusion)
        st.altair_chart(chart, width="stretch")


use_page_style()
st.title("Models")
container = get_container()
try:
    records = container.models().list()
    per_version = container.submissions().stats().per_version
except (DigitrecError, StorageUnavailable) as exc:
    st.error(f"The model versions cannot be listed: {exc}")
    st.stop()

versions_table(records, {v.version: (v.n, v.accuracy) for v in per_version})
by_version = {r.version: r for r in records}
live = next((r.version for r in records if r.live), records[0].version)
chosen = by_version[
    st.selectbox("Version", list(by_version), index=list(by_version).index(live), key="version")
]

st.caption(
    f"{chosen.version} was fine-tuned from {chosen.parent}."
    if chosen.parent
    else f"{chosen.version} was trained from scratch."
)
if chosen.per_digit:
    st.subheader(f"{chosen.version} against its parent {chosen.parent}, digit by digit")
    per_digit_view(chosen.per_digit, key="chosen")
st.subheader(f"Training curves of {chosen.version}")
curves_of(chosen)
if chosen.confusion:
    st.subheader("Confusion matrix on MNIST test")
    st.altair_chart(confusion_heat_map(chosen.confusion), width="stretch")

st.subheader("Compare two versions")
others = [v for v in by_version if v != chosen.version]
other = st.selectbox("Compare with", others, index=None, placeholder="choose a version", key="compare")
if other is not None:
    comparison(chosen, by_version[other])

fine_tune_section(container, current_operator())
