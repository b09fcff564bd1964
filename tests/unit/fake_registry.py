"""A hand-written ModelRegistry fake: records in a list, promotions on a stack, registrations remembered."""

from __future__ import annotations

from dataclasses import replace

from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.training import ModelRecord


class FakeRegistry:
    def __init__(self, *records: ModelRecord):
        self.records = list(records)
        self.before: list[str] = []
        self.registered = []

    def list(self):
        return self.records

    def get(self, version):
        for record in self.records:
            if record.version == version:
                return record
        raise DigitrecError(f"no model version {version!r}")

    def live(self):
        return next(r for r in self.records if r.live)

    def register(self, checkpoint):
        self.registered.append(checkpoint)

    def promote(self, version):
        self.before.append(self.live().version)
        return self._make_live(version)

    def rollback(self):
        return self._make_live(self.before.pop())

    def rollback_target(self):
        return self.before[-1] if self.before else None

    def _make_live(self, version):
        self.records = [replace(r, live=r.version == version) for r in self.records]
        return self.live()
