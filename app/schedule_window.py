"""The engineers' schedule entries of a span, read by one statement and reused inside it.

The desk's booking block asks twice (the default window's month, the suggestions' week):
the first read covers whole weeks, so the second is usually answered from it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from models.schedule import ScheduleEntry


class EngineerEntries:
    """Entries of these engineers overlapping a span; a span inside the last one read is
    answered without a statement."""

    def __init__(self, engineer_ids):
        self.ids = list(engineer_ids)
        self.span: tuple[datetime, datetime] | None = None
        self.rows: list = []

    def between(self, lo: datetime, hi: datetime) -> list:
        """Entries overlapping [lo, hi), by start then id: plain rows (id, engineer_id, kind,
        starts_at, ends_at), not mapped objects: a busy month holds thousands."""
        if self.span is None or lo < self.span[0] or hi > self.span[1]:
            self.rows = list(db.session.execute(
                select(ScheduleEntry.id, ScheduleEntry.engineer_id, ScheduleEntry.kind,
                       ScheduleEntry.starts_at, ScheduleEntry.ends_at).where(
                    ScheduleEntry.engineer_id.in_(self.ids), ScheduleEntry.starts_at < hi,
                    ScheduleEntry.ends_at > lo)
                .order_by(ScheduleEntry.starts_at, ScheduleEntry.id))) if self.ids else []
            self.span = lo, hi
        return [e for e in self.rows if e.starts_at < hi and e.ends_at > lo]
