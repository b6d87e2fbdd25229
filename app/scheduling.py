"""Engineers' schedule: bookings for requests, own availability, suggestions, loads, overlaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import abort
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from app.access import require_role
from app.audit import record
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.row_locks import lock_user
from app.notifications import announce
from app.permissions import ADMIN, ENGINEER, role_names
from app.schedule_window import EngineerEntries
from app.settings import working_hours
from app.timefmt import format_wall, local_now, wall_range
from app.workflow import WorkflowError, transition
from models.request_status import Action, Status
from models.requests import Request, RequestService
from models.partners import UserProfile
from models.schedule import ENTRY_BUSY, ENTRY_VACATION, ENTRY_VISIT, ENTRY_WORK, ScheduleEntry

OWN_KINDS = (ENTRY_BUSY, ENTRY_VACATION, ENTRY_WORK)
WEEK_CAPACITY_HOURS = 40  # an engineer without a staff profile (the profile's default too)
BOOKED_KINDS = (ENTRY_VISIT, ENTRY_WORK)  # load: hours booked
AWAY_KINDS = (ENTRY_BUSY, ENTRY_VACATION)  # take capacity, inside working hours
DEFAULT_VISIT_HOURS = 2  # a request without estimated hours
# the longest entry check_window lets in (a week's entries start at most this long before it)
MAX_ENTRY_DAYS = 31


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


def lock_engineer(engineer_id: int) -> None:
    """Serialise bookings of one engineer until the transaction ends, so two managers who
    book the same engineer at the same moment cannot both pass the overlap check: the second
    waits here and then sees the first one's entry (app.row_locks)."""
    lock_user(engineer_id)


def check_window(engineer_id: int, start: datetime, end: datetime, exclude=(),
                 found=None) -> None:
    """Refuse an empty window, a vacation or an overlap, saying which one. `found`: the
    engineer's entries overlapping the window (ordered by start), if already loaded."""
    check_window_shape(start, end)
    if found is None:
        found = conflicts(engineer_id, start, end, exclude)
    for entry in found:
        # schedule times are wall-clock times in the bureau's zone: shown as stored
        window = wall_range(entry.starts_at, entry.ends_at)
        if entry.kind == ENTRY_VACATION:
            raise ScheduleError(_("The engineer is on vacation then (%(window)s).",
                                  window=window))
        raise ScheduleError(_("The engineer is busy then (%(window)s).", window=window))


def check_window_shape(start: datetime | None, end: datetime | None) -> None:
    """Refuse a window that is no window for anyone: empty, reversed or over 31 days."""
    if start is None or end is None or end <= start:
        raise ScheduleError(_("The end must be later than the start."))
    if end - start > timedelta(days=MAX_ENTRY_DAYS):
        raise ScheduleError(_("An entry cannot be longer than 31 days."))


def window_problem(start: datetime | None, end: datetime | None) -> str:
    """Why no engineer can be booked for this visit window whoever they are ('' when it is
    a window): said once above the engineers, not on each one's row."""
    try:
        check_window_shape(start, end)
        check_not_past(start)
    except ScheduleError as exc:
        return str(exc)
    return ""


def window_warning(start: datetime | None, end: datetime | None) -> str:
    """A window outside the bureau's working time (setting "working_hours"): bookable, as a
    visit may be agreed so, but said above the engineers ('' inside working time)."""
    if start is None or end is None or end <= start:
        return ""
    day_start, day_end, days = working_hours()
    if start.weekday() not in days or end.weekday() not in days or \
            start.time() < day_start or end.time() > day_end or start.date() != end.date():
        return _("The window is outside the bureau's working time (%(start)s–%(end)s on "
                 "working days): book it only if the visit is agreed so.",
                 start=day_start.strftime("%H:%M"), end=day_end.strftime("%H:%M"))
    return ""


def check_not_past(start: datetime | None, now: datetime | None = None) -> None:
    """Refuse a visit that starts before now on the bureau's wall clock (schedule times are
    typed in its zone): later today is fine, earlier today is not; the minute it is now
    still counts as now. `now`: the bureau's wall-clock time, when the caller read it."""
    now = (now or local_now()).replace(second=0, microsecond=0)
    if start is not None and start < now:
        raise ScheduleError(_("A visit cannot start in the past: it is %(now)s now. "
                              "Choose a later start.", now=format_wall(now)))


def book_engineer(request: Request, engineer, start: datetime, end: datetime, actor,
                  expected_version=None, note: str | None = None) -> ScheduleEntry:
    """Book a visit for the request and move it to `scheduled` (or keep it, rescheduling:
    the new visit replaces the old one, so the old engineer's time is free again). A start
    before now is refused (check_not_past); history is written below this use case (the
    demo loader adds its entries itself)."""
    if ENGINEER not in role_names(engineer) or not engineer.active:
        raise ScheduleError(_("%(name)s is not an active engineer.", name=engineer.username))
    check_not_past(start)
    lock_engineer(engineer.id)
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


def visits_of(request: Request) -> list[ScheduleEntry]:
    """The request's booked visits, earliest first (what its page shows)."""
    return sorted(_visits(request), key=lambda visit: (visit.starts_at, visit.id))


def visits_by_request(request_ids) -> dict[int, ScheduleEntry]:
    """The earliest visit of each of the requests (a work list's "visit" column)."""
    found: dict[int, ScheduleEntry] = {}
    if request_ids:
        for visit in db.session.query(ScheduleEntry).filter(
                ScheduleEntry.request_id.in_(list(request_ids)),
                ScheduleEntry.kind == ENTRY_VISIT).order_by(ScheduleEntry.starts_at,
                                                            ScheduleEntry.id):
            found.setdefault(visit.request_id, visit)
    return found


def _visits(request: Request) -> list[ScheduleEntry]:
    return db.session.query(ScheduleEntry).filter_by(request_id=request.id, kind=ENTRY_VISIT) \
        .options(joinedload(ScheduleEntry.engineer)).all()  # the page names each engineer


def save_own_entry(engineer, kind: str, start: datetime, end: datetime, note=None,
                   entry: ScheduleEntry | None = None) -> ScheduleEntry:
    """An engineer adds or edits own busy / vacation / work time, never others'."""
    if kind not in OWN_KINDS:
        raise ScheduleError(_("Choose busy time, vacation or a work slot."))
    if entry is not None and (entry.engineer_id != engineer.id or entry.kind not in OWN_KINDS):
        raise ScheduleError(_("You can change only your own entries."))
    lock_engineer(engineer.id)
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


def lines_hours(request: Request) -> Decimal:
    """request_hours summed over the request's service lines as loaded (a page that loaded
    them with the request pays no statement)."""
    return Decimal(sum((line.estimated_hours or 0) for line in request.lines))


DEFAULT_WINDOW_SEARCH_DAYS = 30  # how far ahead the default window looks for a free engineer


def default_window(request: Request, now: datetime | None = None, *, hours=None, staff=None,
                   own=None, entries: EngineerEntries | None = None) -> tuple[datetime, datetime]:
    """The booking form's first window: from the working day's start of the first working
    day after today on which some active engineer is free for it (the next working day if
    nobody is within a month), as long as the request's estimated hours (2 h without an
    estimate) and at most that working day (setting "working_hours"). `hours`, `staff` (the
    active engineers), `own` (the request's visits) and `entries` (app.schedule_window):
    when the caller has them. The engineers' entries of the month's weeks are one statement."""
    day_start, day_end, days = working_hours()
    hours = float(request_hours(request) if hours is None else hours) or DEFAULT_VISIT_HOURS
    ids = [engineer.id for engineer in (engineers() if staff is None else staff)]
    own = [visit.id for visit in (_visits(request) if own is None else own)]
    day, windows = (now or local_now()).date(), []  # the bureau's today, not the server's
    for _day in range(DEFAULT_WINDOW_SEARCH_DAYS):
        day += timedelta(days=1)
        if day.weekday() in days:
            start = datetime.combine(day, day_start)
            windows.append((start, min(datetime.combine(day, day_end),
                                       start + timedelta(hours=hours))))
    if not windows or not ids:
        return windows[0] if windows else None
    entries = entries or EngineerEntries(ids)
    # whole weeks, so that the suggestions for a window found here need no statement more
    span = week_of(windows[0][0])[0], week_of(windows[-1][0])[1]
    busy = _busy_days([e for e in entries.between(*span) if e.id not in own])
    for start, end in windows:
        if any(not any(s < end and e > start for s, e in busy.get((engineer_id, start.date()), ()))
               for engineer_id in ids):
            return start, end
    return windows[0]


def _busy_days(entries) -> dict[tuple, list]:
    """(start, end) of the entries by (engineer, day) of each day they touch: a window of
    one day is checked against that day's entries only."""
    found: dict[tuple, list] = {}
    for entry in entries:
        day, last = entry.starts_at.date(), entry.ends_at.date()
        while day <= last:
            found.setdefault((entry.engineer_id, day), []).append((entry.starts_at, entry.ends_at))
            day += timedelta(days=1)
    return found


def week_of(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 of the moment's week and the next Monday 00:00."""
    monday = datetime.combine(moment.date() - timedelta(days=moment.weekday()),
                              datetime.min.time())
    return monday, monday + timedelta(days=7)


def _overlap_hours(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    return max((min(end, hi) - max(start, lo)).total_seconds(), 0) / 3600


def working_overlap_hours(start: datetime, end: datetime, hours=None) -> float:
    """Hours of [start, end) in working time (working days, working hours); `hours`: the
    working_hours() setting when the caller read it already (once a page, not an entry)."""
    day_start, day_end, days = hours or working_hours()
    total, day = 0.0, start.date()
    while datetime.combine(day, datetime.min.time()) < end:
        if day.weekday() in days:
            total += _overlap_hours(start, end, datetime.combine(day, day_start),
                                    datetime.combine(day, day_end))
        day += timedelta(days=1)
    return total


def weekly_capacity(engineer) -> int:
    """Hours a week the engineer works (staff profile; 40 without one)."""
    profile = engineer.profile
    return profile.weekly_capacity_hours if profile is not None else WEEK_CAPACITY_HOURS


MAX_WEEKLY_CAPACITY = 80


def set_weekly_capacity(actor, engineer, hours) -> None:
    """An admin sets an engineer's weekly capacity, 0 to 80 h (the caller commits)."""
    require_role(actor, ADMIN)
    if engineer is None or ENGINEER not in role_names(engineer):
        raise NotFound(_("No such engineer."))
    if not isinstance(hours, int) or not 0 <= hours <= MAX_WEEKLY_CAPACITY:
        raise InvalidInput(_("The weekly capacity is a whole number of hours from 0 to "
                             "%(max)s.", max=MAX_WEEKLY_CAPACITY))
    if engineer.profile is None:
        engineer.profile = UserProfile(user_id=engineer.id)
    before = engineer.profile.weekly_capacity_hours
    engineer.profile.weekly_capacity_hours = hours
    db.session.flush()
    record("weekly_capacity", actor, engineer, before=before, after=hours)


@dataclass
class Load:
    """An engineer's load in a window: hours booked (visits, work slots) against capacity,
    the weekly capacity for the window's weeks less busy time and vacations in working
    time."""

    booked_hours: float
    capacity_hours: float

    def percent(self, extra: float = 0.0) -> int | None:
        """Booked (plus `extra`) hours in per cent of capacity; None when there is none."""
        if self.capacity_hours <= 0:
            return None
        return int(round((self.booked_hours + extra) * 100 / self.capacity_hours))

    def over(self, extra: float = 0.0) -> bool:
        """More booked than the capacity holds (no capacity at all is over too)."""
        return self.booked_hours + extra > self.capacity_hours


def engineer_load(engineer, lo: datetime, hi: datetime, entries=None) -> Load:
    """The engineer's load in [lo, hi) (capacity is per week: a week's window gets one
    weekly capacity). `entries`: the engineer's entries overlapping it, if already loaded."""
    if entries is None:
        entries = db.session.query(ScheduleEntry).filter(
            ScheduleEntry.engineer_id == engineer.id, ScheduleEntry.starts_at < hi,
            ScheduleEntry.ends_at > lo).all()
    booked = sum(_overlap_hours(e.starts_at, e.ends_at, lo, hi)
                 for e in entries if e.kind in BOOKED_KINDS)
    return load_of(weekly_capacity(engineer), lo, hi, booked,
                   [e for e in entries if e.kind in AWAY_KINDS])


def load_of(capacity: float, lo: datetime, hi: datetime, booked: float, away_entries,
            hours=None) -> Load:
    """The load in [lo, hi): `booked` hours against the weekly `capacity` for the period's
    weeks less the working hours the away entries (busy, vacation) take; `hours`: the
    working_hours() setting when the caller read it already (the week page)."""
    away = sum(working_overlap_hours(max(e.starts_at, lo), min(e.ends_at, hi), hours)
               for e in away_entries)
    weeks = (hi - lo).total_seconds() / (7 * 24 * 3600)
    return Load(booked, max(capacity * weeks - away, 0.0))


def sql_hours_between(later, earlier):
    """SQL: the hours from `earlier` to `later` (timestamps) on PostgreSQL and SQLite."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * 24.0


def period_loads(lo: datetime, hi: datetime) -> list[tuple[object, Load]]:
    """Every active engineer's load in [lo, hi) as engineer_load counts it, for long
    periods: booked hours summed by the database, only busy and vacation entries loaded."""
    staff = engineers()
    ids = [engineer.id for engineer in staff]
    postgres = db.engine.dialect.name == "postgresql"
    least, greatest = (func.least, func.greatest) if postgres else (func.min, func.max)
    overlap = sql_hours_between(least(ScheduleEntry.ends_at, hi),
                                greatest(ScheduleEntry.starts_at, lo))
    within = (ScheduleEntry.engineer_id.in_(ids), ScheduleEntry.starts_at < hi,
              ScheduleEntry.ends_at > lo)
    booked = dict(db.session.query(ScheduleEntry.engineer_id, func.sum(overlap)).filter(
        *within, ScheduleEntry.kind.in_(BOOKED_KINDS)).group_by(ScheduleEntry.engineer_id))
    away = db.session.query(ScheduleEntry).filter(
        *within, ScheduleEntry.kind.in_(AWAY_KINDS)).all()
    return [(engineer, load_of(weekly_capacity(engineer), lo, hi,
                               float(booked.get(engineer.id) or 0.0),
                               [e for e in away if e.engineer_id == engineer.id]))
            for engineer in staff]


@dataclass
class Suggestion:
    engineer: object
    booked_hours: float
    projected_percent: int | None  # None: no capacity left that week
    free: bool
    reason: str = ""
    capacity_hours: float = WEEK_CAPACITY_HOURS
    over: bool = False  # this request takes the engineer over capacity


def suggest_engineers(request: Request, start: datetime, end: datetime, *, hours=None,
                      staff=None, own=None,
                      entries: EngineerEntries | None = None) -> list[Suggestion]:
    """Every active engineer for the window: free ones first, then those the request keeps
    within capacity before those it takes over it, then the least loaded (hours booked in
    the window's week plus this request's, in per cent of that week's capacity). `hours`,
    `staff`, `own` and `entries` as for default_window. A window that starts in the past or
    is no window has no free engineer (window_problem says why): nothing is suggested."""
    week_start, week_end = week_of(start)
    needed = float(request_hours(request) if hours is None else hours)
    # rescheduling: its visit is moving
    own = [visit.id for visit in (_visits(request) if own is None else own)]
    result = []
    staff = engineers() if staff is None else staff
    # every engineer's entries of the week and of the window in one query (not two each)
    lo, hi = (min(week_start, start), max(week_end, end)) if start and end \
        else (week_start, week_end)
    entries = entries or EngineerEntries(engineer.id for engineer in staff)
    past = window_problem(start, end)  # no window for anyone: each row is refused with it
    near: dict[int, list] = {}
    for entry in entries.between(lo, hi):
        if entry.id not in own:
            near.setdefault(entry.engineer_id, []).append(entry)
    for engineer in staff:
        mine = near.get(engineer.id, [])
        week = [e for e in mine if e.starts_at < week_end and e.ends_at > week_start]
        load = engineer_load(engineer, week_start, week_end, week)
        try:
            if past:
                raise ScheduleError(past)
            check_window(engineer.id, start, end, exclude=own,
                         found=[e for e in mine if start and end and e.starts_at < end
                                and e.ends_at > start])
            free, reason = True, ""
        except ScheduleError as exc:
            free, reason = False, str(exc)
        result.append(Suggestion(engineer, round(load.booked_hours, 1), load.percent(needed),
                                 free, reason, round(load.capacity_hours, 1),
                                 load.over(needed)))
    result.sort(key=lambda s: (not s.free, s.over, s.projected_percent
                               if s.projected_percent is not None else float("inf"),
                               s.engineer.id))
    return result


def overlapping_ids(entries) -> set[int]:
    """Ids of the entries that overlap another one of the list (one engineer's)."""
    ordered = sorted(entries, key=lambda e: (e.starts_at, e.id))
    found = set()
    for k, first in enumerate(ordered):
        for second in ordered[k + 1:]:
            if second.starts_at >= first.ends_at:
                break
            found |= {first.id, second.id}
    return found


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
