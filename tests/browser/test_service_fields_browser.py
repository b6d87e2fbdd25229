"""The request form's service fields in a real browser at phone width (issue 12.1): the ticked
services' fields appear, "shown only if" applies as one types, a draft saves typed values."""

import pytest

from app.demo import load_catalog
from app.extensions import db
from models.requests import Request
from tests.factories import make_partner, make_service
from tests.views.test_service_fields_forms import VIN, car_service
from tests.browser.pages import sign_in

pytestmark = pytest.mark.browser


def test_fields_follow_the_ticked_services_and_conditions(app, server_url, browser, shots):
    load_catalog()
    car = car_service()
    flat = make_service()
    partner = make_partner(username="driver")
    db.session.commit()
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="ru-RU")
    page = context.new_page()
    sign_in(page, server_url, partner.username)
    page.goto(f"{server_url}/cabinet/requests/new")

    def shown(key):
        return page.locator(f'[data-sf-key="{key}"]').is_visible()

    assert not shown("vin") and not shown("address")  # nothing ticked: no questions yet
    page.check(f'input[name="services"][value="{car.id}"]')
    assert shown("vin") and shown("owner_phone") and not shown("address")
    assert not shown("damage_note")
    page.check("#damaged")
    assert shown("damage_note")
    page.check(f'input[name="services"][value="{flat.id}"]')
    assert shown("address") and shown("area")
    page.uncheck(f'input[name="services"][value="{flat.id}"]')
    assert page.get_attribute("#mileage", "inputmode") == "numeric"
    assert page.get_attribute("#owner_phone", "type") == "tel"
    page.fill("#vin", VIN)
    page.fill("#mileage", "120 000")
    page.fill("#owner_phone", "+7 900 111-22-33")
    page.fill("#damage_note", "Крыло")
    page.select_option("#urgency", index=0)
    shots(page, "service-fields-375")
    page.click('button[name="save_draft"]')
    page.wait_for_url("**/cabinet/requests/*")
    req = db.session.query(Request).one()
    assert req.field_values == {"vin": VIN, "mileage": 120000, "damaged": True,
                                "damage_note": "Крыло", "owner_phone": "+7 900 111-22-33"}
    assert page.locator("text=Пробег, км").is_visible()
    context.close()
