"""The app's charts (Altair, so they are interactive: hover for values, zoom and pan the curves): confusion
matrices as heat maps, training curves, per-digit accuracy differences between two model versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from digitrec.domain.curves import per_digit_accuracy
from digitrec.domain.types.predictions import NUM_CLASSES
from digitrec.domain.types.training import EpochMetrics
from digitrec.entrypoints.webapp.wiring import theme

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


CURVES = {  # chart -> (the metrics it shows, the y axis title)
    "loss": (("train_loss", "val_loss"), "loss (cross-entropy)"),
    "accuracy": (("val_accuracy",), "validation accuracy"),
}


def curves_chart(histories: Mapping[str, Sequence[EpochMetrics]], chart: str) -> alt.Chart:
    """Per epoch, the chart's metrics of every version given: one line per (version, metric), overlaid."""
    metrics, title = CURVES[chart]
    rows = [
        (version, m.epoch, name.replace("_", " "), getattr(m, name))
        for version, history in histories.items()
        for m in history
        for name in metrics
    ]
    data = pd.DataFrame(rows, columns=["version", "epoch", "metric", "value"])
    many = len(histories) > 1
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False)),
            color=alt.Color("version:N" if many else "metric:N", legend=alt.Legend(orient="bottom")),
            strokeDash=alt.StrokeDash("metric:N", legend=alt.Legend(orient="bottom"))
            if many
            else alt.Undefined,
            tooltip=["version", "epoch", "metric", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=260)
        .interactive()
    )


def digit_difference_chart(
    first: str,
    first_confusion: Sequence[Sequence[int]],
    second: str,
    second_confusion: Sequence[Sequence[int]],
) -> alt.Chart:
    """Per digit, the second version's MNIST test accuracy minus the first's, in points."""
    before, after = per_digit_accuracy(first_confusion), per_digit_accuracy(second_confusion)
    rows = [
        (DIGITS[d], 100 * (a - b), 100 * b, 100 * a)
        for d, (b, a) in enumerate(zip(before, after, strict=True))
        if a is not None and b is not None
    ]
    data = pd.DataFrame(rows, columns=["digit", "points", first, second])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("digit:O", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("points:Q", title=f"{second} minus {first} (points)"),
            color=alt.condition(alt.datum.points >= 0, alt.value("#2f9e44"), alt.value("#e03131")),
            tooltip=[
                "digit",
                alt.Tooltip("points:Q", format="+.2f"),
                alt.Tooltip(first, format=".2f"),
                alt.Tooltip(second, format=".2f"),
            ],
        )
        .properties(height=240)
    )
