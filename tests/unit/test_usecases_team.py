"""Team, quote and notification use cases called directly: rows, audit, mail, refusals."""

from __future__ import annotations


import pytest
from flask_appbuilder.security.sqla.models import User
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import NotFound

from app.access import is_company_owner, require_company_owner
from app.errors import Refused
from app.extensions import db
from app.notifications import mark_all_read, mark_read
from app.partners import OnboardingError
from app.quotes import save_quote
from app.sessions import current_generation
from app.team import invite_colleague, team_of, toggle_member
from app.uow import unit_of_work
from models.audit import AuditEvent
from models.catalog import Quote
from models.notifications import Notification
from models.outbox import OutboxMessage
from models.partners import PARTNER_MEMBER
from tests.factories import Staff, make_company, make_partner, make_service


@pytest.fixture
def owner(app):
    return make_partner(username="owner")


@pytest.fixture
def member(owner):
    return make_partner(company=owner.profile.partner_company, owner=False, username="member")


def audit(action: str) -> list[AuditEvent]:
    return db.session.query(AuditEvent).filter_by(action=action).all()


def test_the_owner_rule_is_one_function(owner, member, app):
    staff = Staff()
    assert is_company_owner(owner)
    for user in (member, staff.supermanager, AnonymousUserMixin(), None):
        assert not is_company_owner(user)
        with pytest.raises(Refused):
            require_company_owner(user)
    assert require_company_owner(owner) == owner.profile.partner_company


def test_the_owner_invites_a_colleague_who_gets_the_login_by_mail(owner):
    with unit_of_work():
        colleague = invite_colleague(owner, "Олег", "Новиков", " oleg@test.example ", None)
    colleague = db.session.get(User, colleague.id)
    assert colleague.email == "oleg@test.example"
    assert (colleague.profile.partner_company_id, colleague.profile.partner_role) == (
        owner.profile.partner_company_id, PARTNER_MEMBER)
    assert colleague.profile.must_change_password
    assert [m.kind for m in db.session.query(OutboxMessage).filter_by(
        recipient="oleg@test.example")] == ["credentials"]
    assert [e.actor_id for e in audit("member_invited")] == [owner.id]
    assert [u.id for u in team_of(owner)] == [owner.id, colleague.id]


def test_an_existing_e_mail_is_refused_and_nothing_is_kept(owner, member):
    with pytest.raises(OnboardingError), unit_of_work():
        invite_colleague(owner, "X", "Y", member.email.upper())
    assert db.session.query(User).count() == 2 and audit("member_invited") == []


@pytest.mark.parametrize("who", ["member", "staff", "anonymous"])
def test_only_the_owner_manages_the_team(owner, member, who):
    user = {"member": lambda: member, "staff": lambda: Staff().supermanager,
            "anonymous": AnonymousUserMixin}[who]()
    with pytest.raises(Refused), unit_of_work():
        invite_colleague(user, "X", "Y", "x@test.example")
    with pytest.raises(Refused), unit_of_work():
        toggle_member(user, member.id)
    with pytest.raises(Refused):
        team_of(user)
    assert db.session.get(User, member.id).active
    assert db.session.query(User).filter_by(email="x@test.example").count() == 0


def test_blocking_ends_the_sessions_and_unblocking_restores_the_account(owner, member):
    generation = current_generation(member.id)
    with unit_of_work():
        toggle_member(owner, member.id)
    assert not db.session.get(User, member.id).active
    assert current_generation(member.id) > generation
    with unit_of_work():
        toggle_member(owner, member.id)
    assert db.session.get(User, member.id).active
    assert [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)] == [
        "member_blocked", "member_unblocked"]


def test_the_owner_is_not_blocked_and_other_companies_are_not_found(owner, member):
    stranger = make_partner()  # the owner of another company
    with pytest.raises(Refused), unit_of_work():
        toggle_member(owner, owner.id)
    with pytest.raises(NotFound), unit_of_work():
        toggle_member(owner, stranger.id)
    with pytest.raises(NotFound), unit_of_work():
        toggle_member(stranger, member.id)
    assert all(db.session.get(User, u.id).active for u in (owner, member, stranger))


def test_a_quote_is_priced_with_the_company_discount_and_audited(app):
    partner = make_partner(company=make_company(discount="10"))
    service = make_service(base_rub=1000, per_m2_rub=10)
    with unit_of_work():
        quote = save_quote(partner, [service.id], {"area": "50", "object_type": "apartment"},
                           "normal")
    quote = db.session.get(Quote, quote.id)
    assert (quote.company_id, quote.author_id) == (partner.profile.partner_company_id,
                                                   partner.id)
    assert quote.subtotal_kopecks == (1000 + 10 * 50) * 100
    assert quote.total_kopecks == quote.subtotal_kopecks * 90 // 100
    assert [(e.object_id, e.details["total"]) for e in audit("quote_saved")] == [
        (quote.id, quote.total_kopecks)]


@pytest.mark.parametrize("who", ["staff", "anonymous"])
def test_only_partners_save_quotes(app, who):
    user = Staff().manager if who == "staff" else AnonymousUserMixin()
    with pytest.raises(Refused), unit_of_work():
        save_quote(user, [make_service().id], {"area": "50"}, "normal")
    assert db.session.query(Quote).count() == 0


def test_notifications_are_marked_read_only_by_their_addressee(owner, member):
    notes = [Notification(user_id=user.id, kind="status", text="t")
             for user in (owner, owner, member)]
    db.session.add_all(notes)
    db.session.commit()
    with pytest.raises(NotFound), unit_of_work():
        mark_read(member, notes[0].id)
    with unit_of_work():
        mark_read(owner, notes[0].id)
    assert [db.session.get(Notification, n.id).is_read for n in notes] == [True, False, False]
    with unit_of_work():
        assert mark_all_read(owner) == 1
    db.session.expire_all()
    assert [db.session.get(Notification, n.id).is_read for n in notes] == [True, True, False]
