"""The week schedule page a page of engineers at a time (issue 14): name filter, "with visits"
and "with free time", a pager, the selected engineer kept across weeks and pages, a fixed
number of statements whatever the staff and visits; an engineer sees only himself."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, SUPERMANAGER
from app.week_schedule import PAGE_SIZE
from models.partners import UserProfile
from models.request_status import Status
from models.schedule import ScheduleEntry
from views.schedule import monday_of
from tests.factories import (Staff, as_user, make_partner, make_request, make_user, post,
                             statements)

MONDAY = date.today() - timedelta(days=date.today().weekday()) + timedelta(days=7)
WEEK = f"/schedule/?week={MONDAY.isoformat()}"


def at(day: int, hour: int) -> datetime:
    return datetime.combine(MONDAY + timedelta(days=day), datetime.min.time()) \
        + timedelta(hours=hour)


def named(user, first: str, last: str = "Test"):
    user.first_name, user.last_name = first, last
    db.session.commit()
    return user


def engineers(count: int, prefix: str = "Eng") -> list:
    """`count` engineers named prefix00, prefix01, … (the page's order)."""
    return [named(make_user(ENGINEER, username=f"{prefix.lower()}{k:02d}"), f"{prefix}{k:02d}")
            for k in range(count)]


def add_entry(engineer, day: int, hour: int, hours: int = 2, kind: str = "visit",
              request=None) -> ScheduleEntry:
    entry = ScheduleEntry(engineer_id=engineer.id, kind=kind, starts_at=at(day, hour),
                          ends_at=at(day, hour) + timedelta(hours=hours), request=request)
    db.session.add(entry)
    return entry


def shown(html: str) -> list[str]:
    """The usernames of the grid's rows, in order."""
    return re.findall(r'<tr data-engineer="([^"]+)">', html)


def row_of(html: str, username: str) -> str:
    return re.search(rf'<tr data-engineer="{username}">(.*?)</tr>', html, re.S).group(1)


def hrefs(html: str, testid: str) -> list[str]:
    """The links in (or of) the element with that data-testid."""
    block = re.search(rf'<(nav|a)\b[^>]*data-testid="{testid}".*?</\1>', html, re.S).group(0)
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', block)]


def args_of(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# --- statements ------------------------------------------------------------------------------

def page_statements(client, url: str) -> int:
    db.session.expire_all()
    with statements() as seen:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return len(seen)


URLS = (WEEK, WEEK + "&q=eng", WEEK + "&only=visits", WEEK + "&only=free", WEEK + "&page=2")


def test_statements_do_not_grow_with_engineers_or_visits(app, partner):
    staff = Staff()
    few = engineers(3)
    requests = [make_request(partner, Status.SUBMITTED, staff) for _ in range(2)]
    for k in range(5):
        add_entry(few[k % 3], k % 5, 9 + k % 4, request=requests[k % 2] if k < 2 else None)
    add_entry(few[0], 1, 14, kind="busy")
    add_entry(few[1], 2, 0, hours=30, kind="vacation")
    db.session.commit()
    boss = as_user(app, staff.supermanager)
    mine = as_user(app, staff.engineer)
    for url in URLS:  # warm: per-process caches are not the page's cost
        boss.get(url)
    mine.get(WEEK)
    before = {url: page_statements(boss, url) for url in URLS}
    before["engineer"] = page_statements(mine, WEEK)

    many = engineers(27, "More")
    more_requests = [make_request(partner, Status.SUBMITTED, staff) for _ in range(10)]
    for k in range(95):
        add_entry(many[k % 27], k % 7, 8 + k % 10, hours=1,
                  request=more_requests[k % 10] if k < 10 else None)
    for k, engineer in enumerate(many[:6]):
        add_entry(engineer, k % 5, 19, kind="busy" if k % 2 else "vacation")
    for k in range(20):
        add_entry(staff.engineer, k % 7, k % 20, hours=1, kind="work" if k % 2 else "busy")
    db.session.commit()
    after = {url: page_statements(boss, url) for url in URLS}
    after["engineer"] = page_statements(mine, WEEK)
    assert after == before
    assert max(after.values()) <= 10, after


# --- paging, filters and the selected engineer --------------------------------------------------

def build_crowd() -> dict:
    staff = Staff()
    people = engineers(25)
    return {"staff": {who: getattr(staff, who).id
                      for who in ("supermanager", "manager", "engineer")},
            "people": [p.id for p in people]}


@pytest.fixture
def crowd(app, snapshot):
    """25 engineers besides the staff's one: two pages (built once per run,
    conftest.snapshot)."""
    ids = snapshot("week-crowd", build_crowd)
    staff = SimpleNamespace(**{who: db.session.get(User, i) for who, i in ids["staff"].items()})
    people = [db.session.get(User, i) for i in ids["people"]]
    return {"people": people, "staff": staff, "boss": as_user(app, staff.supermanager)}


def test_twenty_engineers_a_page_and_a_pager_that_keeps_the_filters(crowd):
    boss, people = crowd["boss"], crowd["people"]
    html = boss.get(WEEK).get_data(as_text=True)
    first = shown(html)
    assert len(first) == PAGE_SIZE and first[:2] == ["eng00", "eng01"]
    assert re.search(r"1–20 (of|из) 26", html)
    assert hrefs(html, "week-pager-top") == hrefs(html, "week-pager-bottom")
    links = hrefs(html, "week-pager-top")
    assert any(args_of(link) == {"week": MONDAY.isoformat(), "page": "2"} for link in links)
    second = shown(boss.get(WEEK + "&page=2").get_data(as_text=True))
    assert len(second) == 26 - PAGE_SIZE and not set(first) & set(second)
    assert shown(boss.get(WEEK + "&page=99").get_data(as_text=True)) == second  # the last
    html = boss.get(WEEK + "&q=Eng2&page=1").get_data(as_text=True)
    assert shown(html) == [f"eng{k}" for k in range(20, 25)]
    week_links = [hrefs(html, "prev-week")[0], hrefs(html, "next-week")[0]]
    assert all(args_of(link)["q"] == "Eng2" for link in week_links)
    assert people


def test_the_name_filter_takes_text_literally(crowd):
    boss = crowd["boss"]
    named(make_user(ENGINEER, username="percent"), "Ann%", "Lee_")
    assert shown(boss.get(WEEK + "&q=%25").get_data(as_text=True)) == ["percent"]
    assert shown(boss.get(WEEK + "&q=_").get_data(as_text=True)) == ["percent"]
    assert shown(boss.get(WEEK + "&q=eng07").get_data(as_text=True)) == ["eng07"]  # username
    html = boss.get(WEEK + "&q=nobody").get_data(as_text=True)
    assert shown(html) == [] and ("No engineers match" in html or "Нет инженеров" in html)


def test_the_selected_engineer_opens_his_page_and_stays_across_weeks(crowd):
    boss, people = crowd["boss"], crowd["people"]
    target = people[22]  # second page
    html = boss.get(WEEK + f"&engineer={target.id}").get_data(as_text=True)
    assert target.username in shown(html) and len(shown(html)) == 6
    selected = re.search(r'<th[^>]*data-testid="selected"[^>]*>', html).group(0)
    assert f'id="engineer-{target.id}"' in selected
    following = hrefs(html, "next-week")[0]
    assert args_of(following)["engineer"] == str(target.id) and "page" not in args_of(following)
    assert following.endswith(f"#engineer-{target.id}")
    html = boss.get(following.split("#")[0]).get_data(as_text=True)
    assert target.username in shown(html) and 'data-testid="selected"' in html
    # paging away keeps him selected (highlighted when his page comes back)
    html = boss.get(WEEK + f"&engineer={target.id}&page=1").get_data(as_text=True)
    assert target.username not in shown(html) and len(shown(html)) == PAGE_SIZE
    back = [link for link in hrefs(html, "week-pager-top") if args_of(link).get("page") == "2"]
    assert back and args_of(back[0])["engineer"] == str(target.id)
    # filtered out: said so, the list as the filter gives it
    html = boss.get(WEEK + f"&engineer={target.id}&q=eng01").get_data(as_text=True)
    assert shown(html) == ["eng01"] and ("not on this list" in html or "нет в этом списке" in html)


def test_with_visits_and_with_free_time(app, crowd):
    boss, people = crowd["boss"], crowd["people"]
    busy, away, calm = people[0], people[1], people[2]
    for day in range(5):
        add_entry(busy, day, 9, hours=8)  # 40 h of 40: no room left
    add_entry(away, 0, 0, hours=24 * 7 - 1, kind="vacation")  # no capacity this week
    add_entry(calm, 2, 10)
    add_entry(people[3], 0, 9, hours=3, kind="work")  # booked, not a visit
    add_entry(people[4], -7, 9)  # last week's
    db.session.commit()
    visits = shown(boss.get(WEEK + "&only=visits").get_data(as_text=True))
    assert visits == ["eng00", "eng02"]
    free = shown(boss.get(WEEK + "&only=free&page=2").get_data(as_text=True)) + \
        shown(boss.get(WEEK + "&only=free").get_data(as_text=True))
    assert "eng00" not in free and "eng01" not in free and "eng02" in free
    assert len(free) == 26 - 2
    # a visit that began before Monday and runs into the week counts for the week; a vacation
    # of three weeks that began long before it fills its first days
    add_entry(people[5], -1, 20, hours=14)
    add_entry(people[6], -20, 0, hours=22 * 24, kind="vacation")
    db.session.commit()
    html = boss.get(WEEK).get_data(as_text=True)
    assert "eng05" in shown(boss.get(WEEK + "&only=visits").get_data(as_text=True))
    cells = re.findall(r"<td>(.*?)</td>", row_of(html, "eng06"), re.S)[:7]
    assert [bool(re.search(r"vacation", cell)) for cell in cells] == [True, True] + [False] * 5


def test_the_admin_capacity_form_returns_to_the_engineer_with_the_filters(app, crowd):
    admin = as_user(app, make_user(ADMIN))
    target = crowd["people"][21]
    html = admin.get(WEEK + "&q=eng&page=2").get_data(as_text=True)
    assert f'for="capacity-{target.id}"' in html
    answer = post(admin, f"/schedule/capacity/{target.id}",
                  {"weekly_capacity_hours": "30", "week": MONDAY.isoformat(), "q": "eng"})
    assert answer.status_code == 302
    assert args_of(answer.headers["Location"]) == {"week": MONDAY.isoformat(), "q": "eng",
                                                   "engineer": str(target.id)}
    assert db.session.get(UserProfile, target.id).weekly_capacity_hours == 30
    # the form shows the saved capacity (it showed 40 whatever was saved)
    html = admin.get(WEEK + f"&q=eng&engineer={target.id}").get_data(as_text=True)
    assert re.search(rf'id="capacity-{target.id}" name="weekly_capacity_hours" value="30"', html)
    assert re.search(r'name="weekly_capacity_hours" value="40"', html)  # the others' default


# --- access ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [ADMIN, DIRECTOR, SUPERMANAGER, MANAGER])
def test_planning_roles_see_every_engineer(app, crowd, role):
    client = as_user(app, make_user(role))
    html = client.get(WEEK).get_data(as_text=True)
    assert len(shown(html)) == PAGE_SIZE and 'data-testid="week-pager-top"' in html
    assert 'data-testid="week-filter"' in html


def test_an_engineer_sees_only_himself_whatever_he_asks(app, crowd, partner):
    me = crowd["staff"].engineer
    other = crowd["people"][0]
    req = make_request(partner, Status.SUBMITTED, crowd["staff"])
    add_entry(other, 1, 9, request=req)
    add_entry(me, 2, 9, hours=3, kind="busy")
    db.session.commit()
    client = as_user(app, me)
    for query in ("", f"&engineer={other.id}", "&page=2", "&q=eng00", "&only=visits",
                  "&only=free"):
        html = client.get(WEEK + query).get_data(as_text=True)
        assert shown(html) == [me.username], query
        assert req.number not in html and 'data-testid="week-pager-top"' not in html
        assert 'data-testid="week-filter"' not in html
    assert re.search(r">3 (h|ч)<", html)  # his own busy time is there


def test_partners_and_anonymous_get_no_week(app, crowd):
    partner = as_user(app, make_partner())
    assert partner.get(WEEK).status_code in (302, 403)
    anonymous = app.test_client().get(WEEK)
    assert anonymous.status_code == 302 and "login" in anonymous.headers["Location"]


# --- the desk opens the week at an engineer ---------------------------------------------------

def test_the_booking_suggestions_open_the_week_at_the_engineer(app, crowd, partner):
    staff = crowd["staff"]
    req = make_request(partner, Status.ASSIGNED, staff)
    start = at(2, 10)
    manager = as_user(app, staff.manager)
    html = manager.get(f"/desk/{req.id}?start={start.isoformat()}"
                       f"&end={(start + timedelta(hours=4)).isoformat()}").get_data(as_text=True)
    table = html.split('data-testid="suggestions"')[1].split("</table>")[0]
    target = crowd["people"][23]
    link = next(h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', table)
                if f"engineer={target.id}" in h)
    assert set(args_of(link)) == {"week", "engineer"} and args_of(link)["engineer"] == \
        str(target.id) and monday_of(args_of(link)["week"]) == MONDAY
    week = manager.get(link.split("#")[0]).get_data(as_text=True)
    assert target.username in shown(week) and 'data-testid="selected"' in week


def test_garbage_in_the_query_string_is_left_out(crowd):
    boss = crowd["boss"]
    for query in ("&page=-1", "&page=0", "&page=abc", "&page=99999999999", "&engineer=x",
                  "&engineer=99999999999", "&only=everything", "&q=" + "я" * 500,
                  "&week=0001-01-01", "&q=%25%5F%5C"):
        answer = boss.get(WEEK + query)
        assert answer.status_code == 200, query
        assert len(shown(answer.get_data(as_text=True))) in (0, PAGE_SIZE), query
    assert boss.get(WEEK + "&q=a%00b").status_code == 400  # the input guard: no NUL to SQL


# --- another manager's visits -----------------------------------------------------------------

def test_a_manager_sees_other_managers_visits_without_a_number_that_opens_nothing(app):
    """A visit of a request the viewer may not open shows its time and kind only (it linked
    to a desk page that answers 404); the request's own manager, the supermanager and the
    engineer himself see its number and link."""
    mine, theirs = Staff(), Staff()
    theirs.engineer = mine.engineer  # one engineer, two managers' requests
    partner = make_partner()
    own = make_request(partner, Status.ASSIGNED, mine)
    other = make_request(partner, Status.ASSIGNED, theirs)
    own.engineer_id = other.engineer_id = mine.engineer.id  # his visits for both
    add_entry(mine.engineer, 1, 9, request=own)
    add_entry(mine.engineer, 2, 9, request=other)
    db.session.commit()

    def row(user) -> str:
        html = as_user(app, user).get(WEEK).get_data(as_text=True)
        return row_of(html, mine.engineer.username)

    manager_row = row(mine.manager)
    assert f'href="/desk/{own.id}"' in manager_row and own.number in manager_row
    assert f"/desk/{other.id}" not in manager_row and other.number not in manager_row
    assert manager_row.count('class="replan-entry visit"') == 2  # the time is still shown
    assert "11:00" in manager_row.split(own.number, 1)[1]  # the other visit's times
    for user in (theirs.manager,):
        theirs_row = row(user)
        assert f'href="/desk/{other.id}"' in theirs_row and own.number not in theirs_row
    for user in (mine.supermanager, mine.engineer):
        both = row(user)
        assert own.number in both and other.number in both
    # and the page it used to link to is indeed closed to him
    assert as_user(app, mine.manager).get(f"/desk/{other.id}").status_code == 404


@pytest.mark.parametrize("lang, all_day", [("ru", "весь день"), ("en", "all day")])
def test_whole_days_away_read_all_day_and_the_availability_form_has_labels(app, lang, all_day):
    """A vacation from midnight to midnight showed “00:00–00:00” in each of its days; the
    engineer's availability form showed two date-time boxes nobody could tell apart at
    375 px (labels for screen readers only)."""
    staff = Staff()
    add_entry(staff.engineer, 1, 0, hours=48, kind="vacation")  # Tuesday and Wednesday
    add_entry(staff.engineer, 3, 9, hours=2, kind="busy")
    db.session.commit()
    client = as_user(app, staff.engineer)
    client.get(f"/lang/{lang}")
    html = client.get(WEEK).get_data(as_text=True)
    row = row_of(html, staff.engineer.username)
    assert row.count(all_day) == 2 and "00:00–00:00" not in row
    assert "09:00–11:00" in row  # a part of a day keeps its times
    form = html.split('action="/schedule/entry"', 1)[1].split("</form>", 1)[0]
    labels = dict(re.findall(r'<label class="control-label" for="([a-z_]+)">([^<]+)</label>',
                             form))
    assert labels == ({"kind": "Вид", "starts_at": "Начало", "ends_at": "Окончание",
                       "note": "Примечание"} if lang == "ru" else
                      {"kind": "Kind", "starts_at": "Start", "ends_at": "End", "note": "Note"})


def test_the_default_week_is_the_bureaus(app, monkeypatch):
    """Sunday 29.11.2026 22:30 UTC is already Monday 30.11 01:30 in Moscow (the bureau's
    zone): the week page opens on the week of 30.11, not the server's week of 23.11."""
    import app.timefmt as timefmt

    monkeypatch.setattr(timefmt, "utcnow", lambda: datetime(2026, 11, 29, 22, 30))
    assert monday_of(None) == monday_of("garbage") == date(2026, 11, 30)
    assert monday_of("2026-11-29") == date(2026, 11, 23)  # an asked day stays as asked
