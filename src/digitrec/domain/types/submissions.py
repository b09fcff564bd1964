"""What a submission is (a drawing, what the model said, the true label a person gave) and what storage
counts about submissions. Standard library and numpy only; adapters convert to and from their own
representations."""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from digitrec.domain.types.errors import InvalidImage
from digitrec.domain.types.predictions import IMAGE_SIDE, NUM_CLASSES, Prediction, validate_label

MAX_IMAGE_BYTES = 8 * 1024 * 1024  # an encoded drawing is kilobytes; 8 MB is generous
MAX_IMAGE_PIXELS = 4096 * 4096  # more than this is a decompression bomb, not a drawing
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_VERSION_LENGTH = 100  # characters of a model version, as the database stores it
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")  # a submit token: a uuid4's hex, for example
# Who sent a submission: the app's per-tab visitor key (16 hex digits), or an id an import carries. None: the
# operator's own data (imported without a visitor column), which counts as reviewed.
VISITOR_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
APP_VISITOR_PATTERN = re.compile(r"[0-9a-f]{16}")  # what the app mints and accepts in its address
MAX_NUMBER_DIGITS = 32  # digits of one written number
# What an operator's review made of a submission: trusted as labelled (the default), never to be trained on
# (kept for audit), or a drawing that is not a digit at all (trained on as a negative, never as a digit).
OK, EXCLUDED, NOT_A_DIGIT = "ok", "excluded", "not_digit"
STATUSES = (OK, EXCLUDED, NOT_A_DIGIT)


def validate_png(data: bytes) -> bytes:
    """Check what can be checked without decoding: PNG bytes, at most MAX_IMAGE_BYTES, whose header declares
    at most MAX_IMAGE_PIXELS (a decompression bomb declares billions). Decoding is the adapters' job."""
    if not isinstance(data, bytes) or not data:
        raise InvalidImage("a submission needs the drawing's image as PNG bytes")
    if len(data) > MAX_IMAGE_BYTES:
        limit = MAX_IMAGE_BYTES / 1e6
        raise InvalidImage(f"the image is {len(data) / 1e6:.1f} MB; the limit is {limit:.0f} MB")
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 33:
        raise InvalidImage("the image is not a PNG (its first bytes are not a PNG signature and header)")
    width, height = struct.unpack(">II", data[16:24])
    if width * height == 0 or width * height > MAX_IMAGE_PIXELS:
        raise InvalidImage(f"the image is {width}x{height} pixels; at most {MAX_IMAGE_PIXELS:,} are allowed")
    return data


@dataclass(frozen=True)
class Submission:
    """A drawing a person submitted with its true label. `id` is None until a repository stores it.

    `submit_token` makes a submission idempotent: the app mints one per canvas, and a repository that already
    holds a submission with that token stores nothing and answers the first one's id (a double click, a
    retried request). None for submissions that have no such identity (imports, the CLI).

    `status` is what a review made of it (OK, EXCLUDED or NOT_A_DIGIT); `label` is the latest label, the
    earlier ones are in the review history.

    A digit of a written number is a submission of its own (its crop of the canvas, its label, the model's
    answer for it) with the number's `number_id` and its `number_position`, 0 for the leftmost digit."""

    image_png: bytes
    model_input: np.ndarray  # IMAGE_SIDE x IMAGE_SIDE float32 in [0, 1], light ink on dark
    prediction: Prediction
    label: int
    model_version: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None
    submit_token: str | None = None
    status: str = OK
    number_id: str | None = None
    number_position: int | None = None
    visitor: str | None = None  # who sent it (see VISITOR_PATTERN); None: the operator's own data
    reviewed: bool = False  # an operator reviewed it (or it is the operator's own data)
    trust: Trust | None = None  # what the last trust check before a fine-tune decided about its label

    def __post_init__(self) -> None:
        validate_label(self.label)
        validate_status(self.status)
        validate_visitor(self.visitor)
        validate_png(self.image_png)
        pixels = np.asarray(self.model_input, dtype=np.float32)
        if pixels.shape != (IMAGE_SIDE, IMAGE_SIDE):
            raise InvalidImage(f"model input must be {IMAGE_SIDE}x{IMAGE_SIDE}, got {pixels.shape}")
        if not (np.isfinite(pixels).all() and pixels.min() >= 0.0 and pixels.max() <= 1.0):
            raise InvalidImage("model input must hold values in [0, 1]")
        version = self.model_version
        if not isinstance(version, str) or not 0 < len(version) <= MAX_VERSION_LENGTH:
            raise ValueError(f"model version must be 1-{MAX_VERSION_LENGTH} characters, got {version!r}")
        token = self.submit_token
        if token is not None and not (isinstance(token, str) and TOKEN_PATTERN.fullmatch(token)):
            raise ValueError(f"a submit token is 8-64 letters, digits, '-' or '_', got {token!r}")
        if (self.number_id is None) != (self.number_position is None) or (
            self.number_id is not None
            and not (
                TOKEN_PATTERN.fullmatch(self.number_id) and 0 <= self.number_position < MAX_NUMBER_DIGITS
            )
        ):
            raise ValueError(
                f"a digit of a number needs both a number id (like a submit token) and a position 0-"
                f"{MAX_NUMBER_DIGITS - 1}, got {self.number_id!r} and {self.number_position!r}"
            )
        object.__setattr__(self, "model_input", pixels)

    @property
    def correct(self) -> bool:
        return self.prediction.digit == self.label

    @property
    def image_sha256(self) -> str:
        """Hex digest of the PNG: finds an image that is already stored (the same drawing may be submitted
        twice legitimately; imports use it to skip rows they already hold)."""
        return hashlib.sha256(self.image_png).hexdigest()

    @property
    def from_crowd(self) -> bool:
        """Sent by a visitor and not reviewed: its label is only as good as its sender."""
        return self.visitor is not None and not self.reviewed


def validate_visitor(visitor: object) -> str | None:
    if visitor is not None and not (isinstance(visitor, str) and VISITOR_PATTERN.fullmatch(visitor)):
        raise ValueError(f"a visitor key is 1-64 letters, digits, '.', '-' or '_', got {str(visitor)[:80]!r}")
    return visitor


# What the trust check before a fine-tune decided about a crowd label: trained on as it is, trained on with
# less weight, or held back for an operator's review (never trained on until then).
TRUSTED, DOWN_WEIGHTED, HELD_BACK = "trusted", "down_weighted", "held_back"
TRUST_DECISIONS = (TRUSTED, DOWN_WEIGHTED, HELD_BACK)


@dataclass(frozen=True)
class Trust:
    """A trust decision: `reason` in words, `suspicion` how likely the label is wrong (0-1, orders the
    Review queue), `weight` what one drawing counts in training (1 trusted, 0 held back)."""

    decision: str
    reason: str
    suspicion: float = 0.0
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.decision not in TRUST_DECISIONS:
            raise ValueError(
                f"a trust decision is one of {', '.join(TRUST_DECISIONS)}, got {self.decision!r}"
            )


def validate_status(status: object) -> str:
    if status not in STATUSES:
        raise ValueError(f"a submission's status is one of {', '.join(STATUSES)}, got {status!r}")
    return str(status)


@dataclass(frozen=True)
class TrainingRow:
    """What fine-tuning needs of a stored submission: no PNG, just its 28x28 input, label and status."""

    id: int
    label: int
    status: str
    model_input: np.ndarray  # 28x28 float32
    visitor: str | None = None  # None: the operator's own data
    reviewed: bool = False

    @property
    def from_crowd(self) -> bool:
        return self.visitor is not None and not self.reviewed


@dataclass(frozen=True)
class VersionCount:
    version: str
    n: int  # submissions answered by this model version
    correct: int  # of them, how many it got right

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


@dataclass(frozen=True)
class SubmissionStats:
    """What a repository counts for the Stats page: submissions per (true label, predicted digit), and per
    model version how many there are and how many the model got right (most submissions first)."""

    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted digit
    per_version: tuple[VersionCount, ...]

    @classmethod
    def from_groups(cls, groups: Iterable[tuple[str, int, int, int]]) -> SubmissionStats:
        """From (model_version, label, predicted, count) rows, as `GROUP BY` those three columns gives."""
        confusion = [[0] * NUM_CLASSES for _ in range(NUM_CLASSES)]
        versions: dict[str, VersionCount] = {}
        for version, label, predicted, n in groups:
            confusion[label][predicted] += n
            seen = versions.get(version, VersionCount(version, 0, 0))
            versions[version] = VersionCount(version, seen.n + n, seen.correct + n * (label == predicted))
        per_version = sorted(versions.values(), key=lambda v: (-v.n, v.version))
        return cls(tuple(tuple(row) for row in confusion), tuple(per_version))


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite and naive inputs carry no zone: they are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
