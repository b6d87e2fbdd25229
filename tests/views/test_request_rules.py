"""Pages offer exactly what the domain allows, and every POST enforces the same rule.

The desk and the cabinet must show, per kind of user and status, exactly the move buttons the
transition table gives (app.request_rules); a POST of anything the page does not offer is
refused with a message and changes nothing; messaging is closed outside open requests for
staff as well as partners.
"""

import re

import pytest

from app.extensions import db
from app.request_rules import DOCUMENTS, MESSAGING_STATUSES
from models.request_status import (MOVES, ONCE_ONLY, PARTNER_BUTTONS, STAFF_BUTTONS, Action,
                                   Actor, Status)
from models.requests import Message, Request, StatusChange
from tests.factories import as_user, make_user, post



def staff_kinds(who: str, user, req: Request) -> set:
    """What a test user is on a request: the supermanager also acts as a manager; the
    manager and the engineer only once the request is theirs."""
    if who == "supermanager":
        return {Actor.SUPERMANAGER, Actor.MANAGER}
    if who == "manager" and req.manager_id == user.id:
        return {Actor.MANAGER}
    if who == "engineer" and req.engineer_id == user.id:
        return {Actor.ENGINEER}
    return set()


def table_buttons(status: Status, kinds: set) -> set[str]:
    """Move buttons the transition table gives these actor kinds in this status."""
    return {str(m.action) for m in MOVES
            if status in m.sources and kinds & set(m.actors) and not m.form}


def tempting(status: Status, kinds: set) -> set[str]:
    """Actions worth trying that the page must not offer: every move of the table from this
    status (for anyone, buttons or forms) not the user's, plus one the table never has."""
    return {str(m.action) for m in MOVES if status in m.sources} \
        - table_buttons(status, kinds) | {"deliver", "nonsense"} - table_buttons(status, kinds)


def offered(html: str, prefix: str) -> set[str]:
    return set(re.findall(re.escape(prefix) + r"/move/(\w+)", html))


@pytest.fixture
def world(status_world):
    return None, status_world.partner, status_world.users, status_world.requests


def state_of(req: Request) -> tuple:
    db.session.expire_all()
    fresh = db.session.get(Request, req.id)
    history = db.session.query(StatusChange).filter_by(request_id=req.id).count()
    messages = db.session.query(Message).filter_by(request_id=req.id).count()
    return fresh.status, fresh.version, fresh.manager_id, history, messages


def test_the_allow_lists_come_from_the_table():
    assert PARTNER_BUTTONS == {Action.SUBMIT, Action.CANCEL, Action.CLOSE}
    assert STAFF_BUTTONS == {Action.ASK_INFO, Action.CANCEL, Action.START,
                             Action.SUBMIT_REVIEW, Action.ACCEPT, Action.RETURN,
                             Action.DELIVER, Action.CLOSE}
    assert ONCE_ONLY == {Action.DELIVER}
    reassign = [m for m in MOVES if m.action == Action.REASSIGN]
    assert {s for m in reassign for s in m.sources} == set(Status) - {
        Status.DRAFT, Status.SUBMITTED, Status.CLOSED, Status.CANCELLED}
    assert all(m.target == m.sources[0] and m.actors == (Actor.SUPERMANAGER,)
               for m in reassign)


def test_desk_shows_exactly_the_moves_of_the_table(app, world):
    _staff, _partner, users, requests = world
    for who, user in users.items():
        client = as_user(app, user)
        for status, req in requests.items():
            page = client.get(f"/desk/{req.id}")
            want = table_buttons(status, staff_kinds(who, user, req))
            if page.status_code == 404:  # outside the user's scope: nothing to offer
                assert not want, (who, status)
                continue
            html = page.get_data(as_text=True)
            assert offered(html, f"/desk/{req.id}") == want, (who, status)
            reassign = "Переназначить" in html
            assert reassign == (who == "supermanager" and status not in (
                Status.DRAFT, Status.SUBMITTED, Status.CLOSED, Status.CANCELLED)), (who, status)


def test_cabinet_shows_exactly_the_partner_moves_of_the_table(app, world):
    _staff, partner, _users, requests = world
    client = as_user(app, partner)
    for status, req in requests.items():
        html = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
        assert offered(html, f"/cabinet/requests/{req.id}") == table_buttons(
            status, {Actor.PARTNER}), status
        form = f"/cabinet/requests/{req.id}/message" in html
        assert form == (status in MESSAGING_STATUSES), status
        documents = set(re.findall(rf"/cabinet/requests/{req.id}/pdf/(\w+)", html))
        assert documents == {name for name, exists in DOCUMENTS.items() if exists(req)}, status


def test_a_move_the_desk_does_not_offer_is_refused_and_changes_nothing(app, world):
    """For the manager and the engineer on one world (nothing changes, so nothing leaks from
    one to the other); fails listing every (who, status, action) that was not refused."""
    _staff, _partner, users, requests = world
    wrong = []
    for who in ("manager", "engineer"):
        client = as_user(app, users[who])
        for status, req in requests.items():
            if status == Status.DRAFT:
                continue
            for action in sorted(tempting(status, staff_kinds(who, users[who], req))):
                before = state_of(req)
                page = post(client, f"/desk/{req.id}/move/{action}",
                            {"version": before[1], "comment": "why"}, follow=True)
                after = state_of(req)
                if after != before:
                    wrong.append((who, status, action, "changed", before, after))
                elif page.status_code == 200:
                    if "alert-danger" not in page.get_data(as_text=True):
                        wrong.append((who, status, action, "no error shown"))
                elif page.status_code != 404:  # outside the user's scope: not even found
                    wrong.append((who, status, action, page.status_code))
    assert wrong == []


def test_a_move_the_cabinet_does_not_offer_is_refused_and_changes_nothing(app, world):
    _staff, partner, _users, requests = world
    client = as_user(app, partner)
    for status, req in requests.items():
        for action in sorted(tempting(status, {Actor.PARTNER})):
            before = state_of(req)
            page = post(client, f"/cabinet/requests/{req.id}/move/{action}",
                        {"version": before[1], "comment": "why"}, follow=True)
            assert state_of(req) == before, (status, action)
            assert 'class="flash danger"' in page.get_data(as_text=True), (status, action)


def test_messaging_is_closed_for_staff_outside_open_requests(app, world):
    _staff, _partner, users, requests = world
    client = as_user(app, users["supermanager"])
    for status in (Status.CLOSED, Status.CANCELLED):
        req = requests[status]
        html = client.get(f"/desk/{req.id}").get_data(as_text=True)
        assert f"/desk/{req.id}/message" not in html
        before = state_of(req)
        page = post(client, f"/desk/{req.id}/message", {"body": "hello"}, follow=True)
        assert state_of(req) == before, status
        assert "Переписка по этой заявке закрыта" in page.get_data(as_text=True)
    # only the request's manager writes to the partner, even in an open request: an admin
    # passes the view permission and is refused by the rule; an engineer has no permission
    req = requests[Status.IN_PROGRESS]
    before = state_of(req)
    page = post(as_user(app, users["admin"]), f"/desk/{req.id}/message", {"body": "hi"},
                follow=True)
    assert state_of(req) == before
    assert "alert-danger" in page.get_data(as_text=True)
    page = post(as_user(app, users["engineer"]), f"/desk/{req.id}/message", {"body": "hi"})
    assert (page.status_code, state_of(req)) == (403, before)


def test_messaging_is_closed_for_partners_outside_open_requests(app, world):
    _staff, partner, _users, requests = world
    client = as_user(app, partner)
    for status in (Status.DRAFT, Status.CLOSED, Status.CANCELLED):
        req = requests[status]
        before = state_of(req)
        page = post(client, f"/cabinet/requests/{req.id}/message", {"body": "hello"},
                    follow=True)
        assert state_of(req) == before, status
        assert "Переписка по этой заявке закрыта" in page.get_data(as_text=True)


def test_reassign_is_a_move_of_the_table_on_the_desk(app, world):
    _staff, _partner, users, requests = world
    second = make_user("Manager")
    sm = as_user(app, users["supermanager"])
    req = requests[Status.SCHEDULED]
    clock = req.status_changed_at
    page = sm.get(f"/desk/{req.id}").get_data(as_text=True)  # the manager it has is shown
    assert re.search(rf'<option selected value="{req.manager_id}">|'
                     rf'<option value="{req.manager_id}" selected>', page)
    post(sm, f"/desk/{req.id}/assign", {"manager_id": second.id, "version": req.version},
         follow=True)
    db.session.expire_all()
    fresh = db.session.get(Request, req.id)
    assert fresh.status_changed_at == clock  # the SLA clock of the status keeps running
    last = db.session.query(StatusChange).filter_by(request_id=req.id) \
        .order_by(StatusChange.id.desc()).first()
    assert (fresh.status, fresh.manager_id) == (Status.SCHEDULED, second.id)
    assert (last.action, last.from_status, last.to_status) == ("reassign", "scheduled",
                                                               "scheduled")
    closed = requests[Status.CLOSED]
    before = state_of(closed)
    page = post(sm, f"/desk/{closed.id}/assign", {"manager_id": second.id,
                                                  "version": closed.version}, follow=True)
    assert state_of(closed) == before
    assert "alert-danger" in page.get_data(as_text=True)
    # a manager may not hand a request on
    mine = requests[Status.ASSIGNED]
    before = state_of(mine)
    post(as_user(app, users["manager"]), f"/desk/{mine.id}/assign",
         {"manager_id": second.id, "version": mine.version}, follow=True)
    assert state_of(mine) == before
