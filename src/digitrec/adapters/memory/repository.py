"""Submissions in a dict: the test fake for `SubmissionRepository`, and a dev backend without a database."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from datetime import datetime

from digitrec.domain.types.submissions import Submission, SubmissionStats, TrainingRow, Trust, as_utc


class InMemorySubmissionRepository:
    """Thread-safe; ids are 1, 2, 3... in the order submissions were added, like a database sequence."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._submissions: dict[int, Submission] = {}
        self._images: set[str] = set()  # sha256 of every stored PNG
        self._tokens: dict[str, int] = {}  # submit token -> id
        self._last_id = 0
        self.blocked: dict[str, tuple[datetime, str]] = {}  # visitor -> (when, by which operator)

    def add(self, submission: Submission) -> int:
        with self._lock:
            stored = self._tokens.get(submission.submit_token) if submission.submit_token else None
            return stored if stored is not None else self._store(submission)

    def add_unless_stored(self, submission: Submission) -> int | None:
        with self._lock:
            known = submission.image_sha256 in self._images or submission.submit_token in self._tokens
            return None if known else self._store(submission)

    def _store(self, submission: Submission) -> int:
        """Store it under the next id; the caller holds the lock."""
        self._last_id += 1
        # Copy the pixels so a caller mutating its array later cannot change what was stored.
        self._submissions[self._last_id] = dataclasses.replace(
            submission, id=self._last_id, model_input=submission.model_input.copy()
        )
        self._images.add(submission.image_sha256)
        if submission.submit_token:
            self._tokens[submission.submit_token] = self._last_id
        return self._last_id

    def replace_stored(self, submission: Submission) -> Submission:
        """Store `submission` in place of the one with its id (a review changed its label or status)."""
        with self._lock:
            if submission.id not in self._submissions:
                raise KeyError(submission.id)
            self._submissions[submission.id] = submission
            return submission

    def sent_since(self, visitor: str, since: datetime) -> int:
        since = as_utc(since)
        return sum(s.visitor == visitor and as_utc(s.created_at) >= since for s in self._matching(False))

    def get(self, submission_id: int) -> Submission | None:
        with self._lock:
            return self._submissions.get(submission_id)

    def latest(self, limit: int, offset: int = 0, *, mismatches_only: bool = False) -> list[Submission]:
        newest_first = self._matching(mismatches_only)[::-1]
        return newest_first[offset : offset + limit]

    def count(self, *, mismatches_only: bool = False) -> int:
        return len(self._matching(mismatches_only))

    def oldest_after(
        self, after_id: int, limit: int, *, since: datetime | None = None, mismatches_only: bool = False
    ) -> list[Submission]:
        since = None if since is None else as_utc(since)
        matching = (
            s
            for s in self._matching(mismatches_only)
            if s.id > after_id and (since is None or as_utc(s.created_at) >= since)
        )
        return [s for s, _ in zip(matching, range(limit), strict=False)]

    def training_rows(self, after_id: int, limit: int) -> list[TrainingRow]:
        return [
            TrainingRow(s.id, s.label, s.status, s.model_input.copy(), s.visitor, s.reviewed)
            for s in self.oldest_after(after_id, limit)
        ]

    def record_trust(self, decisions: dict[int, Trust]) -> None:
        with self._lock:
            for sid, trust in decisions.items():
                if sid in self._submissions:
                    self._submissions[sid] = dataclasses.replace(self._submissions[sid], trust=trust)

    def blocked_visitors(self) -> set[str]:
        with self._lock:
            return set(self.blocked)

    def contains_image(self, image_sha256: str) -> bool:
        with self._lock:
            return image_sha256 in self._images

    def stats(self) -> SubmissionStats:
        groups = Counter((s.model_version, s.label, s.prediction.digit) for s in self._matching(False))
        return SubmissionStats.from_groups((*key, n) for key, n in groups.items())

    def _matching(self, mismatches_only: bool) -> list[Submission]:
        """Matching submissions, oldest first (dicts keep insertion order, which is id order)."""
        with self._lock:
            stored = list(self._submissions.values())
        return [s for s in stored if not (mismatches_only and s.correct)]
