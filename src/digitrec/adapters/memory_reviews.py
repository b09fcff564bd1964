"""Reviews and the audit log over an in-memory submission store: the test fake for `SubmissionReviews` and
`AuditLog`, and the dev backend's."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

from digitrec.adapters.memory_repository import InMemorySubmissionRepository
from digitrec.domain.errors import DigitrecError
from digitrec.domain.reviewing import AuditEntry, Review
from digitrec.domain.submissions import OK, Submission


class InMemoryReviews:
    def __init__(self, submissions: InMemorySubmissionRepository) -> None:
        self._submissions = submissions
        self._lock = threading.Lock()
        self._entries: list[AuditEntry] = []
        self._reviewed: set[int] = set()

    def review_candidates(self, limit: int, *, many_copies: int) -> list[tuple[Submission, int]]:
        stored = self._submissions.latest(self._submissions.count())
        copies = Counter(s.image_sha256 for s in stored)
        with self._lock:
            due = [
                (s, copies[s.image_sha256])
                for s in stored
                if s.id not in self._reviewed
                and s.status == OK
                and (not s.correct or not s.prediction.is_digit or copies[s.image_sha256] >= many_copies)
            ]
        return due[:limit]

    def apply_review(self, submission_id: int, review: Review, operator: str) -> Submission:
        with self._lock:
            before = self._submissions.get(submission_id)
            if before is None:
                raise DigitrecError(f"no submission #{submission_id}")
            after = self._submissions.replace_stored(review.apply(before))
            self._reviewed.add(submission_id)
            self._append(
                operator, review.action, f"#{submission_id}: {review.describe(before)}", submission_id
            )
            return after

    def review_history(self, submission_id: int) -> list[AuditEntry]:
        with self._lock:
            return [e for e in self._entries if e.submission_id == submission_id]

    def record(self, operator: str, action: str, detail: str) -> AuditEntry:
        with self._lock:
            return self._append(operator, action, detail)

    def entries(self, limit: int) -> list[AuditEntry]:
        with self._lock:
            return self._entries[::-1][:limit]

    def _append(
        self, operator: str, action: str, detail: str, submission_id: int | None = None
    ) -> AuditEntry:
        entry = AuditEntry(len(self._entries) + 1, datetime.now(UTC), operator, action, detail, submission_id)
        self._entries.append(entry)
        return entry
