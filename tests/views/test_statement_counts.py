"""SQL statements per main page (issue 14): a fixed number, whatever the data holds.

Each page is opened on a small dataset, then again after more requests (with other staff,
messages, visits) were added: the count must not grow (no query a row: eager loading) and
must stay within the page's budget. The goal is 10 statements a page; BUDGET records where
each page stands without Redis (the ones above 10 carry the shared per-page reads: FAB's
permissions, the text overrides, the bureau's settings, the catalogue's fields, checklist and
approval steps; the user's roles, session epoch and unread count come in one statement).
With Redis those come from the per-process cache: test_shared_cache.CACHED, every page at
most 10 statements.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.messages import post_staff_message
from app.scheduling import week_of
from models.notifications import Notification
from models.request_status import Status
from models.schedule import ENTRY_VISIT, ScheduleEntry
from tests.factories import statements, Staff, as_user, make_request, make_user

GOAL = 10
# page -> statements allowed (the goal, or where the page stands today when above it)
BUDGET = {
    "/cabinet/": 8, "/cabinet/requests": 6, "/cabinet/requests?q=Tverskaya": 6,
    "cabinet detail": 11, "/desk/": 12, "desk detail": 19, "desk ready": 19,
    "desk at work": 19, "/requests/list/": 10,
    "/requests/list/?_flt_0_field_values=Tverskaya": 10, "/distribution/": 8,
    "/schedule/": 5, "/dashboard/": 15,
}


def add_requests(partner, staff: Staff, count: int) -> list:
    """Requests in several statuses with a staff message each and a visit this week."""
    made = []
    monday, _sunday = week_of(datetime.now())
    for k in range(count):
        req = make_request(partner, Status.SCHEDULED if k % 2 else Status.SUBMITTED, staff)
        if req.status == Status.SCHEDULED:
            post_staff_message(staff.manager, req, f"Message {k}")
            starts = monday + timedelta(days=k % 5, hours=9 + k % 6)
            db.session.add(ScheduleEntry(engineer_id=staff.engineer.id, request_id=req.id,
                                         kind=ENTRY_VISIT, starts_at=starts,
                                         ends_at=starts + timedelta(hours=1)))
        made.append(req)
    db.session.commit()
    return made


def counts(clients: dict, pages: dict) -> dict[str, int]:
    found = {}
    for name, (who, url) in pages.items():
        db.session.expire_all()  # as a fresh request finds it: nothing loaded yet
        with statements() as seen:
            answer = clients[who].get(url)
        assert answer.status_code == 200, (name, answer.status_code)
        found[name] = len(seen)
    return found


@pytest.fixture
def site(app, partner):
    staff = Staff()
    first = add_requests(partner, staff, 2)
    users = {"partner": partner, "manager": staff.manager, "engineer": staff.engineer,
             "supermanager": staff.supermanager, "director": make_user("Director")}
    clients = {who: as_user(app, user) for who, user in users.items()}
    scheduled = next(r for r in first if r.status == Status.SCHEDULED)
    pages = {url: (who, url) for who, url in (
        ("partner", "/cabinet/"), ("partner", "/cabinet/requests"),
        ("partner", "/cabinet/requests?q=Tverskaya"), ("manager", "/desk/"),
        ("supermanager", "/requests/list/"),
        ("supermanager", "/requests/list/?_flt_0_field_values=Tverskaya"),
        ("supermanager", "/distribution/"), ("supermanager", "/schedule/"),
        ("director", "/dashboard/"))}
    pages["cabinet detail"] = ("partner", f"/cabinet/requests/{scheduled.id}")
    pages["desk detail"] = ("manager", f"/desk/{scheduled.id}")
    # moves waiting for the request (app.workflow Effect.waiting): delivery, the review
    ready = make_request(partner, Status.READY, staff)
    working = make_request(partner, Status.IN_PROGRESS, staff)
    pages["desk ready"] = ("manager", f"/desk/{ready.id}")
    pages["desk at work"] = ("engineer", f"/desk/{working.id}")
    # nothing left to read on the pages measured: opening a request reads its notifications
    # with a commit, and a commit between two rounds starts the next page's transaction
    # afresh here (PostgreSQL: its SET LOCAL counted in one round and not in the other)
    db.session.query(Notification).update({Notification.is_read: True})
    db.session.commit()
    return {"partner": partner, "staff": staff, "clients": clients, "pages": pages}


def test_statements_per_page_do_not_grow_with_the_data(site):
    clients, pages = site["clients"], site["pages"]
    counts(clients, pages)  # warm: caches filled once per process are not the page's cost
    few = counts(clients, pages)
    add_requests(site["partner"], site["staff"], 6)
    add_requests(site["partner"], Staff(), 4)  # other managers and engineers on the rows
    counts(clients, pages)  # warm again: new rows move the stamp of the filters' selects
    many = counts(clients, pages)
    assert many == few, {k: (few[k], many[k]) for k in few if few[k] != many[k]}
    over = {name: n for name, n in many.items() if n > BUDGET[name]}
    assert not over, over


def test_budgets_are_at_most_the_goal_where_reached():
    """A budget above the goal is a known gap (listed in docs/benchmarks.md), never a
    silent new one: the pages at the goal stay at it."""
    at_goal = {"/cabinet/", "/cabinet/requests", "/cabinet/requests?q=Tverskaya",
               "/schedule/", "/distribution/"}
    assert all(BUDGET[name] <= GOAL for name in at_goal)
