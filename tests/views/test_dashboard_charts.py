"""The director's charts over a period: every week and month shown (the quiet ones at 0), and
a chart with nothing in the period says so instead of drawing empty axes."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

from app.extensions import db
from app.payments import mark_payment
from models.request_status import Status
from tests.factories import Staff, as_user, make_partner, make_request, make_user
from views.dashboard import _months, _weeks


def charts_of(html: str) -> dict:
    return json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)'
                                r'</script>', html, re.S).group(1))


def test_weeks_and_months_of_a_period():
    assert _weeks(date(2026, 11, 4), date(2026, 11, 23)) == [
        "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert _months(date(2025, 11, 30), date(2026, 2, 1)) == [
        "2025-11", "2025-12", "2026-01", "2026-02"]


def test_quiet_weeks_and_months_are_zero_not_skipped(app):
    staff, admin = Staff(), make_user("Admin")
    partner = make_partner()
    monday = date.today() - timedelta(days=date.today().weekday() + 70)  # ten weeks back
    # a request in the first and the third week, none between; paid in the first month and
    # today, none in the month(s) between
    for weeks_back, paid_on in ((0, monday), (2, date.today())):
        req = make_request(partner, Status.IN_PROGRESS, staff)
        req.submitted_at = datetime.combine(monday + timedelta(weeks=weeks_back),
                                            datetime.min.time()) + timedelta(hours=12)
        mark_payment(req, 10_000, paid_on, f"PP-{req.id}", admin)
    db.session.commit()
    director = as_user(app, make_user("Director"))
    start, end = monday, date.today()
    html = director.get(f"/dashboard/?from={start}&to={end}").get_data(as_text=True)
    weekly = dict(charts_of(html)["weekly"])  # each week by its Monday, as people write it
    assert weekly[monday.strftime("%d.%m")] == 1
    assert weekly[(monday + timedelta(weeks=1)).strftime("%d.%m")] == 0  # shown, at 0
    assert weekly[(monday + timedelta(weeks=2)).strftime("%d.%m")] == 1
    assert len(weekly) == len(_weeks(start, end)) and sum(weekly.values()) == 2
    revenue = dict(charts_of(html)["revenue"])
    assert len(revenue) == len(_months(start, end)) and sum(revenue.values()) == 200
    assert all(re.fullmatch(r"[а-я]{3,4}\.? \d{4}", month) for month in revenue), revenue
    assert "в процентах от ёмкости инженеров за все его недели" in html  # what 3 % means
    assert len(revenue) >= 3 and list(revenue.values())[1] == 0  # the quiet month, at 0


def test_a_period_with_nothing_says_so_on_every_chart(app):
    make_request(make_partner(), Status.SUBMITTED, Staff())
    director = as_user(app, make_user("Director"))
    html = director.get("/dashboard/?from=2001-01-01&to=2001-12-31").get_data(as_text=True)
    charts = charts_of(html)
    assert charts["status"] == [] and charts["weekly"] == [] and charts["revenue"] == []
    assert charts["engineers"] == []  # engineers exist, none booked: no axes of zeros
    assert html.count("Нет данных за период") == sum(1 for rows in charts.values() if not rows)
