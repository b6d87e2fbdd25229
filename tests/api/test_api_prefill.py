"""POST /api/v1/prefill-tokens (issue 13.4): a partner's read-and-write token makes a prefill
link for its company; bad input is a 422 problem and stores nothing; the link fills the
cabinet's form (contact fields and end client included) for that company only."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_babel import force_locale, gettext

from app.api_tokens import create_token
from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, SUPERMANAGER
from app.prefill import digest
from models.base import utcnow
from models.prefill import PrefillToken
from models.requests import Request
from tests.factories import as_user, make_partner, make_user
from tests.field_world import PHONE, VIN, car_service

PROBLEM = "application/problem+json"
URL = "/api/v1/prefill-tokens"


@pytest.fixture
def car(app):
    service = car_service()
    db.session.commit()
    return service


def bearer(user, scope="write"):
    _, secret = create_token(user, "Site", scope, 30)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


def body(car, **changes):
    payload = {"service": car.code,
               "values": {"vin": VIN, "make": "Lada", "mileage": "120 000",
                          "engine": 1.6, "accident": True, "extras": ["photo"],
                          "owner_phone": PHONE},
               "end_client": {"name": "Ivan Petrov", "phone": "+7 900 111-22-33"},
               "description": "From the tour site", "source": "tours.example"}
    payload.update(changes)
    return payload


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    assert "Set-Cookie" not in response.headers
    assert db.session.query(PrefillToken).count() == 0
    return response.get_json()


def test_a_partner_creates_a_prefill_link(app, client, car):
    owner = make_partner()
    response = client.post(URL, json=body(car), headers=bearer(owner))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    answer = response.get_json()
    assert set(answer) == {"token", "url", "expires_at"}
    token = answer["token"]
    assert token.startswith("pf_") and len(token) >= 40
    link = urlsplit(answer["url"])
    assert f"{link.scheme}://{link.netloc}" == app.config["BASE_URL"]
    assert link.path == "/cabinet/requests/new" and parse_qs(link.query) == {"prefill": [token]}
    row = db.session.query(PrefillToken).one()
    assert row.token_hash == digest(token) and row.company_id == owner.profile.partner_company_id
    assert row.created_by_id == owner.id and row.service_ids == [car.id]
    assert row.field_values == {"vin": VIN, "make": "Lada", "mileage": 120000, "engine": "1.6",
                                "accident": True, "extras": ["photo"], "owner_phone": PHONE}
    assert (row.end_client_name, row.end_client_phone) == ("Ivan Petrov", "+7 900 111-22-33")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", answer["expires_at"])
    assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
    assert db.session.query(Request).count() == 0  # a link, not a draft


def test_the_link_opens_the_filled_form_for_a_member_of_the_company(app, client, car):
    owner = make_partner()
    member = make_partner(owner.profile.partner_company, owner=False, locale="en")
    answer = client.post(URL, json=body(car), headers=bearer(owner)).get_json()
    link = urlsplit(answer["url"])
    text = as_user(app, member).get(f"{link.path}?{link.query}").get_data(as_text=True)
    assert f'value="{VIN}"' in text and PHONE in text and 'value="Ivan Petrov"' in text
    assert "Filled from tours.example: check and submit." in text
    stranger = as_user(app, make_partner(locale="en"))
    text = stranger.get(f"{link.path}?{link.query}").get_data(as_text=True)
    assert PHONE not in text and "made by another company" in text
    assert db.session.query(Request).count() == 0


def test_a_member_creates_one_by_service_id_with_an_expiry_of_his_choice(app, client, car):
    member = make_partner(owner=False)
    response = client.post(URL, json={"service": [car.id, car.code], "expires_in_days": 2},
                           headers=bearer(member))
    assert response.status_code == 201
    row = db.session.query(PrefillToken).one()
    assert row.service_ids == [car.id] and row.field_values == {}
    assert row.end_client_name is None and row.source is None
    assert timedelta(days=1, hours=23) < row.expires_at - utcnow() <= timedelta(days=2)


def test_a_new_token_clears_its_companys_expired_ones(app, client, car):
    owner = make_partner()
    headers = bearer(owner)
    for _ in range(2):
        assert client.post(URL, json={"service": car.code}, headers=headers).status_code == 201
    other = client.post(URL, json={"service": car.code}, headers=bearer(make_partner()))
    assert other.status_code == 201
    rows = db.session.query(PrefillToken).order_by(PrefillToken.id).all()
    rows[0].expires_at = utcnow() - timedelta(seconds=1)
    rows[2].expires_at = utcnow() - timedelta(seconds=1)  # another company's: kept
    db.session.commit()
    kept = [rows[1].id, rows[2].id]
    assert client.post(URL, json={"service": car.code}, headers=headers).status_code == 201
    left = [row.id for row in db.session.query(PrefillToken).order_by(PrefillToken.id)]
    assert left[:2] == kept and len(left) == 3


def test_the_default_expiry_is_a_setting(app, client, car, monkeypatch):
    monkeypatch.setitem(app.config, "PREFILL_TOKEN_DAYS", 3)
    response = client.post(URL, json={"service": car.code}, headers=bearer(make_partner()))
    assert response.status_code == 201
    row = db.session.query(PrefillToken).one()
    assert timedelta(days=2, hours=23) < row.expires_at - utcnow() <= timedelta(days=3)


def test_a_read_token_is_refused(app, client, car):
    body_ = assert_problem(client.post(URL, json=body(car),
                                       headers=bearer(make_partner(), "read")), 403)
    assert "may only read" in body_["detail"]


@pytest.mark.parametrize("role", [SUPERMANAGER, MANAGER, ENGINEER, ADMIN, DIRECTOR])
def test_staff_tokens_are_refused(app, client, car, role):
    body_ = assert_problem(client.post(URL, json=body(car), headers=bearer(make_user(role))),
                           403)
    assert body_["detail"] == "Only partners may do this."


def test_without_a_token_it_is_401(app, client, car):
    assert_problem(client.post(URL, json=body(car)), 401)
    assert_problem(client.post(URL, json=body(car),
                               headers={"Authorization": "Bearer rpl_nope_nope"}), 401)


@pytest.mark.parametrize("payload,says", [
    ([], "JSON object"), ("text", "JSON object"), ({}, "Name the service"),
    ({"service": None}, "Name the service"), ({"service": []}, "Name the service"),
    ({"service": "nope"}, "No such service"), ({"service": 999999}, "No such service"),
    ({"service": 10 ** 30}, "No such service"), ({"service": True}, "No such service"),
    ({"service": {"a": 1}}, "No such service"), ({"service": ["car"] * 6}, "up to 5"),
    ({"service": "car", "values": [1]}, "“values” must be an object"),
    ({"service": "car", "values": {"colour": "red"}}, "no field “colour”"),
    ({"service": "car", "values": {"vin": "bad"}}, "“vin”:"),
    ({"service": "car", "values": {"mileage": "many"}}, "“mileage”: Enter a whole number."),
    ({"service": "car", "values": {"mileage": 10 ** 20}}, "“mileage”"),
    ({"service": "car", "values": {"car_class": "zzz"}}, "“car_class”"),
    ({"service": "car", "values": {"registered": "2019-02-31"}}, "“registered”"),
    ({"service": "car", "values": {"make": {"a": 1}}}, "“make”: give a text"),
    ({"service": "car", "values": {"make": "x" * 6000}}, "“make” must be a text of at most"),
    ({"service": "car", "values": {"mileage": [1, 2]}}, "“mileage” takes one value"),
    ({"service": "car", "end_client": {"name": "Иван", "zzz": 1}}, "“end_client” must be"),
    ({"service": "car", "fields": {"vin": "x"}}, "Unknown field: “fields”; this operation "
                                                "takes description, end_client"),
    ({"services": ["car"]}, "Unknown field: “services”"),
    ({"service": "car", "values": {"owner_phone": "call me"}}, "“owner_phone”"),
    ({"service": "car", "end_client": "Ivan"}, "“end_client” must be an object"),
    ({"service": "car", "end_client": {"name": "I", "phone": "nope"}}, "phone number"),
    ({"service": "car", "end_client": {"phone": "+79001112233"}}, "end client's name"),
    ({"service": "car", "end_client": {"name": "x" * 201}}, "“name” must be a text"),
    ({"service": "car", "end_client": {"name": 5}}, "“name” must be a text"),
    ({"service": "car", "description": "x" * 5001}, "“description” must be a text"),
    ({"service": "car", "source": "x" * 101}, "“source” must be a text"),
    ({"service": "car", "expires_in_days": 0}, "from 1 to 30"),
    ({"service": "car", "expires_in_days": 31}, "from 1 to 30"),
    ({"service": "car", "expires_in_days": "7"}, "from 1 to 30"),
    ({"service": "car", "expires_in_days": True}, "from 1 to 30"),
    ({"service": "car", "expires_in_days": 2.5}, "from 1 to 30"),
])
def test_bad_input_is_a_422_naming_the_problem(app, client, car, payload, says):
    answer = assert_problem(client.post(URL, json=payload, headers=bearer(make_partner())), 422)
    assert says in answer["detail"], answer["detail"]


def test_a_body_that_is_not_json_is_a_422(app, client, car):
    headers = bearer(make_partner())
    assert_problem(client.post(URL, data="service=car", headers=headers), 422)
    assert_problem(client.post(URL, data=b"{bad json", headers={
        **headers, "Content-Type": "application/json"}), 422)


def test_a_nul_anywhere_in_the_body_is_refused(app, client, car):
    headers = bearer(make_partner())
    for payload in ({"service": "car", "values": {"make": "a\x00b"}},
                    {"service": "car", "source": "a\x00b"}):
        assert_problem(client.post(URL, json=payload, headers=headers), 400)


def test_an_inactive_service_is_refused(app, client, car):
    car.is_active = False
    db.session.commit()
    assert_problem(client.post(URL, json=body(car), headers=bearer(make_partner())), 422)


def test_the_problem_speaks_russian_by_default(app, client, car):
    headers = bearer(make_partner())
    headers.pop("Accept-Language")
    answer = assert_problem(client.post(URL, json={"service": "nope"}, headers=headers), 422)
    with force_locale("ru"):
        expected = gettext("No such service is offered: %(service)s.", service="nope")
    assert answer["detail"] == expected


def test_the_openapi_document_describes_it(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/prefill-tokens"]["post"]
    assert operation["x-scope"] == "write" and "201" in operation["responses"]
    schemas = document["components"]["schemas"]
    assert {"PrefillTokenInput", "PrefillToken"} <= set(schemas)
