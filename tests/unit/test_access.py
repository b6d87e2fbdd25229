"""The access module against a hand-written table: who sees which request and quote.

Every kind of user × every kind of request (own, a colleague's, another company's, a draft,
an unassigned one). The SQL scope, the Python check of one loaded row and the *_or_404 loaders
must all give exactly the table below — so they cannot drift apart.
"""

import itertools

import pytest
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import NotFound

from app.access import (bounding_company, can_see_quote, can_see_request, get_quote_or_404,
                        get_request_by_number_or_404, get_request_or_404, partner_owns,
                        quote_scope, request_scope, visible_quotes)
from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, PARTNER, SUPERMANAGER
from models.catalog import Quote
from models.request_status import Status
from models.requests import Request, status_writer
from tests.factories import make_company, make_partner, make_user

STAFF_SEE_ALL = {"own", "colleagues", "other_company", "unassigned"}  # never a draft
EXPECTED = {  # user -> the requests they see; each kind of request is described in `world`
    "owner": {"own", "colleagues", "draft", "unassigned"},  # the whole company, drafts too
    "member": {"own", "draft"},  # only what they wrote
    "colleague": {"colleagues"},
    "other_owner": {"other_company"},
    "other_member": set(),
    "manager": {"own", "other_company"},  # assigned to them; the draft is not
    "other_manager": {"colleagues"},
    "engineer": {"own"},  # scheduled to them; the draft is not
    "other_engineer": {"other_company"},
    "supermanager": STAFF_SEE_ALL, "admin": STAFF_SEE_ALL, "director": STAFF_SEE_ALL,
    "anonymous": set(), "nobody": set(), "no_company": set(),
}
PARTNERS = {"owner", "member", "colleague", "other_owner", "other_member"}
# the partner actor of the workflow: drafts included, staff never
OWNS = {who: seen for who, seen in EXPECTED.items() if who in PARTNERS}
_numbers = itertools.count(1)
QUOTES = {"owner": {"member", "colleague"}, "member": {"member"}, "colleague": {"colleague"},
          "other_owner": {"other_member"}, "other_member": {"other_member"}}


@pytest.fixture
def world(app):
    """Two companies, every kind of user, five requests and three quotes."""
    mine, theirs = make_company(), make_company()
    users = {
        "owner": make_partner(mine), "member": make_partner(mine, owner=False),
        "colleague": make_partner(mine, owner=False), "other_owner": make_partner(theirs),
        "other_member": make_partner(theirs, owner=False), "manager": make_user(MANAGER),
        "other_manager": make_user(MANAGER), "engineer": make_user(ENGINEER),
        "other_engineer": make_user(ENGINEER), "supermanager": make_user(SUPERMANAGER),
        "admin": make_user(ADMIN), "director": make_user(DIRECTOR),
        "anonymous": AnonymousUserMixin(), "nobody": _without_roles(make_user(MANAGER)),
        "no_company": make_user(PARTNER),  # a partner login not linked to a company
    }
    u = users
    requests = {
        "own": _request(mine, u["member"], Status.SCHEDULED, u["manager"], u["engineer"]),
        "colleagues": _request(mine, u["colleague"], Status.ASSIGNED, u["other_manager"]),
        "other_company": _request(theirs, u["other_owner"], Status.IN_PROGRESS, u["manager"],
                                  u["other_engineer"]),
        # a draft that names staff must still be invisible to them
        "draft": _request(mine, u["member"], Status.DRAFT, u["manager"], u["engineer"]),
        "unassigned": _request(mine, u["owner"], Status.SUBMITTED),
    }
    quotes = {name: _quote(company, u[name]) for name, company in
              (("member", mine), ("colleague", mine), ("other_member", theirs))}
    db.session.commit()
    return users, requests, quotes


def _without_roles(user):
    user.roles = []
    db.session.commit()
    return user


def _request(company, author, status, manager=None, engineer=None) -> Request:
    token = status_writer.set(True)
    try:
        req = Request(number=f"2026-A{next(_numbers)}", company_id=company.id,
                      author_id=author.id, status=status,
                      manager_id=getattr(manager, "id", None),
                      engineer_id=getattr(engineer, "id", None),
                      object_address="Moscow", object_type="apartment", area=50)
        db.session.add(req)
        db.session.flush()
    finally:
        status_writer.reset(token)
    return req


def _quote(company, author) -> Quote:
    quote = Quote(company_id=company.id, author_id=author.id, object_type="apartment",
                  area=50, urgency="normal", subtotal_kopecks=100, total_kopecks=100)
    db.session.add(quote)
    db.session.flush()
    return quote


def _names(rows, objects) -> set[str]:
    ids = {row.id for row in rows}
    return {name for name, obj in objects.items() if obj.id in ids}


def test_request_scope_selects_exactly_the_table(world):
    users, requests, _quotes = world
    seen = {who: _names(db.session.query(Request).filter(request_scope(user)).all(), requests)
            for who, user in users.items()}
    assert seen == EXPECTED


def test_bounding_company_is_the_one_company_of_everything_a_partner_sees(world):
    """A partner's searches may narrow by his company (app.request_filters.client_clause):
    it is named only where every request in scope belongs to it."""
    users, requests, _quotes = world
    mine, theirs = requests["own"].company_id, requests["other_company"].company_id
    expected = {"owner": mine, "member": mine, "colleague": mine, "other_owner": theirs,
                "other_member": theirs}
    for who, user in users.items():
        assert bounding_company(user) == expected.get(who), who
        if bounding_company(user) is not None:
            assert {r.company_id for r in db.session.query(Request).filter(
                request_scope(user))} <= {bounding_company(user)}, who


def test_can_see_request_agrees_with_the_scope_on_every_case(world):
    users, requests, _quotes = world
    for who, user in users.items():
        for name, req in requests.items():
            in_scope = db.session.query(Request.id).filter(
                Request.id == req.id, request_scope(user)).first() is not None
            assert can_see_request(user, req) is in_scope, (who, name)
            assert in_scope is (name in EXPECTED[who]), (who, name)
        assert can_see_request(user, None) is False


def test_get_request_or_404_by_id_and_by_number(world):
    users, requests, _quotes = world
    for who, user in users.items():
        for name, req in requests.items():
            if name in EXPECTED[who]:
                assert get_request_or_404(user, req.id) is req
                assert get_request_by_number_or_404(user, req.number) is req
            else:
                with pytest.raises(NotFound):
                    get_request_or_404(user, req.id)
                with pytest.raises(NotFound):
                    get_request_by_number_or_404(user, req.number)
        with pytest.raises(NotFound):
            get_request_or_404(user, 10**9)


def test_partner_owns_only_the_partners_requests_drafts_included(world):
    users, requests, _quotes = world
    owned = {who: {name for name, req in requests.items() if partner_owns(user, req)}
             for who, user in users.items()}
    assert owned == {who: OWNS.get(who, set()) for who in users}


def test_quotes_owner_sees_the_company_a_member_own_staff_none(world):
    users, _requests, quotes = world
    for who, user in users.items():
        expected = QUOTES.get(who, set())
        assert _names(db.session.query(Quote).filter(quote_scope(user)).all(),
                      quotes) == expected, who
        assert _names(visible_quotes(user).all(), quotes) == expected, who
        for name, quote in quotes.items():
            assert can_see_quote(user, quote) is (name in expected), (who, name)
            if name in expected:
                assert get_quote_or_404(user, quote.id) is quote
            else:
                with pytest.raises(NotFound):
                    get_quote_or_404(user, quote.id)
        with pytest.raises(NotFound):
            get_quote_or_404(user, None)
        assert can_see_quote(user, None) is False
