"""Background exports and idempotency markers of periodic jobs."""

from sqlalchemy import JSON, Column, DateTime, Integer, String, Text

from models.base import Model, created_at_column, user_fk

EXPORT_QUEUED = "queued"
EXPORT_RUNNING = "running"
EXPORT_DONE = "done"
EXPORT_FAILED = "failed"


class ExportTask(Model):
    """One Excel export; the file is downloadable only by the user who asked for it."""

    __tablename__ = "export_task"
    id = Column(Integer, primary_key=True)
    user_id = user_fk(nullable=False)
    report = Column(String(40), nullable=False)
    params = Column(JSON, nullable=False, default=dict)
    status = Column(String(10), nullable=False, default=EXPORT_QUEUED)
    rows_done = Column(Integer, nullable=False, default=0)
    rows_total = Column(Integer)
    file_name = Column(String(200))
    stored_name = Column(String(80))
    error = Column(Text)
    created_at = created_at_column()
    started_at = Column(DateTime)
    heartbeat_at = Column(DateTime)  # last progress write; a stale one means a dead worker
    finished_at = Column(DateTime)
    expires_at = Column(DateTime, index=True)


class JobMarker(Model):
    """'This already happened' for periodic jobs (one SLA alert per breach, one digest a day)."""

    __tablename__ = "job_marker"
    key = Column(String(200), primary_key=True)
    created_at = created_at_column()
