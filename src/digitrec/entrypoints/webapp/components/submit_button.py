"""The Draw page's Submit button: it disables itself in the browser the moment it is clicked, and stays
disabled until the app has answered that click. Streamlit's own button can only be disabled by the server,
which learns of the click too late to stop a double click.

Each answer (a stored drawing or a failure) counts one more in `answered`; a click carries the count it saw,
so a click that reaches the server after its answer (a queued repeat) is ignored there too. The submit token
of the canvas remains what makes a repeat harmless; this button spares the page the repeats.
"""

from __future__ import annotations

import streamlit as st

BUTTON = st.components.v2.component(
    "digitrec.submit_button",
    html='<button type="button" class="digitrec-submit">Submit</button>',
    css="""
    .digitrec-submit {
        width: 100%; min-height: 2.5rem; padding: 0.25rem 0.75rem; border: 1px solid var(--st-primary-color);
        border-radius: var(--st-button-radius, 0.5rem); background: var(--st-primary-color); color: #fff;
        font: inherit; font-family: var(--st-font, inherit); cursor: pointer;
    }
    .digitrec-submit:hover:not(:disabled) { filter: brightness(0.92); }
    .digitrec-submit:disabled { opacity: 0.45; cursor: not-allowed; }
    .digitrec-submit[aria-busy="true"] { cursor: progress; }
    """,
    js="""
    export default function ({ parentElement, data, setTriggerValue }) {
        const button = parentElement.querySelector("button");
        const state = (parentElement.__digitrecSubmit ??= { waitingFor: null });
        state.enabled = data.enabled;
        if (state.waitingFor !== null && data.answered !== state.waitingFor) state.waitingFor = null;
        button.disabled = !data.enabled || state.waitingFor !== null;
        button.setAttribute("aria-busy", String(state.waitingFor !== null));
        button.onclick = () => {
            if (button.disabled) return;
            const waitingFor = (state.waitingFor = data.answered);
            button.disabled = true;
            button.setAttribute("aria-busy", "true");
            setTriggerValue("click", waitingFor);
            // Should the answer never come (the server restarted, the connection dropped), the button comes
            // back after a while rather than staying dead: a second click is still harmless (submit token).
            setTimeout(() => {
                if (state.waitingFor !== waitingFor) return;
                state.waitingFor = null;
                button.disabled = !state.enabled;
                button.setAttribute("aria-busy", "false");
            }, 15000);
        };
    }
    """,
)


def submit_button(enabled: bool, answered: int, key: str = "submit") -> bool:
    """Draw the button; True in the run its click started (and only for a click on the current answer)."""
    result = BUTTON(data={"enabled": enabled, "answered": answered}, key=key, on_click_change=lambda: None)
    return enabled and result.click == answered
