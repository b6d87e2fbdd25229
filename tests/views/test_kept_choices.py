"""The list filters' related selects (partner, manager, engineer) rendered once per user and
kept under the shared-cache stamp "choices" (views.search_widget): fewer statements and the
same page; a new company, a rename or a new request shows on the next page; each user keeps
his own (a manager never gets the supermanager's companies, an engineer no partners); the
language is part of the key; without Redis they are rendered each time."""

from __future__ import annotations

import json
import re

import pytest
from flask_appbuilder.security.sqla.models import User

from app import shared_cache
from app.extensions import db
from models.request_status import Status
from tests.factories import Staff, as_user, make_company, make_partner, make_request, statements
from tests.views.test_shared_cache import DownRedis, stamps  # noqa: F401

LIST = "/requests/list/"


def selects(html: str) -> dict:
    """The filter form's field HTML by column, as the page hands it to FAB's filter script."""
    found = re.search(r"new AdminFilters\(\s*'#filter_form',\s*(\{.*?\}),\s*(\{.*?\}),", html,
                      re.S)
    return json.loads(found.group(2))


def options(html: str, column: str) -> list[str]:
    return [o for o in re.findall(r">([^<>]+)</option>", selects(html).get(column, ""))
            if o != "__None"]


def page(client) -> tuple[str, int]:
    with statements() as seen:
        html = client.get(LIST).get_data(as_text=True)
    return html, len(seen)


@pytest.fixture
def world(app):
    team = Staff()
    alpha = make_company("Alpha Build")
    make_request(make_partner(alpha), Status.SCHEDULED, team)
    other = Staff()
    beta = make_company("Beta Repair")
    make_request(make_partner(beta), Status.ASSIGNED, other)
    return team, other


def test_the_selects_are_rendered_once_and_the_page_is_the_same(app, stamps, world):  # noqa: F811
    team, _other = world
    sm = as_user(app, team.supermanager)  # the sign-in created the stamps
    first, cold = page(sm)
    again, warm = page(sm)
    assert options(first, "company") == ["Alpha Build", "Beta Repair"]
    related = ("company", "manager", "engineer")
    assert [selects(again)[c] for c in related] == [selects(first)[c] for c in related]
    assert again.count("<tr") == first.count("<tr")
    assert warm <= cold - 3  # the companies, managers and engineers are not read again


def test_a_new_company_with_a_request_shows_on_the_next_page(app, stamps, world):  # noqa: F811
    team, _other = world
    sm = as_user(app, team.supermanager)
    page(sm)
    page(sm)
    gamma = make_company("Aurora Homes")  # made last, first by name: choices go by name
    make_request(make_partner(gamma), Status.SUBMITTED, team)  # commits: the stamp moves
    assert options(page(sm)[0], "company") == ["Alpha Build", "Aurora Homes", "Beta Repair"]
    gamma.name = "Gamma Homes Ltd"
    db.session.commit()
    assert options(page(sm)[0], "company") == ["Alpha Build", "Beta Repair", "Gamma Homes Ltd"]
    team.manager.last_name = "Renamed"
    db.session.commit()
    assert team.manager.get_full_name() in options(page(sm)[0], "manager")


def test_each_user_keeps_his_own_selects(app, stamps, world):  # noqa: F811
    team, other = world
    sm = as_user(app, team.supermanager)
    page(sm)
    page(sm)  # the supermanager's selects are kept
    stamp = stamps.get(shared_cache.KEY + shared_cache.CHOICES)
    manager, engineer = as_user(app, other.manager), as_user(app, team.engineer)
    # a sign-in writes the user's row (last login), which no select shows: the stamp stays
    assert stamps.get(shared_cache.KEY + shared_cache.CHOICES) == stamp
    assert options(page(manager)[0], "company") == ["Beta Repair"]
    assert options(page(manager)[0], "company") == ["Beta Repair"]  # kept, still his own
    alpha_owner = db.session.query(User).filter(User.username.like("partner%")).order_by(
        User.id).first()
    make_request(alpha_owner, Status.ASSIGNED, other)  # only a request changes: his scope
    assert options(page(manager)[0], "company") == ["Alpha Build", "Beta Repair"]
    page(sm)
    html = page(engineer)[0]
    assert "company" not in selects(html) and "Alpha Build" not in html
    assert [n for n in options(html, "engineer")] == [team.engineer.get_full_name()]


def test_the_language_is_part_of_the_key(app, stamps, world):  # noqa: F811
    team, _other = world
    sm = as_user(app, team.supermanager)
    page(sm)
    page(sm)
    assert "Выберите значение" in selects(page(sm)[0])["company"]
    sm.get("/lang/en")
    english = selects(page(sm)[0])["company"]
    assert "Выберите значение" not in english and "Alpha Build" in english


def test_without_redis_or_with_redis_down_the_selects_are_rendered_each_time(app, world,
                                                                             monkeypatch):
    team, _other = world
    sm = as_user(app, team.supermanager)
    monkeypatch.setitem(app.extensions, "replan_stamp_redis", None)
    assert options(page(sm)[0], "company") == ["Alpha Build", "Beta Repair"]
    monkeypatch.setitem(app.extensions, "replan_stamp_redis", DownRedis())
    make_request(make_partner(make_company("Delta")), Status.SUBMITTED, team)
    assert "Delta" in options(page(sm)[0], "company")
    assert shared_cache.CHOICES in shared_cache.NAMES


def test_the_desk_filters_are_kept_per_user_and_follow_new_requests(app, stamps, world):  # noqa: F811
    team, other = world
    manager = as_user(app, other.manager)

    def companies() -> list[str]:
        with statements() as seen:
            html = manager.get("/desk/").get_data(as_text=True)
        select = re.search(r'<select[^>]*name="company".*?</select>', html, re.S).group(0)
        return [o for o in re.findall(r">([^<>]+)</option>", select) if o.strip()], len(seen)

    first, cold = companies()
    again, warm = companies()
    assert "Beta Repair" in first and "Alpha Build" not in first and again == first
    assert warm < cold  # the choices were not read again
    alpha_owner = db.session.query(User).filter(User.username.like("partner%")).order_by(
        User.id).first()
    make_request(alpha_owner, Status.ASSIGNED, other)
    assert "Alpha Build" in companies()[0]
