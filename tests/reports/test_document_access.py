"""Who downloads which PDF of a request. Invoices and acts are the bureau's documents with the
partner company (its name and INN, numbered): for those who read partner words. An engineer
downloads the request card only (app.request_rules.documents_for): his page offers no other,
and the download is refused before the year's next invoice or act number would be taken."""

from __future__ import annotations

import re

import pytest
from flask_appbuilder.security.sqla.models import Role

from app.extensions import db
from app.request_rules import documents_for, rules_for
from models.finance import DocumentNumber
from models.request_status import Status
from reports.documents import DocumentUnavailable, request_pdf
from tests.factories import as_user, make_partner, make_request, make_user

REFUSED = {"en": "This document is not available to you: engineers download the request card.",
           "ru": "Этот документ вам недоступен: инженер скачивает карточку заявки."}


def pdf_links(page: str, req) -> set[str]:
    return set(re.findall(rf'/desk/{req.id}/pdf/(\w+)"', page))


@pytest.fixture
def delivered(app, staff):
    req = make_request(make_partner(), Status.DELIVERED, staff)
    assert req.total_kopecks > 0  # an invoice exists
    return req


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_an_engineer_gets_the_card_and_is_refused_the_invoice_and_act(app, staff, delivered,
                                                                       locale):
    engineer = as_user(app, staff.engineer)
    engineer.get(f"/lang/{locale}")
    page = engineer.get(f"/desk/{delivered.id}").get_data(as_text=True)
    assert pdf_links(page, delivered) == {"card"}
    for document in ("invoice", "act"):
        answer = engineer.get(f"/desk/{delivered.id}/pdf/{document}")
        assert answer.status_code == 302 and answer.mimetype != "application/pdf", document
        shown = engineer.get(answer.headers["Location"]).get_data(as_text=True)
        assert REFUSED[locale] in shown, document
    # no number was taken (the act's came with the delivery)
    assert [n.kind for n in db.session.query(DocumentNumber)] == ["act"]
    card = engineer.get(f"/desk/{delivered.id}/pdf/card")
    assert card.status_code == 200 and card.mimetype == "application/pdf"


def test_the_manager_and_the_director_get_every_document(app, staff, delivered):
    for user in (staff.manager, make_user("Director")):
        client = as_user(app, user)
        page = client.get(f"/desk/{delivered.id}").get_data(as_text=True)
        assert pdf_links(page, delivered) == {"invoice", "act", "card"}
        for document in ("invoice", "act", "card"):
            answer = client.get(f"/desk/{delivered.id}/pdf/{document}")
            assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    # the manager's invoice and act took their numbers; the director's printed the same
    assert db.session.query(DocumentNumber).count() == 2


def test_the_rule_is_by_partner_words_not_by_the_engineer_role_alone(app, staff, delivered):
    """An engineer who is also a manager reads partner words, so he gets every document; the
    use case refuses exactly what the page leaves out."""
    assert documents_for(staff.engineer, delivered) == ("card",)
    assert rules_for(staff.engineer, delivered).documents == ("card",)
    both = make_user("Engineer")
    both.roles.append(db.session.query(Role).filter_by(name="Manager").one())
    db.session.commit()
    assert documents_for(both, delivered) == ("invoice", "act", "card")
    assert documents_for(staff.manager, delivered) == ("invoice", "act", "card")
    with pytest.raises(DocumentUnavailable):
        request_pdf(delivered, "invoice", for_partner=False, user=staff.engineer)
    db.session.rollback()
    assert [n.kind for n in db.session.query(DocumentNumber)] == ["act"]  # the delivery's
    assert request_pdf(delivered, "invoice", for_partner=False, user=both).startswith(b"%PDF")
