"""The document checklist in a real browser (issue 12, item 2), at phone and desktop width: the
form shows the documents of the ticked services only, a hidden document sends no file, the
submit is refused while a required document is missing and accepted once it is attached."""

import pytest

from app.demo import load_catalog
from app.extensions import db
from models.request_status import Status
from models.requests import Attachment, Request
from tests.cabinet.filedata import JPEG, PDF
from tests.document_slot_data import make_slot
from tests.factories import make_partner, make_service
from tests.browser.pages import sign_in

pytestmark = pytest.mark.browser


def fill_object(page):
    """The object data the form asks for (per-service fields or the fixed inputs)."""
    for name, value in (("object_address", "Москва, Арбат 10"), ("address", "Москва, Арбат 10"),
                        ("area", "45")):
        field = page.locator(f"input[name={name}]")
        if field.count() and field.first.is_visible():
            field.first.fill(value)
    kind = page.locator("select[name=object_type]")
    if kind.count() and kind.first.is_visible() and not kind.first.input_value():
        kind.first.select_option(index=1)


@pytest.mark.parametrize("width", [375, 1280])
def test_documents_follow_the_ticked_services(app, server_url, browser, shots, tmp_path,
                                              width):
    load_catalog()
    flat, car = make_service("flat_check"), make_service("car_check")
    make_slot(flat, "bti", "Техпаспорт БТИ", ("pdf",), 1, 1)
    make_slot(car, "vin", "Фото VIN-таблички", ("image",), 1, 2)
    partner = make_partner(username=f"slots{width}")
    db.session.commit()
    pdf, jpg = tmp_path / "паспорт.pdf", tmp_path / "vin.jpg"
    pdf.write_bytes(PDF)
    jpg.write_bytes(JPEG)
    page = browser.new_context(viewport={"width": width, "height": 900},
                               locale="ru-RU").new_page()
    sign_in(page, server_url, partner.username)

    page.goto(f"{server_url}/cabinet/requests/new")
    assert not page.is_visible("[data-document-slots]")  # no service ticked yet
    page.check(f"input[name=services][value='{flat.id}']")
    assert page.is_visible("[data-slot=bti]") and not page.is_visible("[data-slot=vin]")
    assert page.is_disabled("#slot-vin")
    page.check(f"input[name=services][value='{car.id}']")
    page.set_input_files("#slot-vin", str(jpg))
    page.uncheck(f"input[name=services][value='{car.id}']")  # the VIN photo goes with it
    assert not page.is_visible("[data-slot=vin]") and page.is_disabled("#slot-vin")
    assert page.eval_on_selector("#slot-vin", "input => input.files.length") == 0
    page.check(f"input[name=services][value='{car.id}']")
    fill_object(page)
    page.set_input_files("#slot-bti", str(pdf))
    shots(page, "01-form")
    page.click("button[name=submit_now]")

    req = db.session.query(Request).one()
    assert req.status == Status.DRAFT  # the VIN photo is missing
    assert "Фото VIN-таблички" in page.inner_text(".flash")
    assert page.url.endswith(f"/cabinet/requests/{req.id}/edit")
    assert "паспорт.pdf" in page.inner_text("[data-slot=bti]")
    shots(page, "02-refused")
    page.set_input_files("#slot-vin", str(jpg))
    page.click("button[name=submit_now]")
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.SUBMITTED
    assert sorted((a.slot_key, a.original_name) for a in db.session.query(Attachment)) == [
        ("bti", "паспорт.pdf"), ("vin", "vin.jpg")]
    assert "vin.jpg" in page.inner_text("[data-testid=document-checklist]")
    shots(page, "03-submitted")


@pytest.mark.parametrize("width", [375])
def test_a_key_two_services_word_differently_reads_as_the_ticked_service_words_it(
        app, server_url, browser, shots, width):
    """Two services share the key "address" and the document "egrn", each with its own
    wording and limits. Ticking only the second showed the first's label, hint, "0 of 1" and
    a single-file picker (its 1–3 files could not be picked at once)."""
    from models.service_fields import ServiceField

    mortgage, heritage = make_service("mortgage"), make_service("heritage")
    for service, label, group in ((mortgage, "Адрес квартиры", "Квартира"),
                                  (heritage, "Адрес имущества", "Имущество")):
        db.session.query(ServiceField).filter_by(service_id=service.id, key="address") \
            .update({"label": label, "group_name": group,
                     "help_text": f"Подсказка: {label.lower()}"})
    db.session.add(ServiceField(service_id=heritage.id, key="heir", label="Наследник",
                                field_type="text", group_name="Имущество"))
    make_slot(mortgage, "egrn", "Выписка ЕГРН на квартиру", ("pdf",), 1, 1, hint="Свежая")
    make_slot(heritage, "egrn", "Выписки ЕГРН на имущество", ("pdf",), 1, 3, hint="Все")
    make_slot(mortgage, "plans", "Поэтажный план", ("pdf",), 1, 1)
    make_slot(heritage, "plans", "Экспликация и планы", ("pdf", "image", "drawing"), 3, 5)
    partner = make_partner(username=f"words{width}")
    db.session.commit()
    page = browser.new_context(viewport={"width": width, "height": 900},
                               locale="ru-RU").new_page()
    sign_in(page, server_url, partner.username)
    page.goto(f"{server_url}/cabinet/requests/new")
    page.check(f"input[name=services][value='{heritage.id}']")
    field = page.locator("[data-sf-key=address]")
    assert field.locator("[data-sf-title]").inner_text() == "Адрес имущества"
    assert field.locator("[data-sf-help]").inner_text() == "Подсказка: адрес имущества"
    group = "xpath=ancestor::fieldset[@data-sf-group]/legend"
    assert field.locator(group).inner_text() == "Имущество"  # under its own service's heading
    slot = page.locator("[data-slot=egrn]")
    assert slot.locator("[data-slot-title]").inner_text() == "Выписки ЕГРН на имущество"
    assert "до 3 файлов" in slot.inner_text() and "Все" in slot.inner_text()
    assert page.eval_on_selector("#slot-egrn", "input => input.multiple") is True
    shots(page, "01-heritage")
    plans = page.locator("[data-slot=plans]")
    assert "0 из 3" in plans.inner_text() and "PDF, фото, DWG" in plans.inner_text()
    assert plans.locator("[data-slot-kinds]").inner_text() == "PDF, фото, DWG"  # "Attach: …"
    assert plans.locator("[data-slot-optional]").is_hidden()  # one badge: "required"
    page.check(f"input[name=services][value='{mortgage.id}']")  # the catalogue's first
    assert field.locator("[data-sf-title]").inner_text() == "Адрес квартиры"
    assert field.locator(group).inner_text() == "Квартира"
    assert slot.locator("[data-slot-title]").inner_text() == "Выписка ЕГРН на квартиру"
    # both ticked: as the server merges them (at least 3, at most max(3, 1): 3; shared: PDF)
    assert plans.locator("[data-slot-count]").inner_text() == "0 из 3"
    assert plans.locator("[data-slot-kinds]").inner_text() == "PDF"
    assert page.eval_on_selector("#slot-plans", "input => input.multiple") is True
    page.uncheck(f"input[name=services][value='{mortgage.id}']")
    assert field.locator("[data-sf-title]").inner_text() == "Адрес имущества"
