"""Signing in as an operator, in the sidebar of every page. The password comes from DIGITREC_ADMIN_PASSWORD
(or the Streamlit secret of that name); without one, operator actions are off. The `Operator` lives in this
session only: the pages show operator buttons only to it, and the use cases refuse anyone else."""

from __future__ import annotations

import time

import streamlit as st

from digitrec import settings
from digitrec.containers import Container
from digitrec.domain.operating import sign_in
from digitrec.domain.types.operators import NotAnOperator, Operator

PASSWORD_SETTING = settings.ENV_ADMIN_PASSWORD
WRONG_PASSWORD_DELAY = 0.5  # seconds: slows down guessing


def operator_password(container: Container) -> str | None:
    if configured := container.config.admin_password():
        return configured
    try:
        return st.secrets.get(PASSWORD_SETTING) or None
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one: no password from there
        return None


def operator_hint(container: Container, to_do: str) -> str:
    """What a visitor who is not an operator reads beside what only an operator may do."""
    if operator_password(container):
        return f"Sign in as an operator (sidebar) to {to_do}."
    return f"Operator actions are off here: whoever runs the app sets {PASSWORD_SETTING} to {to_do}."


def current_operator() -> Operator | None:
    who = st.session_state.get("operator")
    return who if isinstance(who, Operator) else None


def operator_sidebar(container: Container) -> None:
    with st.sidebar:
        st.subheader("Operator")
        if (operator := current_operator()) is not None:
            st.caption(f"Signed in as **{operator.name}**: you can review, fine-tune, promote and roll back.")
            if st.button("Sign out", key="sign-out"):
                del st.session_state["operator"]
                st.rerun()
            return
        expected = operator_password(container)
        if not expected:
            st.caption(f"Operator actions are off: set {PASSWORD_SETTING} to turn them on.")
            return
        with st.form("sign-in", border=False):
            name = st.text_input("Your name", key="operator-name", max_chars=64)
            password = st.text_input("Operator password", type="password", key="operator-password")
            signed = st.form_submit_button("Sign in")
        if signed:
            try:
                st.session_state.operator = sign_in(name, password, expected)
            except NotAnOperator as exc:
                time.sleep(WRONG_PASSWORD_DELAY)
                st.error(str(exc))
            else:
                st.rerun()
