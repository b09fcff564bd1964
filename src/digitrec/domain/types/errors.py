"""The errors of the domain: each one is something a user can act on, and its message says what to do."""

from __future__ import annotations


class DigitrecError(Exception):
    """Base class for errors that a user can act on; the message says what to do."""


class InvalidLabel(DigitrecError):
    pass


class InvalidImage(DigitrecError):
    pass


class ModelNotFound(DigitrecError):
    pass


class DatasetNotFound(DigitrecError):
    pass


class StorageUnavailable(DigitrecError):
    pass


class DeviceUnavailable(DigitrecError):
    pass
