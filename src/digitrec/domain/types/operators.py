"""Who may do what. Drawing, submitting and looking are open to everyone; reviewing submissions, starting a
fine-tune, promoting and rolling back need an operator, signed in with the operator password
(`operating.sign_in`). Each of those use cases takes the `Operator` that `sign_in` returns and checks it
(`require_operator`), so a page that forgot to hide a button still cannot act for a visitor."""

from __future__ import annotations

from dataclasses import dataclass

from digitrec.domain.types.errors import DigitrecError

MAX_NAME_LENGTH = 64


class NotAnOperator(DigitrecError):
    pass


@dataclass(frozen=True)
class Operator:
    """Someone who gave the operator password; `name` is who they said they are, for the audit log."""

    name: str


def require_operator(who: object) -> Operator:
    """`who` itself when it is a signed-in Operator; otherwise the action is refused."""
    if not isinstance(who, Operator):
        raise NotAnOperator("only a signed-in operator may do this: sign in with the operator password")
    return who
