"""Engineers' schedule: bookings for requests, own availability, suggestions, week grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import abort
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext as _
from sqlalchemy import and_, func

from app.audit import record
from app.extensions import db
from app.notifications import announce
from app.permissions import ENGINEER, role_names
from app.timefmt import format_wall
from app.workflow import WorkflowError, transition
from models.request_status import Action, Status
from models.requests import Request, RequestService
from models.schedule import ENTRY_BUSY, ENTRY_VACATION, ENTRY_VISIT, ENTRY_WORK, ScheduleEntry

OWN_KINDS = (ENTRY_BUSY, ENTRY_VACATION, ENTRY_WORK)
WEEK_CAPACITY_HOURS = 40


class ScheduleError(WorkflowError):
    """A booking or entry was refused; str(error) is for the user."""


def engineers():
    """Active engineers, by name."""
    return db.session.query(User).join(User.roles).filter(
        Role.name == ENGINEER, User.active.is_(True)).order_by(User.first_name, User.id).all()


def conflicts(engineer_id: int, start: datetime, end: datetime, exclude=()):
    query = db.session.query(ScheduleEntry).filter(
        ScheduleEntry.engineer_id == engineer_id, ScheduleEntry.starts_at < end,
        ScheduleEntry.ends_at > start)
    if exclude:  # the entries being replaced
        query = query.filter(ScheduleEntry.id.notin_(list(exclude)))
    return query.order_by(ScheduleEntry.starts_at).all()


def check_window(engineer_id: int, start: datetime, end: datetime, exclude=()) -> None:
    """Refuse an empty window, a vacation or an overlap, saying which one."""
    if start is None or end is None or end <= start:
        raise ScheduleError(_("The end must be later than the start."))
    if end - start > timedelta(days=31):
        raise ScheduleError(_("An entry cannot be longer than 31 days."))
    for entry in conflicts(engineer_id, start, end, exclude):
        # schedule times are wall-clock times in the bureau's zone: shown as stored
        window = f"{format_wall(entry.starts_at, 'short')} – " \
                 f"{format_wall(entry.ends_at, 'short')}"
        if entry.kind == ENTRY_VACATION:
            raise ScheduleError(_("The engineer is on vacation then (%(window)s).",
                                  window=window))
        raise ScheduleError(_("The engineer is busy then (%(window)s).", window=window))


def book_engineer(request: Request, engineer, start: datetime, end: datetime, actor,
                  expected_version=None, note: str | None = None) -> ScheduleEntry:
    """Book a visit for the request and move it to `scheduled` (or keep it, rescheduling:
    the new visit replaces the old one, so the old engineer's time is free again)."""
    if ENGINEER not in role_names(engineer) or not engineer.active:
        raise ScheduleError(_("%(name)s is not an active engineer.", name=engineer.username))
    old_visits = _visits(request)  # none unless rescheduling
    moved_from = [(v.engineer, v.starts_at, v.ends_at) for v in old_visits]  # to tell them
    check_window(engineer.id, start, end, exclude=[visit.id for visit in old_visits])
    action = Action.RESCHEDULE if request.status == Status.SCHEDULED else Action.SCHEDULE
    transition(request, action, actor, note, expected_version, engineer=engineer)
    for visit in old_visits:
        db.session.delete(visit)
    entry = ScheduleEntry(engineer_id=engineer.id, request=request, kind=ENTRY_VISIT,
                          starts_at=start, ends_at=end, note=note, created_by_id=actor.id)
    db.session.add(entry)
    record("booking", actor, request, engineer=engineer.username, start=start.isoformat())
    for old_engineer, old_start, old_end in moved_from:
        if old_engineer is not None and old_engineer.id != engineer.id:
            announce("visit_cancelled", request, actor, engineer=old_engineer, start=old_start,
                     end=old_end)
    announce("visit_booked", request, actor, engineer=engineer, start=start, end=end)
    return entry


def _visits(request: Request) -> list[ScheduleEntry]:
    return db.session.query(ScheduleEntry).filter_by(request_id=request.id,
                                                     kind=ENTRY_VISIT).all()


def save_own_entry(engineer, kind: str, start: datetime, end: datetime, note=None,
                   entry: ScheduleEntry | None = None) -> ScheduleEntry:
    """An engineer adds or edits own busy / vacation / work time, never others'."""
    if kind not in OWN_KINDS:
        raise ScheduleError(_("Choose busy time, vacation or a work slot."))
    if entry is not None and (entry.engineer_id != engineer.id or entry.kind not in OWN_KINDS):
        raise ScheduleError(_("You can change only your own entries."))
    check_window(engineer.id, start, end, exclude=[entry.id] if entry is not None else ())
    if entry is None:
        entry = ScheduleEntry(engineer_id=engineer.id, created_by_id=engineer.id)
        db.session.add(entry)
    entry.kind, entry.starts_at, entry.ends_at, entry.note = kind, start, end, note
    db.session.flush()  # the audit row names the new entry's id
    record("schedule_entry", engineer, entry, kind=kind)
    return entry


def request_hours(request: Request) -> Decimal:
    total = db.session.query(func.coalesce(func.sum(RequestService.estimated_hours), 0)) \
        .filter(RequestService.request_id == request.id).scalar()
    return Decimal(total or 0)


@dataclass
class Suggestion:
    engineer: object
    booked_hours: float
    projected_percent: int
    free: bool
    reason: str = ""


def suggest_engineers(request: Request, start: datetime, end: datetime) -> list[Suggestion]:
    """Engineers free in the window, least loaded first (their week + this request's hours)."""
    week_start = datetime.combine(start.date() - timedelta(days=start.weekday()),
                                  datetime.min.time())
    week_end = week_start + timedelta(days=7)
    needed = float(request_hours(request))
    result = []
    for engineer in engineers():
        booked = sum(e.hours for e in db.session.query(ScheduleEntry).filter(
            ScheduleEntry.engineer_id == engineer.id, ScheduleEntry.kind != ENTRY_VACATION,
            ScheduleEntry.starts_at < week_end, ScheduleEntry.ends_at > week_start))
        try:
            check_window(engineer.id, start, end)
            free, reason = True, ""
        except ScheduleError as exc:
            free, reason = False, str(exc)
        projected = int(round((booked + needed) * 100 / WEEK_CAPACITY_HOURS))
        result.append(Suggestion(engineer, round(booked, 1), projected, free, reason))
    result.sort(key=lambda s: (not s.free, s.projected_percent, s.engineer.id))
    return result


@dataclass
class WeekRow:
    engineer: object
    days: list[list[ScheduleEntry]] = field(default_factory=list)
    day_hours: list[float] = field(default_factory=list)
    week_hours: float = 0.0


def week_grid(monday: date) -> tuple[list[date], list[WeekRow]]:
    """Engineers as rows, the seven days as columns, with hours per day and week."""
    days = [monday + timedelta(days=k) for k in range(7)]
    start = datetime.combine(monday, datetime.min.time())
    end = start + timedelta(days=7)
    entries = db.session.query(ScheduleEntry).filter(
        and_(ScheduleEntry.starts_at < end, ScheduleEntry.ends_at > start)) \
        .order_by(ScheduleEntry.starts_at).all()
    rows = []
    for engineer in engineers():
        row = WeekRow(engineer)
        mine = [e for e in entries if e.engineer_id == engineer.id]
        for day in days:
            d0 = datetime.combine(day, datetime.min.time())
            d1 = d0 + timedelta(days=1)
            cell = [e for e in mine if e.starts_at < d1 and e.ends_at > d0]
            row.days.append(cell)
            hours = sum((min(e.ends_at, d1) - max(e.starts_at, d0)).total_seconds() / 3600
                        for e in cell if e.kind != ENTRY_VACATION)
            row.day_hours.append(round(min(hours, 24), 1))
        row.week_hours = round(sum(row.day_hours), 1)
        rows.append(row)
    return days, rows


def own_entry_or_404(engineer, entry_id: int) -> ScheduleEntry:
    """One of the engineer's own busy / vacation / work entries; anything else is 404."""
    entry = db.session.get(ScheduleEntry, entry_id)
    if entry is None or entry.engineer_id != engineer.id or entry.kind not in OWN_KINDS:
        abort(404)
    return entry


def delete_own_entry(engineer, entry_id: int) -> ScheduleEntry:
    """An engineer removes own busy / vacation / work time (the caller commits)."""
    entry = own_entry_or_404(engineer, entry_id)
    record("schedule_entry_deleted", engineer, entry, kind=entry.kind)
    db.session.delete(entry)
    return entry
