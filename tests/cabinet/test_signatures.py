"""Confirmation codes in the cabinet: the code step of submit and close, the signature in the
history and on the act, the admin setting, access per role."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.api_tokens import create_token
from app.extensions import db
from app.settings import get_setting
from app.signatures import act_payload, data_hash
from flask_appbuilder.security.sqla.models import User

from models.base import utcnow
from models.catalog import Quote, Service
from models.outbox import OutboxMessage
from models.request_status import Status
from models.requests import Request
from models.signatures import ConfirmationCode, Signature
from tests.factories import (as_user, sign_in, make_partner, make_request, make_user, post,
                             settings_fields)
from tests.cabinet.test_requests import form_data
from tests.pdftext import pdf_text
from tests.unit.test_signature_codes import require_codes

UA = "Mozilla/5.0 (cabinet signature test)"


@pytest.fixture
def owner(app):
    return make_partner(username="signer", locale="en")


def move(client, req, action, **data):
    return post(client, f"/cabinet/requests/{req.id}/move/{action}",
                {"version": req.version, **data}, headers={"User-Agent": UA},
                environ_base={"REMOTE_ADDR": "198.51.100.4"})


@pytest.fixture
def code_of(mailbox, jobs):
    """code_of(user): the code of the newest e-mail the loopback SMTP server got for `user`
    (queued mail jobs run first when the tests use Redis)."""
    def read(user) -> str:
        jobs.run()
        messages = mailbox.to(user.email)
        assert messages, "no e-mail delivered"
        return re.search(r"\b(\d{6})\b", mailbox.text(messages[-1])).group(1)
    return read


def status_of(req) -> str:
    db.session.expire_all()
    return db.session.get(Request, req.id).status


def test_setting_off_submits_without_a_code(app, client, owner):
    req = make_request(owner)
    sign_in(client, "signer")
    response = move(client, req, "submit")
    assert response.status_code == 302
    assert status_of(req) == Status.SUBMITTED
    assert db.session.query(ConfirmationCode).count() == 0


def test_submit_asks_a_code_then_signs(app, client, owner, code_of):
    req = make_request(owner)
    require_codes(submit=True)
    sign_in(client, "signer")
    page = move(client, req, "submit", comment="keep me")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "s***@test.example" in html  # where the code went
    assert 'name="comment" value="keep me"' in html  # the posted form is kept
    assert status_of(req) == Status.DRAFT
    code = code_of(owner)  # delivered by SMTP through the outbox
    mail = db.session.query(OutboxMessage).filter_by(kind="confirmation_code").one()
    assert mail.recipient == owner.email and code not in mail.body  # erased once sent
    wrong = move(client, req, "submit", confirmation_code="000000" if code != "000000"
                 else "111111").get_data(as_text=True)
    assert "Wrong code: 4 tries left." in wrong and 'aria-invalid="true"' in wrong
    done = move(client, req, "submit", confirmation_code=code)
    assert done.status_code == 302
    assert status_of(req) == Status.SUBMITTED
    signature = db.session.query(Signature).one()
    assert (signature.ip, signature.user_agent, signature.purpose) == (
        "198.51.100.4", UA, "submit")
    detail = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert 'data-testid="signature"' in detail
    assert "Signed with a simple electronic signature" in detail
    assert signature.data_hash in detail and "198.51.100.4" in detail


def test_resend_waits_a_minute_then_sends_a_new_code(app, client, owner):
    req = make_request(owner)
    require_codes(submit=True)
    sign_in(client, "signer")
    move(client, req, "submit")
    page = move(client, req, "submit", resend_code="1").get_data(as_text=True)
    assert "less than a minute ago" in page
    db.session.query(ConfirmationCode).update({"created_at": utcnow() - timedelta(minutes=2)})
    db.session.commit()
    page = move(client, req, "submit", resend_code="1").get_data(as_text=True)
    assert "A new code is sent." in page
    assert db.session.query(ConfirmationCode).count() == 2


def test_expired_and_reused_codes_in_the_cabinet(app, client, owner, code_of):
    first, second = make_request(owner), make_request(owner)
    require_codes(submit=True)
    sign_in(client, "signer")
    move(client, first, "submit")
    code = code_of(owner)
    db.session.query(ConfirmationCode).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    page = move(client, first, "submit", confirmation_code=code).get_data(as_text=True)
    assert "The code has expired" in page and status_of(first) == Status.DRAFT
    db.session.query(ConfirmationCode).update({"expires_at": utcnow() + timedelta(minutes=5)})
    db.session.commit()
    move(client, first, "submit", confirmation_code=code)
    assert status_of(first) == Status.SUBMITTED
    page = move(client, second, "submit", confirmation_code=code).get_data(as_text=True)
    assert "already used" in page and status_of(second) == Status.DRAFT


def test_close_signs_the_act_and_the_act_prints_it(app, client, owner, staff, code_of):
    req = make_request(owner, Status.DELIVERED, staff)
    require_codes(close=True)
    sign_in(client, "signer")
    move(client, req, "close")
    assert status_of(req) == Status.DELIVERED
    move(client, req, "close", confirmation_code=code_of(owner))
    assert status_of(req) == Status.CLOSED
    signature = db.session.query(Signature).one()
    req = db.session.get(Request, req.id)
    assert signature.data_hash == data_hash(act_payload(req))
    response = client.get(f"/cabinet/requests/{req.id}/pdf/act")
    assert response.status_code == 200
    text = " ".join(pdf_text(response.data).split())
    assert "Signed with a simple electronic signature:" in text
    assert owner.get_full_name() in text and "IP 198.51.100.4" in text
    assert signature.data_hash in text.replace(" ", "")
    # an act accepted without a code (setting off) says nothing of a signature
    other = make_request(owner, Status.DELIVERED, staff)
    require_codes(close=False)
    move(client, other, "close")
    plain = pdf_text(client.get(f"/cabinet/requests/{other.id}/pdf/act").data)
    assert status_of(other) == Status.CLOSED and "electronic signature" not in plain


def test_staff_and_other_companies_cannot_sign(app, client, owner, staff):
    req = make_request(owner, Status.DELIVERED, staff)
    require_codes(close=True)
    stranger = as_user(app, make_partner())
    response = post(stranger, f"/cabinet/requests/{req.id}/move/close",
                    {"version": req.version})
    assert response.status_code == 404
    manager = as_user(app, staff.manager)  # staff have no cabinet
    response = post(manager, f"/cabinet/requests/{req.id}/move/close",
                    {"version": req.version})
    assert response.status_code in (302, 403) and status_of(req) == Status.DELIVERED
    anonymous = app.test_client()
    assert post(anonymous, f"/cabinet/requests/{req.id}/move/close",
                {"version": req.version}).status_code == 302
    assert db.session.query(ConfirmationCode).count() == 0
    member = as_user(app, make_partner(owner.profile.partner_company, owner=False))
    assert post(member, f"/cabinet/requests/{req.id}/move/close",
                {"version": req.version}).status_code == 404  # a member sees own requests


def test_admin_turns_codes_on_and_off(app, client):
    admin = as_user(app, make_user("Admin"))
    fields = settings_fields(admin)
    page = admin.get("/settings/").get_data(as_text=True)
    assert 'id="signature-settings"' in page and 'name="signatures-submit"' in page
    admin.post("/settings/", data={**fields, "signatures-submit": "y",
                                   "signatures-close": "y", "signatures-sms": "y"})
    db.session.expire_all()
    assert get_setting("signatures") == {"submit": True, "close": True, "quote": False,
                                         "contact": False, "sms": True}
    admin.post("/settings/", data=settings_fields(admin))
    db.session.expire_all()
    assert not any(get_setting("signatures").values())
    assert re.search(r"signatures", page)


# --- the REST API shares the flow (app/api_signatures.py; the moves in app/api_requests.py) ---

def api_token(user, scope="write") -> str:
    row, secret = create_token(user, "CRM", scope, 30)
    db.session.commit()
    return secret


def api(client, method, path, secret, **kwargs):
    return client.open(f"/api/v1{path}", method=method,
                       headers={"Authorization": f"Bearer {secret}"}, **kwargs)


def test_api_code_then_submit_with_it(app, owner, code_of):
    req = make_request(owner)
    require_codes(submit=True)
    client, secret = app.test_client(), api_token(owner)
    refused = api(client, "POST", f"/requests/{req.id}/submit", secret, json={})
    assert refused.status_code == 403
    assert refused.get_json()["type"].endswith("/confirmation_required")
    sent = api(client, "POST", "/confirmation-codes", secret,
               json={"purpose": "submit", "request_id": req.id})
    assert sent.status_code == 201, sent.get_data(as_text=True)
    body = sent.get_json()
    assert (body["channel"], body["tries_left"], body["sent_to"]) == ("email", 5,
                                                                       "s***@test.example")
    assert body["expires_at"].endswith("Z")
    again = api(client, "POST", "/confirmation-codes", secret,
                json={"purpose": "submit", "request_id": req.id})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) <= 60
    wrong = api(client, "POST", f"/requests/{req.id}/submit", secret,
                json={"confirmation_code": "12345x"})
    assert wrong.status_code == 403 and "4" in wrong.get_json()["detail"]
    done = api(client, "POST", f"/requests/{req.id}/submit", secret,
               json={"confirmation_code": code_of(owner)})
    assert done.status_code == 200 and status_of(req) == Status.SUBMITTED
    listed = api(client, "GET", f"/requests/{req.id}/signatures", secret).get_json()
    (item,) = listed["items"]
    assert item["purpose"] == "submit" and len(item["data_sha256"]) == 64


def test_api_codes_refuse_bad_input_staff_strangers_and_read_tokens(app, owner, staff):
    req = make_request(owner, Status.DELIVERED, staff)
    require_codes(close=True)
    client = app.test_client()
    body = {"purpose": "close", "request_id": req.id}
    assert api(client, "POST", "/confirmation-codes", api_token(owner, "read"),
               json=body).status_code == 403
    assert api(client, "POST", "/confirmation-codes", api_token(staff.manager),
               json=body).status_code == 403
    assert api(client, "POST", "/confirmation-codes", api_token(make_partner()),
               json=body).status_code == 404
    secret = api_token(owner)
    for bad in ({"purpose": "quote", "request_id": req.id}, {"purpose": "close"},
                {"purpose": "close", "request_id": 2 ** 40}, ["close"],
                {"purpose": "close", "request_id": True}):
        assert api(client, "POST", "/confirmation-codes", secret,
                   json=bad).status_code == 422, bad
    assert api(client, "POST", "/confirmation-codes", None, json=body).status_code == 401
    require_codes(close=False)
    assert api(client, "POST", "/confirmation-codes", secret, json=body).status_code == 422
    assert db.session.query(ConfirmationCode).count() == 0
    engineer = api(client, "GET", f"/requests/{req.id}/signatures",
                   api_token(staff.engineer, "read"))
    assert engineer.status_code == 200 and engineer.get_json() == {"items": []}


# --- the other actions: submit right after saving, a quote, a new phone or e-mail ----------

def test_save_and_submit_asks_the_code_for_the_saved_draft(app, client, owner, code_of):
    require_codes(submit=True)
    sign_in(client, "signer")
    page = post(client, "/cabinet/requests/new", form_data(submit_now="1"))
    html = page.get_data(as_text=True)
    req = db.session.query(Request).one()
    assert page.status_code == 200 and req.status == Status.DRAFT  # saved, not submitted
    assert f'action="/cabinet/requests/{req.id}/move/submit"' in html
    post(client, f"/cabinet/requests/{req.id}/move/submit",
         {"version": req.version, "confirmation_code": code_of(owner)})
    assert status_of(req) == Status.SUBMITTED
    assert db.session.query(Signature).one().object_id == req.id


def test_agreeing_to_a_quote_is_signed(app, client, owner, code_of):
    require_codes(quote=True)
    sign_in(client, "signer")
    data = {"services": [str(db.session.query(Service).filter_by(code="measure").one().id)],
            "area": "50", "object_type": "house", "urgency": "normal", "save": "1"}
    page = post(client, "/cabinet/calculator", data).get_data(as_text=True)
    assert db.session.query(Quote).count() == 0
    assert 'name="area" value="50"' in page and 'name="save" value="1"' in page
    data["area"] = "60"  # other data than the code was sent for
    changed = post(client, "/cabinet/calculator",
                   {**data, "confirmation_code": code_of(owner)})
    assert "The data changed" in changed.get_data(as_text=True)
    assert db.session.query(Quote).count() == 0
    data["area"] = "50"
    response = post(client, "/cabinet/calculator",
                    {**data, "confirmation_code": code_of(owner)})
    assert response.status_code == 302
    quote = db.session.query(Quote).one()
    signature = db.session.query(Signature).one()
    assert (signature.purpose, signature.object_type, signature.object_id) == (
        "quote", "Quote", quote.id)


def test_a_new_phone_is_signed_and_other_profile_edits_are_not(app, client, owner, code_of):
    require_codes(contact=True)
    sign_in(client, "signer")
    base = {"first_name": "Anna", "last_name": "K", "email": owner.email, "locale": "en"}
    assert post(client, "/cabinet/profile", base).status_code == 302  # no contact change
    page = post(client, "/cabinet/profile", {**base, "phone": "+7 900 000-00-02"})
    assert page.status_code == 200 and 'value="+7 900 000-00-02"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, owner.id).profile.phone
    done = post(client, "/cabinet/profile", {**base, "phone": "+7 900 000-00-02",
                                             "confirmation_code": code_of(owner)})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, owner.id).profile.phone == "+7 900 000-00-02"
    signature = db.session.query(Signature).one()
    assert (signature.purpose, signature.object_type, signature.object_id) == (
        "contact", "User", owner.id)


def test_the_desk_shows_the_signature_to_managers_not_engineers(app, client, owner, staff,
                                                                code_of):
    req = make_request(owner, Status.DELIVERED, staff)
    require_codes(close=True)
    sign_in(client, "signer")
    move(client, req, "close")
    move(client, req, "close", confirmation_code=code_of(owner))
    signature = db.session.query(Signature).one()
    manager = as_user(app, staff.manager).get(f"/desk/{req.id}").get_data(as_text=True)
    assert 'data-testid="signature"' in manager and signature.data_hash in manager
    engineer = as_user(app, staff.engineer).get(f"/desk/{req.id}")
    assert engineer.status_code == 200
    assert signature.data_hash not in engineer.get_data(as_text=True)
