"""Supermanager distribution, engineers' schedule and bookings with suggestions."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.permissions import ENGINEER, MANAGER
from models.notifications import Notification
from models.request_status import Status
from models.requests import Request
from models.schedule import ScheduleEntry
from tests.factories import Staff, as_user, make_partner, make_request, make_user, post




def test_queue_shows_loads_and_assigns_many(app, staff):
    partner = make_partner()
    busy = make_request(partner, Status.ASSIGNED, staff)  # staff.manager has one open
    new = [make_request(partner, Status.SUBMITTED, staff) for _ in range(3)]
    second = make_user(MANAGER, username="second")
    sm = as_user(app, staff.supermanager)
    html = sm.get("/distribution/").get_data(as_text=True)
    assert all(r.number in html for r in new) and busy.number not in html
    for r in new:  # each number opens its own desk page
        assert f'<a href="/desk/{r.id}">{r.number}</a>' in html
    # the company, the title and the hours of the request's services (one service of 4 h)
    company = partner.profile.partner_company.name
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if "Tverskaya" in row]
    assert len(rows) == 3 and all(
        re.search(rf"<td>{re.escape(company)}</td>\s*<td>Moscow, Tverskaya 1</td>.*<td>4</td>",
                  row, re.S) for row in rows)
    closed = make_request(partner, Status.CANCELLED, staff)
    page = post(sm, "/distribution/assign", {
        "manager_id": second.id,
        "request_id": [str(new[0].id), str(new[1].id), str(closed.id)]}, follow=True)
    assert f"{closed.number}:" in page.get_data(as_text=True)  # each row is re-checked
    db.session.expire_all()
    assert [db.session.get(Request, r.id).manager_id for r in new[:2]] == [second.id] * 2
    assert db.session.get(Request, closed.id).manager_id is None
    assert db.session.get(Request, busy.id).manager_id == staff.manager.id
    assert db.session.query(Notification).filter_by(user_id=second.id,
                                                    kind="assignment").count() == 2


def test_auto_distribution_goes_to_the_least_loaded(app, staff):
    partner = make_partner()
    make_request(partner, Status.ASSIGNED, staff)
    make_request(partner, Status.ASSIGNED, staff)
    idle = make_user(MANAGER, username="idle")
    waiting = [make_request(partner, Status.SUBMITTED, staff) for _ in range(3)]
    post(as_user(app, staff.supermanager), "/distribution/auto")
    db.session.expire_all()
    owners = [db.session.get(Request, r.id).manager_id for r in waiting]
    # idle had 0 and staff.manager 2: idle takes two, then both have 2 and ties go by id
    assert owners.count(idle.id) == 2 and owners.count(staff.manager.id) == 1


@pytest.mark.parametrize("role", ["Manager", "Engineer", "Director"])
def test_only_supermanager_and_admin_distribute(app, staff, role):
    req = make_request(make_partner(), Status.SUBMITTED, staff)
    c = as_user(app, make_user(role))
    assert c.get("/distribution/").status_code in (302, 403)
    post(c, "/distribution/auto")
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.SUBMITTED


def window(days=1, hour=10, hours=3):
    start = (datetime.now() + timedelta(days=days)).replace(hour=hour, minute=0, second=0,
                                                            microsecond=0)
    return start, start + timedelta(hours=hours)


def book(client, req, engineer, start, end, version):
    return post(client, f"/desk/{req.id}/book", {
        "engineer_id": engineer.id, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": end.strftime("%Y-%m-%dT%H:%M"), "version": version}, follow=True)


def test_booking_refuses_overlaps_and_vacations_then_schedules(app, staff):
    partner = make_partner()
    req = make_request(partner, Status.ASSIGNED, staff)
    m = as_user(app, staff.manager)
    start, end = window()
    db.session.add(ScheduleEntry(engineer_id=staff.engineer.id, kind="busy",
                                 starts_at=start + timedelta(hours=1), ends_at=end))
    vacationer = make_user(ENGINEER, username="away")
    db.session.add(ScheduleEntry(engineer_id=vacationer.id, kind="vacation",
                                 starts_at=start - timedelta(days=1),
                                 ends_at=end + timedelta(days=3)))
    db.session.commit()
    assert "занят" in book(m, req, staff.engineer, start, end, req.version).get_data(
        as_text=True)
    assert "в отпуске" in book(m, req, vacationer, start, end, req.version).get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.ASSIGNED
    free = make_user(ENGINEER, username="free")
    book(m, req, free, start, end, req.version)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.status, req.engineer_id) == (Status.SCHEDULED, free.id)
    assert db.session.query(ScheduleEntry).filter_by(request_id=req.id).one().kind == "visit"


def test_suggestion_ranks_free_engineers_by_load_and_books_in_one_click(app, staff):
    partner = make_partner()
    req = make_request(partner, Status.ASSIGNED, staff)
    light, heavy = make_user(ENGINEER, username="light"), make_user(ENGINEER, username="heavy")
    start, end = window(days=2)
    db.session.add(ScheduleEntry(engineer_id=heavy.id, kind="work",
                                 starts_at=start - timedelta(hours=6),
                                 ends_at=start - timedelta(hours=1)))
    db.session.add(ScheduleEntry(engineer_id=staff.engineer.id, kind="busy",
                                 starts_at=start, ends_at=end))
    db.session.commit()
    m = as_user(app, staff.manager)
    url = f"/desk/{req.id}?start={start.isoformat()}&end={end.isoformat()}"
    html = m.get(url).get_data(as_text=True)
    table = html[html.index('data-testid="suggestions"'):]
    bookable = re.findall(r'data-book="([^"]+)"', table)
    assert bookable[0] == "light" and bookable.index("light") < bookable.index("heavy")
    assert staff.engineer.username not in bookable  # busy in the window
    form = re.search(r'<form method="post" action="(/desk/\d+/book)">(.*?)</form>', table,
                     re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    m.post(form.group(1), data=fields)
    db.session.expire_all()
    assert db.session.get(Request, req.id).engineer_id == light.id


def test_a_visit_in_the_past_is_neither_suggested_nor_booked_on_the_desk(app, staff):
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    m = as_user(app, staff.manager)
    start, end = datetime(2020, 1, 1, 10), datetime(2020, 1, 1, 13)
    html = m.get(f"/desk/{req.id}?start={start.isoformat()}&end={end.isoformat()}") \
        .get_data(as_text=True)
    table = html[html.index('data-testid="suggestions"'):html.index("</table>",
                 html.index('data-testid="suggestions"'))]
    assert "data-book=" not in table and "★" not in table  # nobody offered, nothing starred
    # the reason said once above the table, not on each engineer's row
    assert html.count("Визит не может начинаться в прошлом") == 1
    assert re.search(r'data-testid="past-window">Визит не может начинаться в прошлом', html)
    page = book(m, req, staff.engineer, start, end, req.version).get_data(as_text=True)
    assert "Визит не может начинаться в прошлом" in page
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.ASSIGNED
    assert db.session.query(ScheduleEntry).filter_by(request_id=req.id).count() == 0
    later = window(days=1)  # tomorrow is bookable
    book(m, req, staff.engineer, *later, req.version)
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.SCHEDULED
    assert db.session.query(ScheduleEntry).filter_by(request_id=req.id).one().starts_at == \
        later[0]


def test_week_view_and_engineer_own_entries(app, staff):
    partner = make_partner()
    req = make_request(partner, Status.SCHEDULED, staff)
    monday = datetime.now().date() - timedelta(days=datetime.now().weekday())
    start = datetime.combine(monday, datetime.min.time()) + timedelta(days=2, hours=9)
    db.session.add(ScheduleEntry(engineer_id=staff.engineer.id, request=req, kind="visit",
                                 starts_at=start, ends_at=start + timedelta(hours=4)))
    db.session.commit()
    e = as_user(app, staff.engineer)
    html = e.get(f"/schedule/?week={monday.isoformat()}").get_data(as_text=True)
    # the day's hours as a Russian number with its unit ("4 ч"), never "4.0 h"; the week and
    # the totals row as numbers too ("4", not "4.0")
    assert req.number in html and re.search(r">4 ч<", html) and "4.0" not in html
    assert "<strong>4</strong>" in html and "<th>4</th>" in html
    # each day named, the bureau's days off (Saturday, Sunday by default) shaded
    head = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    assert re.findall(r'<span class="small text-muted">(\w+)</span>', head) == [
        "пн", "вт", "ср", "чт", "пт", "сб", "вс"]
    assert head.count('class="replan-day-off"') == 2
    post(e, "/schedule/entry", {"kind": "vacation",
                                "starts_at": (start + timedelta(days=7)).strftime(
                                    "%Y-%m-%dT%H:%M"),
                                "ends_at": (start + timedelta(days=9)).strftime(
                                    "%Y-%m-%dT%H:%M")})
    own = db.session.query(ScheduleEntry).filter_by(kind="vacation").one()
    page = post(e, "/schedule/entry", {"kind": "busy",
                                       "starts_at": (start + timedelta(days=8)).strftime(
                                           "%Y-%m-%dT%H:%M"),
                                       "ends_at": (start + timedelta(days=8, hours=2)).strftime(
                                           "%Y-%m-%dT%H:%M")}, follow=True)
    assert "в отпуске" in page.get_data(as_text=True)
    other = make_user(ENGINEER, username="other")
    o = as_user(app, other)
    assert o.get(f"/schedule/entry/{own.id}").status_code == 404
    assert post(o, f"/schedule/entry/{own.id}/delete").status_code == 404
    visit = db.session.query(ScheduleEntry).filter_by(kind="visit").one()
    assert e.get(f"/schedule/entry/{visit.id}").status_code == 404  # bookings are managers'
    assert e.get("/schedule/entry/0").status_code == 404  # no entry 0 (was a 500: “new”)
    entries = db.session.query(ScheduleEntry).count()
    assert post(e, "/schedule/entry/0", {"kind": "busy", "starts_at": (
        start + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"), "ends_at": (
        start + timedelta(days=20, hours=1)).strftime("%Y-%m-%dT%H:%M")}).status_code == 404
    m = as_user(app, staff.manager)
    assert post(m, "/schedule/entry", {"kind": "busy"}).status_code == 403  # no engineer
    assert db.session.query(ScheduleEntry).count() == entries
    post(e, f"/schedule/entry/{own.id}/delete")
    assert db.session.query(ScheduleEntry).filter_by(kind="vacation").count() == 0


def test_the_queue_keeps_loads_briefly_and_drops_them_after_an_assignment(app, staff,
                                                                          monkeypatch):
    """The loads shown are shared by the web workers for a short time (Redis); another
    user's change shows within that time, the supermanager's own assignment at once."""
    import fakeredis

    from app import page_cache

    redis = fakeredis.FakeRedis()
    monkeypatch.setattr(page_cache, "enqueue_connection", lambda: redis)
    partner = make_partner()
    second = make_user(MANAGER, username="second")
    sm = as_user(app, staff.supermanager)

    def load_of(manager):
        html = sm.get("/distribution/").get_data(as_text=True)
        found = re.search(rf"{re.escape(manager.get_full_name())} — открытых заявок: (\d+)", html)
        return int(found.group(1))

    assert load_of(second) == 0
    theirs = Staff()
    theirs.manager = second
    make_request(partner, Status.ASSIGNED, theirs)  # elsewhere: not seen at once
    assert load_of(second) == 0
    assert redis.ttl(page_cache.PREFIX + "manager-loads") > 0
    new = make_request(partner, Status.SUBMITTED, staff)
    post(sm, "/distribution/assign", {"manager_id": second.id, "request_id": [str(new.id)]})
    assert load_of(second) == 2  # the page reads the loads again after its own assignment
    redis.flushall()
    monkeypatch.setattr(page_cache, "enqueue_connection", lambda: None)  # no Redis: each time
    make_request(partner, Status.ASSIGNED, theirs)
    assert load_of(second) == 3


def test_the_queue_writes_hours_as_the_language_does(app, staff):
    """Hours read “7.0” and “258.0” on a Russian page: numbers as the language writes them."""
    partner = make_partner()
    req = make_request(partner, Status.SUBMITTED, staff)
    req.lines[0].estimated_hours = Decimal("7.5")
    db.session.commit()
    sm = as_user(app, staff.supermanager)
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{req.number}(?:(?!</tr>).)*</tr>",
                    sm.get("/distribution/").get_data(as_text=True), re.S).group(0)
    assert "<td>7,5</td>" in row
    sm.get("/lang/en")
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{req.number}(?:(?!</tr>).)*</tr>",
                    sm.get("/distribution/").get_data(as_text=True), re.S).group(0)
    assert "<td>7.5</td>" in row


def test_the_queue_is_the_submitted_requests_oldest_first(app, staff):
    from app.distribution import queue_rows
    partner = make_partner()
    first, second = (make_request(partner, Status.SUBMITTED, staff) for _ in range(2))
    make_request(partner, Status.ASSIGNED, staff)
    make_request(partner, Status.DRAFT, staff)
    rows = queue_rows()
    assert [r.id for r in rows] == [first.id, second.id]
    assert rows[0].company == partner.profile.partner_company.name
    assert float(rows[0].hours) == 4.0 and rows[0].number == first.number
    assert [r.id for r in queue_rows(limit=1)] == [first.id]


def test_the_queue_says_what_is_urgent_and_when_it_is_wanted(app, staff):
    """The queue showed no urgency nor wanted date: an urgent request sat last, unnoticed."""
    from datetime import date

    from models.catalog import RULE_URGENCY, PriceRule

    db.session.add_all([PriceRule(kind=RULE_URGENCY, key="normal", label="Обычная"),
                        PriceRule(kind=RULE_URGENCY, key="express", label="Ускоренная",
                                  coefficient=Decimal("1.5"))])
    db.session.commit()
    partner = make_partner()
    plain = make_request(partner, Status.SUBMITTED, staff)
    urgent = make_request(partner, Status.SUBMITTED, staff, urgency="express",
                          wanted_date=date(2099, 12, 8))
    page = as_user(app, staff.supermanager).get("/distribution/").get_data(as_text=True)
    rows = {number: row for row in re.findall(r"<tr>.*?</tr>", page, re.S)
            for number in (plain.number, urgent.number) if number in row}
    assert "<strong>Ускоренная</strong>" in rows[urgent.number]
    assert "08.12.2099" in rows[urgent.number]  # days as every page writes them
    assert re.search(r'data-testid="urgency">Обычная<', rows[plain.number])


def test_a_reversed_window_is_said_once_above_the_engineers(app, staff):
    """"The end must be later than the start" was printed on every engineer's row."""
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    make_user("Engineer")
    start, end = window(days=2)
    html = as_user(app, staff.manager).get(
        f"/desk/{req.id}?start={end.isoformat()}&end={start.isoformat()}").get_data(
        as_text=True)
    assert html.count("Окончание должно быть позже начала.") == 1
    assert re.search(r'data-testid="past-window">Окончание должно быть позже', html)
    assert "data-book=" not in html


def test_a_window_on_a_day_off_is_bookable_with_a_warning(app, staff):
    """Saturday 09:00–18:00 offered "Book" with no word about the day off."""
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    today = datetime.now().date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    start, end = datetime.combine(saturday, time(10)), datetime.combine(saturday, time(13))
    m = as_user(app, staff.manager)
    html = m.get(f"/desk/{req.id}?start={start.isoformat()}&end={end.isoformat()}").get_data(
        as_text=True)
    assert re.search(r'data-testid="off-hours">Окно вне рабочего времени бюро \(09:00–18:00',
                     html)
    assert "data-book=" in html  # still bookable: a visit may be agreed so
    monday = saturday + timedelta(days=2)
    html = m.get(f"/desk/{req.id}?start={datetime.combine(monday, time(10)).isoformat()}"
                 f"&end={datetime.combine(monday, time(13)).isoformat()}").get_data(
        as_text=True)
    assert 'data-testid="off-hours"' not in html


def test_assigning_with_nothing_ticked_says_to_tick_first(app, staff):
    make_request(make_partner(), Status.SUBMITTED, staff)
    sm = as_user(app, staff.supermanager)
    page = post(sm, "/distribution/assign", {"manager_id": str(staff.manager.id)},
                follow=True).get_data(as_text=True)
    assert "Сначала отметьте заявки, которые нужно назначить." in page
    assert "Нечего назначать" not in page


def test_schedule_entries_filter_by_engineer_offering_engineers_only(app, staff):
    """The entries list (hundreds of rows) had no engineer filter."""
    other = make_user("Engineer", username="other_engineer")
    start = datetime(2026, 12, 1, 10)
    for engineer, note in ((staff.engineer, "первый"), (other, "второй")):
        db.session.add(ScheduleEntry(engineer_id=engineer.id, kind="busy", starts_at=start,
                                     ends_at=start + timedelta(hours=1), note=note))
    db.session.commit()
    director = as_user(app, make_user("Director"))
    page = director.get(f"/schedule-entries/list/?_flt_0_engineer={other.id}").get_data(
        as_text=True)
    assert "второй" in page and "первый" not in page
    listing = director.get("/schedule-entries/list/").get_data(as_text=True)
    # the engineer filter's choices (FAB keeps the filters' widgets as JSON in the page)
    offered = re.findall(r'\\u003coption value=\\"(\d+)\\"', listing)
    assert str(other.id) in offered and str(staff.engineer.id) in offered
    assert str(staff.manager.id) not in offered  # managers and partners are no engineers
