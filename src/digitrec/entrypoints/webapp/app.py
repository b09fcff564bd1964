"""digitrec's Streamlit app: six pages, and a sidebar naming the model that answers and where an operator
signs in."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from digitrec.entrypoints.formatting import moment, percent
from digitrec.entrypoints.webapp.components.operators import operator_sidebar
from digitrec.entrypoints.webapp.wiring import get_container, live_classifier

HERE = Path(__file__).parent

# The tab icon is a file shipped with the app: a Material icon here would be fetched from a font service,
# which fails offline.
st.set_page_config(page_title="digitrec", page_icon=str(HERE / "favicon.png"), layout="wide")

try:
    get_container()
except ValueError as exc:  # an unusable setting in the environment `digitrec serve` passed on
    st.error(f"digitrec cannot start: {exc}")
    st.stop()

pages = [
    st.Page(HERE / "views" / "draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page(HERE / "views" / "number.py", title="Number", icon=":material/pin:"),
    st.Page(HERE / "views" / "history.py", title="History", icon=":material/history:"),
    st.Page(HERE / "views" / "stats.py", title="Stats", icon=":material/bar_chart:"),
    st.Page(HERE / "views" / "models.py", title="Models", icon=":material/model_training:"),
    st.Page(HERE / "views" / "review.py", title="Review", icon=":material/rule:"),
]
# The pages are links at the top of every page, not in the sidebar: on a phone Streamlit's navigation opens
# as a sidebar over 75% of the screen and stays open after a page is chosen.
page = st.navigation(pages, position="hidden")
with st.container(horizontal=True, key="pages"):
    for each in pages:
        st.page_link(each, width="content")

with st.sidebar:
    st.subheader("Live model")
    if (classifier := live_classifier(get_container())) is not None:
        model = classifier.info
        st.markdown(f"**{model.version}**")
        if model.test_accuracy is not None:
            st.metric("MNIST test accuracy", percent(model.test_accuracy))
        st.caption(f"trained {moment(model.created_at)}")
operator_sidebar(get_container())

page.run()
