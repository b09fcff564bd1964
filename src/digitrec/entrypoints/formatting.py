"""How numbers are shown, the same on the command line and in the app."""

from __future__ import annotations


def percent(value: float | None, places: int = 2) -> str:
    """`99.50%`; `-` for a value that does not exist (a digit without examples)."""
    return "-" if value is None else f"{100 * value:.{places}f}%"
