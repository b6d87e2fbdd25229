"""models.day_bounds: per day of a request date, the least and greatest number and creation
time of its requests, kept by the Request hooks; read by the staff list filtered by one date
and sorted by the number or the other date (views.keyset.day_bounded)."""

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_appbuilder.models.sqla.filters import (FilterEqual, FilterGreater, FilterNotEqual,
                                                  FilterSmaller)
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.extensions import db
from app.workflow import transition
from models.day_bounds import TABLE, bound, rebuild
from models.request_status import Status
from models.requests import Request
from tests.factories import make_partner, make_request, statements


def kept() -> dict:
    """{(kind, day): (min number, max number, min created, max created)}"""
    return {(r.kind, r.day): (r.min_number, r.max_number, r.min_created_at, r.max_created_at)
            for r in db.session.execute(TABLE.select())}


def dated(req, created: datetime, submitted: datetime | None = None) -> None:
    req.created_at, req.submitted_at = created, submitted


def test_a_new_request_and_its_submission_widen_their_days(app, staff):
    partner = make_partner()
    req = make_request(partner)
    today = req.created_at.date()
    assert kept() == {("created_at", today): (req.number, req.number, req.created_at,
                                             req.created_at)}
    transition(req, "submit", partner)
    db.session.commit()
    assert kept()[("submitted_at", req.submitted_at.date())] == (
        req.number, req.number, req.created_at, req.created_at)


def test_a_day_keeps_the_least_and_the_greatest_of_its_requests(app, staff):
    partner = make_partner()
    first, second, third = (make_request(partner, Status.SUBMITTED, staff) for _ in range(3))
    today = first.created_at.date()
    dated(second, datetime(2026, 3, 1, 8), datetime(2026, 3, 5, 10))
    dated(first, datetime(2026, 3, 1, 20), datetime(2026, 3, 5, 9))
    dated(third, datetime(2026, 3, 2, 12), datetime(2026, 3, 5, 23))
    db.session.commit()
    bounds = kept()
    assert bounds[("created_at", date(2026, 3, 1))] == (
        first.number, second.number, second.created_at, first.created_at)
    assert bounds[("submitted_at", date(2026, 3, 5))] == (
        first.number, third.number, second.created_at, third.created_at)
    # nothing narrows a day: the requests' first (today's) days still hold their values
    assert rebuild(db.session.connection()) == 3  # the requests' days only, after a rebuild
    rebuilt = kept()
    assert rebuilt == {k: v for k, v in bounds.items() if k in rebuilt}
    assert set(bounds) - set(rebuilt) == {("created_at", today), ("submitted_at", today)}


def test_a_status_move_or_an_edit_writes_no_bounds(app, staff):
    partner = make_partner()
    req = make_request(partner, Status.SUBMITTED, staff)
    with statements() as seen:
        transition(req, "assign", staff.supermanager, manager=staff.manager)
        req.object_address = "Казань, Баумана 1"
        db.session.commit()
    assert not [s for s in seen if "request_day_bounds" in s], seen


def test_the_bound_of_a_period_is_read_from_its_days(app, staff):
    partner = make_partner()
    rows = [make_request(partner, Status.SUBMITTED, staff) for _ in range(4)]
    for req, day in zip(rows, (1, 10, 20, 30)):
        dated(req, datetime(2026, 4, day, 12), datetime(2026, 5, day, 12))
    db.session.commit()
    rebuild(db.session.connection())  # today's days gone: only the dated ones
    numbers = [r.number for r in rows]
    session = db.session
    assert bound(session, "created_at", date(2026, 4, 10), None, "number", False) == numbers[1]
    assert bound(session, "created_at", None, date(2026, 4, 20), "number", True) == numbers[2]
    assert bound(session, "submitted_at", date(2026, 5, 11), date(2026, 5, 30), "created_at",
                 False) == rows[2].created_at
    assert bound(session, "submitted_at", date(2026, 5, 20), date(2026, 5, 20), "number",
                 True) == numbers[2]
    assert bound(session, "created_at", date(2026, 6, 1), None, "number", False) is None
    with pytest.raises(KeyError):
        bound(session, "created_at", None, None, "status", False)
    # a day of two requests: its least for a lower bound, its greatest for an upper one
    rows[3].created_at = datetime(2026, 4, 10, 18)
    db.session.commit()
    assert bound(session, "created_at", date(2026, 4, 10), date(2026, 4, 10), "number",
                 False) == numbers[1]
    assert bound(session, "created_at", date(2026, 4, 10), date(2026, 4, 10), "number",
                 True) == numbers[3]
    assert bound(session, "created_at", date(2026, 4, 10), date(2026, 4, 10), "created_at",
                 True) == rows[3].created_at


class Filters(SimpleNamespace):
    """FAB's joined filters as views.keyset reads them: parallel filters and value lists."""

    def __init__(self, *pairs):
        datamodel = SQLAInterface(Request)
        super().__init__(filters=[kind(column, datamodel) for kind, column, _v in pairs],
                         values=[values for _k, _c, values in pairs])


@pytest.fixture
def april(app, staff):
    partner = make_partner()
    rows = [make_request(partner, Status.SUBMITTED, staff) for _ in range(4)]
    for req, day in zip(rows, (1, 10, 20, 30)):
        dated(req, datetime(2026, 4, day, 12), datetime(2026, 4, day, 12) + timedelta(days=1))
    db.session.commit()
    rebuild(db.session.connection())
    db.session.commit()
    return rows


def edge_of(filters, order):
    """The bound day_bounded put on the query: (operator, value) or None."""
    from views.keyset import day_bounded

    datamodel = SQLAInterface(Request)
    query = db.session.query(Request)
    bounded = day_bounded(query, datamodel, filters, order)
    if bounded is None:
        return None
    where = bounded.whereclause
    assert where.left.key == order[0]
    return where.operator.__name__, where.right.effective_value


def test_the_list_bound_follows_the_filters_period(app, april):
    numbers = [r.number for r in april]
    after_9 = Filters((FilterGreater, "created_at", ["2026-04-09"]))
    assert edge_of(after_9, ("number", "asc")) == ("ge", numbers[1])
    before_21 = Filters((FilterSmaller, "submitted_at", ["2026-04-21"]))
    assert edge_of(before_21, ("number", "desc")) == ("le", numbers[2])
    assert edge_of(before_21, ("created_at", "desc")) == ("le", april[2].created_at)
    on_20 = Filters((FilterEqual, "created_at", ["2026-04-20 12:00"]))
    assert edge_of(on_20, ("number", "asc")) == ("ge", numbers[2])
    # two values of one filter, and two filters: every one holds
    both = Filters((FilterGreater, "created_at", ["2026-04-05", "2026-04-15"]),
                   (FilterSmaller, "created_at", ["2026-04-25"]))
    assert edge_of(both, ("number", "desc")) == ("le", numbers[2])
    assert edge_of(both, ("number", "asc")) == ("ge", numbers[2])
    two_dates = Filters((FilterGreater, "created_at", ["2026-04-05"]),
                        (FilterGreater, "submitted_at", ["2026-04-15"]))
    assert edge_of(two_dates, ("number", "asc")) == ("ge", numbers[2])  # the tighter
    two_before = Filters((FilterSmaller, "created_at", ["2026-04-25"]),
                         (FilterSmaller, "submitted_at", ["2026-04-15"]))
    assert edge_of(two_before, ("number", "desc")) == ("le", numbers[1])  # the tighter
    # a day wider at each end: a moment just past midnight in another zone's offset is the
    # day before in UTC, and its requests stay inside the bound
    late_on_9th = Filters((FilterGreater, "created_at", ["2026-04-10T01:00:00+03:00"]))
    assert edge_of(late_on_9th, ("number", "asc")) == ("ge", numbers[1])
    a_day_after = Filters((FilterGreater, "created_at", ["2026-04-11"]))
    assert edge_of(a_day_after, ("number", "asc")) == ("ge", numbers[1])  # 10th: kept
    two_days_after = Filters((FilterGreater, "created_at", ["2026-04-12"]))
    assert edge_of(two_days_after, ("number", "asc")) == ("ge", numbers[2])
    a_day_before = Filters((FilterSmaller, "created_at", ["2026-04-19"]))
    assert edge_of(a_day_before, ("number", "desc")) == ("le", numbers[2])  # 20th: kept
    two_days_before = Filters((FilterSmaller, "created_at", ["2026-04-18"]))
    assert edge_of(two_days_before, ("number", "desc")) == ("le", numbers[1])


def test_no_bound_where_the_filters_name_no_kept_period(app, april):
    after_9 = Filters((FilterGreater, "created_at", ["2026-04-09"]))
    assert edge_of(after_9, ("created_at", "asc")) is None  # the date's own index
    assert edge_of(after_9, ("status", "asc")) is None  # no bounds kept for it
    assert edge_of(Filters((FilterNotEqual, "created_at", ["2026-04-09"])),
                   ("number", "asc")) is None
    assert edge_of(Filters((FilterGreater, "created_at", ["not a date"])),
                   ("number", "asc")) is None  # FAB ignores the value: so does the bound
    assert edge_of(Filters((FilterGreater, "area", ["10"])), ("number", "asc")) is None
    # an empty period: None, and the list reads it as before (views.keyset.bounded)
    assert edge_of(Filters((FilterGreater, "created_at", ["2027-01-01"])),
                   ("number", "asc")) is None
