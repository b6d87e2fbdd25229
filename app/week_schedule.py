"""The week schedule page: a page of engineers at a time (by name, with visits or with free
time), their entries of the week, hours per day and load. An engineer sees only himself.

The statements do not grow with staff or visits: one lists the filtered engineers (light
columns), one reads the shown engineers' entries of the week (by engineer and start: the
index ix_schedule_engineer_start); the "with free time" filter adds two over the week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select

from app.access import request_scope
from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, MANAGER, SUPERMANAGER, ENGINEER, role_names
from app.request_filters import escape_like, search_text
from app.scheduling import (AWAY_KINDS, BOOKED_KINDS, MAX_ENTRY_DAYS, OWN_KINDS,
                            WEEK_CAPACITY_HOURS, Load, load_of, overlapping_ids,
                            sql_hours_between)
from app.settings import working_hours
from models.partners import UserProfile
from models.requests import Request
from models.schedule import ENTRY_VACATION, ENTRY_VISIT, ScheduleEntry

PAGE_SIZE = 20
ONLY_VISITS, ONLY_FREE = "visits", "free"
ONLY_CHOICES = (ONLY_VISITS, ONLY_FREE)
SEES_ALL_ENGINEERS = {ADMIN, DIRECTOR, SUPERMANAGER, MANAGER}  # the role matrix's staff


@dataclass(frozen=True)
class WeekQuery:
    """What the page shows: the week, the name filter, a filter, the page, the selected
    engineer (whose page opens when no page is given)."""

    monday: date
    text: str = ""
    only: str = ""
    page: int | None = None
    engineer_id: int | None = None


@dataclass(frozen=True)
class Person:
    """An engineer as a row shows him (no ORM object: the list reads a few columns)."""

    id: int
    username: str
    first_name: str
    last_name: str
    capacity: int  # weekly hours

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Shown(NamedTuple):
    """An entry as a cell shows it (prepared once: a page may hold some 800 visits; a
    named tuple is made ~4 times faster than a frozen dataclass)."""

    id: int
    kind: str
    note: str | None
    request_id: int | None  # None too when the viewer may not open the request
    number: str | None  # the request's (None when he may not open it)
    times: str  # "09:00–11:00"
    css: str  # "visit", "busy conflict", …
    clash: bool  # overlaps another entry of the engineer
    own: bool  # the viewer's own busy / vacation / work time: he may edit it


@dataclass
class WeekRow:
    engineer: Person
    days: list[list[Shown]] = field(default_factory=list)
    day_hours: list[float] = field(default_factory=list)
    week_hours: float = 0.0
    load: Load | None = None
    conflicts: set[int] = field(default_factory=set)  # ids of entries that overlap another


@dataclass
class WeekPage:
    days: list[date]
    rows: list[WeekRow]
    number: int = 1  # this page, from 1
    pages: int = 1
    total: int = 0  # engineers the filters let through
    sees_all: bool = False
    selected: int | None = None  # the selected engineer, when he is on the list
    selected_missing: bool = False  # selected, but not on the list the filters give

    @property
    def first_row(self) -> int:
        """The number of the page's first engineer in the list (0 when none)."""
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.rows)


def sees_all_engineers(user) -> bool:
    """Staff who plan see every engineer; an engineer (only) sees himself."""
    return bool(role_names(user) & SEES_ALL_ENGINEERS)


def week_page(user, query: WeekQuery) -> WeekPage:
    """The page of the week `query` asks for, as `user` may see it."""
    days = [query.monday + timedelta(days=k) for k in range(7)]
    lo = datetime.combine(query.monday, datetime.min.time())
    hi = lo + timedelta(days=7)
    hours = working_hours()  # once: busy time and vacations count in working time
    if not sees_all_engineers(user):
        people = [_person(user)]
        mine = _entries([user.id], lo, hi, user)
        return WeekPage(days, _rows(days, people, mine, hours, user.id), total=1)
    people = _engineers(query, lo, hi)
    if query.only == ONLY_FREE:
        people = _with_free_time(people, lo, hi, hours)
    page = _paged(people, query)
    shown = people[(page.number - 1) * PAGE_SIZE:page.number * PAGE_SIZE]
    page.days = days
    page.rows = _rows(days, shown, _entries([p.id for p in shown], lo, hi, user), hours,
                      user.id)
    return page


def _paged(people: list[Person], query: WeekQuery) -> WeekPage:
    pages = max((len(people) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    position = next((k for k, p in enumerate(people) if p.id == query.engineer_id), None)
    number = query.page or (position // PAGE_SIZE + 1 if position is not None else 1)
    return WeekPage([], [], min(number, pages), pages, len(people), True,
                    query.engineer_id if position is not None else None,
                    query.engineer_id is not None and position is None)


def _person(user) -> Person:
    profile = getattr(user, "profile", None)
    return Person(user.id, user.username, user.first_name, user.last_name,
                  profile.weekly_capacity_hours if profile is not None else WEEK_CAPACITY_HOURS)


def _within(lo: datetime, hi: datetime):
    """SQL: the entry overlaps [lo, hi), as two conditions (either holds): it starts in it,
    found by engineer and start (ix_schedule_engineer_start); or it runs into it, having
    started at most MAX_ENTRY_DAYS before lo and so ending at most that long after lo,
    found by end and start (ix_schedule_entry_ends_starts, a narrow band). Never all of an
    engineer's past entries, nor every engineer's entries of the week."""
    longest = timedelta(days=MAX_ENTRY_DAYS)
    return (and_(ScheduleEntry.starts_at >= lo, ScheduleEntry.starts_at < hi),
            and_(ScheduleEntry.starts_at >= lo - longest, ScheduleEntry.starts_at < lo,
                 ScheduleEntry.ends_at > lo, ScheduleEntry.ends_at <= lo + longest))


def _engineers(query: WeekQuery, lo: datetime, hi: datetime) -> list[Person]:
    """Active engineers the name and visits filters let through, by name (one statement)."""
    capacity = func.coalesce(UserProfile.weekly_capacity_hours, WEEK_CAPACITY_HOURS)
    statement = select(User.id, User.username, User.first_name, User.last_name, capacity) \
        .outerjoin(UserProfile, UserProfile.user_id == User.id) \
        .where(User.active.is_(True), User.roles.any(Role.name == ENGINEER)) \
        .order_by(User.first_name, User.last_name, User.id)
    text = search_text(query.text)
    if text:
        like = f"%{escape_like(text)}%"
        full_name = User.first_name + " " + User.last_name
        statement = statement.where(or_(full_name.ilike(like, escape="\\"),
                                        User.username.ilike(like, escape="\\")))
    if query.only == ONLY_VISITS:  # two EXISTS: one OR inside would walk his whole history
        statement = statement.where(or_(*(
            exists().where(ScheduleEntry.engineer_id == User.id,
                           ScheduleEntry.kind == ENTRY_VISIT, overlap)
            for overlap in _within(lo, hi))))
    return [Person(*row) for row in db.session.execute(statement)]


def _with_free_time(people: list[Person], lo: datetime, hi: datetime,
                    hours) -> list[Person]:
    """Those booked for less than their capacity that week (two statements over the week)."""
    if not people:
        return people
    ids = [person.id for person in people]
    postgres = db.engine.dialect.name == "postgresql"
    least, greatest = (func.least, func.greatest) if postgres else (func.min, func.max)
    overlap = sql_hours_between(least(ScheduleEntry.ends_at, hi),
                                greatest(ScheduleEntry.starts_at, lo))
    mine = (ScheduleEntry.engineer_id.in_(ids), or_(*_within(lo, hi)))
    booked = dict(db.session.execute(
        select(ScheduleEntry.engineer_id, func.sum(overlap))
        .where(*mine, ScheduleEntry.kind.in_(BOOKED_KINDS))
        .group_by(ScheduleEntry.engineer_id)).all())
    away: dict[int, list] = {}
    for entry in db.session.execute(select(*ENTRY_COLUMNS).where(
            *mine, ScheduleEntry.kind.in_(AWAY_KINDS))):
        away.setdefault(entry.engineer_id, []).append(entry)
    loads = {p.id: load_of(p.capacity, lo, hi, float(booked.get(p.id) or 0.0),
                           away.get(p.id, ()), hours)
             for p in people}
    return [p for p in people if loads[p.id].booked_hours < loads[p.id].capacity_hours]


ENTRY_COLUMNS = (ScheduleEntry.id, ScheduleEntry.engineer_id, ScheduleEntry.request_id,
                 ScheduleEntry.kind, ScheduleEntry.starts_at, ScheduleEntry.ends_at,
                 ScheduleEntry.note)


class EntryRow(NamedTuple):
    """An entry of the week as read (ENTRY_COLUMNS, the request's number and whether the
    viewer may open it). A named tuple, not SQLAlchemy's Row: the page reads some 20 of its
    attributes for each of ~800 entries, ~1.3 µs each on a Row and ~0.03 µs here."""

    id: int
    engineer_id: int
    request_id: int | None
    kind: str
    starts_at: datetime
    ends_at: datetime
    note: str | None
    number: str | None
    opens: bool


def _entries(ids: list[int], lo: datetime, hi: datetime, viewer) -> list[EntryRow]:
    """The engineers' entries overlapping the week as rows, not ORM objects: a page of busy
    engineers holds some 800 visits, and rows are read several times faster."""
    if not ids:
        return []
    opens = case((request_scope(viewer), True), else_=False).label("opens")
    return [EntryRow(*row) for row in db.session.execute(
        select(*ENTRY_COLUMNS, Request.number, opens)
        .outerjoin(Request, Request.id == ScheduleEntry.request_id)
        .where(ScheduleEntry.engineer_id.in_(ids), or_(*_within(lo, hi)))
        .order_by(ScheduleEntry.starts_at, ScheduleEntry.id))]


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"  # strftime is slower, 1 600 times a page


def _times(entry) -> str:
    """"09:00–11:00"; a vacation or busy time of whole days reads "all day", not 00:00–00:00."""
    starts, ends = entry.starts_at, entry.ends_at
    if ends > starts and starts.time() == ends.time() == time.min:
        return _("all day")
    return f"{_clock(starts)}–{_clock(ends)}"


def _shown(entry, clashes: set[int], viewer_id: int) -> Shown:
    clash = entry.id in clashes
    # another manager's visit: its time and kind, never a number that opens nothing (404)
    request_id, number = (entry.request_id, entry.number) if entry.opens else (None, None)
    return Shown(entry.id, entry.kind, entry.note, request_id, number, _times(entry),
                 f"{entry.kind} conflict" if clash else entry.kind, clash,
                 entry.engineer_id == viewer_id and entry.kind in OWN_KINDS)


def _rows(days: list[date], people: list[Person], entries, hours,
          viewer_id: int) -> list[WeekRow]:
    """One row an engineer: his entries by day, hours a day (vacation not counted, at most
    24), the week's hours, the load and the overlapping entries."""
    lo = datetime.combine(days[0], datetime.min.time())
    hi = lo + timedelta(days=7)
    by_engineer: dict[int, list] = {}
    for entry in entries:
        by_engineer.setdefault(entry.engineer_id, []).append(entry)
    bounds = [(lo + timedelta(days=k), lo + timedelta(days=k + 1)) for k in range(7)]
    rows = []
    for person in people:
        mine = by_engineer.get(person.id, [])
        row = WeekRow(person, [[] for _day in days], [0.0] * 7)
        row.conflicts = overlapping_ids(mine)
        for entry in mine:  # each entry into the days it touches
            shown = _shown(entry, row.conflicts, viewer_id)
            first = max((entry.starts_at - lo).days, 0)
            for k in range(first, 7):
                d0, d1 = bounds[k]
                if d0 >= entry.ends_at:
                    break
                row.days[k].append(shown)
                if entry.kind != ENTRY_VACATION:
                    row.day_hours[k] += (min(entry.ends_at, d1) - max(entry.starts_at, d0)) \
                        .total_seconds() / 3600
        row.day_hours = [round(min(spent, 24), 1) for spent in row.day_hours]
        row.week_hours = round(sum(row.day_hours), 1)
        booked = sum((min(e.ends_at, hi) - max(e.starts_at, lo)).total_seconds() / 3600
                     for e in mine if e.kind in BOOKED_KINDS)
        row.load = load_of(person.capacity, lo, hi, booked,
                           [e for e in mine if e.kind in AWAY_KINDS], hours)
        rows.append(row)
    return rows
