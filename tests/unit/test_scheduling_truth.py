"""A schedule that never lies: rebooking and cancelling free the slot, capacity per engineer
less busy time and vacations, over-capacity engineers marked and ranked last, the default
window from the estimate and the working hours, overlaps marked in the grid, a demo without
overlaps, and a booking race that only one manager wins (two real connections)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext

import app.scheduling as scheduling
from app.errors import InvalidInput, NotFound, Refused
from app.extensions import db
from app.permissions import ENGINEER, MANAGER
from app.scheduling import (ScheduleError, book_engineer, default_window, engineer_load,
                            overlapping_ids, save_own_entry, set_weekly_capacity,
                            suggest_engineers, visits_by_request, visits_of,
                            working_overlap_hours)
from app.settings import DEFAULTS, save_settings, set_setting, valid_working_hours
from app.workflow import transition
from models.audit import AuditEvent
from models.request_status import Status
from models.requests import Request
from models.schedule import ENTRY_BUSY, ENTRY_VACATION, ENTRY_VISIT, ENTRY_WORK, ScheduleEntry
from tests.concurrency import at_once, pause_after
from tests.factories import make_partner, make_request, make_user

from tests.unit.test_scheduling import (MONDAY, at, entry,  # noqa: E402 (the week's helpers)
                                        week_rows)
from tests.unit import test_scheduling as _scheduling  # noqa: E402

# the staff and assigned-request fixtures (each module keeps its own snapshot of them)
_team, staff, assigned = _scheduling._team, _scheduling.staff, _scheduling.assigned
_the_week_ahead = _scheduling._the_week_ahead  # the clock before the test week (autouse)





def row_of(rows, engineer):
    (row,) = [r for r in rows if r.engineer.id == engineer.id]
    return row


# --- rebooking and cancelling free the slot -------------------------------------------------

def test_rebooking_to_another_engineer_frees_the_first_in_grid_and_load(staff, assigned):
    first, second = staff.engineer, make_user(ENGINEER)
    book_engineer(assigned, first, at(2, 10), at(2, 14), staff.manager)
    db.session.commit()
    _days, rows = week_rows(staff.manager)
    assert row_of(rows, first).load.booked_hours == 4.0
    book_engineer(assigned, second, at(3, 10), at(3, 14), staff.manager)
    db.session.commit()
    _days, rows = week_rows(staff.manager)
    assert row_of(rows, first).days == [[]] * 7  # no ghost booking
    assert row_of(rows, first).load.booked_hours == 0.0
    assert row_of(rows, first).week_hours == 0.0
    (visit,) = row_of(rows, second).days[3]  # Thursday (at(3, …)), 10:00 to 14:00
    assert (visit.request_id, visit.kind, visit.times) == (assigned.id, ENTRY_VISIT,
                                                           "10:00–14:00")
    assert row_of(rows, second).load.booked_hours == 4.0
    assert sum(r.load.booked_hours for r in rows) == 4.0  # counted once, not twice
    # the first engineer can take the old slot again
    other = make_request(make_partner(), Status.ASSIGNED, staff)
    book_engineer(other, first, at(2, 10), at(2, 14), staff.manager)
    db.session.commit()
    assert visits_of(other)[0].engineer_id == first.id


def test_suggestions_while_rescheduling_do_not_count_the_moving_visit(staff, assigned):
    book_engineer(assigned, staff.engineer, at(2, 10), at(2, 14), staff.manager)
    db.session.commit()
    (only,) = suggest_engineers(assigned, at(2, 12), at(2, 16))  # its own visit is no clash
    assert (only.free, only.booked_hours, only.projected_percent) == (True, 0.0, 10)


def test_cancelling_frees_the_visit(staff, assigned):
    other = make_request(make_partner(), Status.ASSIGNED, staff)
    # a visit left from before (e.g. booked on an old version): the cancel removes it
    visit = entry(staff.engineer, at(2, 10), at(2, 13), kind=ENTRY_VISIT, request=assigned)
    kept = entry(staff.engineer, at(3, 10), at(3, 13), kind=ENTRY_VISIT, request=other)
    own = entry(staff.engineer, at(4, 10), at(4, 13), kind=ENTRY_WORK, request=assigned)
    db.session.commit()
    visit_id = visit.id
    transition(assigned, "cancel", staff.manager, "client withdrew")
    db.session.commit()
    assert db.session.get(ScheduleEntry, visit_id) is None
    assert {e.id for e in db.session.query(ScheduleEntry)} == {kept.id, own.id}
    assert assigned.status == Status.CANCELLED


# --- capacity and load ----------------------------------------------------------------------

def test_load_is_booked_hours_of_capacity_less_busy_time_and_vacations(staff):
    eng = staff.engineer
    eng.profile.weekly_capacity_hours = 30
    db.session.commit()
    entry(eng, at(0, 9), at(0, 15), kind=ENTRY_VISIT)  # 6 h booked
    entry(eng, at(1, 20), at(1, 22), kind=ENTRY_WORK)  # 2 h booked, evening work counts
    entry(eng, at(2, 8), at(2, 11))  # busy: 2 h of it in working time (09–18)
    entry(eng, at(3, 0), at(5, 0), kind=ENTRY_VACATION)  # Thu and Fri: 18 working hours
    entry(eng, at(5, 9), at(5, 18))  # busy on Saturday: no working time
    entry(eng, at(7, 9), at(7, 18), kind=ENTRY_VISIT)  # next week
    load = engineer_load(eng, MONDAY, MONDAY + timedelta(days=7))
    assert (load.booked_hours, load.capacity_hours) == (8.0, 10.0)  # 30 - 2 - 18
    assert (load.percent(), load.over(), load.percent(2), load.over(2), load.over(2.5)) == (
        80, False, 100, False, True)
    _days, (row,) = week_rows(staff.manager)
    assert (row.load.booked_hours, row.load.capacity_hours) == (8.0, 10.0)


def test_the_dashboards_utilisation_uses_each_engineers_capacity(staff):
    from reports.queries import engineer_utilisation

    eng, other = staff.engineer, make_user(ENGINEER)
    eng.first_name, other.first_name = "A", "B"
    other.profile.weekly_capacity_hours = 20
    db.session.commit()
    for engineer in (eng, other):
        entry(engineer, at(0, 9), at(0, 19), kind=ENTRY_VISIT)  # 10 h booked
        entry(engineer, at(-1, 9), at(0, 1), kind=ENTRY_WORK)  # 1 h of it in the period
    entry(eng, at(1, 9), at(1, 18), kind=ENTRY_VACATION)  # 9 working hours less
    entry(other, at(2, 9), at(2, 18))  # busy: 9 less, not booked
    entry(other, at(7, 9), at(7, 18), kind=ENTRY_VISIT)  # after the period
    assert engineer_utilisation(MONDAY.date(), MONDAY.date() + timedelta(days=6)) == [
        (eng.get_full_name(), 35),  # 11 / (40 - 9)
        (other.get_full_name(), 100)]  # 11 / (20 - 9)
    entry(other, at(3, 0), at(5, 0), kind=ENTRY_VACATION)  # no capacity left: 0
    assert engineer_utilisation(MONDAY.date(), MONDAY.date() + timedelta(days=6))[1] == (
        other.get_full_name(), 0)
    two_weeks = engineer_utilisation(MONDAY.date(), MONDAY.date() + timedelta(days=13))
    assert two_weeks[0] == (eng.get_full_name(), 15)  # 11 / (80 - 9)


def test_a_vacation_longer_than_the_capacity_leaves_none(staff):
    eng = staff.engineer
    entry(eng, at(0, 0), at(5, 0), kind=ENTRY_VACATION)  # 45 working hours > 40
    load = engineer_load(eng, MONDAY, MONDAY + timedelta(days=7))
    assert (load.capacity_hours, load.percent(), load.over(), load.over(0.1)) == (
        0.0, None, False, True)


def test_working_overlap_counts_working_days_and_hours_only(app):
    assert working_overlap_hours(at(0, 0), at(7, 0)) == 45.0
    assert working_overlap_hours(at(0, 17), at(1, 10)) == 2.0
    assert working_overlap_hours(at(5, 0), at(7, 0)) == 0.0  # the weekend
    set_setting("working_hours", {"start": "10:00", "end": "12:30", "days": [5]})
    assert working_overlap_hours(at(0, 0), at(7, 0)) == 2.5


def test_engineers_over_capacity_are_marked_and_after_those_under(staff, assigned):
    staff.engineer.active = False
    heavy, light = make_user(ENGINEER), make_user(ENGINEER)
    heavy.first_name = light.first_name = "Same"
    light.profile.weekly_capacity_hours = 8
    db.session.commit()
    entry(heavy, at(0, 9), at(1, 19), kind=ENTRY_VISIT)  # 34 h of 40: +4 → 95 %
    entry(light, at(0, 9), at(0, 15), kind=ENTRY_VISIT)  # 6 h of 8: +4 → 125 %
    result = suggest_engineers(assigned, at(2, 10), at(2, 14))
    assert [(s.engineer, s.projected_percent, s.over) for s in result] == [
        (heavy, 95, False), (light, 125, True)]


def test_only_an_admin_sets_an_engineers_capacity(staff):
    admin = make_user("Admin")
    for actor in (staff.manager, staff.supermanager, staff.engineer):
        with pytest.raises(Refused):
            set_weekly_capacity(actor, staff.engineer, 20)
    with pytest.raises(NotFound):
        set_weekly_capacity(admin, staff.manager, 20)
    for bad in (-1, 81, "20", 2.5, None):
        with pytest.raises(InvalidInput):
            set_weekly_capacity(admin, staff.engineer, bad)
    assert staff.engineer.profile.weekly_capacity_hours == 40
    set_weekly_capacity(admin, staff.engineer, 0)
    set_weekly_capacity(admin, staff.engineer, 80)
    db.session.commit()
    assert staff.engineer.profile.weekly_capacity_hours == 80
    events = db.session.query(AuditEvent).filter_by(action="weekly_capacity") \
        .order_by(AuditEvent.id).all()
    assert [(e.actor_id, e.object_id, e.details) for e in events] == [
        (admin.id, staff.engineer.id, {"before": 40, "after": 0}),
        (admin.id, staff.engineer.id, {"before": 0, "after": 80})]


# --- the default window ---------------------------------------------------------------------

def test_the_default_window_is_the_estimate_from_the_next_working_day(staff, assigned):
    friday = datetime(2026, 12, 4, 16, 30)
    assert default_window(assigned, friday) == (datetime(2026, 12, 7, 9), datetime(2026, 12, 7, 13))
    assigned.lines[0].estimated_hours = Decimal("34")  # more than a working day: the day
    db.session.flush()
    assert default_window(assigned, MONDAY) == (at(1, 9), at(1, 18))
    assigned.lines[0].estimated_hours = Decimal("0")  # no estimate: 2 h
    db.session.flush()
    assert default_window(assigned, MONDAY) == (at(1, 9), at(1, 11))
    assigned.lines[0].estimated_hours = Decimal("1.5")
    db.session.flush()
    set_setting("working_hours", {"start": "08:30", "end": "17:00", "days": [3]})
    assert default_window(assigned, MONDAY) == (at(3, 8, 30), at(3, 10))
    assert default_window(assigned, at(3, 7)) == (at(10, 8, 30), at(10, 10))


def test_the_default_window_is_on_the_first_day_an_engineer_is_free_for_it(staff, assigned):
    other = make_user(ENGINEER)
    idle = make_user(ENGINEER)
    idle.active = False  # a blocked engineer's free time does not count
    db.session.commit()
    entry(staff.engineer, at(1, 12), at(1, 13))  # Tuesday: both are busy in 09–13
    vacation = entry(other, at(1, 8), at(1, 10), kind=ENTRY_VACATION)
    assert default_window(assigned, MONDAY) == (at(2, 9), at(2, 13))
    db.session.delete(vacation)  # the request's own visit does not block its engineer
    entry(other, at(1, 9), at(1, 13), kind=ENTRY_VISIT, request=assigned)
    assert default_window(assigned, MONDAY) == (at(1, 9), at(1, 13))
    for engineer in (staff.engineer, other):  # nobody free for a month: the next working day
        entry(engineer, at(2, 0), at(40, 0), kind=ENTRY_VACATION)
    entry(other, at(1, 12), at(1, 13))
    assert default_window(assigned, MONDAY) == (at(1, 9), at(1, 13))
    assert default_window(assigned, at(4, 10)) == (at(7, 9), at(7, 13))  # Friday → Monday


def test_working_hours_setting_is_validated(staff):
    assert valid_working_hours(DEFAULTS["working_hours"])
    for bad in (None, {}, {"start": "18:00", "end": "09:00", "days": [0]},
                {"start": "09:00", "end": "09:00", "days": [0]},
                {"start": "9", "end": "18:00", "days": [0]},
                {"start": "09:00", "end": "25:00", "days": [0]},
                {"start": "09:00", "end": "18:00", "days": []},
                {"start": "09:00", "end": "18:00", "days": [7]},
                {"start": "09:00", "end": "18:00", "days": "0"}):
        assert not valid_working_hours(bad), bad
    admin = make_user("Admin")
    values = {key: DEFAULTS[key] for key in DEFAULTS}
    values["working_hours"] = {"start": "18:00", "end": "09:00", "days": [0]}
    with pytest.raises(InvalidInput):
        save_settings(admin, values)
    set_setting("working_hours", "garbage")  # a broken stored value: the default applies
    assert default_window(make_request(make_partner(), Status.ASSIGNED, staff),
                          MONDAY) == (at(1, 9), at(1, 13))


# --- conflicts in the grid ------------------------------------------------------------------

def test_the_grid_marks_each_overlapping_pair_and_only_those(staff):
    eng, other = staff.engineer, make_user(ENGINEER)
    a = entry(eng, at(0, 12), at(0, 15), kind=ENTRY_VISIT)
    b = entry(eng, at(0, 14), at(0, 16), kind=ENTRY_VISIT)  # overlaps a
    touching = entry(eng, at(0, 16), at(0, 17), kind=ENTRY_VISIT)  # touches b: fine
    long = entry(eng, at(1, 9), at(1, 18), kind=ENTRY_WORK)
    inside = entry(eng, at(1, 10), at(1, 11))  # inside the long one
    later = entry(eng, at(1, 17, 59), at(1, 19))  # overlaps long's last minute
    entry(other, at(0, 12), at(0, 15), kind=ENTRY_VISIT)  # another engineer: no conflict
    _days, rows = week_rows(staff.manager)
    assert row_of(rows, eng).conflicts == {a.id, b.id, long.id, inside.id, later.id}
    assert touching.id not in row_of(rows, eng).conflicts
    assert row_of(rows, other).conflicts == set()
    assert overlapping_ids([]) == set()


def test_the_demo_has_no_overlapping_entries(demo):
    entries = db.session.query(ScheduleEntry).order_by(ScheduleEntry.starts_at).all()
    assert entries
    by_engineer: dict[int, list] = {}
    for row in entries:
        by_engineer.setdefault(row.engineer_id, []).append(row)
    assert len(by_engineer) == 3
    for engineer_id, rows in by_engineer.items():
        assert overlapping_ids(rows) == set(), engineer_id
    monday = date.today() - timedelta(days=date.today().weekday())
    planner = make_user(MANAGER, username="planner")  # sees every engineer's row (a name
    # of its own: "manager1" of the sequence is the demo's own when this test runs first)
    for week in (monday - timedelta(days=7), monday, monday + timedelta(days=7)):
        _days, rows = week_rows(planner, week)
        assert rows and all(not row.conflicts for row in rows)


# --- visit times for the request page and the work list ------------------------------------

def test_visits_of_a_request_and_by_request(staff, assigned):
    other = make_request(make_partner(), Status.ASSIGNED, staff)
    late = entry(staff.engineer, at(3, 10), at(3, 12), kind=ENTRY_VISIT, request=assigned)
    early = entry(staff.engineer, at(2, 10), at(2, 12), kind=ENTRY_VISIT, request=assigned)
    entry(staff.engineer, at(1, 10), at(1, 12), kind=ENTRY_WORK, request=assigned)
    assert visits_of(assigned) == [early, late]
    assert visits_by_request([assigned.id, other.id]) == {assigned.id: early}
    assert visits_by_request([]) == {}


# --- the booking race -----------------------------------------------------------------------

def _race(app, monkeypatch, work_for) -> list:
    """Two threads, each with its own session and connection, run `work_for(k)` at the same
    moment; each waits (a second at most) after its overlap check for the other's check."""
    pause_after(scheduling, "check_window", monkeypatch)
    return at_once(app, work_for, (ScheduleError,), done="booked")


def test_two_managers_booking_one_engineer_at_once_one_wins(app, staff, monkeypatch):
    second_manager = make_user(MANAGER)
    first = make_request(make_partner(), Status.ASSIGNED, staff)
    second = make_request(make_partner(), Status.ASSIGNED, staff)
    second.manager_id = second_manager.id
    db.session.commit()
    ids = [(first.id, staff.manager.id, at(2, 10)), (second.id, second_manager.id, at(2, 12))]
    engineer_id = staff.engineer.id

    def book(k):
        request_id, manager_id, start = ids[k]
        book_engineer(db.session.get(Request, request_id), db.session.get(User, engineer_id),
                      start, start + timedelta(hours=3), db.session.get(User, manager_id))

    results = _race(app, monkeypatch, book)
    assert sorted(results, key=str)[0] == "booked", results
    refused = [r for r in results if r != "booked"]
    assert len(refused) == 1 and refused[0].startswith(gettext(
        "The engineer is busy then (%(window)s).", window="")[:20]), results
    visits = db.session.query(ScheduleEntry).filter_by(engineer_id=engineer_id).all()
    assert len(visits) == 1
    statuses = sorted(db.session.get(Request, rid).status for rid, _m, _s in ids)
    assert statuses == sorted([Status.ASSIGNED, Status.SCHEDULED])


def test_an_engineer_and_a_manager_writing_one_week_at_once_one_wins(app, staff, assigned,
                                                                     monkeypatch):
    engineer_id, manager_id, request_id = staff.engineer.id, staff.manager.id, assigned.id

    def work(k):
        engineer = db.session.get(User, engineer_id)
        if k == 0:
            book_engineer(db.session.get(Request, request_id), engineer, at(2, 10), at(2, 13),
                          db.session.get(User, manager_id))
        else:
            save_own_entry(engineer, ENTRY_BUSY, at(2, 12), at(2, 14))

    results = _race(app, monkeypatch, work)
    assert results.count("booked") == 1, results
    assert db.session.query(ScheduleEntry).filter_by(engineer_id=engineer_id).count() == 1
