"""app.service_fields: every field type parsed and shown, conditions, required + hidden,
merging services' fields, contact data hidden from engineers, the mirrored columns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.intake import create_draft
from app.service_field_presets import add_object_fields
from app.service_fields import (FormField, display_value, fields_for, groups, parse, shown_keys,
                                title, visible_values)
from models.catalog import Service
from models.service_fields import ServiceField
from tests.factories import make_partner

COLOURS = ({"value": "red", "label": "Красный", "label_en": "Red", "coefficient": "1.2"},
           {"value": "blue", "label": "Синий", "label_en": "Blue"})


def one(key="x", field_type="text", **extra) -> FormField:
    return FormField(key=key, label="Поле", label_en="Field", field_type=field_type, **extra)


def parsed(item: FormField, raw):
    data = MultiDict([(item.key, v) for v in raw]) if isinstance(raw, list) else \
        MultiDict({} if raw is None else {item.key: raw})
    return parse([item], data)


@pytest.mark.parametrize("item, raw, value", [
    (one(), "  Арбат 10 ", "Арбат 10"),
    (one(field_type="textarea"), "строка\nвторая", "строка\nвторая"),
    (one(field_type="integer"), "-3", -3),
    (one(field_type="integer"), "+12", 12),
    (one(field_type="integer"), "120 000", 120000),
    (one(field_type="decimal"), "12,50", "12.5"),
    (one(field_type="decimal"), "1 234.5", "1234.5"),
    (one(field_type="decimal"), "50", "50"),
    (one(field_type="date"), "2026-12-31", "2026-12-31"),
    (one(field_type="date"), "31.12.2026", "2026-12-31"),
    (one(field_type="select", options=COLOURS), "blue", "blue"),
    (one(field_type="multiselect", options=COLOURS), ["blue", "red", "blue"], ["red", "blue"]),
    (one(field_type="boolean"), "y", True),
    (one(field_type="boolean"), None, False),
    (one(field_type="phone"), "+7 (900) 123-45-67", "+7 (900) 123-45-67"),
    (one(field_type="email"), "a.b@example.ru", "a.b@example.ru"),
    (one(field_type="pattern", pattern="[A-HJ-NPR-Z0-9]{17}"), "XTA21703080123456",
     "XTA21703080123456"),
])
def test_every_type_is_stored_typed(item, raw, value):
    assert parsed(item, raw) == ({item.key: value}, {})


@pytest.mark.parametrize("item, raw, message", [
    (one(field_type="integer"), "12.5", "Enter a whole number."),
    (one(field_type="integer"), "99999999999",
     "Enter a value from -2,147,483,647 to 2,147,483,647."),
    (one(field_type="integer"), "9" * 400,
     "Enter a value from -2,147,483,647 to 2,147,483,647."),
    (one(field_type="integer", min_value=Decimal(1), max_value=Decimal(20)), "9" * 40,
     "Enter a value from 1 to 20."),  # too long is out of the range, not "no number"
    (one(field_type="integer", min_value=Decimal(-5), max_value=Decimal(200)), "201",
     "Enter a value from -5 to 200."),
    (one(field_type="decimal"), "1e5", "Enter a number, e.g. 12.5."),
    (one(field_type="decimal"), "NaN", "Enter a number, e.g. 12.5."),
    (one(field_type="decimal"), "9" * 40,
     "Enter a number of at most 15 digits before the decimal point."),
    (one(field_type="decimal"), "1,1234567", "Enter at most 6 digits after the decimal point."),
    (one(field_type="decimal", min_value=Decimal(1), max_value=Decimal(100000)),
     "99999999999999999999", "Enter a value from 1 to 100,000."),
    (one(field_type="decimal", min_value=Decimal(1)), "-" + "9" * 30,
     "Enter a value of at least 1."),
    (one(field_type="decimal", min_value=Decimal(1)), "0,5", "Enter a value of at least 1."),
    (one(field_type="decimal", max_value=Decimal(100000)), "100000,01",
     "Enter a value of at most 100,000."),
    (one(field_type="date"), "2026-02-30", "Enter a date, e.g. 31.12.2026."),
    (one(field_type="date"), "31/12/2026", "Enter a date, e.g. 31.12.2026."),
    (one(field_type="date"), "0001-01-01", "Enter a date, e.g. 31.12.2026."),
    (one(field_type="select", options=COLOURS), "green", "Choose a value from the list."),
    (one(field_type="multiselect", options=COLOURS), ["red", "green"],
     "Choose values from the list."),
    (one(field_type="phone"), "call me", "Enter a phone number, e.g. +7 900 123-45-67."),
    (one(field_type="email"), "nobody", "Enter an e-mail address, e.g. name@example.ru."),
    (one(field_type="pattern", pattern="[A-HJ-NPR-Z0-9]{17}"), "XTA2170308012345",
     "The value does not have the expected format."),
    (one(field_type="pattern", pattern="[0-9]{17}", pattern_message="VIN: 17 знаков",
         pattern_message_en="VIN: 17 characters"), "abc", "VIN: 17 characters"),
    (one(field_type="pattern", pattern="[0-9]{17}", min_value=Decimal(17),
         max_value=Decimal(17), pattern_message_en="VIN: 17 characters"), "1234",
     "VIN: 17 characters"),
    (one(), "x" * 501, "Enter 1 to 500 characters."),
    (one(max_value=Decimal(5)), "abcdef", "Enter 1 to 5 characters."),
    (one(min_value=Decimal(3)), "ab", "Enter 3 to 500 characters."),
    (one(), "a\x00b", "The text contains a character that is not allowed."),
    (one(field_type="multiselect", options=COLOURS), ["red\x00"],
     "The text contains a character that is not allowed."),
])
def test_bad_values_get_a_message_and_are_not_stored(item, raw, message):
    with force_locale("en"):
        assert parsed(item, raw) == ({}, {item.key: message})


def test_messages_are_translated_and_numbers_read_the_russian_way():
    item = one(field_type="decimal", min_value=Decimal("1.5"), max_value=Decimal(100000))
    with force_locale("ru"):
        values, errors = parsed(item, "0")
    assert values == {} and "1,5" in errors["x"] and "100\xa0000" in errors["x"]


@pytest.mark.parametrize("field_type", ["text", "integer", "decimal", "date", "select",
                                        "multiselect", "phone", "email", "pattern"])
def test_required_empty_is_refused_optional_empty_is_not_stored(field_type):
    with force_locale("en"):
        assert parsed(one(field_type=field_type, required=True, options=COLOURS), "  ") == (
            {}, {"x": "This field is required."})
    assert parsed(one(field_type=field_type, options=COLOURS), "") == ({}, {})
    assert parsed(one(field_type=field_type, options=COLOURS), None) == ({}, {})


def test_a_required_yes_no_must_be_ticked():
    consent = one(field_type="boolean", required=True)
    with force_locale("en"):
        assert parsed(consent, None)[1] == {"x": "This field is required."}
    assert parsed(consent, "on") == ({"x": True}, {})


CONDITIONAL = [
    one("kind", "select", options=({"value": "flat", "label": "Кв"},
                                   {"value": "house", "label": "Дом"})),
    one("plot", "decimal", required=True, show_if_key="kind", show_if_value="house"),
    one("plot_docs", "boolean", show_if_key="plot", show_if_value="10"),
    one("pledge", "boolean"),
    one("bank", "text", required=True, show_if_key="pledge", show_if_value="yes"),
    one("extras", "multiselect", options=COLOURS),
    one("red_note", "text", show_if_key="extras", show_if_value="red"),
    one("loop_a", "text", show_if_key="loop_b", show_if_value="1"),
    one("loop_b", "text", show_if_key="loop_a", show_if_value="1"),
    one("orphan", "text", show_if_key="nowhere", show_if_value="1"),
]


def test_a_hidden_field_is_not_required_and_its_value_is_dropped():
    data = MultiDict({"kind": "flat", "plot": "not a number", "plot_docs": "y", "bank": "",
                      "red_note": "typed", "loop_a": "1", "loop_b": "1", "orphan": "1"})
    values, errors = parse(CONDITIONAL, data)
    assert (values, errors) == ({"kind": "flat", "pledge": False}, {})


def test_a_shown_field_is_checked_and_required():
    data = MultiDict([("kind", "house"), ("plot", ""), ("pledge", "y"), ("bank", ""),
                      ("extras", "red"), ("red_note", "  ")])
    values, errors = parse(CONDITIONAL, data)
    assert set(errors) == {"plot", "bank"}
    assert values == {"kind": "house", "pledge": True, "extras": ["red"]}


def test_conditions_chain_through_shown_fields_only():
    data = MultiDict([("kind", "house"), ("plot", "10"), ("plot_docs", "y")])
    assert parse(CONDITIONAL, data)[0]["plot_docs"] is True
    hidden_parent = MultiDict([("kind", "flat"), ("plot", "10"), ("plot_docs", "y")])
    assert "plot_docs" not in parse(CONDITIONAL, hidden_parent)[0]
    assert shown_keys(CONDITIONAL, {"kind": "flat"}) == {"kind", "pledge", "extras"}


def test_the_old_address_input_name_still_fills_the_address():
    address = one("address", required=True)
    assert parse([address], MultiDict({"object_address": "Арбат 1"}))[0] == {
        "address": "Арбат 1"}


@pytest.mark.parametrize("locale, item, value, shown", [
    ("ru", one(field_type="decimal"), "1234.5", "1234,5"),
    ("ru", one(field_type="decimal"), "12345.5", "12\xa0345,5"),
    ("en", one(field_type="decimal"), "12345.5", "12,345.5"),
    ("ru", one(field_type="integer"), 7, "7"),
    ("en", one(field_type="integer"), 2019, "2019"),
    ("ru", one(field_type="integer"), 120000, "120\xa0000"),
    ("ru", one(field_type="date"), "2026-12-31", "31.12.2026"),
    ("en", one(field_type="date"), "2026-12-31", "31.12.2026"),
    ("ru", one(field_type="boolean"), True, "Да"),
    ("en", one(field_type="boolean"), False, "No"),
    ("ru", one(field_type="select", options=COLOURS), "red", "Красный"),
    ("en", one(field_type="select", options=COLOURS), "red", "Red"),
    ("en", one(field_type="multiselect", options=COLOURS), ["red", "blue"], "Red, Blue"),
    ("en", one(field_type="select", options=COLOURS), "gone", "gone"),
    ("en", one(field_type="date"), "not a date", "not a date"),
    ("en", one(), None, "—"),
    ("en", one(), "VIN", "VIN"),
])
def test_values_are_shown_as_people_read_them(locale, item, value, shown):
    with force_locale(locale):
        assert display_value(item, value) == shown


@pytest.mark.parametrize("raw, stored", [
    ("185 000,50", "185000.5"), ("185000.5", "185000.5"), ("185 000", "185000"),
    ("185\u00a0000,05 ₽", "185000.05"), ("1'500 руб.", "1500"), ("0", "0"),
    ("12 500 р.", "12500"),
])
def test_an_amount_in_roubles_is_typed_as_people_write_it_and_stored_exactly(raw, stored):
    assert parsed(one(field_type="money"), raw) == ({"x": stored}, {})


@pytest.mark.parametrize("raw, message", [
    ("-5", "The amount must not be negative."),
    ("1,000.50", "Write kopecks after a comma or a point, not both: 10 000,50."),
    ("сто", "Enter the amount in roubles, e.g. 10 000,50."),
    ("1e5", "Enter the amount in roubles, e.g. 10 000,50."),
    ("NaN", "Enter the amount in roubles, e.g. 10 000,50."),
    ("10,505", "Enter at most 2 digits after the decimal point."),
    ("9" * 14, "Enter a number of at most 13 digits before the decimal point."),
    ("99999999999999999999", "Enter a number of at most 13 digits before the decimal point."),
])
def test_a_bad_amount_in_roubles_is_refused_in_words(raw, message):
    with force_locale("en"):
        assert parsed(one(field_type="money"), raw) == ({}, {"x": message})


def test_an_amount_in_roubles_keeps_to_the_fields_range():
    item = one(field_type="money", min_value=Decimal(0), max_value=Decimal(100_000_000))
    with force_locale("ru"):
        values, errors = parsed(item, "100 000 000,01")
    assert values == {} and errors["x"] == "Введите значение от 0 до 100\xa0000\xa0000."


@pytest.mark.parametrize("locale, value, shown, in_form", [
    ("ru", "185000.5", "185\xa0000,50\xa0₽", "185 000,50"),
    ("en", "185000.5", "185,000.50\xa0₽", "185 000.50"),
    ("ru", "0", "0,00\xa0₽", "0,00"),
    ("ru", "not money", "not money", "not money"),  # stored before a type change
])
def test_an_amount_in_roubles_is_shown_as_money_and_put_back_into_the_form(locale, value,
                                                                           shown, in_form):
    from app.service_fields import form_value
    item = one(field_type="money")
    with force_locale(locale):
        assert display_value(item, value) == shown
        assert form_value(item, value) == in_form


def bare_service(code: str) -> Service:
    """A service with no fields yet (make_service gives the object fields)."""
    service = Service(code=code, name=f"Service {code}")
    db.session.add(service)
    db.session.flush()
    return service


def _field(service, key, **extra):
    row = ServiceField(service_id=service.id, key=key, label=extra.pop("label", key),
                       field_type=extra.pop("field_type", "text"), **extra)
    db.session.add(row)
    db.session.flush()
    return row


def test_fields_of_the_chosen_services_merge_by_key_in_group_order(app):
    car = bare_service("car")
    flat = bare_service("flat")
    car.sort_order, flat.sort_order = 1, 2
    _field(flat, "address", group_name="Объект", sort_order=1)
    _field(car, "vin", group_name="Автомобиль", sort_order=2, required=True)
    _field(car, "phone", group_name="Контакт", sort_order=5, is_contact=True)
    _field(flat, "phone", group_name="Контакт", sort_order=1, required=True)
    _field(car, "make", group_name="Автомобиль", sort_order=1)
    _field(car, "old", is_active=False)
    merged = fields_for([flat.id, car.id])
    assert [f.key for f in merged] == ["make", "vin", "phone", "address"]
    phone = merged[2]
    assert (phone.required, phone.is_contact, phone.service_ids) == (True, True,
                                                                     (car.id, flat.id))
    assert [(g, [f.key for f in fs]) for g, fs in groups(merged)] == [
        ("Автомобиль", ["make", "vin"]), ("Контакт", ["phone"]), ("Объект", ["address"])]
    assert [f.key for f in fields_for([car.id])] == ["make", "vin", "phone"]
    assert "old" in [f.key for f in fields_for([car.id], include_inactive=True)]
    assert fields_for([]) == []


def test_engineers_never_see_contact_fields_nor_unknown_keys(app):
    service = bare_service("car")
    _field(service, "vin", group_name="Автомобиль", required=True)
    _field(service, "owner_phone", label="Телефон владельца", field_type="phone",
           is_contact=True)
    author = make_partner()
    req = create_draft(author, author.profile.partner_company, [service.id],
                       field_values={"vin": "XTA21703080123456", "owner_phone": "+7 900 1234567",
                                     "removed_field": "old"})
    db.session.commit()
    staff = visible_values(req, viewer_is_engineer=False)
    assert ("Автомобиль", "vin", "XTA21703080123456") in staff
    assert ("", "Телефон владельца", "+7 900 1234567") in staff
    assert ("", "removed_field", "old") in staff
    engineer = visible_values(req, viewer_is_engineer=True)
    assert engineer == [("Автомобиль", "vin", "XTA21703080123456")]


def test_the_title_and_mirrored_columns_follow_the_values(app):
    car = bare_service("car")
    _field(car, "owner", required=True, is_contact=True)
    _field(car, "vin", required=True, field_type="pattern", pattern="[A-Z0-9]{17}")
    _field(car, "make", required=True)
    author = make_partner()
    req = create_draft(author, author.profile.partner_company, [car.id],
                       field_values={"owner": "Иванов", "vin": "XTA21703080123456",
                                     "make": "Lada"})
    assert (req.object_address, req.area, req.object_type, req.floor) == (
        "XTA21703080123456, Lada", None, None, None)
    flat = bare_service("flat")
    assert len(add_object_fields(flat)) == 5 and add_object_fields(flat) == []
    req = create_draft(author, author.profile.partner_company, [flat.id], field_values={
        "address": "Арбат 1", "object_type": "apartment", "area": "50.5", "floor": 3,
        "building_type": "panel"})
    assert (req.object_address, req.area, req.object_type, req.floor, req.building_type) == (
        "Арбат 1", Decimal("50.50"), "apartment", 3, "panel")
    nothing = create_draft(author, author.profile.partner_company, [car.id], field_values={})
    assert nothing.object_address == "Service car"
    assert title([], {"area": "1e400"}) == ""


@pytest.mark.parametrize("filer_locale", ["ru", "en"])
def test_a_title_of_numbers_is_labelled_and_written_in_the_bureaus_language(app,
                                                                           filer_locale):
    """A mortgage request filed in English read "3, 120,000, Другой банк" to everyone (120
    for a Russian reader; a bare 3 said nothing)."""
    loan = bare_service("loan")
    _field(loan, "borrowers", label="Заёмщиков", label_en="Borrowers", required=True,
           field_type="integer")
    _field(loan, "income", label="Доход в месяц", label_en="Monthly income", required=True,
           field_type="decimal")
    _field(loan, "bank", label="Банк", label_en="Bank", required=True, field_type="select",
           options=[{"value": "other", "label": "Другой банк", "label_en": "Other bank"}])
    author = make_partner()
    with app.test_request_context(), force_locale(filer_locale):
        req = create_draft(author, author.profile.partner_company, [loan.id], field_values={
            "borrowers": 3, "income": "120000.5", "bank": "other"})
    assert req.object_address == "Заёмщиков: 3, Доход в месяц: 120\xa0000,5, Другой банк"
