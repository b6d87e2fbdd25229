"""The car-check bureau (`flask replan demo --profile car-check`, issue 12 item 6) in a real
browser at phone width: a partner files a car check with the car's data and two photos in the
slots, submits it, and its card PDF and Excel row carry the VIN and the mileage and no area."""

import base64
import io

import pytest
from openpyxl import load_workbook

from app.demo import DEMO_PASSWORD
from app.demo_profiles import load_profile
from app.extensions import db
from models.catalog import Service
from models.request_status import Status
from models.requests import Attachment, Request
from tests.pdftext import pdf_text
from tests.browser.pages import sign_in

pytestmark = pytest.mark.browser

VIN = "XW7BF4FK30S123456"
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAFUlEQVR42mPUiFrAgA0wMeAA9JAAAKtKAS508vli"
       "AAAAAElFTkSuQmCC")


def test_partner_files_a_car_check_at_phone_width(app, server_url, browser, shots, tmp_path):
    assert load_profile("car-check") is True
    vin_check = db.session.query(Service).filter_by(code="vin_check").one()
    before = {r.id for r in db.session.query(Request.id)}
    plate, car = tmp_path / "табличка.png", tmp_path / "авто.png"
    plate.write_bytes(base64.b64decode(PNG))
    car.write_bytes(base64.b64decode(PNG))
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="ru-RU")
    page = context.new_page()
    sign_in(page, server_url, "partner1", DEMO_PASSWORD)

    page.goto(f"{server_url}/cabinet/requests/new")
    assert page.locator("input[name=area]").count() == 0
    page.check(f"input[name=services][value='{vin_check.id}']")
    page.fill("input[name=vin]", VIN)
    page.fill("input[name=make]", "Toyota")
    page.fill("input[name=model]", "Camry")
    page.fill("input[name=year]", "2020")
    page.fill("input[name=mileage]", "48 500")
    page.select_option("select[name=car_class]", "business")
    page.fill("input[name=owner_phone]", "+7 916 555-44-33")
    page.set_input_files("#slot-vin_photo", str(plate))
    page.set_input_files("#slot-car_photo", str(car))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the form scrolls sideways at 375 px ({width})"
    shots(page, "01-form")
    page.click("button[name=submit_now]")

    db.session.expire_all()
    req = db.session.query(Request).filter(Request.id.notin_(before)).one()
    assert req.status == Status.SUBMITTED, page.inner_text("body")[:500]
    assert req.field_values["vin"] == VIN and req.field_values["mileage"] == 48500
    assert req.field_values["car_class"] == "business" and "area" not in req.field_values
    assert req.total_kopecks == 1500 * 150  # 1 500 ₽ × 1,5 for business class
    assert sorted((a.slot_key, a.original_name) for a in db.session.query(Attachment)
                  .filter_by(request_id=req.id)) == [("car_photo", "авто.png"),
                                                     ("vin_photo", "табличка.png")]
    assert "Фото VIN-таблички" in page.inner_text("[data-testid=document-checklist]")
    shots(page, "02-submitted")

    card = context.request.get(f"{server_url}/cabinet/requests/{req.id}/pdf/card")
    assert card.status == 200 and card.headers["content-type"] == "application/pdf"
    text = pdf_text(card.body())
    assert VIN in text and "48 500" in text and "Пробег, км" in text
    assert "Площадь" not in text and "Проверка автомобиля" in text  # the bureau's own header

    export = context.request.get(f"{server_url}/cabinet/requests/export.xlsx")
    assert export.status == 200
    sheet = load_workbook(io.BytesIO(export.body())).active
    headers = [c.value for c in sheet[1]]
    rows = {row[0].value: dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2)}
    assert "Площадь, м²" not in headers and "VIN" in headers
    cells = rows[req.number]
    assert cells["VIN"].value == VIN and cells["Пробег, км"].value == 48500
    context.close()
