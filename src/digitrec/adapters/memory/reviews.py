"""Reviews and the audit log over an in-memory submission store: the test fake for `SubmissionReviews` and
`AuditLog`, and the dev backend's."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from digitrec.adapters.memory.repository import InMemorySubmissionRepository
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.reviews import AuditEntry, Review, VisitorSummary
from digitrec.domain.types.submissions import HELD_BACK, OK, Submission


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
                and not s.reviewed
                and s.status == OK
                and (
                    not s.correct
                    or not s.prediction.is_digit
                    or copies[s.image_sha256] >= many_copies
                    or (s.trust is not None and s.trust.decision == HELD_BACK)
                )
            ]
        due.sort(key=lambda pair: -(pair[0].trust.suspicion if pair[0].trust else -1))  # stable: newest first
        return due[:limit]

    def visitor_summaries(self, limit: int) -> list[VisitorSummary]:
        stored = self._submissions.latest(self._submissions.count())
        sent: dict[str, list[Submission]] = {}
        for s in stored:
            if s.visitor is not None:
                sent.setdefault(s.visitor, []).append(s)
        blocked = self._submissions.blocked_visitors()
        summaries = []
        for visitor, rows in sent.items():
            open_rows = [s for s in rows if not s.reviewed and s.status == OK]
            held = sum(s.trust is not None and s.trust.decision == HELD_BACK for s in open_rows)
            against = sum(not s.correct for s in rows)
            summaries.append(
                VisitorSummary(visitor, len(rows), against, held, len(open_rows), visitor in blocked)
            )
        return sorted(summaries, key=lambda v: (-v.sent, v.visitor))[:limit]

    def review_visitor(self, visitor: str, review: Review, operator: str) -> int:
        status = review.apply_status()
        with self._lock:
            stored = self._submissions.latest(self._submissions.count())
            mine = [s for s in stored if s.visitor == visitor and not s.reviewed and s.status == OK]
            for s in mine:
                self._submissions.replace_stored(replace(s, status=status, reviewed=True))
                self._reviewed.add(s.id)
            detail = f"visitor {visitor}: {len(mine)} drawings {review.describe_many()}"
            self._append(operator, f"{review.action} visitor", detail)
        return len(mine)

    def block_visitor(self, visitor: str, operator: str) -> None:
        with self._lock:
            self._submissions.blocked.setdefault(visitor, (datetime.now(UTC), operator))
            self._append(
                operator, "block visitor", f"visitor {visitor}: what they send is stored, never trained on"
            )

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
