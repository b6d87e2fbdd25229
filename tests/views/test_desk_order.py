"""The desk's work list read as merged index ranges (views.desk_queries._ordered_page) gives
exactly the order of sorting every open request in scope: overdue first, then the status's
priority, then oldest first — on every page, for each role, with a status filter, with
per-status and per-service SLA thresholds (a service rule makes newer rows overdue too), and
with a text search: its few matches sorted whole (_sorted_page) or, when many, the ranges."""

import random
from datetime import timedelta

import pytest

import views.desk_queries as desk_queries
from app.access import request_scope
from app.extensions import db
from app.settings import get_setting, set_setting
from app.sla import overdue_clause
from models.base import utcnow
from models.request_status import OPEN_STATUSES, Status
from models.requests import Request
from models.texts import ServiceSla
from tests.factories import Staff, make_partner, make_request, make_service


@pytest.fixture
def world(snapshot):
    def build():
        rng = random.Random(7)
        team, other = Staff(), Staff()
        partner = make_partner()
        quick = make_service("quick", per_m2_rub=0)
        statuses = [s for s in OPEN_STATUSES]
        for k in range(36):
            req = make_request(partner, rng.choice(statuses), team if k % 3 else other,
                               object_address=f"Moscow, Street {k // 4 % 2}")
            if k % 4 == 0:  # a second service with its own, tighter threshold
                req.lines[0].service_id = quick.id
            req.status_changed_at = utcnow() - timedelta(minutes=rng.randint(0, 600))
        db.session.add_all([ServiceSla(service_id=quick.id, status=s.value, minutes=15)
                            for s in (Status.ASSIGNED, Status.SCHEDULED, Status.ON_REVIEW)])
        set_setting("sla_minutes", {**get_setting("sla_minutes"), "assigned": 240,
                                    "on_review": 120, "submitted": 60})
        db.session.commit()
        return {"users": {"supermanager": team.supermanager.id, "manager": team.manager.id,
                          "engineer": team.engineer.id}}
    return snapshot("desk-order", build)


def reference(user, priority, status=None, text=None) -> list[int]:
    """Every open request in scope sorted in Python by the list's keys."""
    now_overdue = {rid for (rid,) in db.session.query(Request.id).filter(overdue_clause(utcnow()))}
    rows = db.session.query(Request).filter(request_scope(user),
                                            Request.status.in_(OPEN_STATUSES)).all()
    if status:
        rows = [r for r in rows if r.status == status]
    if text:
        rows = [r for r in rows if text.lower() in r.object_address.lower()]
    return [r.id for r in sorted(rows, key=lambda r: (r.id not in now_overdue,
                                                      priority.get(Status(r.status), 9),
                                                      r.status_changed_at, r.id))]


@pytest.mark.parametrize("who", ["supermanager", "manager", "engineer"])
@pytest.mark.parametrize("status", [None, "assigned", "closed"])
@pytest.mark.parametrize("search", [None, "street 1", "many street 1"])
def test_every_page_is_the_full_sort(app, world, monkeypatch, who, status, search):
    """"many": the search's matches count as too many to sort whole (the ranges again)."""
    from flask_appbuilder.security.sqla.models import User
    user = db.session.get(User, world["users"][who])
    monkeypatch.setattr(desk_queries, "LIST_LIMIT", 4)
    text = search and search.removeprefix("many ")
    if search and search.startswith("many"):
        monkeypatch.setattr(desk_queries, "FEW_MATCHES", 2)
    sorted_whole, ranges = (spied(monkeypatch, name) for name in ("_sorted_page",
                                                                  "_ordered_page"))
    priority = desk_queries.ENGINEER_PRIORITY if who == "engineer" \
        else desk_queries.MANAGER_PRIORITY
    expected = reference(user, priority, status, text)
    assert status is not None or len(expected) > 4  # several pages
    seen, page = [], 0
    with app.test_request_context("/"):
        while True:
            rows, overdue, _answered, more = desk_queries.work_list(user, status, text,
                                                                    page=page)
            seen += [r.id for r in rows]
            assert overdue == {r.id for r in rows} & {
                rid for (rid,) in db.session.query(Request.id).filter(
                    overdue_clause(utcnow()))}
            if not more:
                break
            page += 1
    assert seen == expected
    if search:  # which way the pages were read: sorted whole when the matches are few
        few = len(expected) <= desk_queries.FEW_MATCHES
        assert (sorted_whole.calls, ranges.calls) == ((page + 1, 0) if few else (0, page + 1))
        assert few != search.startswith("many") or not expected


def spied(monkeypatch, name: str):
    """desk_queries.`name` counting its calls (`.calls`)."""
    real = getattr(desk_queries, name)

    def counting(*args, **kwargs):
        counting.calls += 1
        return real(*args, **kwargs)
    counting.calls = 0
    monkeypatch.setattr(desk_queries, name, counting)
    return counting


@pytest.mark.parametrize("few", [5_000, 0])  # the matches sorted whole / walked range by range
@pytest.mark.parametrize("text", ["%", "_", "\\", "'; --", "STREET 1", "street\u00a01", "ул. 1"])
def test_a_search_with_wildcards_or_quotes_finds_them_literally(app, world, monkeypatch,
                                                                few, text):
    """The desk's search takes the text literally on both ways of reading it (LIKE's
    wildcards and escapes, quotes, any case): exactly the rows whose address holds it."""
    from flask_appbuilder.security.sqla.models import User
    user = db.session.get(User, world["users"]["supermanager"])
    monkeypatch.setattr(desk_queries, "FEW_MATCHES", few)
    with app.test_request_context("/"):
        rows, _overdue, _answered, _more = desk_queries.work_list(user, None, text)
    expected = reference(user, desk_queries.MANAGER_PRIORITY, None, text)[:desk_queries.LIST_LIMIT]
    assert [r.id for r in rows] == expected
    assert bool(expected) == (text.lower() == "street 1")
