"""The director's default period and the managers' loads are computed ahead by the periodic
job "dashboard-figures" and kept in Redis (reports.dashboard): the pages read them without
running the aggregates; without Redis the pages compute their own."""

import json
import re

import fakeredis
import pytest

from app import distribution, page_cache
from app.periodic import PERIODIC
from models.request_status import Status
from reports import dashboard, queries
from tests.factories import Staff, as_user, make_partner, make_request, make_user


@pytest.fixture
def redis(monkeypatch):
    found = fakeredis.FakeRedis()
    monkeypatch.setattr(page_cache, "enqueue_connection", lambda: found)
    return found


def charts_of(html: str) -> dict:
    return json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)'
                                r'</script>', html, re.S).group(1))


def refuse_aggregates(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("the page ran an aggregate itself")
    for name in ("period_figures", "requests_by_status", "new_requests_per_week",
                 "revenue_per_month", "top_partners", "engineer_utilisation"):
        monkeypatch.setattr(queries, name, refuse)
    monkeypatch.setattr(dashboard, "manager_loads", refuse)
    monkeypatch.setattr(distribution, "_loads", refuse)


def test_the_job_keeps_the_default_period_and_the_page_only_reads_it(app, redis, monkeypatch):
    staff = Staff()
    partner = make_partner()
    make_request(partner, Status.SUBMITTED, staff)
    make_request(partner, Status.IN_PROGRESS, staff)
    assert PERIODIC["dashboard-figures"] == (dashboard.refresh_figures, "* * * * *")
    assert dashboard.refresh_figures() == 2  # the director's figures and the managers' loads
    start, end = queries.default_period()
    key = page_cache.PREFIX + dashboard.figures_key(start, end)
    assert 60 < redis.ttl(key) <= dashboard.KEPT_SECONDS  # outlives the job's minute
    assert redis.ttl(page_cache.PREFIX + "manager-loads") > 60
    refuse_aggregates(monkeypatch)
    director = as_user(app, make_user("Director"))
    html = director.get("/dashboard/").get_data(as_text=True)
    status = dict(charts_of(html)["status"])
    assert status["Подана"] == 1 and status["В работе у инженера"] == 1
    assert "Показатели на " in html and "пересчитываются каждую минуту" in html
    director.get("/lang/en")
    english = director.get("/dashboard/").get_data(as_text=True)
    assert "Figures as of " in english and "recounted every minute" in english
    # the distribution page reads the kept loads too (the submitted request has no manager)
    manager = staff.manager.get_full_name()
    queue = as_user(app, staff.supermanager).get("/distribution/").get_data(as_text=True)
    assert f"{manager} — открытых заявок: 1" in queue


def test_another_period_is_computed_when_asked(app, redis):
    staff = Staff()
    make_request(make_partner(), Status.SUBMITTED, staff)
    dashboard.refresh_figures()
    director = as_user(app, make_user("Director"))
    html = director.get("/dashboard/?from=2001-01-01&to=2001-02-01").get_data(as_text=True)
    assert charts_of(html)["status"] == []  # nothing in 2001: the chart says so
    assert redis.exists(page_cache.PREFIX + "director:2001-01-01:2001-02-01")


def test_a_new_refresh_replaces_the_kept_figures(app, redis):
    staff = Staff()
    partner = make_partner()
    make_request(partner, Status.SUBMITTED, staff)
    dashboard.refresh_figures()
    make_request(partner, Status.SUBMITTED, staff)
    director = as_user(app, make_user("Director"))
    assert dict(charts_of(director.get("/dashboard/").get_data(as_text=True))["status"])[
        "Подана"] == 1  # kept: the new request shows after the next run
    dashboard.refresh_figures()
    assert dict(charts_of(director.get("/dashboard/").get_data(as_text=True))["status"])[
        "Подана"] == 2


def test_without_redis_the_job_keeps_nothing_and_the_page_computes(app, monkeypatch):
    monkeypatch.setattr(page_cache, "enqueue_connection", lambda: None)
    staff = Staff()
    make_request(make_partner(), Status.SUBMITTED, staff)
    assert dashboard.refresh_figures() == 0
    html = as_user(app, make_user("Director")).get("/dashboard/").get_data(as_text=True)
    assert dict(charts_of(html)["status"])["Подана"] == 1


@pytest.mark.parametrize("role", ["Manager", "Engineer", "Partner", None])
def test_only_the_director_and_admin_see_the_figures(app, redis, role):
    staff = Staff()
    make_request(make_partner(), Status.SUBMITTED, staff)
    dashboard.refresh_figures()
    if role is None:
        client = app.test_client()
    elif role == "Partner":
        client = as_user(app, make_partner())
    else:
        client = as_user(app, make_user(role))
    page = client.get("/dashboard/")
    assert "chart-data" not in page.get_data(as_text=True)
    if role is None:
        assert page.status_code == 302 and page.headers["Location"].startswith("/login/")
    else:
        assert page.status_code == 403


def test_the_admin_sees_the_kept_figures(app, redis):
    staff = Staff()
    make_request(make_partner(), Status.SUBMITTED, staff)
    dashboard.refresh_figures()
    html = as_user(app, make_user("Admin")).get("/dashboard/").get_data(as_text=True)
    assert dict(charts_of(html)["status"])["Подана"] == 1
