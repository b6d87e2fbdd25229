"""The back office's field editor (issue 12.1): who may open it, a field added and edited
(audited; options typed as lines; keys a pricing coefficient added kept), bad input refused
with a message and nothing saved, the fields listed on the service's page."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, SUPERMANAGER
from app.service_field_admin import option_lines, parse_option_lines, OptionsError
from models.audit import AuditEvent
from models.catalog import Service
from models.knowledge import KbCategory
from models.service_fields import ServiceField
from models.requests import RequestService
from tests.factories import as_user, make_partner, make_request, make_user, post


@pytest.fixture
def service(app):
    row = Service(code="car", name="Проверка авто")
    db.session.add(row)
    db.session.commit()
    return row


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def field_form(service, **changes) -> dict:
    data = {"service": str(service.id), "key": "car_class", "label": "Класс авто",
            "label_en": "Car class", "field_type": "select", "required": "y",
            "group_name": "Автомобиль", "group_name_en": "Car", "sort_order": "10",
            "options": "a | Эконом | Economy\nb | Бизнес | Business\n", "is_active": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def add(client, service, **changes):
    data = field_form(service, **changes)
    return client.post("/service-fields/add", data={**data, "csrf_token": _token(
        client, "/service-fields/add")}, follow_redirects=True).get_data(as_text=True)


def test_only_the_admin_opens_the_field_editor(app, service):
    field = ServiceField(service_id=service.id, key="vin", label="VIN", field_type="text")
    db.session.add(field)
    db.session.commit()
    urls = ["/service-fields/list/", "/service-fields/add", f"/service-fields/edit/{field.id}",
            f"/service-fields/show/{field.id}"]
    for role in (DIRECTOR, SUPERMANAGER, MANAGER, ENGINEER):  # signed in, not allowed
        client = as_user(app, make_user(role))
        assert [client.get(url).status_code for url in urls] == [403] * 4, role
    partner = as_user(app, make_partner())
    assert {partner.get(url).status_code for url in urls} <= {302, 403}
    assert "VIN" not in partner.get(urls[3], follow_redirects=True).get_data(as_text=True)
    anonymous = app.test_client().get(urls[0])
    assert anonymous.status_code == 302 and "login" in anonymous.headers["Location"]
    admin = as_user(app, make_user(ADMIN))
    assert [admin.get(url).status_code for url in urls] == [200] * 4
    assert admin.get("/service-fields/show/999999").status_code == 404
    # the service's page lists its fields
    assert "VIN" in admin.get(f"/services/show/{service.id}").get_data(as_text=True)


def test_a_field_is_added_audited_and_edited_keeping_option_extras(app, service):
    admin = as_user(app, make_user(ADMIN))
    add(admin, service)
    field = db.session.query(ServiceField).one()
    assert (field.key, field.field_type, field.required, field.is_contact) == (
        "car_class", "select", True, False)
    assert field.options == [{"value": "a", "label": "Эконом", "label_en": "Economy"},
                             {"value": "b", "label": "Бизнес", "label_en": "Business"}]
    event = db.session.query(AuditEvent).filter_by(action="record_created").one()
    assert event.object_type == "ServiceField"
    field.options = [dict(field.options[0], note="kept"), field.options[1]]  # a key of
    db.session.commit()  # another feature (the pricing coefficient is the line's 4th part)
    url = f"/service-fields/edit/{field.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "a | Эконом | Economy" in page
    admin.post(url, data={**field_form(service, options="a | Эконом+ | Economy+\nc | Люкс",
                                       required=None), "csrf_token": _token(admin, url)})
    db.session.expire_all()
    field = db.session.get(ServiceField, field.id)
    assert field.required is False  # unticked is a value
    assert field.options == [
        {"value": "a", "label": "Эконом+", "label_en": "Economy+", "note": "kept"},
        {"value": "c", "label": "Люкс", "label_en": "Люкс"}]
    assert db.session.query(AuditEvent).filter_by(action="record_updated").count() == 1


@pytest.mark.parametrize("changes, russian, english", [
    ({"options": "a | A\na | again"}, "повторяет", "repeats the value"),
    ({"options": "a | b | c | d | e"}, "Строка 1", "Line 1"),
    ({"options": ""}, "нужны варианты", "needs options"),
    ({"field_type": "pattern", "options": "", "pattern": "[A-Z"}, "регулярн",
     "not a valid regular expression"),
    ({"field_type": "pattern", "options": "", "pattern": ""}, "шаблон", "needs its pattern"),
    ({"key": "Car Class"}, "Ключ", "The key is Latin"),
    ({"key": "urgency"}, "занят", "taken by the request form"),
    ({"field_type": "integer", "options": "", "min_value": "10", "max_value": "1"},
     "Минимум", "minimum is above"),
    ({"field_type": "text", "options": "", "max_value": "-1"}, "длин", "lengths"),
    ({"field_type": "integer", "options": "", "min_value": "1e20"}, "Введите значение от",
     "Enter a value from"),  # NUMERIC(14, 2): a database error on PostgreSQL
    ({"show_if_key": "nothing", "show_if_value": "1"}, "нет поля", "has no field"),
    ({"show_if_key": "car_class", "show_if_value": "1"}, "от самого себя", "depend on itself"),
    ({"field_type": "rocket"}, "Неверный вариант", "Not a valid choice"),
    ({"field_type": "text", "options": "", "pattern": "([a-z"},  # saved, never applied
     "Шаблон проверяет только поле типа", "A pattern checks only"),
])
def test_bad_fields_are_refused_with_a_message_and_nothing_saved(app, service, changes,
                                                                russian, english):
    admin = as_user(app, make_user(ADMIN))
    html = add(admin, service, **changes)
    assert russian in html or english in html
    assert db.session.query(ServiceField).count() == 0


@pytest.mark.parametrize("parent_type, options, value, saved, message", [
    ("select", [{"value": "sber", "label": "Сбер"}, {"value": "vtb", "label": "ВТБ"}],
     "tinkoff", False, "«tinkoff» нет среди вариантов поля «bank»: выберите один из: sber, vtb."),
    ("select", [{"value": "sber", "label": "Сбер"}], "sber", True, None),
    ("boolean", [], "maybe", False, "«bank» — поле «да/нет»: значение — «yes» или «no»."),
    ("boolean", [], "yes", True, None),
    ("text", [], "anything", True, None),
], ids=["not-an-option", "an-option", "not-yes-no", "yes", "free-text"])
def test_a_condition_waits_for_a_value_its_field_can_have(app, service, parent_type, options,
                                                          value, saved, message):
    """A condition on a value the field cannot have was saved: the field never appeared."""
    db.session.add(ServiceField(service_id=service.id, key="bank", label="Банк",
                                field_type=parent_type, options=options))
    db.session.commit()
    admin = as_user(app, make_user(ADMIN))
    html = add(admin, service, show_if_key="bank", show_if_value=value)
    assert db.session.query(ServiceField).filter_by(key="car_class").count() == int(saved)
    if message:
        assert message in html
        assert value in html  # the typed condition stays on the form


def test_the_option_lines_format_is_explained_on_the_form(app, service):
    admin = as_user(app, make_user(ADMIN))
    page = admin.get("/service-fields/add").get_data(as_text=True)
    assert "Один вариант в строке" in page or "One option a line" in page


def test_a_second_field_with_the_same_key_is_refused(app, service):
    admin = as_user(app, make_user(ADMIN))
    add(admin, service)
    html = add(admin, service, label="Ещё раз")
    assert "уже есть поле" in html or "already has a field" in html
    assert db.session.query(ServiceField).count() == 1


def test_option_lines_round_trip_and_refuse_nul():
    options = parse_option_lines("x\n\ny | Игрек\n")
    assert options == [{"value": "x", "label": "x", "label_en": "x"},
                       {"value": "y", "label": "Игрек", "label_en": "Игрек"}]
    assert parse_option_lines(option_lines(options)) == options
    with pytest.raises(OptionsError):
        parse_option_lines("a\x00")


def test_moving_a_field_to_a_service_that_has_its_key_is_refused_with_the_reason(app, service):
    """A field moved to another service whose form already has its key: the check read the
    old service's fields (the new service's id is set only at the flush) and the database
    refused the save with an integrity error (found by an attack run)."""
    other = Service(code="house", name="Дом")
    db.session.add(other)
    db.session.flush()
    moving = ServiceField(service=service, key="car_class", label="Класс", field_type="text")
    db.session.add_all([moving, ServiceField(service=other, key="car_class", label="Класс",
                                             field_type="text")])
    db.session.commit()
    admin = as_user(app, make_user(ADMIN))
    url = f"/service-fields/edit/{moving.id}"
    html = admin.post(url, data={**field_form(other, label="Класс (новый)"),
                                 "csrf_token": _token(admin, url)},
                      follow_redirects=True).get_data(as_text=True)
    assert "уже есть поле «car_class»" in html and "Класс (новый)" in html
    db.session.expire_all()
    assert db.session.get(ServiceField, moving.id).service_id == service.id


def _delete(client, field):
    return post(client, f"/service-fields/delete/{field.id}", follow=True).get_data(
        as_text=True)


def test_a_field_the_price_the_form_or_filed_requests_need_is_kept(app, service, staff):
    """Deleting the rate field made the service impossible to file (the price asked for a
    field the form no longer had); switching off a field others are shown on hid them for
    ever. Both are refused with the reason; a field nothing needs is deleted."""
    rate = ServiceField(service=service, key="cars", label="Машин", field_type="integer")
    parent = ServiceField(service=service, key="has_trailer", label="Прицеп",
                          field_type="boolean")
    child = ServiceField(service=service, key="trailer_vin", label="VIN прицепа",
                         field_type="text", show_if_key="has_trailer", show_if_value="yes")
    spare = ServiceField(service=service, key="spare", label="Лишнее", field_type="text")
    service.rate_field_key = "cars"
    db.session.add_all([rate, parent, child, spare])
    db.session.commit()
    admin = as_user(app, make_user(ADMIN))
    page = _delete(admin, rate)
    assert "Поле «cars» нужно: цена услуги «Проверка авто» (поле ставки). Сначала измените " \
        "это, затем удаляйте." in page
    assert "Поле «has_trailer» нужно: поле «trailer_vin» (показывается по его значению)." \
        in _delete(admin, parent)
    for field in (rate, parent):  # nor switched off
        url = f"/service-fields/edit/{field.id}"
        data = {**field_form(service, key=field.key, label=field.label,
                             field_type=field.field_type, options=None, is_active=None),
                "csrf_token": _token(admin, url)}
        html = admin.post(url, data=data, follow_redirects=True).get_data(as_text=True)
        assert f"Поле «{field.key}» нужно" in html and "затем отключайте" in html
    db.session.expire_all()
    assert db.session.query(ServiceField).filter_by(is_active=True).count() == 4
    _delete(admin, child)  # the dependent field may go: then its parent is free
    assert db.session.query(ServiceField).filter_by(key="trailer_vin").count() == 0
    req = make_request(make_partner(), staff=staff)
    db.session.add(RequestService(request_id=req.id, service_id=service.id, title="x",
                                  price_kopecks=0))
    db.session.commit()
    assert "Заявки этой услуги хранят значения «spare»" in _delete(admin, spare)
    assert db.session.query(ServiceField).filter_by(key="spare").count() == 1


def test_the_english_back_office_names_services_in_english(app, service):
    service.name_en = "Car check"
    db.session.commit()
    admin = as_user(app, make_user(ADMIN))
    admin.get("/lang/en")
    form = admin.get("/service-fields/add").get_data(as_text=True)
    assert re.search(rf'<option value="{service.id}">Car check</option>', form)
    listing = admin.get("/services/list/").get_data(as_text=True)
    assert "Car check" in listing
    admin.get("/lang/ru")
    assert re.search(rf'<option value="{service.id}">Проверка авто</option>',
                     admin.get("/service-fields/add").get_data(as_text=True))


@pytest.mark.parametrize("url, data, field", [
    ("/services/add", {"code": "ипотека 1", "name": "Ипотека", "base_price_kopecks": "100",
                       "estimated_hours": "1", "is_active": "y", "sort_order": "0"}, "code"),
    ("/kb-categories/add", {"name": "Ипотека", "slug": "ипотека сделки", "sort_order": "0"},
     "slug"),
])
def test_codes_and_addresses_are_words_without_spaces(app, url, data, field):
    """"ипотека 1" and "Документы ипотеки!" were saved: the article's address carried a
    space and "!"."""
    admin = as_user(app, make_user(ADMIN))
    page = post(admin, url, data, follow=True).get_data(as_text=True)
    assert "только буквы, цифры, «-» и «_», без пробелов" in page
    assert data[field] in page  # the form keeps what was typed
    model = Service if field == "code" else KbCategory
    assert db.session.query(model).count() == 0
    post(admin, url, {**data, field: data[field].replace(" ", "-")}, follow=True)
    assert db.session.query(model).count() == 1


def test_a_field_saved_without_english_wording_says_so(app, service):
    """«Другой банк» reached the English calculator unsaid."""
    admin = as_user(app, make_user(ADMIN))
    page = add(admin, service, label_en="", options="a | Эконом | Economy\nother | Другой банк\n")
    assert "Сохранено без английского текста для: подписи, вариантов other" in page
    assert db.session.query(ServiceField).filter_by(key="car_class").count() == 1  # saved
    quiet = add(admin, service, key="car_size")  # every English wording given: no warning
    assert "без английского текста" not in quiet


def test_the_admin_adds_an_amount_in_roubles_field_by_its_translated_type(app, service):
    admin = as_user(app, make_user(ADMIN))
    form = admin.get("/service-fields/add").get_data(as_text=True)
    assert re.search(r'<option value="money">Сумма в рублях</option>', form)
    add(admin, service, key="loan", label="Сумма кредита", field_type="money", options="",
        min_value="0", max_value="100000000")
    field = db.session.query(ServiceField).one()
    assert (field.key, field.field_type, field.min_value) == ("loan", "money", 0)
