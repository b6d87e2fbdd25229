"""`flask replan demo --profile car-check` (issue 12, item 6): a second bureau built from data
only — its services, form fields, photo slots, prices by car class, labels, SLA, PDF texts and
approval step are rows the back office edits; the redevelopment fields are not there."""

from datetime import date
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale

from app.demo import DEMO_PASSWORD
from app.demo_profiles import car_check, load_profile
from app.extensions import db
from app.permissions import ENGINEER, role_label
from app.pricing import calculate
from app.service_fields import fields_for, parse
from app.sla import threshold_minutes
from app.status_labels import partner_label
from app.texts import pdf_texts
from models.approvals import ApprovalStep
from models.catalog import Service
from models.document_slots import DocumentSlot
from models.request_status import Status
from models.requests import Attachment, Request
from models.texts import ServiceSla
from tests.factories import login

CAR_KEYS = ["vin", "make", "model", "year", "mileage", "car_class", "owner_phone"]


@pytest.fixture
def bureau(app, snapshot):
    def build():
        result = app.test_cli_runner().invoke(
            args=["replan", "demo", "--profile", "car-check"])
        assert result.exit_code == 0, result.output
        assert "expert1" in result.output and DEMO_PASSWORD in result.output

    snapshot("car-check", build)
    return {s.code: s for s in db.session.query(Service)}


def test_services_fields_and_slots_are_data(bureau):
    assert {s.name for s in bureau.values()} == {"Проверка авто по VIN", "Выездной осмотр"}
    vin_check, inspection = bureau["vin_check"], bureau["inspection"]
    assert [f.key for f in fields_for([vin_check.id])] == CAR_KEYS
    merged = [f.key for f in fields_for([vin_check.id, inspection.id])]
    assert set(merged) == set(CAR_KEYS) | {"cars", "place"} and len(merged) == 9
    assert not {"area", "address", "object_type", "floor", "building_type"} & set(merged)
    by_key = {f.key: f for f in fields_for([vin_check.id])}
    assert by_key["vin"].field_type == "pattern" and by_key["vin"].required
    assert by_key["owner_phone"].is_contact and by_key["owner_phone"].field_type == "phone"
    assert by_key["year"].max_value == date.today().year + 1
    assert [v for v, _label in by_key["car_class"].choices()] == [
        "economy", "comfort", "business", "premium"]
    slots = db.session.query(DocumentSlot).filter_by(service_id=vin_check.id) \
        .order_by(DocumentSlot.sort_order).all()
    assert [(s.title, s.accepted, s.min_files, s.max_files) for s in slots] == [
        ("Фото VIN-таблички", ["image"], 1, 2), ("Фото автомобиля", ["image"], 1, 2)]
    assert slots[0].kb_article.title == "Где найти VIN"


@pytest.mark.parametrize("vin, message", [
    ("XTA21703080123456", None), ("xta21703080123456", "VIN — 17 символов"),
    ("XTA2170308012345", "VIN — 17 символов"), ("XTA2170308012345O", "VIN — 17 символов")])
def test_the_vin_is_checked_with_its_message(bureau, vin, message):
    fields = fields_for([bureau["vin_check"].id])
    values, errors = parse(fields, {"vin": vin, "make": "Lada", "model": "Vesta",
                                    "year": "2019", "mileage": "64 000",
                                    "car_class": "economy", "owner_phone": "+7 916 000-00-00"})
    if message is None:
        assert errors == {} and values["vin"] == vin and values["mileage"] == 64000
    else:
        assert message in errors["vin"] and set(errors) == {"vin"}


def test_year_and_mileage_bounds(bureau):
    fields = fields_for([bureau["vin_check"].id])
    _values, errors = parse(fields, {"year": "1949", "mileage": "-1"})
    assert "1950" in errors["year"] and "mileage" in errors


@pytest.mark.parametrize("car_class, rub", [("economy", 1500), ("comfort", 1800),
                                            ("business", 2250), ("premium", 3000)])
def test_vin_check_prices_by_car_class(bureau, car_class, rub):
    result = calculate([bureau["vin_check"].id], {"car_class": car_class}, "normal")
    assert result.total == rub * 100


def test_inspection_prices_per_car_and_class(bureau):
    inspection = bureau["inspection"]
    assert inspection.rate_field_key == "cars"
    result = calculate([inspection.id], {"cars": 3, "car_class": "business"}, "express")
    # (2 000 + 3 × 3 500) × 1,5 (business) × 1,5 (out of turn)
    assert result.total == (2000 + 3 * 3500) * 150 * 150 // 100


def test_labels_sla_texts_and_approval_step(bureau):
    with force_locale("ru"):
        assert partner_label(Status.IN_PROGRESS) == "Эксперт проверяет"
        assert partner_label(Status.READY) == "Отчёт готов"
        texts = pdf_texts("card", {"bureau_name": "ООО «АвтоЭксперт»", "number": "2026-1"})
        assert "Проверка автомобиля · заявка 2026-1" in str(texts["header"])
        assert "подъёмнике" in str(texts["terms"])
        assert role_label(ENGINEER) == "Эксперт"  # an interface text, by data
    with force_locale("en"):
        assert role_label(ENGINEER) == "Expert"
        assert partner_label(Status.SCHEDULED) == "Expert is checking"
        assert partner_label(Status.READY) == "Report ready"
    assert {(r.service.code, r.status, r.minutes) for r in db.session.query(ServiceSla)} == {
        ("vin_check", "submitted", 20), ("inspection", "submitted", 20)}
    submitted = db.session.query(Request).filter_by(status=Status.SUBMITTED).first()
    assert threshold_minutes(submitted) == 20
    step = db.session.query(ApprovalStep).one()
    assert (step.service.code, step.title, step.role_name) == (
        "vin_check", "Проверка старшим экспертом", "Supermanager")


def test_demo_requests_walk_every_path_with_photos(bureau):
    requests = db.session.query(Request).all()
    assert {r.status for r in requests} == {
        "draft", "submitted", "assigned", "in_progress", "on_review", "ready", "delivered",
        "closed", "cancelled"}
    for req in requests:
        assert req.area is None and req.object_type is None
        assert len(req.field_values["vin"]) == 17 and req.field_values["owner_phone"]
        assert {a.slot_key for a in db.session.query(Attachment).filter_by(
            request_id=req.id, kind="input")} == {"vin_photo", "car_photo"}
    assert db.session.query(User).filter_by(username="expert2").one().roles[0].name == \
        "Engineer"


def test_the_form_asks_no_area_and_a_second_run_adds_nothing(app, bureau):
    client = app.test_client()
    login(client, "partner1", DEMO_PASSWORD)
    html = client.get("/cabinet/requests/new").get_data(as_text=True)
    assert 'name="vin"' in html and 'name="mileage"' in html and 'name="car_class"' in html
    assert 'name="area"' not in html and "Площадь" not in html
    before = db.session.query(Request).count()
    assert load_profile("car-check") is False
    assert db.session.query(Request).count() == before == len(car_check.PROFILE["requests"])


def test_default_demo_is_still_the_redevelopment_bureau(demo):
    """(tests/unit/test_demo.py checks the CLI prints the redevelopment logins, no expert1)"""
    assert db.session.query(User).filter_by(username="engineer1").count() == 1
    assert db.session.query(User).filter_by(username="expert1").count() == 0
    assert db.session.query(Service).filter_by(code="project").one().rate_field_key == "area"
    assert db.session.query(ServiceSla).count() == 0


def test_an_unknown_profile_is_refused(app):
    result = app.test_cli_runner().invoke(args=["replan", "demo", "--profile", "bakery"])
    assert result.exit_code != 0 and "car-check" in result.output
    assert db.session.query(Service).count() == 0


def test_inspection_request_totals_price_with_discount(bureau):
    req = db.session.query(Request).filter(Request.number.isnot(None)).all()
    partner2_inspection = [r for r in req if r.field_values.get("cars") == 3][0]
    # (2 000 + 3 × 3 500) × 1,2 (comfort) + VIN check 1 500 × 1,2 + option 900, − 5 %
    subtotal = Decimal(12500 * 120 + 1500 * 120 + 90000)
    assert partner2_inspection.total_kopecks == int(subtotal * Decimal("0.95"))
