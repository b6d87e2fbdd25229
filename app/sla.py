"""SLA thresholds in minutes: per status (setting "sla_minutes") and per service
(models.texts.ServiceSla). A request with several services is held to the tightest threshold
that applies to its status; the desk's "overdue" marker and the alert job ask here."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, or_

from app.access import require_role
from app.audit import record
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.permissions import ADMIN
from app.settings import get_setting
from models.catalog import Service
from models.request_status import OPEN_STATUSES, Status
from models.requests import Request, RequestService
from models.texts import ServiceSla

MAX_MINUTES = 60 * 24 * 90  # 90 days
SLA_STATUSES = tuple(s.value for s in OPEN_STATUSES if s != Status.DELIVERED)


def status_minutes() -> dict[str, int]:
    """status → minutes from the settings (broken values left out)."""
    value = get_setting("sla_minutes") or {}
    return {status: int(minutes) for status, minutes in value.items()
            if isinstance(minutes, (int, float)) and minutes > 0}


def service_rules() -> list[tuple[int, str, int]]:
    """(service id, status, minutes) of every per-service threshold."""
    return [tuple(row) for row in db.session.query(
        ServiceSla.service_id, ServiceSla.status, ServiceSla.minutes)]


def overdue_clause(now: datetime):
    """SQL: the request has stayed in its status longer than a threshold that applies."""
    parts = [and_(Request.status == status, late)
             for status, late in overdue_by_status(now).items()]
    return or_(*parts) if parts else false()


def overdue_by_status(now: datetime) -> dict:
    """{status: SQL "a request in this status has stayed in it longer than a threshold that
    applies"} for the statuses that have one (in no other status is a request overdue)."""
    found: dict[str, list] = {}
    for status, minutes in status_minutes().items():
        found.setdefault(status, []).append(
            Request.status_changed_at < now - timedelta(minutes=minutes))
    for service_id, status, minutes in service_rules():
        has_service = exists().where(RequestService.request_id == Request.id,
                                     RequestService.service_id == service_id)
        found.setdefault(status, []).append(
            and_(has_service, Request.status_changed_at < now - timedelta(minutes=minutes)))
    return {status: or_(*parts) for status, parts in found.items()}


def threshold_minutes(request: Request, by_status: dict | None = None,
                      rules: list | None = None) -> int | None:
    """The tightest threshold for the request in its current status (None: no SLA);
    a caller looking at many requests passes the thresholds it read once."""
    by_status = status_minutes() if by_status is None else by_status
    candidates = [by_status[request.status]] if request.status in by_status else []
    service_ids = {line.service_id for line in request.lines}
    rules = service_rules() if rules is None else rules
    candidates += [minutes for service_id, status, minutes in rules
                   if status == request.status and service_id in service_ids]
    return min(candidates) if candidates else None


def duration_text(minutes: int) -> str:
    """20 → "20 min", 240 → "4 h", 90 → "1 h 30 min"."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(n)s min", n=rest)
    if not rest:
        return _("%(n)s h", n=hours)
    return _("%(h)s h %(m)s min", h=hours, m=rest)


def _checked(status: str, minutes) -> int:
    if status not in SLA_STATUSES:
        raise InvalidInput(_("Unknown status."))
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise InvalidInput(_("Give the threshold in whole minutes.")) from None
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(_("The threshold must be from 1 minute to 90 days."))
    return minutes


def set_service_sla(user, service_id: int, status: str, minutes) -> ServiceSla:
    """An admin sets the minutes of one service in one status (the caller commits)."""
    require_role(user, ADMIN)
    minutes = _checked(status, minutes)
    service = db.session.get(Service, service_id) if isinstance(service_id, int) else None
    if service is None:
        raise NotFound(_("No such service."))
    row = db.session.query(ServiceSla).filter_by(service_id=service.id, status=status).first()
    before = row.minutes if row is not None else None
    if row is None:
        row = ServiceSla(service_id=service.id, status=status, minutes=minutes)
        db.session.add(row)
    row.minutes = minutes
    db.session.flush()
    record("service_sla_update", user, row, service=service.code, status=status,
           minutes=[before, minutes])
    return row


def delete_service_sla(user, row_id: int) -> None:
    """An admin removes a per-service threshold (the status threshold applies again)."""
    require_role(user, ADMIN)
    row = db.session.get(ServiceSla, row_id)
    if row is None:
        raise NotFound(_("No such threshold."))
    record("service_sla_delete", user, row, service=row.service.code, status=row.status,
           minutes=[row.minutes, None])
    db.session.delete(row)
