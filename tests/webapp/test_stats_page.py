"""The Stats page over a seeded in-memory repository: the numbers it shows are the right ones."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df


def heat_map_cells(at) -> pd.DataFrame:
    """The confusion matrix's cells, from the one chart on the page whose data has a "true" column."""
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            cells = convert_arrow_bytes_to_pandas_df(dataset.data.data)
            if "true" in cells.columns:
                return cells
        spec = json.loads(chart.proto.spec)
        if "true" in json.dumps(spec.get("datasets", {})):
            return pd.DataFrame(next(iter(spec["datasets"].values())))
    raise AssertionError("no confusion heat map on the page")


def test_no_submissions_yet(app):
    at = app("stats.py")
    assert "No submissions yet" in at.info[0].value


def test_counts_accuracy_per_version_per_digit_and_confusion(app, seed):
    # cnn-a: 3 right of 4; cnn-b: 1 right of 2. True labels: 1 x3, 7 x2, 4 x1.
    seed(label=1, predicted=1, version="cnn-a")
    seed(label=1, predicted=7, version="cnn-a")
    seed(label=7, predicted=7, version="cnn-a")
    seed(label=4, predicted=4, version="cnn-a")
    seed(label=1, predicted=1, version="cnn-b")
    seed(label=7, predicted=1, version="cnn-b")
    at = app("stats.py")

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Submissions"] == "6"
    assert metrics["Live accuracy"] == "66.7%"

    per_version, per_digit = (d.value for d in at.dataframe)
    assert per_version.to_dict("records") == [
        {"model": "cnn-a", "submissions": 4, "accuracy": 0.75},
        {"model": "cnn-b", "submissions": 2, "accuracy": 0.5},
    ]
    digits = per_digit.set_index("digit")
    assert digits["submissions"].tolist() == [0, 3, 0, 0, 1, 0, 0, 2, 0, 0]
    assert digits.loc["1", "accuracy"] == "66.7%"
    assert digits.loc["7", "accuracy"] == "50.0%" and digits.loc["4", "accuracy"] == "100.0%"
    assert digits.loc["0", "accuracy"] == "no submissions"  # no zeros drawn: no accuracy, not 0% or "None"

    confusion = heat_map_cells(at).set_index(["true", "predicted"])["n"]
    assert len(confusion) == 100 and confusion.sum() == 6
    assert confusion["1", "7"] == 1 and confusion["7", "1"] == 1
    assert confusion["1", "1"] == 2 and confusion["7", "7"] == 1 and confusion["0", "0"] == 0
