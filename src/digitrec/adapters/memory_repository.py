"""Submissions in a dict: the test fake for `SubmissionRepository`, and a dev backend without a database."""

from __future__ import annotations

import dataclasses
import threading

from digitrec.domain.model import Submission


class InMemorySubmissionRepository:
    """Thread-safe; ids are 1, 2, 3... in the order submissions were added, like a database sequence."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._submissions: dict[int, Submission] = {}
        self._last_id = 0

    def add(self, submission: Submission) -> int:
        with self._lock:
            self._last_id += 1
            # Copy the pixels so a caller mutating its array later cannot change what was stored.
            self._submissions[self._last_id] = dataclasses.replace(
                submission, id=self._last_id, model_input=submission.model_input.copy()
            )
            return self._last_id

    def get(self, submission_id: int) -> Submission | None:
        with self._lock:
            return self._submissions.get(submission_id)

    def latest(self, limit: int, offset: int = 0, *, mismatches_only: bool = False) -> list[Submission]:
        newest_first = self._matching(mismatches_only)[::-1]
        return newest_first[offset : offset + limit]

    def count(self, *, mismatches_only: bool = False) -> int:
        return len(self._matching(mismatches_only))

    def _matching(self, mismatches_only: bool) -> list[Submission]:
        """Matching submissions, oldest first (dicts keep insertion order, which is id order)."""
        with self._lock:
            stored = list(self._submissions.values())
        return [s for s in stored if not (mismatches_only and s.correct)]
