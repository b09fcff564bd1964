"""Who may do what. Drawing, submitting and looking are open to everyone; reviewing submissions, starting a
fine-tune, promoting and rolling back need an operator, signed in with the operator password. Each of those
use cases takes the `Operator` that `sign_in` returns and records what it did in the audit log, so a page
that forgot to hide a button still cannot act for a visitor."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from digitrec.domain.errors import DigitrecError

MAX_NAME_LENGTH = 64


class NotAnOperator(DigitrecError):
    pass


@dataclass(frozen=True)
class Operator:
    """Someone who gave the operator password; `name` is who they said they are, for the audit log."""

    name: str


def sign_in(name: str, password: str, expected: str | None) -> Operator:
    """An Operator when `password` is the operator password; compared in constant time, so the time taken
    tells nothing about how much of a guess was right."""
    if not expected:
        raise NotAnOperator(
            "operator actions are switched off: set DIGITREC_ADMIN_PASSWORD (or the Streamlit secret of "
            "that name) to turn them on"
        )
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise NotAnOperator(f"give a name of 1-{MAX_NAME_LENGTH} characters, for the audit log")
    if not hmac.compare_digest((password or "").encode(), expected.encode()):
        raise NotAnOperator("wrong operator password")
    return Operator(name)


def require_operator(who: object) -> Operator:
    """`who` itself when it is a signed-in Operator; otherwise the action is refused."""
    if not isinstance(who, Operator):
        raise NotAnOperator("only a signed-in operator may do this: sign in with the operator password")
    return who
