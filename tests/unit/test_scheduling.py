"""Engineers' schedule: windows, bookings, own entries, suggestions and the week page's rows.

Each test is built so that the wrong rule gives another answer: engineers are created in the
opposite order to the one expected, windows touch exactly at their ends, a week's entries sit
on its first and last minute.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext
from werkzeug.exceptions import NotFound

import app.timefmt as timefmt
from app.accounts import find_role
from app.extensions import db
from app.intake import create_draft
from app.permissions import ENGINEER, MANAGER
from app.scheduling import (WEEK_CAPACITY_HOURS, ScheduleError, book_engineer, check_window,
                            conflicts, delete_own_entry, engineers, own_entry_or_404,
                            request_hours, save_own_entry, suggest_engineers)
from app.week_schedule import WeekQuery, week_page
from app.workflow import ConflictError
from models.audit import AuditEvent
from models.notifications import Notification
from models.request_status import Status
from models.requests import Request, StatusChange
from models.schedule import ENTRY_BUSY, ENTRY_VACATION, ENTRY_VISIT, ENTRY_WORK, ScheduleEntry
from tests.factories import Staff, make_partner, make_request, make_user

MONDAY = datetime(2026, 11, 30)  # a Monday
WED = MONDAY + timedelta(days=2)
EMPTY = "The end must be later than the start."
TOO_LONG = "An entry cannot be longer than 31 days."


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """That hour of the test week (day 0 = Monday; negative days are the week before)."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def entry(engineer, start, end, kind=ENTRY_BUSY, request=None) -> ScheduleEntry:
    row = ScheduleEntry(engineer_id=engineer.id, kind=kind, starts_at=start, ends_at=end,
                        request=request)
    db.session.add(row)
    db.session.flush()
    return row


def engineer_named(name: str, active: bool = True):
    user = make_user(ENGINEER)
    user.first_name, user.active = name, active
    db.session.commit()
    return user


def week_rows(viewer, monday: date = MONDAY.date()):
    """The week page's days and every engineer's row, as `viewer` sees them (all pages)."""
    first = week_page(viewer, WeekQuery(monday))
    rows = list(first.rows)
    for number in range(2, first.pages + 1):
        rows += week_page(viewer, WeekQuery(monday, page=number)).rows
    return first.days, rows


def cell_ids(row) -> list[list[int]]:
    """The ids of the entries each day's cell of a week row shows."""
    return [[shown.id for shown in cell] for cell in row.days]


def refusal(func, *args, **kwargs) -> str:
    with pytest.raises(ScheduleError) as caught:
        func(*args, **kwargs)
    return str(caught.value)



@pytest.fixture
def _team(request, snapshot):
    """One user of each staff role and, if the test asks for `assigned`, a request assigned
    to them, in that order: built once per run for each (conftest.snapshot)."""
    with_request = "assigned" in request.fixturenames

    def build() -> dict:
        team = Staff()
        ids = {who: getattr(team, who).id for who in ("supermanager", "manager", "engineer")}
        if with_request:
            ids["assigned"] = make_request(make_partner(), Status.ASSIGNED, team).id
        return ids

    name = request.module.__name__.rsplit(".", 1)[-1]  # each module its own copy
    return snapshot(f"{name}-staff" + ("-assigned" if with_request else ""), build)


@pytest.fixture
def staff(_team):
    """The module's own `staff` (conftest's, from a snapshot)."""
    return SimpleNamespace(**{who: db.session.get(User, _team[who])
                              for who in ("supermanager", "manager", "engineer")})


@pytest.fixture
def assigned(_team):
    return db.session.get(Request, _team["assigned"])


@pytest.fixture(autouse=True)
def _the_week_ahead(monkeypatch):
    """The bureau's clock a week before the test week (23.11.2026 12:00 in Moscow): its
    windows are in the future whatever day the tests run (a visit in the past is refused)."""
    monkeypatch.setattr(timefmt, "utcnow", lambda: MONDAY - timedelta(days=7, hours=-9))


# --- windows --------------------------------------------------------------------------------

def test_a_window_must_end_after_it_starts(staff):
    eng = staff.engineer
    assert refusal(check_window, eng.id, at(0, 10), at(0, 10)) == gettext(EMPTY)
    assert refusal(check_window, eng.id, at(0, 10), at(0, 9)) == gettext(EMPTY)
    assert refusal(check_window, eng.id, None, at(0, 9)) == gettext(EMPTY)
    assert refusal(check_window, eng.id, at(0, 9), None) == gettext(EMPTY)
    check_window(eng.id, at(0, 10), at(0, 10, 1))  # one minute is a window


def test_a_window_is_at_most_31_days(staff):
    eng = staff.engineer
    check_window(eng.id, at(0, 0), at(31, 0))
    assert refusal(check_window, eng.id, at(0, 0), at(31, 0, 1)) == gettext(TOO_LONG)


def test_overlaps_are_refused_touching_windows_are_not(staff):
    eng, other = staff.engineer, engineer_named("Other")
    busy = entry(eng, at(0, 10), at(0, 12))
    entry(other, at(0, 8), at(0, 16))  # another engineer's time is no conflict
    check_window(eng.id, at(0, 12), at(0, 14))
    check_window(eng.id, at(0, 8), at(0, 10))
    assert conflicts(eng.id, at(0, 11, 59), at(0, 13)) == [busy]
    assert conflicts(eng.id, at(0, 9), at(0, 10, 1)) == [busy]
    assert conflicts(eng.id, at(0, 9), at(0, 13), exclude=[busy.id]) == []
    message = refusal(check_window, eng.id, at(0, 11), at(0, 13))
    assert message == gettext("The engineer is busy then (%(window)s).",
                              window="30.11.2026 10:00–12:00")
    check_window(eng.id, at(0, 11), at(0, 13), exclude=[busy.id])


def test_the_earliest_conflict_is_named_and_a_vacation_says_so(staff):
    eng = staff.engineer
    entry(eng, at(0, 14), at(0, 15))  # created first, but later in the day
    entry(eng, at(0, 9), at(0, 11), kind=ENTRY_VACATION)
    assert [e.kind for e in conflicts(eng.id, at(0, 8), at(0, 16))] == [ENTRY_VACATION,
                                                                        ENTRY_BUSY]
    assert refusal(check_window, eng.id, at(0, 8), at(0, 16)) == gettext(
        "The engineer is on vacation then (%(window)s).",
        window="30.11.2026 09:00–11:00")


# --- bookings -------------------------------------------------------------------------------

def test_booking_schedules_the_engineer_and_records_the_visit(staff, assigned):
    visit = book_engineer(assigned, staff.engineer, at(2, 10), at(2, 13), staff.manager,
                          assigned.version, note="bring the keys")
    db.session.commit()
    assert assigned.status == Status.SCHEDULED and assigned.engineer_id == staff.engineer.id
    assert (visit.engineer_id, visit.request_id, visit.kind, visit.starts_at, visit.ends_at,
            visit.note, visit.created_by_id) == (
        staff.engineer.id, assigned.id, ENTRY_VISIT, at(2, 10), at(2, 13), "bring the keys",
        staff.manager.id)
    change = db.session.query(StatusChange).filter_by(request_id=assigned.id) \
        .order_by(StatusChange.id.desc()).first()
    assert (change.action, change.comment, change.actor_id) == ("schedule", "bring the keys",
                                                                staff.manager.id)
    event = db.session.query(AuditEvent).filter_by(action="booking").one()
    assert (event.actor_id, event.object_id) == (staff.manager.id, assigned.id)
    assert event.details == {"engineer": staff.engineer.username,
                             "start": "2026-12-02T10:00:00"}


def test_rescheduling_moves_the_visit_to_the_new_engineer(staff, assigned):
    first = book_engineer(assigned, staff.engineer, at(2, 10), at(2, 13), staff.manager)
    elsewhere = make_request(make_partner(), Status.ASSIGNED, staff)
    theirs = book_engineer(elsewhere, staff.engineer, at(4, 10), at(4, 13), staff.manager)
    slot = entry(staff.engineer, at(5, 9), at(5, 10), kind=ENTRY_WORK, request=assigned)
    db.session.commit()
    other = engineer_named("Other")
    second = book_engineer(assigned, other, at(3, 10), at(3, 13), staff.manager)
    db.session.commit()
    assert assigned.status == Status.SCHEDULED and assigned.engineer_id == other.id
    actions = [c.action for c in db.session.query(StatusChange).filter_by(
        request_id=assigned.id).order_by(StatusChange.id)]
    assert actions[-2:] == ["schedule", "reschedule"]
    visits = db.session.query(ScheduleEntry).filter_by(request_id=assigned.id) \
        .order_by(ScheduleEntry.id).all()  # without an order PostgreSQL may give any
    assert visits == [slot, second] and first not in visits  # the old engineer is free
    assert db.session.query(ScheduleEntry).filter_by(request_id=elsewhere.id).all() == [
        theirs]
    assert conflicts(staff.engineer.id, at(2, 10), at(2, 13)) == []


def test_rescheduling_the_same_engineer_into_an_overlapping_window(staff, assigned):
    book_engineer(assigned, staff.engineer, at(2, 10), at(2, 13), staff.manager)
    db.session.commit()
    moved = book_engineer(assigned, staff.engineer, at(2, 12), at(2, 15), staff.manager)
    db.session.commit()
    assert db.session.query(ScheduleEntry).filter_by(request_id=assigned.id).all() == [moved]


def test_a_refused_reschedule_keeps_the_old_visit(staff, assigned):
    first = book_engineer(assigned, staff.engineer, at(2, 10), at(2, 13), staff.manager)
    db.session.commit()
    other = engineer_named("Other")
    entry(other, at(3, 9), at(3, 18))
    refusal(book_engineer, assigned, other, at(3, 10), at(3, 13), staff.manager)
    assert db.session.query(ScheduleEntry).filter_by(request_id=assigned.id).all() == [first]
    assert assigned.engineer_id == staff.engineer.id


def test_booking_refuses_non_engineers_blocked_ones_and_busy_windows(staff, assigned):
    blocked = engineer_named("Blocked", active=False)
    for person in (staff.manager, blocked):
        message = refusal(book_engineer, assigned, person, at(2, 10), at(2, 13),
                          staff.manager)
        assert message == gettext("%(name)s is not an active engineer.",
                                  name=person.username)
    entry(staff.engineer, at(2, 12), at(2, 14))
    refusal(book_engineer, assigned, staff.engineer, at(2, 10), at(2, 13), staff.manager)
    refusal(book_engineer, assigned, staff.engineer, at(2, 13), at(2, 10), staff.manager)
    assert assigned.status == Status.ASSIGNED and assigned.engineer_id is None
    assert db.session.query(ScheduleEntry).filter_by(request_id=assigned.id).count() == 0


def test_booking_on_a_stale_page_is_a_conflict(staff, assigned):
    with pytest.raises(ConflictError):
        book_engineer(assigned, staff.engineer, at(2, 10), at(2, 13), staff.manager,
                      expected_version=assigned.version - 1)
    assert assigned.status == Status.ASSIGNED


PAST = "A visit cannot start in the past: it is %(now)s now. Choose a later start."


def _clock_at(monkeypatch, local: datetime) -> None:
    """The bureau's clock (Moscow, UTC+3 all year) shows `local`."""
    monkeypatch.setattr(timefmt, "utcnow", lambda: local - timedelta(hours=3))


def test_a_visit_in_the_past_is_refused_and_nothing_is_stored(staff, assigned):
    version = assigned.version
    message = refusal(book_engineer, assigned, staff.engineer, datetime(2020, 1, 1, 10),
                      datetime(2020, 1, 1, 13), staff.manager)
    assert message == gettext(PAST, now="23.11.2026 12:00")
    assert (assigned.status, assigned.engineer_id, assigned.version) == (
        Status.ASSIGNED, None, version)
    assert db.session.query(ScheduleEntry).filter_by(request_id=assigned.id).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="booking").count() == 0


def test_a_visit_later_today_is_booked_one_earlier_today_is_not(monkeypatch, staff, assigned):
    _clock_at(monkeypatch, at(0, 12) + timedelta(seconds=40))  # Monday 12:00:40
    message = refusal(book_engineer, assigned, staff.engineer, at(0, 11, 59), at(0, 14),
                      staff.manager)
    assert message == gettext(PAST, now="30.11.2026 12:00")
    assert db.session.query(ScheduleEntry).filter_by(request_id=assigned.id).count() == 0
    visit = book_engineer(assigned, staff.engineer, at(0, 12), at(0, 14), staff.manager)
    db.session.commit()  # the minute it is now still counts
    assert (assigned.status, visit.starts_at) == (Status.SCHEDULED, at(0, 12))
    moved = book_engineer(assigned, staff.engineer, at(0, 18), at(0, 20), staff.manager)
    db.session.commit()  # rescheduling to later today
    assert db.session.query(ScheduleEntry).filter_by(request_id=assigned.id).all() == [moved]


def test_no_engineer_is_suggested_for_a_window_in_the_past(monkeypatch, staff, assigned):
    _clock_at(monkeypatch, at(0, 12))
    earlier = suggest_engineers(assigned, at(0, 9), at(0, 11))
    assert [(s.engineer.id, s.free, s.reason) for s in earlier] == [
        (staff.engineer.id, False, gettext(PAST, now="30.11.2026 12:00"))]
    years_ago = suggest_engineers(assigned, datetime(2020, 1, 1, 10), datetime(2020, 1, 1, 12))
    assert [s.free for s in years_ago] == [False]
    (later,) = suggest_engineers(assigned, at(0, 13), at(0, 15))
    assert (later.engineer.id, later.free, later.reason) == (staff.engineer.id, True, "")


# --- own entries ----------------------------------------------------------------------------

def test_an_engineer_adds_and_moves_own_time(staff):
    eng = staff.engineer
    saved = save_own_entry(eng, ENTRY_WORK, at(0, 9), at(0, 12), note="office")
    db.session.commit()
    assert (saved.engineer_id, saved.created_by_id, saved.kind, saved.starts_at,
            saved.ends_at, saved.note) == (eng.id, eng.id, ENTRY_WORK, at(0, 9), at(0, 12),
                                           "office")
    moved = save_own_entry(eng, ENTRY_VACATION, at(0, 10), at(0, 13), entry=saved)
    db.session.commit()
    assert moved is saved
    assert (saved.kind, saved.starts_at, saved.ends_at, saved.note) == (
        ENTRY_VACATION, at(0, 10), at(0, 13), None)
    assert db.session.query(ScheduleEntry).count() == 1
    audit = db.session.query(AuditEvent).filter_by(action="schedule_entry") \
        .order_by(AuditEvent.id).all()
    assert [(a.actor_id, a.object_id, a.details) for a in audit] == [
        (eng.id, saved.id, {"kind": ENTRY_WORK}), (eng.id, saved.id, {"kind": ENTRY_VACATION})]
    for day, kind in enumerate((ENTRY_BUSY, ENTRY_VACATION, ENTRY_WORK), start=1):
        assert save_own_entry(eng, kind, at(day, 9), at(day, 10)).kind == kind


def test_own_entries_refuse_visits_others_entries_and_overlaps(staff, assigned):
    eng, other = staff.engineer, engineer_named("Other")
    assert refusal(save_own_entry, eng, ENTRY_VISIT, at(0, 9), at(0, 10)) == gettext(
        "Choose busy time, vacation or a work slot.")
    theirs = entry(other, at(1, 9), at(1, 10))
    visit = entry(eng, at(2, 9), at(2, 10), kind=ENTRY_VISIT, request=assigned)
    for row in (theirs, visit):
        assert refusal(save_own_entry, eng, ENTRY_BUSY, at(3, 9), at(3, 10),
                       entry=row) == gettext("You can change only your own entries.")
    assert refusal(save_own_entry, eng, ENTRY_BUSY, at(2, 9, 30), at(2, 11)) == gettext(
        "The engineer is busy then (%(window)s).",
        window="02.12.2026 09:00–10:00")
    refusal(save_own_entry, eng, ENTRY_BUSY, at(3, 10), at(3, 9))
    assert (theirs.starts_at, visit.kind) == (at(1, 9), ENTRY_VISIT)
    assert db.session.query(ScheduleEntry).count() == 2


# --- load and suggestions -------------------------------------------------------------------

def test_request_hours_add_up_its_services(staff, assigned):
    assert request_hours(assigned) == Decimal(4)  # the factory's one service of 4 hours
    assigned.lines[0].estimated_hours = Decimal("2.5")
    db.session.flush()
    assert request_hours(assigned) == Decimal("2.5")
    partner = assigned.author
    empty = create_draft(partner, partner.profile.partner_company, [],
                         object_address="Moscow", object_type="apartment", area=Decimal(10),
                         urgency="normal")
    db.session.flush()
    assert request_hours(empty) == Decimal(0)


def test_engineers_are_the_active_ones_by_name(staff):
    zed, abe = engineer_named("Zed"), engineer_named("Abe")
    engineer_named("Gone", active=False)
    twin = engineer_named("Abe")
    staff.engineer.first_name = "Max"
    db.session.commit()
    assert engineers() == [abe, twin, staff.engineer, zed]


def test_suggestions_free_first_then_within_capacity_then_least_loaded(staff, assigned):
    # created in the opposite order to the expected one
    busy_now = engineer_named("Busy")  # busy in the window: last whatever its load
    empty = engineer_named("Empty")  # no capacity at all: after every loaded one
    loaded = engineer_named("Loaded")
    medium = engineer_named("Medium")
    light = engineer_named("Light")
    staff.engineer.active = False  # the factory's engineer takes no part
    empty.profile.weekly_capacity_hours = 0
    db.session.commit()
    entry(busy_now, at(2, 9), at(2, 11))  # busy 2 h in working time, overlaps the window
    entry(loaded, at(0, 0), at(0, 12), kind=ENTRY_WORK)  # 12 h from the week's first minute
    entry(loaded, at(6, 12), at(7, 0), kind=ENTRY_VISIT)  # 12 h to its last minute
    entry(loaded, at(3, 8), at(3, 14), kind=ENTRY_WORK)  # 6 h
    entry(loaded, at(4, 0), at(5, 0), kind=ENTRY_VACATION)  # 9 working hours less capacity
    entry(loaded, at(5, 10), at(5, 12))  # busy on Saturday: outside working time
    entry(medium, at(0, 9), at(1, 9), kind=ENTRY_WORK)  # 24 h
    entry(light, at(-1, 20), at(0, 0), kind=ENTRY_WORK)  # ends as the week starts
    entry(light, at(7, 0), at(7, 9), kind=ENTRY_WORK)  # starts as the next week starts
    entry(light, at(-1, 22), at(0, 2), kind=ENTRY_WORK)  # 2 h of it in this week
    entry(light, at(1, 9), at(1, 13), kind=ENTRY_VISIT)  # 4 h
    result = suggest_engineers(assigned, at(2, 10), at(2, 12))
    assert [(s.engineer, s.free, s.booked_hours, s.capacity_hours, s.projected_percent,
             s.over) for s in result] == [
        (light, True, 6.0, 40.0, 25, False),  # (6 + 4) / 40
        (medium, True, 24.0, 40.0, 70, False),  # (24 + 4) / 40
        (loaded, True, 30.0, 31.0, 110, True),  # (30 + 4) / (40 - 9)
        (empty, True, 0.0, 0.0, None, True),
        (busy_now, False, 0.0, 38.0, 11, False),  # (0 + 4) / (40 - 2)
    ]
    assert [s.reason for s in result] == ["", "", "", "", gettext(
        "The engineer is busy then (%(window)s).",
        window="02.12.2026 09:00–11:00")]
    assert WEEK_CAPACITY_HOURS == 40


def test_over_capacity_ranks_after_within_capacity_whatever_the_tie(staff, assigned):
    staff.engineer.active = False
    over, exact = engineer_named("Over"), engineer_named("Exact")  # over has the lower id
    db.session.commit()
    entry(exact, at(0, 9), at(1, 21), kind=ENTRY_WORK)  # 36 h + 4 = 40: full, not over
    entry(over, at(0, 9), at(1, 21), kind=ENTRY_WORK)
    entry(over, at(3, 9), at(3, 9, 1), kind=ENTRY_WORK)  # a minute more: over, still 100 %
    result = suggest_engineers(assigned, at(2, 10), at(2, 12))
    assert [(s.engineer, s.projected_percent, s.over) for s in result] == [
        (exact, 100, False), (over, 100, True)]


def test_equal_load_goes_by_id_and_hours_are_rounded(staff, assigned):
    second, first = engineer_named("B"), engineer_named("A")
    staff.engineer.active = False
    db.session.commit()
    entry(second, at(0, 9), at(0, 10, 20), kind=ENTRY_VISIT)  # 1.333 h → 1.3
    entry(first, at(0, 9), at(0, 10, 20), kind=ENTRY_VISIT)
    result = suggest_engineers(assigned, at(2, 10), at(2, 12))
    assert [(s.engineer, s.booked_hours, s.projected_percent) for s in result] == [
        (second, 1.3, 13), (first, 1.3, 13)]  # (1.333 + 4) / 40 = 13.3 %
    entry(first, at(1, 9), at(1, 9, 30), kind=ENTRY_WORK)  # half an hour more: 14.6 %
    result = suggest_engineers(assigned, at(2, 10), at(2, 12))
    assert [(s.engineer, s.booked_hours, s.projected_percent) for s in result] == [
        (second, 1.3, 13), (first, 1.8, 15)]


def test_the_week_is_monday_to_monday_whatever_the_window_day(staff, assigned):
    staff.engineer.active = False
    eng = engineer_named("E")
    entry(eng, at(6, 22), at(7, 0), kind=ENTRY_WORK)  # Sunday night: 2 h of this week
    for day in range(7):
        (only,) = suggest_engineers(assigned, at(day, 1), at(day, 2))
        assert only.booked_hours == 2.0, day
    (next_week,) = suggest_engineers(assigned, at(7, 1), at(7, 2))
    assert next_week.booked_hours == 0.0


# --- week page ------------------------------------------------------------------------------

def test_week_page_rows_days_and_hours(staff):
    staff.engineer.first_name = "Zed"
    other = engineer_named("Abe")
    engineer_named("Gone", active=False)
    db.session.commit()
    eng = staff.engineer
    night = entry(eng, at(0, 22), at(1, 2))  # 2 h on Monday, 2 h on Tuesday
    holiday = entry(eng, at(2, 0), at(3, 0), kind=ENTRY_VACATION)  # shown, no hours
    full = entry(eng, at(3, 0), at(4, 0), kind=ENTRY_WORK)
    double = entry(eng, at(3, 0), at(4, 0))  # 48 h booked on one day: the day shows 24
    entry(eng, at(-1, 0), at(0, 0))  # ends as the week starts
    entry(eng, at(7, 0), at(7, 5))  # starts as the next week starts
    quarter = entry(other, at(6, 23, 45), at(7, 1))  # 0.25 h on Sunday
    days, rows = week_rows(staff.manager)
    assert days == [date(2026, 11, 30) + timedelta(days=k) for k in range(7)]
    assert [row.engineer.id for row in rows] == [other.id, eng.id]
    abe, zed = rows
    assert cell_ids(zed) == [[night.id], [night.id], [holiday.id], [full.id, double.id],
                             [], [], []]
    assert zed.day_hours == [2.0, 2.0, 0.0, 24.0, 0.0, 0.0, 0.0]
    assert zed.week_hours == 28.0
    assert cell_ids(abe) == [[], [], [], [], [], [], [quarter.id]]
    assert abe.day_hours == [0.0] * 6 + [0.2]  # 0.25 rounds to the even 0.2
    assert abe.week_hours == 0.2


def test_week_page_rounds_day_and_week_hours_to_one_decimal(staff):
    eng = staff.engineer
    for day in range(3):
        entry(eng, at(day, 9), at(day, 9, 40))  # 0.667 h a day
    late = entry(eng, at(4, 15), at(4, 16, 45))  # 1.75 h → 1.8 (exactly, not 1.7499…)
    early = entry(eng, at(4, 9), at(4, 10))  # added later, shown first
    _days, (row,) = week_rows(staff.manager)
    assert cell_ids(row)[4] == [early.id, late.id]
    assert row.day_hours == [0.7, 0.7, 0.7, 0.0, 2.8, 0.0, 0.0]
    assert row.week_hours == 4.9


def test_staff_other_than_engineers_have_no_row(staff):
    make_user(MANAGER)
    _days, rows = week_rows(staff.manager)
    assert [row.engineer.id for row in rows] == [staff.engineer.id]
    assert rows[0].days == [[]] * 7 and rows[0].week_hours == 0.0


def test_own_entries_are_found_and_deleted_by_their_engineer_only(staff, assigned):
    eng, other = staff.engineer, engineer_named("Other")
    mine = save_own_entry(eng, ENTRY_BUSY, at(0, 9), at(0, 10))
    theirs = save_own_entry(other, ENTRY_BUSY, at(0, 9), at(0, 10))
    visit = entry(eng, at(1, 9), at(1, 10), kind=ENTRY_VISIT, request=assigned)
    db.session.commit()
    assert own_entry_or_404(eng, mine.id) is mine
    for entry_id in (theirs.id, visit.id, 10**9):
        with pytest.raises(NotFound):
            own_entry_or_404(eng, entry_id)
        with pytest.raises(NotFound):
            delete_own_entry(eng, entry_id)
    assert delete_own_entry(eng, mine.id) is mine
    db.session.commit()
    assert db.session.query(ScheduleEntry).order_by(ScheduleEntry.id).all() == [theirs, visit]
    event = db.session.query(AuditEvent).filter_by(action="schedule_entry_deleted").one()
    assert (event.actor_id, event.object_id, event.details) == (eng.id, mine.id,
                                                               {"kind": ENTRY_BUSY})


def test_engineers_of_the_same_name_go_by_id_not_by_when_they_became_engineers(staff):
    earlier = make_user(MANAGER)  # the lower id, made an engineer only later
    later = engineer_named("Same")
    earlier.roles = [find_role(ENGINEER)]
    earlier.first_name = staff.engineer.first_name = "Same"
    db.session.commit()
    assert engineers() == [staff.engineer, earlier, later]


def notes_of(user) -> list[str]:
    return [note.text for note in db.session.query(Notification).filter_by(
        user_id=user.id, kind="booking").order_by(Notification.id)]


def test_rebooking_tells_the_old_engineer_his_visit_is_gone_and_the_new_one_his_visit(
        staff, assigned):
    """Who hears what when a visit moves: the engineer who loses it (with his old time), the
    one who gets it (with the new time); moving the same engineer cancels nothing."""
    book_engineer(assigned, staff.engineer, at(2, 10), at(2, 13), staff.manager)
    db.session.commit()
    number = assigned.number
    assert notes_of(staff.engineer) == [
        f"Заявка {number}: вам назначен выезд, 02.12.2026 10:00–13:00."]
    other = engineer_named("Other")
    book_engineer(assigned, other, at(3, 11), at(3, 14), staff.manager)
    db.session.commit()
    assert notes_of(staff.engineer)[1:] == [
        f"Заявка {number}: ваш выезд 02.12.2026 10:00–13:00 отменён."]
    assert notes_of(other) == [
        f"Заявка {number}: вам назначен выезд, 03.12.2026 11:00–14:00."]
    book_engineer(assigned, other, at(4, 9), at(4, 12), staff.manager)  # same engineer
    db.session.commit()
    assert notes_of(other)[1:] == [
        f"Заявка {number}: вам назначен выезд, 04.12.2026 09:00–12:00."]
    assert len(notes_of(staff.engineer)) == 2  # not told again
    event = db.session.query(AuditEvent).filter_by(action="booking") \
        .order_by(AuditEvent.id.desc()).first()
    assert event.details == {"engineer": other.username, "start": "2026-12-04T09:00:00"}


def test_a_visits_time_names_its_day_once(app):
    from app.timefmt import wall_range

    with app.test_request_context():
        assert wall_range(at(2, 10), at(2, 13)) == "02.12.2026 10:00–13:00"
        assert wall_range(at(2, 22), at(3, 1)) == "02.12.2026 22:00 – 03.12.2026 01:00"
        assert wall_range(at(2, 10), None) == "02.12.2026 10:00"
