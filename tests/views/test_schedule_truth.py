"""The schedule pages tell the truth: a rebooked engineer's grid is empty again, the grid marks
overlaps and over-capacity engineers, suggestions warn about capacity, the engineer sees the
visit time on the request page and in the work list, the admin sets capacities, the settings
page keeps the working hours."""

import re
from datetime import date, datetime, timedelta

import pytest

from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, SUPERMANAGER
from app.settings import get_setting
from models.audit import AuditEvent
from models.partners import UserProfile
from models.request_status import Status
from models.requests import Request
from models.schedule import ScheduleEntry
from tests.factories import (as_user, make_partner, make_request, make_user, post,
                             settings_fields)



def next_week_day(weekday: int, hour: int) -> datetime:
    """That weekday of next week at that hour (a window in the future, a known week)."""
    today = date.today()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    return datetime.combine(monday + timedelta(days=weekday), datetime.min.time()) \
        + timedelta(hours=hour)


def book(client, req, engineer, start, end):
    db.session.refresh(req)
    return post(client, f"/desk/{req.id}/book", {
        "engineer_id": engineer.id, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": end.strftime("%Y-%m-%dT%H:%M"), "version": req.version}, follow=True)


def grid_row(html: str, username: str) -> str:
    match = re.search(rf'<tr data-engineer="{username}">(.*?)</tr>', html, re.S)
    assert match, username
    return match.group(1)


def test_rebooking_in_the_browser_leaves_no_ghost_in_the_grid(app, staff):
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    first, second = staff.engineer, make_user(ENGINEER, username="second")
    manager = as_user(app, staff.manager)
    start = next_week_day(1, 10)
    book(manager, req, first, start, start + timedelta(hours=3))
    week = f"/schedule/?week={start.date().isoformat()}"
    html = manager.get(week).get_data(as_text=True)
    assert req.number in grid_row(html, first.username)
    assert "3 of 40 h" in grid_row(html, first.username).replace(",0", "") or \
        "3 из 40 ч" in grid_row(html, first.username)
    page = book(manager, req, second, start + timedelta(days=1),
                start + timedelta(days=1, hours=3))
    assert "second" in page.get_data(as_text=True) or req.number in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).engineer_id == second.id
    html = manager.get(week).get_data(as_text=True)
    assert req.number not in grid_row(html, first.username)
    assert req.number in grid_row(html, second.username)
    assert re.search(r">0 (of|из) 40", grid_row(html, first.username))
    assert db.session.query(ScheduleEntry).filter_by(request_id=req.id).count() == 1


def test_the_grid_marks_a_conflict_and_over_capacity_in_words(app, staff):
    eng = staff.engineer
    eng.profile.weekly_capacity_hours = 4
    start = next_week_day(0, 12)
    for _ in range(2):  # the old demo's double booking
        db.session.add(ScheduleEntry(engineer_id=eng.id, kind="visit", starts_at=start,
                                     ends_at=start + timedelta(hours=3)))
    calm = make_user(ENGINEER, username="calm")
    db.session.add(ScheduleEntry(engineer_id=calm.id, kind="visit", starts_at=start,
                                 ends_at=start + timedelta(hours=3)))
    db.session.commit()
    html = as_user(app, staff.manager).get(
        f"/schedule/?week={start.date().isoformat()}").get_data(as_text=True)
    mine = grid_row(html, eng.username)
    assert mine.count("data-conflict=") == 2 and 'data-testid="row-conflict"' in mine
    assert re.search(r"(Conflict|Пересечение)", mine)
    assert 'data-testid="over"' in mine  # 6 h of 4
    theirs = grid_row(html, "calm")
    assert "data-conflict=" not in theirs and 'data-testid="over"' not in theirs


def test_suggestions_warn_about_capacity_and_star_no_one_over_it(app, staff):
    req = make_request(make_partner(), Status.ASSIGNED, staff)  # 4 h estimated
    staff.engineer.profile.weekly_capacity_hours = 2  # this request takes him over
    db.session.commit()
    start = next_week_day(2, 10)
    url = f"/desk/{req.id}?start={start.isoformat()}&end={(start + timedelta(hours=4)).isoformat()}"
    manager = as_user(app, staff.manager)
    table = manager.get(url).get_data(as_text=True).split('data-testid="suggestions"')[1]
    assert 'data-testid="over"' in table and "★" not in table
    roomy = make_user(ENGINEER, username="roomy")
    table = manager.get(url).get_data(as_text=True).split('data-testid="suggestions"')[1]
    rows = re.findall(r'data-book="([^"]+)"[^>]*>[^<]*(<span[^>]*>★</span>)?', table)
    assert rows[0] == ("roomy", rows[0][1]) and "★" in rows[0][1]
    assert [name for name, _star in rows] == ["roomy", staff.engineer.username]
    assert roomy.id


def test_the_default_window_follows_the_estimate_and_working_hours(app, staff):
    req = make_request(make_partner(), Status.ASSIGNED, staff)  # 4 h estimated
    html = as_user(app, staff.manager).get(f"/desk/{req.id}").get_data(as_text=True)
    start = re.search(r'name="start" aria-label="[^"]+" value="([^"]+)"', html).group(1)
    end = re.search(r'name="end" aria-label="[^"]+" value="([^"]+)"', html).group(1)
    start, end = datetime.fromisoformat(start), datetime.fromisoformat(end)
    assert (start.hour, start.minute, end - start) == (9, 0, timedelta(hours=4))
    assert start.weekday() < 5 and start.date() > date.today()


def test_the_engineer_sees_the_visit_time_on_the_page_and_in_the_work_list(app, staff):
    req = make_request(make_partner(), Status.SCHEDULED, staff)
    visit = db.session.query(ScheduleEntry).filter_by(request_id=req.id).one_or_none()
    start = next_week_day(3, 14)
    if visit is None:
        visit = ScheduleEntry(engineer_id=staff.engineer.id, request=req, kind="visit")
        db.session.add(visit)
    visit.starts_at, visit.ends_at = start, start + timedelta(hours=2, minutes=30)
    db.session.commit()
    shown = start.strftime("%d.%m.%Y")
    engineer = as_user(app, staff.engineer)
    page = engineer.get(f"/desk/{req.id}").get_data(as_text=True)
    visit_dd = re.search(r'data-testid="visit">(.*?)</dd>', page, re.S).group(1)
    assert shown in visit_dd and "14:00" in visit_dd and "16:30" in visit_dd
    work = engineer.get("/desk/").get_data(as_text=True)
    row = re.search(rf'{req.number}.*?</tr>', work, re.S).group(0)
    cell = re.search(r'data-testid="visit">(.*?)</td>', row, re.S).group(1)
    assert shown in cell and "14:00" in cell and "16:30" in cell
    other = make_request(make_partner(), Status.ASSIGNED, staff)  # no visit: a dash
    manager_list = as_user(app, staff.manager).get("/desk/").get_data(as_text=True)
    row = re.search(rf'{other.number}.*?</tr>', manager_list, re.S).group(0)
    assert re.search(r'data-testid="visit">—</td>', row)


# --- capacity: the admin sets it from the grid ----------------------------------------------

def test_the_admin_sets_an_engineers_weekly_capacity(app, staff):
    admin = as_user(app, make_user(ADMIN))
    week = next_week_day(0, 0).date().isoformat()
    html = admin.get(f"/schedule/?week={week}").get_data(as_text=True)
    assert f'for="capacity-{staff.engineer.id}"' in html  # labelled
    response = post(admin, f"/schedule/capacity/{staff.engineer.id}",
                    {"weekly_capacity_hours": "24", "week": week})
    assert response.status_code == 302 and f"week={week}" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(UserProfile, staff.engineer.id).weekly_capacity_hours == 24
    assert db.session.query(AuditEvent).filter_by(action="weekly_capacity").count() == 1
    for bad in ("-1", "81", "abc", "", "1e3", "2.5"):
        page = post(admin, f"/schedule/capacity/{staff.engineer.id}",
                    {"weekly_capacity_hours": bad, "week": "garbage"}, follow=True)
        assert page.status_code == 200 and "0 to 80" in page.get_data(as_text=True) or \
            "от 0 до 80" in page.get_data(as_text=True)
    assert post(admin, f"/schedule/capacity/{staff.engineer.id}",
                {"weekly_capacity_hours": "\x00"}).status_code == 400  # the input guard
    db.session.expire_all()
    assert db.session.get(UserProfile, staff.engineer.id).weekly_capacity_hours == 24
    assert post(admin, f"/schedule/capacity/{staff.manager.id}",
                {"weekly_capacity_hours": "20"}).status_code == 404
    assert post(admin, "/schedule/capacity/999999",
                {"weekly_capacity_hours": "20"}).status_code == 404


@pytest.mark.parametrize("role", [DIRECTOR, SUPERMANAGER, MANAGER, ENGINEER])
def test_no_one_but_the_admin_sets_capacity(app, staff, role):
    user = staff.engineer if role == ENGINEER else make_user(role)
    client = as_user(app, user)
    response = post(client, f"/schedule/capacity/{staff.engineer.id}",
                    {"weekly_capacity_hours": "1"})
    assert response.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(UserProfile, staff.engineer.id).weekly_capacity_hours == 40
    if role != DIRECTOR:
        html = client.get("/schedule/").get_data(as_text=True)
        assert "weekly_capacity_hours" not in html


def test_anonymous_and_partners_cannot_set_capacity(app, staff):
    anonymous = app.test_client()
    assert post(anonymous, f"/schedule/capacity/{staff.engineer.id}",
                {"weekly_capacity_hours": "1"}).status_code in (302, 403)
    partner = as_user(app, make_partner())
    assert post(partner, f"/schedule/capacity/{staff.engineer.id}",
                {"weekly_capacity_hours": "1"}).status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(UserProfile, staff.engineer.id).weekly_capacity_hours == 40


def test_an_engineer_cannot_see_anothers_request_or_edit_anothers_entry(app, staff):
    req = make_request(make_partner(), Status.SCHEDULED, staff)
    other = as_user(app, make_user(ENGINEER, username="stranger"))
    assert other.get(f"/desk/{req.id}").status_code in (403, 404)
    busy = ScheduleEntry(engineer_id=staff.engineer.id, kind="busy",
                         starts_at=next_week_day(4, 9), ends_at=next_week_day(4, 10))
    db.session.add(busy)
    db.session.commit()
    assert other.get(f"/schedule/entry/{busy.id}").status_code == 404
    assert post(other, f"/schedule/entry/{busy.id}/delete").status_code == 404


# --- working hours on the settings page -----------------------------------------------------



def test_the_settings_page_keeps_the_working_hours(app):
    admin = as_user(app, make_user(ADMIN))
    fields = settings_fields(admin)
    assert (fields["working_hours-start"], fields["working_hours-end"],
            fields["working_hours-days"]) == ("09:00", "18:00", "1, 2, 3, 4, 5")
    for key, bad in (("working_hours-start", "25:00"), ("working_hours-end", "08:00"),
                     ("working_hours-days", "0"), ("working_hours-days", "mon"),
                     ("working_hours-days", "")):
        page = admin.post("/settings/", data={**fields, key: bad}).get_data(as_text=True)
        assert "ничего не сохранено" in page, (key, bad)
    assert get_setting("working_hours") == {"start": "09:00", "end": "18:00",
                                            "days": [0, 1, 2, 3, 4]}
    fields.update({"working_hours-start": " 8:30", "working_hours-end": "17:00",
                   "working_hours-days": "6,1 2"})
    admin.post("/settings/", data=fields)
    assert get_setting("working_hours") == {"start": "08:30", "end": "17:00",
                                            "days": [0, 1, 5]}
