"""The ten probabilities as bars, as the Draw and Number pages show them."""

from __future__ import annotations

import numpy as np

from digitrec.entrypoints.formatting import percent

TOP_BAR, OTHER_BARS = "#ff4b4b", "#8b93a7"  # Streamlit's red for the answer, a grey that reads on both themes
BAR = (
    '<div class="digitrec-bar" title="{title}"><div class="digitrec-fill" '
    'style="height:{height:.1f}%;background:{colour}"></div><span>{digit}</span></div>'
)


def probability_bars(probabilities, where, is_digit: bool = True) -> None:
    """The ten probabilities as bars in plain HTML: on screen at once (a chart library would first load, then
    draw), cheap for the browser under load, and the same in both themes. All zero before there is a
    drawing, so that the page does not jump when the first answer comes. For a drawing that is not a digit
    they are what the model would say if it were one: faded, all grey, none in the answer's colour."""
    top = int(np.argmax(probabilities)) if np.max(probabilities) > 0 and is_digit else -1
    muted, suffix = ("", "") if is_digit else (" muted", " if it were a digit")
    bars = "".join(
        BAR.format(
            digit=d,
            height=max(1.0, 100 * float(p)),
            colour=TOP_BAR if d == top else OTHER_BARS,
            title=f"{d}: {percent(float(p), 1)}{suffix}",
        )
        for d, p in enumerate(probabilities)
    )
    label = "probability of each digit" + suffix
    where.html(f'<div class="digitrec-bars{muted}" role="img" aria-label="{label}">{bars}</div>')
