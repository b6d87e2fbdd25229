"""The catalogue's names in the reader's language on every page and document that names a
service or an option (app.catalogue_names): the request's lines keep the Russian name of
the time of filing, an English reader reads the catalogue's English one."""

import pytest

from app.extensions import db
from models.catalog import PriceRule, Quote, Service
from models.request_status import Status
from tests.factories import Staff, as_user, make_partner, make_request, make_service, post
from tests.pdftext import pdf_text

RU, EN = "Обмерные работы", "Measurement survey"
OPTION_RU, OPTION_EN = "Фотофиксация объекта", "Photo record"


@pytest.fixture
def named(app):
    service = make_service()
    service.name, service.name_en = RU, EN
    db.session.add(PriceRule(kind="option", key="photos", label=OPTION_RU,
                             label_en=OPTION_EN, surcharge_kopecks=150000))
    db.session.commit()
    return service


def text(response) -> str:
    return response.get_data(as_text=True)


def flat(data: bytes) -> str:
    return " ".join(pdf_text(data).split())


@pytest.mark.parametrize("locale, shown, hidden", [("en", (EN, OPTION_EN), (RU, OPTION_RU)),
                                                   ("ru", (RU, OPTION_RU), (EN, OPTION_EN))])
def test_request_pages_and_documents_name_the_lines_in_the_readers_language(
        app, named, locale, shown, hidden):
    staff = Staff()
    partner = make_partner(locale=locale)
    staff.manager.profile.locale = locale
    db.session.commit()
    req = make_request(partner, Status.ASSIGNED, staff, options=["photos"])
    assert [line.title for line in req.lines] == [RU, OPTION_RU]  # stored as filed
    cabinet, desk = as_user(app, partner), as_user(app, staff.manager)
    pages = {
        "cabinet": text(cabinet.get(f"/cabinet/requests/{req.id}")),
        "invoice": flat(cabinet.get(f"/cabinet/requests/{req.id}/pdf/invoice").data),
        "desk": text(desk.get(f"/desk/{req.id}")),
        "card": flat(desk.get(f"/desk/{req.id}/pdf/card").data),
    }
    for name, page in pages.items():
        for word in shown:
            assert word in page, (name, word)
        for word in hidden:
            assert word not in page, (name, word)


def test_a_service_without_an_english_name_keeps_its_stored_title(app, named):
    named.name_en = None
    db.session.commit()
    partner = make_partner(locale="en")
    req = make_request(partner)
    page = text(as_user(app, partner).get(f"/cabinet/requests/{req.id}"))
    assert RU in page


@pytest.mark.parametrize("locale, shown, hidden", [
    ("en", ("Measured floor plan", "Courier delivery"),
     ("Обмерный план помещения", "Курьерская доставка документов")),
    ("ru", ("Обмерный план помещения", "Курьерская доставка документов"),
     ("Measured floor plan", "Courier delivery"))])
def test_calculator_and_proposal_name_services_and_options_in_the_readers_language(
        app, locale, shown, hidden):
    partner = make_partner(locale=locale)
    client = as_user(app, partner)
    measure = db.session.query(Service).filter_by(code="measure").one()
    data = {"services": [str(measure.id)], "area": "50", "object_type": "apartment",
            "urgency": "normal", "options": ["courier"], "calculate": "1"}
    page = text(post(client, "/cabinet/calculator", data))
    breakdown = page[page.index('data-testid="breakdown"'):]
    post(client, "/cabinet/calculator", dict(data, save="1"))
    quote = db.session.query(Quote).one()
    proposal = flat(client.get(f"/cabinet/quotes/{quote.id}/pdf").data)
    for word in shown:
        assert word in breakdown and word in proposal, word
    for word in hidden:
        assert word not in breakdown and word not in proposal, word
