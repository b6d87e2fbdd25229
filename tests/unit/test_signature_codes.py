"""Confirmation codes (app.signatures): the use case layer, the SMS gateway on loopback."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.exceptions import NotFound as HttpNotFound

from app.accounts import update_profile
from app.drafts import submit_draft
from app.errors import RateLimited, Refused
from app.extensions import db
from app.quotes import request_quote_code, save_quote
from app.settings import get_setting, set_setting
from app.signatures import (ConfirmationRequired, act_payload, data_hash, request_code,
                            request_code_for_request, request_payload)
from app.sms import HttpGateway, LoggingGateway, SmsError, gateway
from app.uow import unit_of_work
from app.workflow import transition
from models.base import utcnow
from models.outbox import OutboxMessage
from models.request_status import Status
from models.signatures import ConfirmationCode, Signature
from tests.factories import make_partner, make_request, make_service
from tests.jobs.servers import serve_in_thread

IP, UA = "203.0.113.7", "Mozilla/5.0 (signature test)"


def require_codes(**flags) -> None:
    value = get_setting("signatures")
    value.update(flags)
    set_setting("signatures", value)
    db.session.commit()


def mailed_code(user) -> str:
    """The code of the newest confirmation e-mail to `user` (read before it is sent)."""
    row = db.session.query(OutboxMessage).filter_by(recipient=user.email,
                                                    kind="confirmation_code") \
        .order_by(OutboxMessage.id.desc()).first()
    assert row is not None, "no confirmation e-mail in the outbox"
    return re.search(r"\b(\d{6})\b", row.body).group(1)


def submit(app, user, req, code=None):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": IP},
                                  headers={"User-Agent": UA}):
        with unit_of_work():
            submit_draft(user, req.id, confirmation_code=code)


def refusal(app, user, req, code) -> ConfirmationRequired:
    with pytest.raises(ConfirmationRequired) as caught:
        submit(app, user, req, code)
    return caught.value


def new_code(user, req) -> str:
    request_code(user, "submit", request_payload(req))
    code = mailed_code(user)
    db.session.commit()
    return code


def test_setting_off_by_default_asks_no_code(app):
    partner = make_partner()
    req = make_request(partner)
    assert get_setting("signatures") == {"submit": False, "close": False, "quote": False,
                                         "contact": False, "sms": False}
    submit(app, partner, req)
    assert req.status == Status.SUBMITTED
    assert db.session.query(ConfirmationCode).count() == 0
    assert db.session.query(Signature).count() == 0


def test_submit_without_code_is_refused_with_its_kind(app):
    partner = make_partner()
    req = make_request(partner)
    require_codes(submit=True)
    error = refusal(app, partner, req, None)
    assert error.kind == "confirmation_required" and error.reason == "missing"
    assert error.payload == request_payload(req) and error.purpose == "submit"
    db.session.expire_all()
    assert req.status == Status.DRAFT


def test_right_code_signs_with_ip_user_agent_and_hash(app):
    partner = make_partner()
    req = make_request(partner)
    require_codes(submit=True)
    payload = request_payload(req)
    code = new_code(partner, req)
    row = db.session.query(ConfirmationCode).one()
    assert code not in row.code_hash and len(row.code_hash) == 64  # an HMAC, not the code
    assert row.tries_left == 5 and row.expires_at - row.created_at == timedelta(minutes=10)
    mail = db.session.query(OutboxMessage).filter_by(kind="confirmation_code").one()
    assert mail.sensitive and mail.recipient == partner.email
    submit(app, partner, req, code)
    db.session.expire_all()
    assert req.status == Status.SUBMITTED
    signature = db.session.query(Signature).one()
    assert (signature.user_id, signature.purpose, signature.object_type, signature.object_id) \
        == (partner.id, "submit", "Request", req.id)
    assert signature.ip == IP and signature.user_agent == UA
    assert signature.data_hash == data_hash(payload) and len(signature.data_hash) == 64
    assert db.session.get(ConfirmationCode, signature.code_id).used_at is not None


def test_wrong_code_counts_tries_even_though_the_move_is_rolled_back(app):
    partner = make_partner()
    req = make_request(partner)
    require_codes(submit=True)
    code = new_code(partner, req)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    messages = [str(refusal(app, partner, req, wrong)) for _ in range(4)]
    assert "4" in messages[0] and "1" in messages[3]
    db.session.expire_all()
    assert db.session.query(ConfirmationCode).one().tries_left == 1
    last = refusal(app, partner, req, wrong)
    assert last.reason == "exhausted"
    # the right code no longer helps: too many tries
    after = refusal(app, partner, req, code)
    assert after.reason == "exhausted"
    db.session.expire_all()
    assert req.status == Status.DRAFT and db.session.query(Signature).count() == 0


def test_expired_code_is_refused(app):
    partner = make_partner()
    req = make_request(partner)
    require_codes(submit=True)
    code = new_code(partner, req)
    row = db.session.query(ConfirmationCode).one()
    row.expires_at = utcnow() - timedelta(seconds=1)  # time travel
    db.session.commit()
    error = refusal(app, partner, req, code)
    assert error.reason == "expired" and "10" in str(error)


def test_used_code_is_refused_the_second_time(app):
    partner = make_partner()
    first, second = make_request(partner), make_request(partner)
    require_codes(submit=True)
    code = new_code(partner, first)
    submit(app, partner, first, code)
    error = refusal(app, partner, second, code)
    assert error.reason == "used"


def test_code_for_other_data_is_refused(app):
    partner = make_partner()
    req = make_request(partner)
    require_codes(submit=True)
    code = new_code(partner, req)
    req.field_values = {**(req.field_values or {}), "area": 99}  # the request changed since
    db.session.commit()
    error = refusal(app, partner, req, code)
    assert error.reason == "other_data"
    db.session.expire_all()
    assert req.status == Status.DRAFT


def test_a_new_code_waits_a_minute(app):
    partner = make_partner()
    req = make_request(partner)
    require_codes(submit=True)
    new_code(partner, req)
    with pytest.raises(RateLimited) as caught:
        request_code(partner, "submit", request_payload(req))
    assert 0 < caught.value.retry_after <= 60
    row = db.session.query(ConfirmationCode).one()
    row.created_at = utcnow() - timedelta(seconds=61)
    db.session.commit()
    new_code(partner, req)
    assert db.session.query(ConfirmationCode).count() == 2


def test_close_signs_the_act_and_staff_moves_need_no_code(app, staff):
    partner = make_partner()
    req = make_request(partner, Status.DELIVERED, staff)
    other = make_request(partner, Status.DELIVERED, staff)
    require_codes(close=True, submit=True)
    with pytest.raises(ConfirmationRequired):
        transition(req, "close", partner)
    db.session.rollback()
    request_code(partner, "close", act_payload(req))
    code = mailed_code(partner)
    db.session.commit()
    transition(req, "close", partner, confirmation_code=code)
    db.session.commit()
    assert req.status == Status.CLOSED
    assert db.session.query(Signature).one().purpose == "close"
    transition(other, "close", staff.manager)  # the manager's close is not a signature
    db.session.commit()
    assert other.status == Status.CLOSED and db.session.query(Signature).count() == 1


def test_only_the_owning_partner_gets_a_code_for_a_request(app, staff):
    partner = make_partner()
    req = make_request(partner, Status.DELIVERED, staff)
    require_codes(close=True)
    for member in (staff.supermanager, staff.manager):  # staff see it but never sign for him
        with pytest.raises(Refused):
            request_code_for_request(member, "close", req.id)
    with pytest.raises(HttpNotFound):  # another company: not found
        request_code_for_request(make_partner(), "close", req.id)
    request_code_for_request(partner, "close", req.id)
    assert db.session.query(ConfirmationCode).filter_by(user_id=partner.id).count() == 1


class GatewayHandler(BaseHTTPRequestHandler):
    """A provider's SMS API on loopback: remembers what it got, answers `status`."""

    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_gateway(app):
    """A loopback HTTP gateway configured through SMS_GATEWAY_URL / _TOKEN."""
    GatewayHandler.received, GatewayHandler.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), GatewayHandler)
    serve_in_thread(server)
    app.config.update(SMS_GATEWAY_URL=f"http://127.0.0.1:{server.server_port}/send",
                      SMS_GATEWAY_TOKEN="sms-secret")
    yield GatewayHandler
    app.config.pop("SMS_GATEWAY_URL")
    app.config.pop("SMS_GATEWAY_TOKEN")
    server.shutdown()
    server.server_close()


def test_sms_goes_through_the_http_gateway(app, sms_gateway):
    partner = make_partner()
    partner.profile.phone = "+7 999 123-45-67"
    req = make_request(partner)
    require_codes(submit=True, sms=True)
    assert isinstance(gateway(), HttpGateway)
    row = request_code(partner, "submit", request_payload(req))
    db.session.commit()
    assert row.channel == "sms" and row.sent_to.endswith("67")
    (headers, body), = sms_gateway.received
    assert headers["Authorization"] == "Bearer sms-secret"
    assert body["to"] == "+7 999 123-45-67" and body["sender"] == "Replan"
    code = re.search(r"\b(\d{6})\b", body["text"]).group(1)
    assert db.session.query(OutboxMessage).count() == 0  # no e-mail when the SMS went
    submit(app, partner, req, code)
    assert db.session.query(Signature).one().code_id == row.id


def test_gateway_refusal_is_a_clear_error_and_keeps_nothing(app, sms_gateway):
    partner = make_partner()
    partner.profile.phone = "+79991234567"
    req = make_request(partner)
    require_codes(submit=True, sms=True)
    sms_gateway.status = 503
    with pytest.raises(SmsError):
        HttpGateway(app.config["SMS_GATEWAY_URL"]).send("+7999", "x")
    with pytest.raises(Exception) as caught:
        with unit_of_work():
            request_code(partner, "submit", request_payload(req))
    assert "SMS" in str(caught.value)
    assert db.session.query(ConfirmationCode).count() == 0


def test_no_phone_or_no_gateway_falls_back(app):
    partner = make_partner()
    req = make_request(partner)
    require_codes(submit=True, sms=True)
    assert isinstance(gateway(), LoggingGateway)
    row = request_code(partner, "submit", request_payload(req))  # no phone: e-mail
    assert row.channel == "email" and row.sent_to.endswith("@test.example")


def test_staff_never_sign_their_own_profile_changes(app, staff):
    require_codes(contact=True)
    with unit_of_work():
        update_profile(staff.manager, "+7 900 111-22-33", "ru", {})
    db.session.expire_all()
    assert staff.manager.profile.phone == "+7 900 111-22-33"
    assert db.session.query(ConfirmationCode).count() == 0


def test_quote_code_asked_ahead_signs_the_same_quote(app):
    partner = make_partner()
    service = make_service()
    values = {"area": 50, "object_type": "apartment"}
    require_codes(quote=True)
    with pytest.raises(ConfirmationRequired):
        save_quote(partner, [service.id], values, "normal")
    db.session.rollback()
    request_quote_code(partner, [service.id], values, "normal")
    code = mailed_code(partner)
    db.session.commit()
    with pytest.raises(ConfirmationRequired) as caught:  # another urgency: other data
        save_quote(partner, [service.id], values, "express", confirmation_code=code)
    assert caught.value.reason == "other_data"
    db.session.rollback()
    quote = save_quote(partner, [service.id], values, "normal", confirmation_code=code)
    db.session.commit()
    assert db.session.query(Signature).one().object_id == quote.id


def test_a_malformed_gateway_address_is_the_gateways_error_not_a_crash():
    with pytest.raises(SmsError, match="invalid"):
        HttpGateway("htp//x").send("+79990001122", "Код 123456")
