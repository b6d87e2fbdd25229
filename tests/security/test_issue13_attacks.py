"""Issue 13 under attack (attack13): the REST API, its tokens, confirmation codes, prefill
links and the Telegram webhook, probed the way an attacker would; each test names the hole
it closed (or the door that held)."""

import base64

import pytest
from sqlalchemy import update

from app.api_tokens import create_token
from app.extensions import db
from app.quotes import request_quote_code, save_quote
from app.signatures import ConfirmationRequired, _latest
from models.base import utcnow
from models.catalog import Quote
from models.signatures import ConfirmationCode, Signature
from tests.factories import make_partner, make_request, make_service
from tests.telegram_bot_api import SECRET, SECRET_HEADER
from tests.unit.test_signature_codes import mailed_code, require_codes

PROBLEM = "application/problem+json"


def bearer(user, scope="write") -> dict:
    _row, secret = create_token(user, "attack", scope, 30)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return response.get_json()


# --- cursor tampering ----------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"[" * 1200,  # deeper than the JSON parser recurses, short enough for a URL: was a 500
    b'{"a": 1, "b": 2}', b'"ab"', b'["2026-01-01", 1, 2]', b'[1, 1]', b'["x", 1]',
    b'["2026-01-01", 99999999999]', b'["2026-01-01", true]', b"\xff\xfe", b"null"])
def test_tampered_cursor_is_422_never_500(app, client, raw):
    partner = make_partner()
    make_request(partner)
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get(f"/api/v1/requests?cursor={cursor}", headers=bearer(partner, "read"))
    assert_problem(response, 422)


# --- one confirmation code, two confirms ---------------------------------------------------

def test_one_code_signs_once_even_when_two_confirms_read_it_unused(app):
    """Two concurrent confirms both read the code unused; the second's write must not sign
    again (it was a plain attribute write, so both saved a quote under one code)."""
    partner = make_partner()
    service = make_service()
    values = {"area": 50, "object_type": "apartment"}
    require_codes(quote=True)
    request_quote_code(partner, [service.id], values, "normal")
    code = mailed_code(partner)
    db.session.commit()
    row = _latest(partner, "quote")  # this "request" read the code while still unused
    assert row.used_at is None
    # the other request used it and committed meanwhile (the session's copy is now stale)
    db.session.execute(update(ConfirmationCode).where(ConfirmationCode.id == row.id)
                       .values(used_at=utcnow()).execution_options(synchronize_session=False))
    with pytest.raises(ConfirmationRequired) as caught:
        save_quote(partner, [service.id], values, "normal", confirmation_code=code)
    assert caught.value.reason == "used"
    db.session.rollback()
    assert db.session.query(Signature).count() == 0
    assert db.session.query(Quote).count() == 0


# --- bodies nested deeper than the JSON parser recurses ------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/confirmation-codes", "/api/v1/prefill-tokens",
                                  "/api/v1/requests/{id}/messages", "/api/v1/requests",
                                  "/api/v1/quote"])
def test_deeply_nested_json_body_is_422_never_500(app, client, path):
    partner = make_partner()
    req = make_request(partner)
    response = client.post(path.format(id=req.id), data=b"[" * 100000,
                           content_type="application/json", headers=bearer(partner))
    assert_problem(response, 422)


# --- cookies, the FAB login, tokens of a blocked company -----------------------------------

def test_no_cookie_is_set_under_api_and_fab_login_hands_out_nothing(app, client):
    partner = make_partner()
    headers = bearer(partner)
    for method, path, kwargs in [
            ("get", "/api/v1/me", {"headers": headers}), ("get", "/api/v1/nowhere", {}),
            ("get", "/api/v1/requests?cursor=%%%", {"headers": headers}),
            ("post", "/api/v1/requests", {"headers": headers, "json": {"x": 1}}),
            ("get", "/api/v1/openapi.json", {}), ("post", "/api/v1/me", {"headers": headers}),
            ("post", "/api/v1/security/login", {"json": {"username": partner.username,
                                                        "password": "x", "provider": "db"}})]:
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code < 500, (path, response.status_code)
        assert "Set-Cookie" not in response.headers, path
        if path.endswith("security/login"):
            assert "access_token" not in response.get_data(as_text=True)


# --- the Telegram webhook ------------------------------------------------------------------

def test_telegram_update_nested_too_deep_is_ignored_not_500(tg, bot):
    """Telegram repeats an update answered 5xx: one such update would be retried for hours."""
    response = tg.test_client().post(f"/telegram/webhook/{SECRET}", data=b"[" * 100000,
                                     content_type="application/json",
                                     headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    assert bot.calls == []
