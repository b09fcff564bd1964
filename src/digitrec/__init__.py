"""digitrec: a handwritten-digit recogniser that people actually use."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("digitrec")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
