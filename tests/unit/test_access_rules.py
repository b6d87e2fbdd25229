"""The partner owner/member rule of app.access: owners, members, staff, strangers, anonymous.

test_access.py checks who sees which request and quote; this file checks the company rule
used by the team pages and every partner-only use case (require_partner,
require_company_owner, company_members, get_company_member_or_404).
"""

import pytest
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import NotFound

from app.access import (can_see_request, company_members, get_company_member_or_404,
                        get_notification_or_404, is_company_owner, own_notifications,
                        partner_owns, request_scope, require_company_owner, require_partner,
                        require_role)
from app.accounts import find_role
from app.errors import Refused
from app.extensions import db
from app.permissions import ADMIN, MANAGER, PARTNER, SUPERMANAGER
from models.notifications import Notification
from models.request_status import Status
from models.requests import Request, status_writer
from tests.factories import make_company, make_partner, make_user


@pytest.fixture
def people(app):
    mine, theirs = make_company(), make_company()
    users = {
        "owner": make_partner(mine), "member": make_partner(mine, owner=False),
        "member2": make_partner(mine, owner=False), "other_owner": make_partner(theirs),
        "other_member": make_partner(theirs, owner=False), "manager": make_user(MANAGER),
        "supermanager": make_user(SUPERMANAGER), "admin": make_user(ADMIN),
        "no_company": make_user(PARTNER), "anonymous": AnonymousUserMixin(),
    }
    return mine, theirs, users


def test_only_the_owner_of_a_company_is_its_owner(people):
    _mine, _theirs, users = people
    assert {who for who, user in users.items() if is_company_owner(user)} == {
        "owner", "other_owner"}


def test_require_partner_gives_the_users_company_or_refuses(people):
    mine, theirs, users = people
    for who in ("owner", "member", "member2"):
        assert require_partner(users[who]) == mine
    assert require_partner(users["other_member"]) == theirs
    for who in ("manager", "supermanager", "admin", "no_company", "anonymous"):
        with pytest.raises(Refused) as refused:
            require_partner(users[who])
        assert refused.value.status == 403


def test_require_company_owner_gives_the_owned_company_or_refuses(people):
    mine, theirs, users = people
    assert require_company_owner(users["owner"]) == mine
    assert require_company_owner(users["other_owner"]) == theirs
    for who in ("member", "member2", "other_member", "manager", "supermanager", "admin",
                "no_company", "anonymous"):
        with pytest.raises(Refused):
            require_company_owner(users[who])


def test_company_members_are_the_owned_companys_users_only(people):
    _mine, _theirs, users = people
    mine = {users[who].id for who in ("owner", "member", "member2")}
    assert {u.id for u in company_members(users["owner"]).all()} == mine
    assert {u.id for u in company_members(users["other_owner"]).all()} == {
        users["other_owner"].id, users["other_member"].id}
    for who in ("member", "manager", "anonymous"):
        with pytest.raises(Refused):
            company_members(users[who])


def test_a_member_of_another_company_is_404_for_the_owner(people):
    _mine, _theirs, users = people
    owner = users["owner"]
    for who in ("owner", "member", "member2"):
        assert get_company_member_or_404(owner, users[who].id) is users[who]
    for who in ("other_owner", "other_member", "manager", "no_company"):
        with pytest.raises(NotFound):
            get_company_member_or_404(owner, users[who].id)
    with pytest.raises(NotFound):
        get_company_member_or_404(owner, 10**9)
    with pytest.raises(Refused):
        get_company_member_or_404(users["member"], users["member2"].id)


def test_partners_own_their_companys_drafts_staff_never(people):
    mine, _theirs, users = people
    owner = users["owner"]
    token = status_writer.set(True)
    try:
        req = Request(number="2026-R1", company_id=mine.id, author_id=users["member"].id,
                      status=Status.DRAFT, object_address="Moscow", object_type="flat",
                      area=10)
        db.session.add(req)
        db.session.flush()
    finally:
        status_writer.reset(token)
    assert partner_owns(owner, req) and can_see_request(owner, req)
    assert partner_owns(users["member"], req) and not partner_owns(users["member2"], req)
    assert not partner_owns(users["other_owner"], req)
    # staff never own a request, even its draft, and never see drafts
    for who in ("manager", "supermanager", "admin", "anonymous", "no_company"):
        assert not partner_owns(users[who], req), who
        assert not can_see_request(users[who], req), who


def test_notifications_are_their_addressees_only(people):
    _mine, _theirs, users = people
    owner, manager = users["owner"], users["manager"]
    notes = [Notification(user_id=user.id, kind="status", text=f"to {who}")
             for who, user in (("owner", owner), ("owner2", owner), ("manager", manager))]
    db.session.add_all(notes)
    db.session.flush()
    assert own_notifications(owner).order_by(Notification.id).all() == notes[:2]
    assert own_notifications(manager).all() == [notes[2]]
    assert own_notifications(users["anonymous"]).all() == []
    assert get_notification_or_404(owner, notes[1].id) is notes[1]
    for user, note in ((owner, notes[2]), (manager, notes[0]), (users["anonymous"], notes[0])):
        with pytest.raises(NotFound):
            get_notification_or_404(user, note.id)


def test_require_role_needs_one_of_the_roles(people):
    _mine, _theirs, users = people
    assert require_role(users["manager"], MANAGER, SUPERMANAGER) is None
    assert require_role(users["supermanager"], MANAGER, SUPERMANAGER) is None
    assert require_role(users["admin"], ADMIN) is None
    for who in ("owner", "admin", "anonymous", "no_company"):
        with pytest.raises(Refused):
            require_role(users[who], MANAGER, SUPERMANAGER)
    with pytest.raises(Refused):
        require_role(users["manager"])


def test_a_partner_login_without_a_profile_sees_and_owns_nothing(people, app):
    mine, _theirs, users = people
    # FAB's own user screen can give the Partner role to a login with no Replan profile
    bare = app.appbuilder.sm.add_user("bare", "Bare", "User", "bare@test.example",
                                      [find_role(PARTNER)], password="secret-pass-1")
    db.session.commit()
    assert getattr(bare, "profile", None) is None
    token = status_writer.set(True)
    try:
        req = Request(number="2026-R2", company_id=mine.id, author_id=users["owner"].id,
                      status=Status.SUBMITTED, object_address="Moscow",
                      object_type="flat", area=10)
        db.session.add(req)
        db.session.flush()
    finally:
        status_writer.reset(token)
    assert db.session.query(Request).filter(request_scope(bare)).all() == []
    assert not can_see_request(bare, req) and not partner_owns(bare, req)
    assert not is_company_owner(bare)
    with pytest.raises(Refused):
        require_partner(bare)
