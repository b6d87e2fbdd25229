"""The draft use cases of app.drafts called directly, without HTTP: rows, audit, refusals."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import text
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from app.access import visible_end_clients
from app.drafts import (DraftError, DraftInput, create_request_draft, delete_draft, repeat_request,
                        submit_draft, update_draft)
from app.errors import Conflict, Refused
from app.extensions import db
from app.storage import path_of
from app.uow import unit_of_work
from models.audit import AuditEvent
from models.partners import EndClient
from models.request_status import Status
from models.requests import Attachment, Request
from tests.factories import Staff, make_partner, make_request, make_service

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "plan.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(PDF), filename=name)


def draft(**changes) -> DraftInput:
    values = dict(fields={"object_address": "Москва, Арбат 10", "object_type": "apartment",
                          "area": Decimal("40"), "urgency": "normal", "description": "стена"},
                  services=[make_service().id], options=[],
                  new_client_name="Смирнов Олег", new_client_phone="+7 900 555-44-33")
    values.update(changes)
    return DraftInput(**values)


def actions() -> list[str]:
    return [event.action for event in db.session.query(AuditEvent).order_by(AuditEvent.id)]


@pytest.fixture
def owner(app):
    return make_partner(username="owner")


def test_a_new_draft_belongs_to_the_company_with_its_files_client_and_audit(owner):
    with unit_of_work():
        req = create_request_draft(owner, draft(), [pdf()])
    req = db.session.get(Request, req.id)
    assert (req.status, req.company_id, req.author_id) == (
        Status.DRAFT, owner.profile.partner_company_id, owner.id)
    assert req.end_client.name == "Смирнов Олег"
    assert [a.original_name for a in db.session.query(Attachment)] == ["plan.pdf"]
    assert actions() == ["request_created"]


def test_the_same_end_client_is_reused_and_a_foreign_one_is_refused(owner):
    other = make_partner()
    with unit_of_work():
        foreign = EndClient(company_id=other.profile.partner_company_id, name="Чужой")
        db.session.add(foreign)
    with unit_of_work():
        first = create_request_draft(owner, draft())
        second = create_request_draft(owner, draft(new_client_name=" Смирнов Олег "))
    with pytest.raises(DraftError, match=f"Неизвестный клиент: {foreign.id}"), unit_of_work():
        create_request_draft(owner, draft(end_client_id=foreign.id))
    assert first.end_client_id == second.end_client_id is not None
    assert db.session.query(Request).count() == 2  # the refused draft is not kept
    assert db.session.query(EndClient).filter_by(
        company_id=owner.profile.partner_company_id).count() == 1


def test_a_member_picks_own_clients_only_the_owner_all_of_the_company(owner):
    company = owner.profile.partner_company
    anna, boris = (make_partner(company, owner=False, username=name) for name in ("anna", "boris"))
    with unit_of_work():
        annas = create_request_draft(anna, draft(new_client_name="Клиент Анны")).end_client_id
        owners = create_request_draft(owner, draft(new_client_name="Клиент владельца"))
    names = {user.username: [c.name for c in visible_end_clients(user)]
             for user in (owner, anna, boris)}
    assert names == {"owner": ["Клиент Анны", "Клиент владельца"], "anna": ["Клиент Анны"],
                     "boris": []}
    for chosen in (annas, owners.end_client_id):
        with pytest.raises(DraftError, match="Неизвестный клиент"), unit_of_work():
            create_request_draft(boris, draft(end_client_id=chosen))
    assert db.session.query(Request).filter_by(author_id=boris.id).count() == 0
    with unit_of_work():  # the owner may name a member's client; the member then still sees it
        create_request_draft(owner, draft(end_client_id=annas))
        # Boris types the same name and phone: the company's one row, now named by his draft
        typed = create_request_draft(boris, draft(new_client_name="Клиент Анны"))
    assert typed.end_client_id == annas
    assert [c.name for c in visible_end_clients(boris)] == ["Клиент Анны"]
    assert [c.name for c in visible_end_clients(Staff().manager)] == []


@pytest.mark.parametrize("who", ["staff", "anonymous"])
def test_only_partners_create_drafts(app, who):
    user = Staff().manager if who == "staff" else AnonymousUserMixin()
    with pytest.raises(Refused), unit_of_work():
        create_request_draft(user, draft())
    assert db.session.query(Request).count() == 0


@pytest.mark.parametrize("which", ["foreign", "missing", "bogus"])
def test_a_quote_of_another_company_or_none_is_refused_as_input(owner, which):
    from app.quotes import save_quote

    other = make_partner()
    with unit_of_work():
        quote = save_quote(other, [make_service().id], {"area": "30"}, "normal")
    quote_id = {"foreign": quote.id, "missing": 10 ** 6, "bogus": "x1"}[which]
    with pytest.raises(DraftError, match=f"Неизвестный расчёт: {quote_id}"), unit_of_work():
        create_request_draft(owner, draft(), quote_id=quote_id)
    assert db.session.query(Request).count() == 0


def test_update_reprices_and_audits_a_draft(owner):
    req = make_request(owner)
    with unit_of_work():
        update_draft(owner, req.id, req.version, draft(fields={
            "object_address": "Новый адрес", "object_type": "apartment",
            "area": Decimal("100"), "urgency": "normal"}))
    req = db.session.get(Request, req.id)
    assert req.object_address == "Новый адрес"
    assert req.total_kopecks == 10000_00 + 100_00 * 100
    assert actions() == ["draft_updated"]


def test_a_stale_version_is_a_conflict_and_changes_nothing(owner, app):
    req = make_request(owner)
    read_at = req.version
    with db.engine.begin() as other:  # another window saved the draft meanwhile
        other.execute(text("UPDATE request SET version = version + 1 WHERE id = :id"),
                      {"id": req.id})
    db.session.expire_all()
    with pytest.raises(Conflict), unit_of_work():
        update_draft(owner, req.id, read_at, draft(), [pdf()])
    assert db.session.get(Request, req.id).object_address == "Moscow, Tverskaya 1"
    assert db.session.query(Attachment).count() == 0 and actions() == []


def test_drafts_of_others_are_not_found_and_submitted_ones_are_refused(owner):
    staff = Staff()
    colleague = make_partner(company=owner.profile.partner_company, owner=False)
    stranger = make_partner()
    own_draft = make_request(owner)
    submitted = make_request(owner, Status.SUBMITTED, staff)
    before = actions()
    for user in (colleague, stranger):  # a member sees only own requests
        for call in (lambda u: update_draft(u, own_draft.id, own_draft.version, draft()),
                     lambda u: delete_draft(u, own_draft.id),
                     lambda u: submit_draft(u, own_draft.id),
                     lambda u: repeat_request(u, own_draft.id)):
            with pytest.raises(NotFound), unit_of_work():
                call(user)
    for call in (lambda: update_draft(owner, submitted.id, submitted.version, draft()),
                 lambda: delete_draft(owner, submitted.id),
                 lambda: submit_draft(owner, submitted.id)):
        with pytest.raises(Refused), unit_of_work():
            call()
    assert db.session.query(Request).count() == 2 and actions() == before


def test_delete_removes_the_files_only_once_the_deletion_commits(owner, app):
    with unit_of_work():
        req = create_request_draft(owner, draft(), [pdf()])
    stored = path_of(db.session.query(Attachment).one().stored_name)
    assert stored.exists()

    with pytest.raises(RuntimeError), unit_of_work():  # rolled back: row and file stay
        delete_draft(owner, req.id)
        raise RuntimeError("the commit never happens")
    assert stored.exists() and db.session.get(Request, req.id) is not None

    with unit_of_work():
        number = delete_draft(owner, req.id)
        assert stored.exists()  # not before the commit
    assert not stored.exists()
    assert db.session.query(Request).count() == 0 and db.session.query(Attachment).count() == 0
    event = db.session.query(AuditEvent).filter_by(action="draft_deleted").one()
    assert event.details == {"number": number} and event.actor_id == owner.id


def test_repeat_copies_a_visible_request_into_a_new_draft(owner):
    staff = Staff()
    source = make_request(owner, Status.SUBMITTED, staff)
    with unit_of_work():
        copy = repeat_request(owner, source.id)
    assert (copy.status, copy.object_address, copy.source_request_id, copy.company_id) == (
        Status.DRAFT, source.object_address, source.id, source.company_id)
    assert actions()[-1] == "request_repeated"
    with pytest.raises(Refused), unit_of_work():
        repeat_request(staff.manager, source.id)


def test_submit_sends_the_draft_to_the_bureau(owner):
    req = make_request(owner)
    with unit_of_work():
        submit_draft(owner, req.id)
    req = db.session.get(Request, req.id)
    assert req.status == Status.SUBMITTED and req.history[-1].action == "submit"
