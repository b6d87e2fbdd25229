"""Engineers' schedule: visits, work slots, busy time and vacations."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, user_fk

ENTRY_VISIT = "visit"
ENTRY_WORK = "work"
ENTRY_BUSY = "busy"
ENTRY_VACATION = "vacation"
ENTRY_KINDS = (ENTRY_VISIT, ENTRY_WORK, ENTRY_BUSY, ENTRY_VACATION)
ENTRY_KIND_LABELS = {ENTRY_VISIT: _l("Visit"), ENTRY_WORK: _l("Work slot"),
                     ENTRY_BUSY: _l("Busy"), ENTRY_VACATION: _l("Vacation")}


class ScheduleEntry(Model):
    """A time window in an engineer's week, optionally tied to a request."""

    __tablename__ = "schedule_entry"
    __table_args__ = (Index("ix_schedule_engineer_start", "engineer_id", "starts_at"),
                      # a week's entries: those ending after its start (past weeks are many)
                      Index("ix_schedule_entry_ends_starts", "ends_at", "starts_at"),
                      # the back office's list, newest start first (0023_staff_keyset)
                      Index("ix_schedule_entry_starts_at", "starts_at"))
    id = Column(Integer, primary_key=True)
    engineer_id = user_fk(nullable=False, index=False)
    request_id = Column(Integer, ForeignKey("request.id"), index=True)
    kind = Column(String(20), nullable=False, default=ENTRY_WORK)
    starts_at = Column(DateTime, nullable=False)
    ends_at = Column(DateTime, nullable=False)
    note = Column(Text)
    created_by_id = user_fk()
    created_at = created_at_column()

    engineer = relationship("User", foreign_keys=[engineer_id])
    request = relationship("Request")

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600
