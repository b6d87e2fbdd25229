"""Field values in the PDFs (issue 12): the card prints them grouped as on the form, labels
in the document's language, contact fields only for the partner and the manager (never in an
engineer's download); no area where the service has none; the invoice and act print the
request's title and its identifying values."""

from __future__ import annotations


from models.request_status import Status
from tests.factories import as_user, make_partner, make_user
from tests.field_world import PHONE, VIN, car_request, flat_request
from tests.pdftext import pdf_text



def card(client, req, partner: bool) -> str:
    url = f"/cabinet/requests/{req.id}/pdf/card" if partner else f"/desk/{req.id}/pdf/card"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return pdf_text(response.data)


def test_partner_card_prints_the_car_fields_grouped_and_no_area(app, staff):
    partner = make_partner()
    req = car_request(partner, Status.SCHEDULED, staff)
    text = card(as_user(app, partner), req, partner=True)
    for expected in ("Автомобиль", "VIN", VIN, "Марка", "Lada Vesta", "Класс авто", "Бизнес",
                     "Пробег, км", "123 456", "Объём двигателя, л", "1,6",
                     "Дата регистрации", "17.05.2019", "Было ДТП", "Нет",
                     "Фотоотчёт, Толщиномер", "Владелец", "Телефон владельца", PHONE):
        assert expected in text, expected
    assert "Площадь" not in text and "м²" not in text and "m²" not in text
    assert text.index("Автомобиль") < text.index("VIN") < text.index("Владелец")


def test_card_in_english_has_english_labels(app, staff):
    partner = make_partner(locale="en")
    req = car_request(partner, Status.SUBMITTED, staff)
    client = as_user(app, partner)
    client.get("/lang/en")
    text = card(client, req, partner=True)
    for expected in ("Car", "Make", "Car class", "Business", "Mileage, km", "123,456",
                     "Had an accident", "No", "Photo report, Paint gauge", "Owner's phone"):
        assert expected in text, expected
    assert "Марка" not in text and "Area" not in text


def test_manager_card_has_the_contact_but_the_engineers_has_not(app, staff):
    req = car_request(make_partner(), Status.SCHEDULED, staff)
    assert PHONE in card(as_user(app, staff.manager), req, partner=False)
    assert PHONE in card(as_user(app, make_user("Director")), req, partner=False)
    mine = card(as_user(app, staff.engineer), req, partner=False)
    assert VIN in mine and "Lada Vesta" in mine  # his working data
    assert PHONE not in mine and "Телефон владельца" not in mine and "Владелец" not in mine


def test_redevelopment_card_prints_its_object_fields(app, staff):
    partner = make_partner()
    req = flat_request(partner, Status.SUBMITTED, staff, object_address="Москва, Арбат 10",
                       floor=3)
    text = card(as_user(app, partner), req, partner=True)
    for expected in ("Объект", "Адрес объекта", "Москва, Арбат 10", "Площадь, м²", "50",
                     "Этаж", "3"):
        assert expected in text, expected


def test_invoice_and_act_print_title_and_values_never_area_or_contact(app, staff):
    partner = make_partner()
    req = car_request(partner, Status.DELIVERED, staff)
    client = as_user(app, partner)
    for document in ("invoice", "act"):
        text = pdf_text(client.get(f"/cabinet/requests/{req.id}/pdf/{document}").data)
        assert req.object_address in text and VIN in text and "Пробег, км: 123 456" in text
        assert "Площадь" not in text and "1.00" not in text and PHONE not in text
    # an engineer gets the card only (tests/reports/test_document_access.py), never the act
    engineer_act = as_user(app, staff.engineer).get(f"/desk/{req.id}/pdf/act")
    assert engineer_act.status_code == 302 and engineer_act.mimetype != "application/pdf"


def test_flat_invoice_prints_the_area_it_has(app, staff):
    partner = make_partner()
    req = flat_request(partner, Status.ASSIGNED, staff)
    text = pdf_text(as_user(app, partner).get(f"/cabinet/requests/{req.id}/pdf/invoice").data)
    assert "Площадь, м²: 50" in text and "Moscow, Tverskaya 1" in text
