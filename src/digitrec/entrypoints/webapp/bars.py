"""The ten probabilities as bars, as the Draw and Number pages show them."""

from __future__ import annotations

import numpy as np

from digitrec.entrypoints.formatting import percent

TOP_BAR, OTHER_BARS = "#ff4b4b", "#8b93a7"  # Streamlit's red for the answer, a grey that reads on both themes
BAR = (
    '<div class="digitrec-bar" title="{title}"><div class="digitrec-fill" '
    'style="height:{height:.1f}%;background:{colour}"></div><span>{digit}</span></div>'
)


def probability_bars(probabilities, where) -> None:
    """The ten probabilities as bars in plain HTML: on screen at once (a chart library would first load, then
    draw), cheap for the browser under load, and the same in both themes. All zero before there is a
    drawing, so that the page does not jump when the first answer comes."""
    top = int(np.argmax(probabilities)) if np.max(probabilities) > 0 else -1
    bars = "".join(
        BAR.format(
            digit=d,
            height=max(1.0, 100 * float(p)),
            colour=TOP_BAR if d == top else OTHER_BARS,
            title=f"{d}: {percent(float(p), 1)}",
        )
        for d, p in enumerate(probabilities)
    )
    where.html(f'<div class="digitrec-bars" role="img" aria-label="probability of each digit">{bars}</div>')
