"""A service field holding an amount in roubles (a loan, a car's price): typed as people
write money, stored exactly, shown as money on every page and document, a money column in
Excel, and a rate a price may multiply (a fee of 1 % of the loan)."""

import io
import re

import pytest
from openpyxl import load_workbook

from app.extensions import db
from models.catalog import Service
from models.requests import Request
from models.service_fields import ServiceField
from tests.factories import make_partner, post, sign_in


@pytest.fixture
def loan_service(app):
    """"Сопровождение ипотеки": 5 000 ₽ plus 1 kopeck per rouble of the loan (1 %)."""
    service = Service(code="mortgage", name="Сопровождение ипотеки", name_en="Mortgage support",
                      base_price_kopecks=500_000, price_per_m2_kopecks=1,
                      rate_field_key="loan", estimated_hours=1, sort_order=60)
    db.session.add(service)
    db.session.flush()
    db.session.add(ServiceField(service_id=service.id, key="loan", label="Сумма кредита",
                                label_en="Loan amount", field_type="money", required=True,
                                min_value=100_000, max_value=100_000_000, sort_order=1))
    db.session.commit()
    return service


def test_a_loan_in_roubles_is_filed_shown_priced_and_exported_as_money(app, client,
                                                                       loan_service):
    make_partner(username="p")
    sign_in(client, "p")
    data = {"services": [str(loan_service.id)], "urgency": "normal", "save_draft": "1"}
    refused = post(client, "/cabinet/requests/new", dict(data, loan="5 000 000,505"))
    assert "Введите не больше 2 знаков после запятой." in refused.get_data(as_text=True)
    assert 'value="5 000 000,505"' in refused.get_data(as_text=True)  # the input is kept
    assert db.session.query(Request).count() == 0
    post(client, "/cabinet/requests/new", dict(data, loan="5 000 000,50 ₽"))
    req = db.session.query(Request).one()
    assert req.field_values == {"loan": "5000000.5"}
    # 5 000 ₽ + 5 000 000,50 × 1 kopeck: 55 000,005 ₽, the half kopeck rounded up
    assert req.total_kopecks == 5_500_001
    assert req.object_address == "Сумма кредита: 5\u00a0000\u00a0000,50\u00a0₽"
    page = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert "5\u00a0000\u00a0000,50\u00a0₽" in page
    form = client.get(f"/cabinet/requests/{req.id}/edit").get_data(as_text=True)
    assert re.search(r'name="loan" value="5 000 000,50" inputmode="decimal"', form)
    workbook = load_workbook(io.BytesIO(client.get("/cabinet/requests/export.xlsx").data))
    rows = list(workbook.active.iter_rows())
    column = [c.value for c in rows[0]].index("Сумма кредита")
    cell = rows[1][column]
    assert cell.value == pytest.approx(5_000_000.5) and "#,##0.00" in cell.number_format


def test_a_calculator_prices_by_an_amount_in_roubles(app, client, loan_service):
    make_partner(username="p")
    sign_in(client, "p")
    html = post(client, "/cabinet/calculator", {
        "services": [str(loan_service.id)], "loan": "3 000 000", "urgency": "normal",
        "calculate": "1"}).get_data(as_text=True)
    # 5 000 + 3 000 000 × 0,01 = 35 000
    assert re.search(r'data-testid="total">35\u00a0000,00', html)
    low = post(client, "/cabinet/calculator", {
        "services": [str(loan_service.id)], "loan": "50 000", "urgency": "normal",
        "calculate": "1"}).get_data(as_text=True)
    assert "Введите значение от 100\u00a0000 до 100\u00a0000\u00a0000." in low
    assert 'data-testid="total"' not in low


def test_service_boxes_are_not_each_required_but_one_is_asked_for(app, client, loan_service):
    """`required` on every service box made the browser ask to tick each one; the server
    asks for at least one, in words, keeping the form."""
    make_partner(username="p")
    sign_in(client, "p")
    form = client.get("/cabinet/requests/new").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="services"[^>]*>', form)
    assert boxes and not [box for box in boxes if "required" in box]
    refused = post(client, "/cabinet/requests/new", {"urgency": "normal", "loan": "100 000",
                                                    "save_draft": "1"})
    assert "Выберите хотя бы одну услугу." in refused.get_data(as_text=True)
    assert db.session.query(Request).count() == 0
