"""The admin's service form: "Rate field" is a select of the service's number fields, checked
again on save (a rate needs one; a text field or another service's field is refused)."""

import re
from decimal import Decimal

import pytest

from app.extensions import db
from models.catalog import PriceRule, Service
from models.service_fields import ServiceField
from tests.factories import (Staff, as_user, make_partner, make_service, make_user)

FORM = {"code": "plan", "name": "План", "name_en": "", "description": "",
        "base_price_kopecks": "1 000", "estimated_hours": "1", "is_active": "y",
        "sort_order": "1"}


def _form(client, url: str) -> tuple[str, str]:
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return page, token


def _saved(service_id):
    db.session.expire_all()
    row = db.session.get(Service, service_id)
    return row.rate_field_key, row.price_per_m2_kopecks


def test_the_rate_field_is_one_of_the_services_number_fields(app):
    service = make_service("plan", per_m2_rub=100)  # the redevelopment fields, per m²
    other = make_service("other", per_m2_rub=0)
    db.session.add(ServiceField(service_id=other.id, key="rooms", label="Комнат",
                                field_type="integer"))
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    url = f"/services/edit/{service.id}"
    page, token = _form(admin, url)
    select = re.search(r'<select[^>]*name="rate_field_key".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option[^>]*value="(\w*)"', select) == ["", "area", "floor"]
    assert re.search(r'<option selected value="area">|<option value="area" selected', select)
    assert "Ставка за единицу, ₽" in page or "Rate per unit, ₽" in page
    for key, rate in (("address", "150"), ("rooms", "150"), ("", "150"), ("nope", "0")):
        admin.post(url, data={**FORM, "csrf_token": token, "rate_field_key": key,
                              "price_per_m2_kopecks": rate})
        assert _saved(service.id) == ("area", 10_000), key
    admin.post(url, data={**FORM, "csrf_token": token, "rate_field_key": "floor",
                          "price_per_m2_kopecks": "1 500,50"})
    assert _saved(service.id) == ("floor", 150_050)
    admin.post(url, data={**FORM, "csrf_token": token, "rate_field_key": "",
                          "price_per_m2_kopecks": "0"})
    assert _saved(service.id) == (None, 0)  # a fixed price
    listing = admin.get("/services/list/").get_data(as_text=True)
    assert "Service other" in listing


def test_a_new_service_has_no_fields_so_a_fixed_price(app):
    admin = as_user(app, make_user("Admin"))
    page, token = _form(admin, "/services/add")
    select = re.search(r'<select[^>]*name="rate_field_key".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option[^>]*value="(\w*)"', select) == [""]
    admin.post("/services/add", data={**FORM, "csrf_token": token, "rate_field_key": "",
                                      "price_per_m2_kopecks": "100"})
    assert db.session.query(Service).count() == 0  # a rate needs its field
    admin.post("/services/add", data={**FORM, "csrf_token": token, "rate_field_key": "area",
                                      "price_per_m2_kopecks": "0"})
    assert db.session.query(Service).count() == 0
    admin.post("/services/add", data={**FORM, "csrf_token": token, "rate_field_key": "",
                                      "price_per_m2_kopecks": "0"})
    assert db.session.query(Service.code, Service.rate_field_key,
                            Service.base_price_kopecks).one() == ("plan", None, 100_000)


@pytest.mark.parametrize("role", ["director", "supermanager", "manager", "engineer",
                                  "partner owner", "partner member", "anonymous"])
def test_only_the_admin_edits_prices(app, role):
    service = make_service("plan", per_m2_rub=100)
    db.session.commit()
    staff = Staff() if role in ("supermanager", "manager", "engineer") else None
    users = {"director": lambda: make_user("Director"),
             "partner owner": lambda: make_partner(), "anonymous": lambda: None,
             "partner member": lambda: make_partner(owner=False)}
    user = getattr(staff, role) if staff else users[role]()
    client = as_user(app, user) if user is not None else app.test_client()
    page = client.get(f"/services/edit/{service.id}")
    assert 'name="rate_field_key"' not in page.get_data(as_text=True)
    client.post(f"/services/edit/{service.id}", data={
        **FORM, "rate_field_key": "floor", "price_per_m2_kopecks": "1"})
    assert _saved(service.id) == ("area", 10_000)


def test_an_object_type_rule_keeps_coefficient_one(app):
    """Its price lives on the object_type field's options: one source of truth."""
    admin = as_user(app, make_user("Admin", locale="en"))
    _page, token = _form(admin, "/price-rules/add")
    form = {"csrf_token": token, "kind": "object_type", "key": "barn", "label": "Сарай",
            "label_en": "Barn", "surcharge_kopecks": "0", "is_active": "y"}
    refused = admin.post("/price-rules/add", data={**form, "coefficient": "1,3"},
                         follow_redirects=True).get_data(as_text=True)
    assert "object_type" in refused and "stays 1" in refused
    assert db.session.query(PriceRule).count() == 0
    admin.post("/price-rules/add", data={**form, "coefficient": "1"})
    assert db.session.query(PriceRule.key, PriceRule.coefficient).one() == ("barn", 1)
    admin.post("/price-rules/add", data={**form, "kind": "urgency", "key": "fast",
                                         "coefficient": "1,3"})
    assert db.session.query(PriceRule).filter_by(key="fast").one().coefficient == \
        Decimal("1.3")
