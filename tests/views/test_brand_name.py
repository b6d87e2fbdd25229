"""The product's name is the bureau's (Settings → Product name): a car-inspection bureau on
Replan showed "Replan" in every title, the cabinet's header, the sign-in page and the
e-mails, and "a redevelopment design bureau" in the pages' descriptions."""

import re

import pytest

from app.extensions import db
from app.settings import get_setting
from app.workflow import transition
from models.outbox import OutboxMessage
from models.request_status import Status
from tests.factories import Staff, as_user, make_partner, make_request, make_user, post
from tests.factories import settings_fields


def _name_it(app, name: str):
    admin = as_user(app, make_user("Admin"))
    response = post(admin, "/settings/", {**settings_fields(admin), "brand_name": name})
    return admin, response


def test_the_bureaus_name_replaces_replan_on_pages_and_in_e_mails(app):
    admin, response = _name_it(app, "  АвтоЭксперт   Про ")
    assert response.status_code == 302
    db.session.expire_all()
    assert get_setting("brand_name") == "АвтоЭксперт Про"  # spaces as one
    partner = make_partner()
    cabinet = as_user(app, partner).get("/cabinet/").get_data(as_text=True)
    assert re.search(r"<title>[^<]*· АвтоЭксперт Про</title>", cabinet)
    assert re.search(r'class="brand"[^>]*>АвтоЭксперт Про<', cabinet)
    assert "Replan" not in re.sub(r"Replan[A-Z]\w*", "", cabinet)  # no name left (views' ids aside)
    login = app.test_client().get("/login/").get_data(as_text=True)
    assert "АвтоЭксперт Про" in login and "redevelopment" not in login
    back_office = admin.get("/settings/").get_data(as_text=True)
    assert re.search(r'class="navbar-brand"[^>]*>АвтоЭксперт Про<', back_office)
    staff = Staff()
    req = make_request(partner, Status.ASSIGNED, staff)
    db.session.query(OutboxMessage).delete()
    db.session.commit()
    transition(req, "ask_info", staff.manager, "Пришлите ПТС")
    db.session.commit()
    mail = db.session.query(OutboxMessage).filter_by(recipient=partner.email).one()
    assert mail.subject.startswith("АвтоЭксперт Про: ")
    english = app.test_client()
    english.get("/lang/en")
    assert "Sign in to АвтоЭксперт Про" in english.get("/login/").get_data(as_text=True)


@pytest.mark.parametrize("name", ["100% Оценка", '<meta http-equiv=refresh content="0">',
                                  "<img src=x onerror=alert(1)>"])
def test_a_percent_sign_or_a_tag_in_the_name_is_refused_and_nothing_changes(app, name):
    """A lazy text is markup to Jinja: "<meta http-equiv=refresh …>" as the name redirected
    the public API docs page (an attack run)."""
    _admin, response = _name_it(app, name)
    assert "В названии продукта не может быть знака процента, «<» или «>»." in \
        response.get_data(as_text=True).replace("&lt;", "<").replace("&gt;", ">") \
        .replace("&#171;", "«").replace("&#187;", "»")
    db.session.expire_all()
    assert get_setting("brand_name") == "Replan"


def test_a_tag_stored_anyway_is_never_written_into_a_page(app):
    from app.settings import set_setting

    set_setting("brand_name", "<b>Бюро</b>")
    db.session.commit()
    page = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    assert "<b>" not in page and "bБюро/b" in page


def test_no_interface_text_left_names_the_redevelopment_trade_in_a_description(app):
    """The texts an admin searches (Texts and labels) list only texts the code uses: the
    old trade-naming page descriptions were still offered there, unused."""
    from app.ui_texts import msgids
    texts = set(msgids().values())
    assert not [m for m in texts if "redevelopment design bureau" in m
                or "follow their redevelopment requests" in m]
    assert "%(brand)s: the bureau's partner cabinet and back office." in texts
