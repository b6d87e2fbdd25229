"""Pre-filled requests from a partner's site (issue 13.4): a plain link fills only public
fields, a prefill token also contact fields and the end client, for its own company only and
until it expires; the form opens after login; nothing is saved before the partner's click."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask_appbuilder.security.sqla.models import User

from app.demo import load_catalog
from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, SUPERMANAGER
from app.prefill import create_prefill_token, site_name
from models.base import utcnow
from models.catalog import Service
from models.partners import EndClient
from models.prefill import PrefillToken
from models.requests import Request
from tests.factories import PASSWORD, as_user, form_token, make_partner, make_user, post
from tests.field_world import PHONE, VIN, car_service

NEW = "/cabinet/requests/new"


@pytest.fixture(autouse=True)
def catalog(request, snapshot):
    """The cabinet's catalogue (as tests/cabinet/conftest.py loads it), then the car service
    and the owner if the test asks for them, in that order: built once per run for each
    combination (conftest.snapshot)."""
    wanted = tuple(name for name in ("car", "owner") if name in request.fixturenames)

    def build() -> dict:
        load_catalog()
        db.session.commit()
        ids = {}
        if "car" in wanted:
            ids["car"] = car_service().id
            db.session.commit()
        if "owner" in wanted:
            ids["owner"] = make_partner(locale="en").id
        return ids

    return snapshot("-".join(("prefill-catalog", *wanted)), build)


@pytest.fixture
def car(catalog):
    return db.session.get(Service, catalog["car"])


@pytest.fixture
def owner(catalog):
    return db.session.get(User, catalog["owner"])


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def value_of(text: str, key: str) -> str:
    """What the form's input named `key` shows (text, select or textarea)."""
    match = re.search(rf'<input[^>]*name="{key}"[^>]*value="([^"]*)"', text)
    if match:
        return html_lib.unescape(match.group(1))
    select = re.search(rf'<select[^>]*name="{key}".*?</select>', text, re.S)
    if select:
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(0))
        return chosen.group(1) if chosen else ""
    area = re.search(rf'<textarea[^>]*name="{key}"[^>]*>(.*?)</textarea>', text, re.S)
    assert area, f"no input {key}"
    return html_lib.unescape(area.group(1)).strip()


def service_ticked(text: str, service_id: int) -> bool:
    return bool(re.search(rf'<input checked[^>]*name="services"[^>]*value="{service_id}"'
                          rf'|<input[^>]*name="services"[^>]*value="{service_id}"[^>]*checked',
                          text))


def notices(text: str) -> list[str]:
    return [html_lib.unescape(m) for m in re.findall(r'<div class="flash \w+" role="status">'
                                                     r'(.*?)</div>', text, re.S)]


def car_link(car, **params) -> str:
    query = [("service", car.code)] + [(f"f.{k}", v) for k, v in params.items()]
    return f"{NEW}?{urlencode(query)}"


def new_token(user, car, **payload):
    body = {"service": car.code, "values": {"vin": VIN, "make": "Lada", "owner_phone": PHONE},
            "end_client": {"name": "Ivan Petrov", "phone": "+7 900 111-22-33"},
            "source": "tours.example"}
    body.update(payload)
    row, secret = create_prefill_token(user, body)
    db.session.commit()
    return row, secret


def nothing_saved():
    assert db.session.query(Request).count() == 0
    assert db.session.query(EndClient).count() == 0


# --- plain links ---------------------------------------------------------------------------

def test_a_plain_link_fills_only_public_fields(app, car, owner):
    client = as_user(app, owner)
    text = page(client, car_link(car, vin=VIN, make="Lada Vesta", mileage="120 000",
                                 car_class="e", owner_phone=PHONE) + "&from=https://www.Tours.example/x")
    assert service_ticked(text, car.id)
    assert value_of(text, "vin") == VIN and value_of(text, "make") == "Lada Vesta"
    assert value_of(text, "mileage") == "120000" and value_of(text, "car_class") == "e"
    assert value_of(text, "owner_phone") == ""  # contact data never from a plain link
    assert value_of(text, "new_client_name") == ""
    said = notices(text)
    assert "Filled from tours.example: check and submit." in said
    assert any("Contact data is not taken from a plain link" in n and "Owner's phone" in n
               for n in said)
    nothing_saved()


def test_a_plain_link_takes_the_service_by_id_and_ignores_end_client_params(app, car, owner):
    client = as_user(app, owner)
    text = page(client, f"{NEW}?service={car.id}&f.make=Niva&client_name=Ivan"
                        f"&new_client_name=Ivan&new_client_phone=%2B79001112233")
    assert service_ticked(text, car.id) and value_of(text, "make") == "Niva"
    assert value_of(text, "new_client_name") == "" and value_of(text, "new_client_phone") == ""
    assert "Filled from a link: check and submit." in notices(text)


def test_invalid_and_unknown_values_are_dropped_with_a_note(app, car, owner):
    client = as_user(app, owner)
    text = page(client, car_link(car, vin="not-a-vin", mileage="many", registered="2019-02-31",
                                 car_class="zzz", make="Lada", colour="red")
                + "&service=nope&from=<b>Call us</b>")
    assert value_of(text, "vin") == "" and value_of(text, "mileage") == ""
    assert value_of(text, "registered") == "" and value_of(text, "car_class") == ""
    assert value_of(text, "make") == "Lada"
    said = notices(text)
    assert any(n.startswith("VIN:") and "not filled in" in n for n in said)
    assert any(n.startswith("Mileage, km: Enter a whole number.") for n in said)
    assert any("no such fields: colour" in n for n in said)
    assert any("not offered: nope" in n for n in said)
    assert "Filled from a link: check and submit." in said  # no words of the link's choosing
    assert "Call us" not in text
    nothing_saved()


@pytest.mark.parametrize("raw,shown", [
    ("tours.example", "tours.example"), ("https://www.tours.example/a?b=1", "tours.example"),
    ("тур.рф", "тур.рф"), ("Call +7 900 000-00-00 now", ""), ("x" * 300, ""), ("", ""),
    ("localhost", ""), ("a.b\x00c", ""),
])
def test_the_site_of_a_plain_link_is_a_host_name_or_nothing(app, raw, shown):
    assert site_name(raw) == shown


def test_a_link_naming_hundreds_of_unknown_keys_gets_one_short_note(app, car, owner):
    client = as_user(app, owner)
    query = "&".join(f"f.k{n}=v" for n in range(150))
    text = page(client, f"{NEW}?service={car.code}&{query}")
    note = next(n for n in notices(text) if "no such fields" in n)
    assert note.endswith("k9, ….") and "k10" not in note


def test_nothing_is_saved_until_the_partner_clicks(app, car, owner):
    client = as_user(app, owner)
    link = car_link(car, vin=VIN, make="Lada")
    page(client, link)
    page(client, link)
    nothing_saved()
    response = post(client, link, {"services": str(car.id), "urgency": "normal",
                                   "vin": VIN, "make": "Lada", "save_draft": "1"})
    assert response.status_code == 302
    draft = db.session.query(Request).one()
    assert draft.status == "draft" and draft.field_values["vin"] == VIN
    assert draft.author_id == owner.id


# --- prefill tokens --------------------------------------------------------------------------

def test_a_token_fills_contact_fields_and_the_end_client(app, car, owner):
    _, secret = new_token(owner, car, description="Call before noon")
    text = page(as_user(app, owner), f"{NEW}?prefill={secret}")
    assert service_ticked(text, car.id)
    assert value_of(text, "vin") == VIN and value_of(text, "owner_phone") == PHONE
    assert value_of(text, "new_client_name") == "Ivan Petrov"
    assert value_of(text, "new_client_phone") == "+7 900 111-22-33"
    assert value_of(text, "description") == "Call before noon"
    assert "Filled from tours.example: check and submit." in notices(text)
    nothing_saved()


def test_a_member_of_the_company_uses_the_owners_token(app, car, owner):
    member = make_partner(owner.profile.partner_company, owner=False, locale="en")
    _, secret = new_token(owner, car, source=None)
    text = page(as_user(app, member), f"{NEW}?prefill={secret}")
    assert value_of(text, "owner_phone") == PHONE
    company = owner.profile.partner_company.name
    assert f"Filled from {company}: check and submit." in notices(text)


def test_another_companys_user_gets_a_message_and_nothing_filled(app, car, owner):
    stranger = make_partner(locale="en")
    _, secret = new_token(owner, car)
    text = page(as_user(app, stranger), f"{NEW}?prefill={secret}&service={car.code}"
                                        f"&f.make=Lada")
    assert any("made by another company" in n for n in notices(text))
    assert value_of(text, "vin") == "" and value_of(text, "owner_phone") == ""
    assert value_of(text, "make") == "" and not service_ticked(text, car.id)
    assert value_of(text, "new_client_name") == "" and PHONE not in text
    nothing_saved()


def test_an_expired_token_is_refused(app, car, owner):
    row, secret = new_token(owner, car)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    text = page(as_user(app, owner), f"{NEW}?prefill={secret}")
    assert any("has expired" in n and "nothing was filled" in n for n in notices(text))
    assert value_of(text, "vin") == "" and PHONE not in text


@pytest.mark.parametrize("mangle", [
    lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"), lambda s: s + "x", lambda s: s[3:],
    lambda s: "pf_" + "A" * 43, lambda s: "pf_" + "x" * 500, lambda s: s.upper(),
])
def test_an_altered_token_is_refused(app, car, owner, mangle):
    _, secret = new_token(owner, car)
    text = page(as_user(app, owner), f"{NEW}?prefill={quote(mangle(secret))}")
    assert any("not valid: nothing was filled in" in n for n in notices(text))
    assert value_of(text, "vin") == "" and PHONE not in text


def test_a_token_value_refused_when_used_is_dropped_with_a_note(app, car, owner):
    row, secret = new_token(owner, car)
    row.field_values = {**row.field_values, "vin": "bad vin", "mileage": {"x": 1},
                        "gone_key": "x"}
    row.end_client_phone = "call me"
    db.session.commit()
    text = page(as_user(app, owner), f"{NEW}?prefill={secret}")
    assert value_of(text, "vin") == "" and value_of(text, "owner_phone") == PHONE
    assert value_of(text, "new_client_phone") == ""
    said = notices(text)
    assert any(n.startswith("VIN:") for n in said)
    assert any(n.startswith("Mileage, km:") for n in said)
    assert any("gone_key" in n for n in said)
    assert any("phone was not filled in" in n for n in said)


def test_a_token_whose_service_was_withdrawn_fills_the_rest(app, car, owner):
    row, secret = new_token(owner, car)
    car.is_active = False
    db.session.commit()
    text = page(as_user(app, owner), f"{NEW}?prefill={secret}")
    assert any("no longer offered" in n for n in notices(text))
    assert value_of(text, "new_client_name") == "Ivan Petrov"


def test_the_token_form_saved_by_the_click_keeps_contact_data(app, car, owner):
    _, secret = new_token(owner, car)
    client = as_user(app, owner)
    page(client, f"{NEW}?prefill={secret}")
    nothing_saved()
    response = post(client, f"{NEW}?prefill={secret}", {
        "services": str(car.id), "urgency": "normal", "vin": VIN, "make": "Lada",
        "owner_phone": PHONE, "new_client_name": "Ivan Petrov",
        "new_client_phone": "+7 900 111-22-33", "save_draft": "1"})
    assert response.status_code == 302
    draft = db.session.query(Request).one()
    assert draft.field_values["owner_phone"] == PHONE
    assert draft.end_client.name == "Ivan Petrov"


# --- login and roles -----------------------------------------------------------------------

def test_anonymous_visitor_signs_in_and_comes_back_to_the_filled_form(app, car, owner):
    client = app.test_client()
    link = car_link(car, vin=VIN, make="Lada")
    response = client.get(link)
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert urlsplit(login_url).path == "/login/"
    with client.session_transaction() as session:
        session.setdefault("csrf_token", "x" * 40)
    response = client.post(login_url, data={"username": owner.username, "password": PASSWORD,
                                            "csrf_token": form_token(client)})
    assert response.status_code == 302
    back = response.headers["Location"]
    assert urlsplit(back).path == NEW and urlsplit(back).netloc in ("", "localhost")
    text = page(client, back)
    assert value_of(text, "vin") == VIN and value_of(text, "make") == "Lada"
    assert "Filled from a link: check and submit." in notices(text)
    nothing_saved()


def test_anonymous_with_a_token_signs_in_and_gets_the_token_form(app, car, owner):
    _, secret = new_token(owner, car)
    client = app.test_client()
    login_url = client.get(f"{NEW}?prefill={secret}").headers["Location"]
    with client.session_transaction() as session:
        session.setdefault("csrf_token", "y" * 40)
    back = client.post(login_url, data={"username": owner.username, "password": PASSWORD,
                                        "csrf_token": form_token(client)}).headers["Location"]
    assert value_of(page(client, back), "owner_phone") == PHONE


@pytest.mark.parametrize("target", ["https://evil.example/cabinet/requests/new",
                                    "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_the_login_never_sends_the_partner_to_another_site(app, owner, target):
    client = app.test_client()
    with client.session_transaction() as session:
        session.setdefault("csrf_token", "z" * 40)
    response = client.post(f"/login/?next={quote(target)}", data={
        "username": owner.username, "password": PASSWORD, "csrf_token": form_token(client)})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost") and location.scheme in ("", "http")
    assert not location.path.startswith("//")


@pytest.mark.parametrize("role", [SUPERMANAGER, MANAGER, ENGINEER, ADMIN, DIRECTOR])
def test_staff_opening_a_prefill_link_get_the_cabinets_403(app, car, owner, role):
    _, secret = new_token(owner, car)
    client = as_user(app, make_user(role))
    assert client.get(f"{NEW}?prefill={secret}").status_code == 403
    assert client.get(car_link(car, vin=VIN)).status_code == 403
    assert client.get("/cabinet/link-from-site").status_code == 403
    nothing_saved()


# --- the "Link from your site" page ----------------------------------------------------------

@pytest.mark.parametrize("is_owner", [True, False])
def test_owner_and_member_build_a_link_and_a_form(app, car, owner, is_owner):
    user = owner if is_owner else make_partner(owner.profile.partner_company, owner=False,
                                               locale="en")
    client = as_user(app, user)
    assert 'href="/cabinet/link-from-site"' in page(client, "/cabinet/requests")
    assert 'name="service"' in page(client, "/cabinet/link-from-site")
    text = html_lib.unescape(page(client, f"/cabinet/link-from-site?service={car.id}"
                                          f"&site=https://tours.example/"))
    assert f"/cabinet/requests/new?service={car.code}&from=tours.example" in text
    assert f'<input type="hidden" name="service" value="{car.code}">' in text
    assert '<input type="text" name="f.vin">' in text
    assert '<option value="b">Business</option>' in text  # the select's choices
    assert 'name="f.owner_phone"' not in text  # contact fields only through a token
    assert "Owner's phone" in text and "/api/v1/prefill-tokens" in text
    assert text.count('data-copy="') == 2 and "navigator.clipboard" in text
    nothing_saved()


def test_the_link_page_escapes_what_the_admin_typed(app, car, owner):
    car.fields[1].label_en = '<script>alert("x")</script>'
    db.session.commit()
    raw = page(as_user(app, owner), f"/cabinet/link-from-site?service={car.id}")
    assert "<script>alert" not in raw


@pytest.mark.parametrize("query", ["service=999999", "service=abc", "service=" + "9" * 40,
                                   "service=-1&site=" + "a" * 5000, "site=a.b%0Ac"])
def test_the_link_page_takes_bad_input_calmly(app, car, owner, query):
    text = page(as_user(app, owner), f"/cabinet/link-from-site?{query}")
    assert 'data-testid="prefill-link"' not in text


def test_a_nul_in_a_prefill_link_is_refused_not_a_500(app, car, owner):
    client = as_user(app, owner)
    for url in (f"{NEW}?prefill=pf_%00", f"{NEW}?service={car.code}&f.make=a%00b",
                "/cabinet/link-from-site?site=%00"):
        assert client.get(url).status_code == 400
    nothing_saved()


def test_anonymous_is_sent_to_the_login_from_the_link_page(app, client):
    response = client.get("/cabinet/link-from-site")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_the_token_rows_hold_only_a_digest(app, car, owner):
    row, secret = new_token(owner, car)
    stored = db.session.get(PrefillToken, row.id)
    assert secret.startswith("pf_") and secret not in str(
        [getattr(stored, c.name) for c in PrefillToken.__table__.columns])
