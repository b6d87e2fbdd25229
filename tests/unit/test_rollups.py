"""Daily rollups of the status history (app.rollups): the flush hook, the rebuild and the
dashboard's average hours in status read from them, against the direct window query."""

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.rollups import rebuild
from app.timefmt import day_bounds_utc
from app.workflow import transition
from models.request_status import Status
from models.requests import StatusChange
from models.rollups import StatusDayRollup
from reports import queries
from tests.factories import make_request

STATUSES = ["submitted", "assigned", "in_work", "on_review", "rework", "delivered"]


def rollup_rows():
    rows = db.session.execute(select(StatusDayRollup.entered_day, StatusDayRollup.left_day,
                                     StatusDayRollup.status, StatusDayRollup.seconds,
                                     StatusDayRollup.pairs)).all()
    return {(e, left, s): (round(sec, 3), n) for e, left, s, sec, n in rows}


def generated_history(partner, requests=12, seed=14):
    """Requests with random moves over two months (ids in time order, some moves keep the
    status, many near the bureau's midnight), written through the ORM in two flushes."""
    rng = random.Random(seed)
    first = datetime(2026, 3, 1, 20, 30)  # 23:30 in Moscow: days turn during histories
    reqs = [make_request(partner) for _ in range(requests)]
    moments = {req.id: first + timedelta(hours=rng.randint(0, 200)) for req in reqs}
    for batch in range(2):
        for _ in range(25 * requests):
            req = rng.choice(reqs)
            moments[req.id] += timedelta(hours=rng.choice([1, 3, 7, 22, 49]),
                                         minutes=rng.randint(0, 59))
            db.session.add(StatusChange(request_id=req.id, action="x",
                                        to_status=rng.choice(STATUSES),
                                        created_at=moments[req.id]))
        db.session.flush()
    db.session.commit()


PERIODS = [(date(2026, 3, 1), date(2026, 3, 10)), (date(2026, 3, 5), date(2026, 3, 6)),
           (date(2026, 3, 8), date(2026, 4, 20)), (date(2026, 2, 1), date(2026, 9, 1)),
           (date(2026, 3, 20), date(2026, 3, 20)), (date(2027, 1, 1), date(2027, 2, 1))]


@pytest.mark.parametrize("start,end", PERIODS)
def test_rollup_figure_equals_the_direct_window_query(app, partner, start, end):
    generated_history(partner)
    direct = queries.average_hours_in_status_from_history(start, end)
    rolled = queries.average_hours_in_status(start, end)
    assert list(rolled) == list(direct)
    for status, hours in direct.items():
        assert rolled[status] == pytest.approx(hours, abs=0.051), status
    if start == date(2026, 3, 1):
        assert len(direct) >= 4  # the history really has pairs in that period


def test_the_period_edge_cuts_pairs_by_local_day(app, partner):
    """A pair entered before the period's first local day, or left after its last, is not
    counted; days are the bureau's (Moscow) days, not UTC's."""
    req = make_request(partner)
    lo, _hi = day_bounds_utc(date(2026, 5, 2), date(2026, 5, 2))  # 2026-05-01 21:00 UTC
    for minutes, status in [(-30, "assigned"), (30, "in_work"), (90, "on_review"),
                            (24 * 60 + 30, "delivered")]:
        db.session.add(StatusChange(request_id=req.id, action="x", to_status=status,
                                    created_at=lo + timedelta(minutes=minutes)))
    db.session.commit()
    day = date(2026, 5, 2)
    assert queries.average_hours_in_status(day, day) == {"in_work": 1.0}
    assert queries.average_hours_in_status_from_history(day, day) == {"in_work": 1.0}
    assert queries.average_hours_in_status(date(2026, 5, 1), date(2026, 5, 3)) == {
        "assigned": 1.0, "in_work": 1.0, "on_review": 23.0}


def test_rebuild_recomputes_exactly_what_the_hook_wrote(app, partner):
    generated_history(partner, requests=6, seed=3)
    written = rollup_rows()
    assert written and sum(n for _sec, n in written.values()) > 100
    db.session.query(StatusDayRollup).delete()
    db.session.commit()
    assert rollup_rows() == {}
    assert rebuild(db.session.connection()) == len(written)
    db.session.commit()
    assert rollup_rows() == written


def test_rebuild_counts_days_in_the_given_zone(app, partner):
    req = make_request(partner)
    moment = datetime(2026, 6, 10, 22, 0)  # 01:00 on 11 June in Moscow, 10 June in UTC
    for hours, status in [(0, "assigned"), (2, "in_work")]:
        db.session.add(StatusChange(request_id=req.id, action="x", to_status=status,
                                    created_at=moment + timedelta(hours=hours)))
    db.session.commit()
    key = (date(2026, 6, 11), date(2026, 6, 11), "assigned")
    assert rollup_rows()[key] == (7200.0, 1)
    rebuild(db.session.connection(), "UTC")
    assert rollup_rows()[(date(2026, 6, 10), date(2026, 6, 11), "assigned")] == (7200.0, 1)
    assert key not in rollup_rows()
    db.session.rollback()


def test_a_workflow_move_adds_its_pair(app, staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    before = rollup_rows()
    change = transition(req, "ask_info", staff.manager, "a question")
    db.session.commit()
    previous = db.session.execute(
        select(StatusChange).where(StatusChange.request_id == req.id,
                                   StatusChange.id < change.id)
        .order_by(StatusChange.id.desc()).limit(1)).scalar_one()
    assert previous.to_status == Status.ASSIGNED
    after = rollup_rows()
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    assert len(changed) == 1
    ((entered, left, status), (seconds, pairs)), = changed.items()
    assert status == "assigned" and pairs == before.get((entered, left, status), (0, 0))[1] + 1
    expected = (change.created_at - previous.created_at).total_seconds()
    assert seconds == pytest.approx(before.get((entered, left, status), (0.0, 0))[0]
                                    + expected, abs=0.01)
    today = date.today()
    assert "assigned" in queries.average_hours_in_status(today - timedelta(days=2),
                                                         today + timedelta(days=2))
    rebuilt = rebuild(db.session.connection())
    assert rebuilt == len(after) and rollup_rows() == after


def test_the_bench_loader_fills_the_rollup_and_the_command_rebuilds_it(app):
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["replan", "bench-data", "--requests", "60", "--seed", "5"])
    assert loaded.exit_code == 0, loaded.output
    written = rollup_rows()
    assert sum(n for _sec, n in written.values()) > 100
    end = date.today()
    for start in (end - timedelta(days=90), end - timedelta(days=730)):
        direct = queries.average_hours_in_status_from_history(start, end)
        rolled = queries.average_hours_in_status(start, end)
        assert list(rolled) == list(direct) and direct
        assert all(rolled[k] == pytest.approx(v, abs=0.051) for k, v in direct.items())
    # the loader writes requests by SQL: their days' bounds (models.day_bounds) are rebuilt
    from models.day_bounds import TABLE as BOUNDS
    from models.requests import Request

    bounds = {tuple(r) for r in db.session.execute(BOUNDS.select())}
    created_days = {r.created_at.date() for r in db.session.query(Request.created_at)}
    assert {day for kind, day, *_ in bounds if kind == "created_at"} == created_days
    db.session.query(StatusDayRollup).delete()
    db.session.execute(BOUNDS.delete())
    db.session.commit()
    result = runner.invoke(args=["replan", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert f"status_day_rollup: {len(written):,} rows" in result.output
    assert f"request_day_bounds: {len(bounds):,} rows" in result.output
    db.session.expire_all()
    assert rollup_rows() == written
    assert {tuple(r) for r in db.session.execute(BOUNDS.select())} == bounds
