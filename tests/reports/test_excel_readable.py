"""Excel exports read as business documents: translated sheet names and headers, labels for
every code (staff or partner labels by who exports), real dates in the bureau's zone, money
in roubles with a rouble format, empty cells for nothing, users by name."""

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.payments import mark_payment
from models.catalog import PriceRule
from models.request_status import Status
from reports.excel import DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT
from tests.factories import Staff, as_user, form_token, make_partner, make_request, make_user

LATE = datetime(2026, 3, 10, 22, 30)  # naive UTC, as stored
IN_MOSCOW = datetime(2026, 3, 11, 1, 30)
RAW = re.compile(r"\b(apartment|unpaid|partial|ready|None|True|False)\b")


@pytest.fixture
def ready(app):
    """A ready request of 10 000,50 ₽, unpaid, created at 22:30 UTC, with a manager."""
    staff = Staff()
    partner = make_partner()
    req = make_request(partner, Status.READY, staff)
    req.created_at = LATE
    req.total_kopecks, req.paid_kopecks, req.payment_state = 1_000_050, 0, "unpaid"
    db.session.add(PriceRule(kind="object_type", key="apartment", label="Квартира",
                             label_en="Apartment", coefficient=Decimal(1)))
    db.session.commit()
    return req, staff, partner


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def cells(book) -> list:
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


def no_raw_codes(book) -> None:
    found = [c.value for c in cells(book) if isinstance(c.value, str) and RAW.search(c.value)]
    assert not found, found


def column(ws, header: str):
    headers = [c.value for c in ws[1]]
    return ws.cell(row=2, column=headers.index(header) + 1)


def run_report(client, key: str):
    return client.post("/reports/run", data={"csrf_token": form_token(client), "report": key,
                                             "from": "2000-01-01", "to": "2100-01-01"})


def test_director_register_in_russian(app, ready):
    req, staff, _ = ready
    director = as_user(app, make_user("Director"))
    book = workbook(run_report(director, "register").data)
    ws = book.active
    assert ws.title == "Реестр заявок"
    assert [c.value for c in ws[1]][:3] == ["Номер", "Создана", "Статус"]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    assert column(ws, "Статус").value == "Готово"  # the staff's label
    assert column(ws, "Тип объекта").value == "Квартира"
    assert column(ws, "Оплата").value == "не оплачена"
    assert column(ws, "Менеджер").value == staff.manager.get_full_name()
    total = column(ws, "Итого")
    assert total.value == 10000.5 and total.number_format == MONEY_FORMAT
    assert column(ws, "Оплачено").value == 0
    created = column(ws, "Создана")
    assert created.is_date and created.value == IN_MOSCOW
    assert created.number_format == DATETIME_FORMAT
    assert ws.column_dimensions["D"].width >= 20  # the partner's name fits
    no_raw_codes(book)


def test_director_register_in_english(app, ready):
    director = as_user(app, make_user("Director"))
    director.get("/lang/en")
    ws = workbook(run_report(director, "register").data).active
    assert ws.title == "Requests register"
    assert [c.value for c in ws[1]][:3] == ["Number", "Created", "Status"]
    assert column(ws, "Status").value == "Ready"
    assert column(ws, "Object type").value == "Apartment"
    assert column(ws, "Payment").value == "not paid"
    no_raw_codes(ws.parent)


def test_payments_report_has_real_dates_and_rouble_amounts(app, ready):
    req, staff, _ = ready
    mark_payment(req, 250_025, date(2026, 3, 12), "п/п 7", make_user("Admin"))
    db.session.commit()
    ws = workbook(run_report(as_user(app, make_user("Director")), "payments").data).active
    assert ws.title == "Оплаты за период"
    paid_on = column(ws, "Дата оплаты")
    assert paid_on.value == datetime(2026, 3, 12) and paid_on.number_format == DATE_FORMAT
    amount = column(ws, "Сумма")
    assert amount.value == 2500.25 and amount.number_format == MONEY_FORMAT


def test_staff_list_export_uses_labels_names_and_local_time(app, ready):
    req, staff, _ = ready
    director = as_user(app, make_user("Director"))
    book = workbook(director.get("/requests/export").data)
    ws = book.active
    assert ws.title == "Заявки"
    assert column(ws, "Номер").value == req.number  # plain text, not the list's link markup
    assert column(ws, "Статус").value == "Готово"
    assert column(ws, "Тип объекта").value == "Квартира"
    assert column(ws, "Оплата").value == "не оплачена"
    assert column(ws, "Менеджер").value == staff.manager.get_full_name()
    assert column(ws, "Создана").value == IN_MOSCOW
    no_raw_codes(book)
    director.get("/lang/en")
    ws = workbook(director.get("/requests/export").data).active
    assert ws.title == "Requests" and column(ws, "Status").value == "Ready"


def test_list_export_writes_yes_no_and_empty_cells(app, ready):
    req, staff, _ = ready
    req.manager_id = None
    db.session.commit()
    book = workbook(as_user(app, make_user("Director")).get("/requests/export").data)
    assert column(book.active, "Менеджер").value is None  # empty, not "None" or "—"
    admin = as_user(app, make_user("Admin"))
    rules = workbook(admin.get("/price-rules/export").data)
    values = [c.value for c in cells(rules)]
    assert "Да" in values and "True" not in values


def test_partner_export_uses_the_partners_labels(app, ready):
    req, staff, partner = ready
    client = as_user(app, partner)
    book = workbook(client.get("/cabinet/requests/export.xlsx").data)
    ws = book.active
    assert ws.title == "Мои заявки"
    assert column(ws, "Статус").value == "Готово — ожидает оплаты"
    assert column(ws, "Тип объекта").value == "Квартира"
    total = column(ws, "Итого")
    assert total.value == 10000.5 and total.number_format == MONEY_FORMAT
    assert column(ws, "Создана").value == IN_MOSCOW
    assert column(ws, "Клиент").value is None  # no end client: an empty cell
    no_raw_codes(book)
    client.get("/lang/en")
    ws = workbook(client.get("/cabinet/requests/export.xlsx").data).active
    assert ws.title == "My requests"
    assert column(ws, "Status").value == "Ready — awaiting payment"


def test_periods_and_day_filters_are_bureau_days(app, ready):
    """Made at 01:30 Moscow on 11 March (22:30 UTC on the 10th): it belongs to the 11th."""
    req, staff, partner = ready
    client = as_user(app, partner)
    on_11th = workbook(client.get("/cabinet/requests/export.xlsx?from=2026-03-11"
                                  "&to=2026-03-11").data).active
    assert [r[0].value for r in on_11th.iter_rows(min_row=2)] == [req.number]
    on_10th = workbook(client.get("/cabinet/requests/export.xlsx?from=2026-03-10"
                                  "&to=2026-03-10").data).active
    assert on_10th.max_row == 1
    director = as_user(app, make_user("Director"))
    token = form_token(director)
    for day, rows in (("2026-03-11", 2), ("2026-03-10", 1)):
        ws = workbook(director.post("/reports/run", data={
            "csrf_token": token, "report": "register", "from": day, "to": day}).data).active
        assert ws.max_row == rows, day
