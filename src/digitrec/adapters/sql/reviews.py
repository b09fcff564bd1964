"""Reviews of submissions and the operators' audit log, in the same SQL database as the submissions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, case, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from digitrec.adapters.sql.engine import storage_errors
from digitrec.adapters.sql.repository import count_submission, submission_from_row
from digitrec.adapters.sql.tables import blocked_visitors, operator_actions, submissions
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.reviews import AuditEntry, Review, VisitorSummary
from digitrec.domain.types.submissions import HELD_BACK, OK, Submission, as_utc

SCAN_FACTOR = 5  # candidates read per item asked for: low-confidence disagreements are dropped afterwards


class SqlReviews:
    """The `SubmissionReviews` and `AuditLog` ports."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def review_candidates(self, limit: int, *, many_copies: int) -> list[tuple[Submission, int]]:
        same = aliased(submissions)
        copies = (
            select(func.count()).where(same.c.image_sha256 == submissions.c.image_sha256).scalar_subquery()
        )
        repeated = (
            select(submissions.c.image_sha256)
            .group_by(submissions.c.image_sha256)
            .having(func.count() >= many_copies)
        )
        query = (
            select(submissions, copies.label("copies"))
            .where(submissions.c.reviewed_at.is_(None), submissions.c.status == OK)
            .where(
                or_(
                    submissions.c.predicted != submissions.c.label,
                    submissions.c.predicted_is_digit.is_(False),
                    submissions.c.image_sha256.in_(repeated),
                    submissions.c.trust == HELD_BACK,
                )
            )
            .order_by(func.coalesce(submissions.c.trust_suspicion, -1).desc(), submissions.c.id.desc())
            .limit(limit * SCAN_FACTOR)
        )
        with storage_errors(self._engine), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [(submission_from_row(row), int(row.copies)) for row in rows]

    def apply_review(self, submission_id: int, review: Review, operator: str) -> Submission:
        now = datetime.now(UTC)
        with storage_errors(self._engine), self._engine.begin() as connection:
            found = select(submissions).where(submissions.c.id == submission_id).with_for_update()
            if (row := connection.execute(found).first()) is None:
                raise DigitrecError(f"no submission #{submission_id}")
            before = submission_from_row(row)
            after = review.apply(before)
            connection.execute(
                update(submissions)
                .where(submissions.c.id == submission_id)
                .values(label=after.label, status=after.status, reviewed_at=now)
            )
            if after.label != before.label:  # the counts per (version, label, predicted) follow the label
                predicted = before.prediction.digit
                count_submission(connection, before.model_version, before.label, predicted, -1)
                count_submission(connection, before.model_version, after.label, predicted, 1)
            connection.execute(
                insert(operator_actions).values(
                    at=now,
                    operator=operator,
                    action=review.action,
                    detail=f"#{submission_id}: {review.describe(before)}",
                    submission_id=submission_id,
                )
            )
        return after

    def visitor_summaries(self, limit: int) -> list[VisitorSummary]:
        c = submissions.c
        unreviewed = c.reviewed_at.is_(None) & (c.status == OK)
        query = (
            select(
                c.visitor,
                func.count().label("sent"),
                func.sum(case((c.predicted != c.label, 1), else_=0)).label("against"),
                func.sum(case(((c.trust == HELD_BACK) & unreviewed, 1), else_=0)).label("held"),
                func.sum(case((unreviewed, 1), else_=0)).label("unreviewed"),
            )
            .where(c.visitor.is_not(None))
            .group_by(c.visitor)
            .order_by(func.count().desc(), c.visitor)
            .limit(limit)
        )
        with storage_errors(self._engine), self._engine.connect() as connection:
            rows = connection.execute(query).all()
            blocked = {r.visitor for r in connection.execute(select(blocked_visitors.c.visitor)).all()}
        return [
            VisitorSummary(
                r.visitor, int(r.sent), int(r.against), int(r.held), int(r.unreviewed), r.visitor in blocked
            )
            for r in rows
        ]

    def review_visitor(self, visitor: str, review: Review, operator: str) -> int:
        now = datetime.now(UTC)
        c = submissions.c
        after = review.apply_status()
        with storage_errors(self._engine), self._engine.begin() as connection:
            changed = connection.execute(
                update(submissions)
                .where(c.visitor == visitor, c.reviewed_at.is_(None), c.status == OK)
                .values(status=after, reviewed_at=now)
            ).rowcount
            connection.execute(
                insert(operator_actions).values(
                    at=now,
                    operator=operator,
                    action=f"{review.action} visitor",
                    detail=f"visitor {visitor}: {changed} drawings {review.describe_many()}",
                )  # fmt: skip
            )
        return int(changed)

    def block_visitor(self, visitor: str, operator: str) -> None:
        now = datetime.now(UTC)
        with storage_errors(self._engine), self._engine.begin() as connection:
            known = select(blocked_visitors.c.visitor).where(blocked_visitors.c.visitor == visitor)
            if connection.execute(known).first() is None:
                connection.execute(
                    insert(blocked_visitors).values(visitor=visitor, blocked_at=now, operator=operator)
                )
            connection.execute(
                insert(operator_actions).values(
                    at=now,
                    operator=operator,
                    action="block visitor",
                    detail=f"visitor {visitor}: what they send is stored, never trained on",
                )  # fmt: skip
            )

    def review_history(self, submission_id: int) -> list[AuditEntry]:
        query = select(operator_actions).where(operator_actions.c.submission_id == submission_id)
        return self._entries(query.order_by(operator_actions.c.id))

    def record(self, operator: str, action: str, detail: str) -> AuditEntry:
        values = {"at": datetime.now(UTC), "operator": operator, "action": action, "detail": detail}
        with storage_errors(self._engine), self._engine.begin() as connection:
            new_id = connection.execute(insert(operator_actions).values(**values)).inserted_primary_key[0]
        return AuditEntry(id=int(new_id), **values)

    def entries(self, limit: int) -> list[AuditEntry]:
        return self._entries(select(operator_actions).order_by(operator_actions.c.id.desc()).limit(limit))

    def _entries(self, query) -> list[AuditEntry]:
        with storage_errors(self._engine), self._engine.connect() as connection:
            return [entry_from_row(row) for row in connection.execute(query).all()]


def entry_from_row(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=as_utc(row.at),
        operator=row.operator,
        action=row.action,
        detail=row.detail,
        submission_id=row.submission_id,
    )
