"""Field values in the Excel exports (issue 12): one typed column per field of the exported
requests' services (or of the service filtered by), headers in the export's language,
numbers as numbers, dates as dates, yes/no as words, choices as their labels; contact
fields never in an export an engineer runs, inline or in the background."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app import jobs
from app.extensions import db
from models.catalog import PriceRule
from models.exports import ExportTask
from models.request_status import Status
from tests.factories import Staff, as_user, form_token, make_partner, make_user
from tests.field_world import PHONE, VIN, car_request, car_service, flat_request
from tests.reports.test_export_jobs import run_like_a_worker

CAR_HEADERS = ["VIN", "Марка", "Класс авто", "Пробег, км", "Объём двигателя, л",
               "Дата регистрации", "Было ДТП", "Дополнительно"]
FLAT_HEADERS = ["Адрес объекта", "Тип объекта", "Площадь, м²", "Этаж", "Тип дома"]


@pytest.fixture
def queued(app, monkeypatch):
    """Exports go to the queue (as test_export_jobs: a worker runs them there)."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 0)
    tasks = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, task_id, **kw: tasks.append(task_id))
    return tasks


@pytest.fixture
def world(app):
    staff = Staff()
    db.session.add(PriceRule(kind="object_type", key="apartment", label="Квартира",
                             label_en="Apartment", coefficient=Decimal(1)))
    partner = make_partner()
    car = car_request(partner, Status.SCHEDULED, staff)
    flat = flat_request(partner, Status.SCHEDULED, staff, object_address="Арбат 10", floor=3)
    stranger = car_request(make_partner(), Status.SUBMITTED, staff, vin="XTA21703080000001",
                           owner_phone="+7 999 111-22-33")
    db.session.commit()
    return staff, partner, car, flat, stranger


def sheet(response):
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.data)).active


def table(ws) -> tuple[list, dict]:
    """(headers, {number: {header: cell}})."""
    headers = [c.value for c in ws[1]]
    rows = {row[0].value: dict(zip(headers, row)) for row in ws.iter_rows(min_row=2)}
    return headers, rows


def every_value(ws) -> list:
    return [c.value for row in ws.iter_rows() for c in row]


def test_cabinet_export_has_typed_field_columns_of_its_services(app, world):
    staff, partner, car, flat, stranger = world
    headers, rows = table(sheet(as_user(app, partner).get("/cabinet/requests/export.xlsx")))
    assert set(rows) == {car.number, flat.number}  # never another company's request
    assert set(CAR_HEADERS + FLAT_HEADERS + ["Телефон владельца"]) <= set(headers)
    assert headers.count("Тип объекта") == 1 and "Площадь, м²" in headers
    cells = rows[car.number]
    assert cells["VIN"].value == VIN and cells["Марка"].value == "Lada Vesta"
    assert cells["Пробег, км"].data_type == "n" and cells["Пробег, км"].value == 123456
    assert cells["Объём двигателя, л"].value == pytest.approx(1.6)
    registered = cells["Дата регистрации"]
    assert registered.is_date and registered.value == datetime(2019, 5, 17)
    assert cells["Было ДТП"].value == "Нет" and cells["Класс авто"].value == "Бизнес"
    assert cells["Дополнительно"].value == "Фотоотчёт, Толщиномер"
    assert cells["Телефон владельца"].value == PHONE  # the partner's own, as typed (a phone
    # calls no function: no quote in front of it)
    assert cells["Площадь, м²"].value is None  # a car has no area: an empty cell, no 1.00
    assert rows[flat.number]["Площадь, м²"].value == 50
    assert rows[flat.number]["Этаж"].value == 3 and rows[flat.number]["VIN"].value is None


def test_cabinet_export_by_service_or_search_has_only_those_fields(app, world):
    staff, partner, car, flat, stranger = world
    client = as_user(app, partner)
    service = car_service()
    headers, rows = table(sheet(client.get(
        f"/cabinet/requests/export.xlsx?service={service.id}")))
    assert set(rows) == {car.number}
    assert set(CAR_HEADERS) <= set(headers) and not set(FLAT_HEADERS) & set(headers)
    headers, rows = table(sheet(client.get("/cabinet/requests/export.xlsx?q=Арбат")))
    assert set(rows) == {flat.number}
    assert set(FLAT_HEADERS) <= set(headers) and "VIN" not in headers
    assert client.get("/cabinet/requests/export.xlsx?service=99999999999").status_code == 200


def test_english_export_has_english_headers_and_words(app, world):
    staff, partner, car, flat, stranger = world
    client = as_user(app, partner)
    client.get("/lang/en")
    headers, rows = table(sheet(client.get("/cabinet/requests/export.xlsx")))
    assert {"VIN", "Make", "Mileage, km", "Had an accident", "Area, m²"} <= set(headers)
    assert rows[car.number]["Had an accident"].value == "No"
    assert rows[car.number]["Extras"].value == "Photo report, Paint gauge"


def test_staff_list_export_has_contacts_for_managers_not_for_engineers(app, world):
    staff, partner, car, flat, stranger = world
    headers, rows = table(sheet(as_user(app, staff.manager).get("/requests/export")))
    assert set(rows) == {car.number, flat.number}
    assert "Телефон владельца" in headers and rows[car.number]["Пробег, км"].value == 123456
    assert "Тип объекта" in headers and rows[flat.number]["Тип объекта"].value == "Квартира"
    ws = sheet(as_user(app, staff.engineer).get("/requests/export"))
    headers, rows = table(ws)
    assert set(rows) == {car.number, flat.number}
    assert "Телефон владельца" not in headers and rows[car.number]["VIN"].value == VIN
    assert not [v for v in every_value(ws) if v and PHONE[3:] in str(v)]


def test_staff_list_export_follows_the_text_search(app, world):
    staff, partner, car, flat, stranger = world
    director = as_user(app, make_user("Director"))
    headers, rows = table(sheet(director.get(
        "/requests/export", query_string={"_flt_0_field_values": "+7 999 111"})))
    assert set(rows) == {stranger.number} and "Площадь, м²" not in headers
    headers, rows = table(sheet(as_user(app, staff.engineer).get(
        "/requests/export", query_string={"_flt_0_field_values": PHONE})))
    assert rows == {}  # an engineer finds nothing by a contact value


def test_engineer_export_job_has_no_contact_and_keeps_his_search(app, world, queued,
                                                                 monkeypatch):
    staff, partner, car, flat, stranger = world
    as_user(app, staff.engineer).get("/requests/export",
                                     query_string={"_flt_0_field_values": "lada"})
    task = db.session.get(ExportTask, queued[0])
    rows = run_like_a_worker(app, monkeypatch, task.id)
    assert [row[0] for row in rows[1:]] == [car.number]
    assert "Телефон владельца" not in rows[0] and not [
        v for row in rows for v in row if v and PHONE[3:] in str(v)]


def test_director_register_has_the_field_columns(app, world):
    staff, partner, car, flat, stranger = world
    director = as_user(app, make_user("Director"))
    ws = sheet(director.post("/reports/run", data={
        "csrf_token": form_token(director), "report": "register", "from": "2000-01-01",
        "to": "2100-01-01"}))
    headers, rows = table(ws)
    assert set(rows) == {car.number, flat.number, stranger.number}
    assert set(CAR_HEADERS + FLAT_HEADERS) <= set(headers) and "Объект" in headers
    assert rows[car.number]["Пробег, км"].value == 123456
    assert rows[car.number]["Итого"].value == car.total_kopecks / 100
    assert rows[flat.number]["Площадь, м²"].value == 50
