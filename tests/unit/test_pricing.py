"""Pricing by the service's own fields: (base + rate × its rate field's value) × its select
options' coefficients × urgency, + options − discount, in kopecks.

Every figure below is worked out by hand, so a changed operator, coefficient, rounding or
filter (a switched-off service, field or rule still priced) gives another number.
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from app.errors import InvalidInput
from app.extensions import db
from app.pricing import (AMOUNT_LIMIT, PriceError, PriceLine, PriceResult, calculate,
                         coefficient_text, has_coefficients, option_coefficient,
                         pricing_fields, rule_label, rules_by_key)
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule, Service
from models.service_fields import ServiceField

NB = "\u00a0"  # Russian groups thousands and ends amounts with a non-breaking space
OBJECT_TYPES = [{"value": "apartment", "label": "Квартира", "label_en": "Apartment"},
                {"value": "house", "label": "Дом", "label_en": "House", "coefficient": "1.2"}]
CAR_CLASSES = [{"value": "economy", "label": "Эконом", "label_en": "Economy"},
               {"value": "premium", "label": "Премиум", "label_en": "Premium",
                "coefficient": "1.5"},
               {"value": "odd", "label": "Странный", "coefficient": "abc"}]


def service(code, base, rate=0, rate_field=None, hours="4", active=True, order=0) -> Service:
    row = Service(code=code, name=f"Service {code}", base_price_kopecks=base,
                  price_per_m2_kopecks=rate, rate_field_key=rate_field,
                  estimated_hours=Decimal(hours), is_active=active, sort_order=order)
    db.session.add(row)
    db.session.flush()
    return row


def add_field(svc, key, field_type, label=None, options=(), active=True, order=0,
              label_en=None, **extra) -> ServiceField:
    row = ServiceField(service_id=svc.id, key=key, label=label or key, label_en=label_en,
                       field_type=field_type, options=list(options), is_active=active,
                       sort_order=order, **extra)
    db.session.add(row)
    db.session.flush()
    return row


def rule(kind, key, label=None, coefficient="1", surcharge=0, active=True, label_en=None):
    row = PriceRule(kind=kind, key=key, label=label or f"{kind} {key}", label_en=label_en,
                    coefficient=Decimal(coefficient), surcharge_kopecks=surcharge,
                    is_active=active)
    db.session.add(row)
    db.session.flush()
    return row


def company(percent):
    return SimpleNamespace(discount_percent=percent)


@pytest.fixture
def catalogue(app):
    """Redevelopment per m² (object type: a house ×1.2), a fixed-price survey, a car check
    per car (premium ×1.5); urgent work ×1.5; two options."""
    plan = service("plan", 1_000_000, 10_000, "area", hours="4.5")
    add_field(plan, "area", "decimal", "Площадь, м²", label_en="Area, m²", order=1)
    add_field(plan, "object_type", "select", "Тип объекта", OBJECT_TYPES, order=2)
    survey = service("survey", 300_000, hours="2")
    add_field(survey, "area", "decimal", "Площадь, м²")  # asked, but not what it prices by
    add_field(survey, "object_type", "select", "Тип объекта",  # no coefficients here
              [{"value": "house", "label": "Дом"}])
    car = service("car", 0, 150_000, "cars")
    add_field(car, "cars", "integer", "Количество автомобилей", label_en="Number of cars")
    add_field(car, "car_class", "select", "Класс", CAR_CLASSES)
    rule(RULE_URGENCY, "urgent", coefficient="1.5")
    rule(RULE_OPTION, "copy", label="Paper copy", surcharge=50_000)
    rule(RULE_OPTION, "courier", label="Courier", surcharge=70_000)
    db.session.commit()  # read back as stored (Numeric(6, 3) coefficients)
    return plan, survey, car


def test_per_m2_service_with_a_select_coefficient_and_urgency(catalogue):
    plan, _survey, _car = catalogue
    result = calculate([plan.id], {"area": "50", "object_type": "house"}, "urgent")
    # (10 000 + 100 × 50) × 1.2 × 1.5 = 27 000 roubles
    assert result.lines == [PriceLine(
        "Service plan", 2_700_000, f"(10{NB}000{NB}₽ + 50{NB}м² × 100{NB}₽) × 1,2 × 1,5",
        plan.id, Decimal("4.5"))]
    assert (result.subtotal, result.discount_percent, result.discount, result.total) == \
        (2_700_000, Decimal(0), 0, 2_700_000)
    with force_locale("en"):
        english = calculate([plan.id], {"area": "1250.5"}, "normal").lines[0]
    assert english.detail == f"10,000{NB}₽ + 1,250.5{NB}m² × 100{NB}₽"
    assert english.kopecks == 1_000_000 + 12_505_000


def test_per_unit_integer_field_with_a_class_coefficient(catalogue):
    _plan, _survey, car = catalogue
    result = calculate([car.id], {"cars": 3, "car_class": "premium"}, "normal")
    # 3 × 1 500 × 1.5 = 6 750 roubles; no base, no unit in the label
    assert result.lines == [PriceLine("Service car", 675_000, f"3 × 1{NB}500{NB}₽ × 1,5",
                                      car.id, Decimal(4))]
    assert calculate([car.id], {"cars": "2", "car_class": "economy"}, "x").total == 300_000
    # an unknown class, an unreadable coefficient and no class at all count 1
    for chosen in ("gone", "odd", None):
        assert calculate([car.id], {"cars": 1, "car_class": chosen}, "x").total == 150_000


def test_coefficients_come_from_each_services_own_fields(catalogue):
    plan, survey, _car = catalogue
    result = calculate([plan.id, survey.id], {"area": "10", "object_type": "house"}, "x")
    # plan: (10 000 + 1 000) × 1.2; survey: its object type has no coefficient, area unused
    assert [(line.service_id, line.kopecks, line.detail) for line in result.lines] == [
        (plan.id, 1_320_000, f"(10{NB}000{NB}₽ + 10{NB}м² × 100{NB}₽) × 1,2"),
        (survey.id, 300_000, f"3{NB}000{NB}₽")]


def test_a_multiselect_multiplies_every_chosen_options_coefficient(app):
    extras = service("extras", 100_000)
    add_field(extras, "extras", "multiselect", "Доп.", [
        {"value": "a", "label": "A", "coefficient": "1.1"},
        {"value": "b", "label": "B", "coefficient": "2"}, {"value": "c", "label": "C"}])
    assert calculate([extras.id], {"extras": ["a", "b", "c"]}, "x").total == 220_000
    assert calculate([extras.id], {"extras": ["b"]}, "x").total == 200_000
    assert calculate([extras.id], {"extras": "b"}, "x").total == 200_000  # one, not a list


def test_a_switched_off_field_does_not_price(catalogue):
    plan, _survey, _car = catalogue
    db.session.query(ServiceField).filter_by(service_id=plan.id, key="object_type") \
        .update({"is_active": False})
    result = calculate([plan.id], {"area": "10", "object_type": "house"}, "x")
    assert result.total == 1_100_000


@pytest.mark.parametrize("value, message", [
    (None, "Enter “Площадь, м²”: the price of “Service plan” depends on it."),
    ("", "Enter “Площадь, м²”: the price of “Service plan” depends on it."),
    ("abc", "“Площадь, м²” must be a number."),
    (True, "“Площадь, м²” must be a number."),
    ("NaN", "“Площадь, м²” must be a number."),
    ("Infinity", "“Площадь, м²” must be a number."),
    ([1], "“Площадь, м²” must be a number."),
    ("-1", "“Площадь, м²” must not be negative."),
    ("1000000000.01", "“Площадь, м²” is too large."),
    ("1e30", "“Площадь, м²” is too large."),
])
def test_a_missing_or_bad_rate_value_is_refused_naming_the_field(catalogue, value, message):
    plan, _survey, _car = catalogue
    values = {} if value is None else {"area": value}
    with force_locale("en"), pytest.raises(PriceError) as refused:
        calculate([plan.id], values, "normal")
    assert refused.value.field == "area"
    assert isinstance(refused.value, InvalidInput)
    assert str(refused.value) == message.replace("Площадь, м²", "Area, m²")


def test_the_rate_value_may_be_zero_a_comma_decimal_or_the_limit(catalogue):
    plan, _survey, car = catalogue
    assert calculate([plan.id], {"area": "0"}, "x").total == 1_000_000
    assert calculate([plan.id], {"area": " 0,5 "}, "x").total == 1_005_000
    assert calculate([car.id], {"cars": 14_316}, "x").total == 2_147_400_000


def test_the_quantity_limit_itself_is_priced(app):
    free = service("free", 500, 0, "n")  # a rate field priced at 0 per unit
    assert calculate([free.id], {"n": "1000000000"}, "x").total == 500
    # up to six decimals shown (the locale's own pattern would cut at three)
    assert calculate([free.id], {"n": "1.234567"}, "x").lines[0].detail == \
        f"5{NB}₽ + 1,234567 × 0{NB}₽"
    with pytest.raises(PriceError):
        calculate([free.id], {"n": "1000000000.001"}, "x")


def test_the_refusal_and_the_unit_use_the_fields_label_in_the_pages_language(catalogue):
    plan, _survey, _car = catalogue
    with pytest.raises(PriceError) as refused:  # Russian (the default): the Russian label
        calculate([plan.id], {"area": "-1"}, "x")
    assert str(refused.value) == "«Площадь, м²» не может быть отрицательным."
    road = service("road", 0, 100, "km")
    add_field(road, "km", "decimal", "Длина, км")  # no English label: the Russian one
    with force_locale("en"):
        with pytest.raises(PriceError) as refused:
            calculate([road.id], {"km": "x"}, "x")
        assert str(refused.value) == "“Длина, км” must be a number."
        assert calculate([road.id], {"km": "2"}, "x").lines[0].detail == \
            f"2{NB}км × 1{NB}₽"


def test_the_field_label_of_a_missing_rate_field_is_its_key(app):
    lost = service("lost", 0, 100, "rooms")
    with force_locale("en"):
        with pytest.raises(PriceError) as refused:
            calculate([lost.id], {}, "x")
        message = str(refused.value)  # a lazy text: read in the locale it was raised in
    assert refused.value.field == "rooms" and "“rooms”" in message
    # its value still prices (the field was removed after the request was filed)
    assert calculate([lost.id], {"rooms": 3}, "x").lines[0] == PriceLine(
        "Service lost", 300, f"3 × 1{NB}₽", lost.id, Decimal(4))


def test_amounts_beyond_the_price_columns_are_refused(app):
    top = service("top", AMOUNT_LIMIT)
    assert calculate([top.id], {}, "x").total == AMOUNT_LIMIT
    rule(RULE_URGENCY, "asap", coefficient="1.001")
    with force_locale("en"):
        with pytest.raises(PriceError) as refused:  # a line (an INTEGER column
            calculate([top.id], {}, "asap")  # cannot even hold such a base price)
        message = str(refused.value)
    assert refused.value.field is None and "exceed" in message
    rule(RULE_OPTION, "one", surcharge=1)
    with pytest.raises(PriceError):  # the subtotal too
        calculate([top.id], {}, "x", ["one"])
    rated = service("rated", 0, AMOUNT_LIMIT, "n")
    with pytest.raises(PriceError):
        calculate([rated.id], {"n": 2}, "x")


def test_services_in_catalogue_order_and_switched_off_ones_not_priced(catalogue):
    plan, survey, _car = catalogue
    survey.sort_order = -1  # shown first although created later
    off = service("old", 999_999, active=False)
    result = calculate([plan.id, survey.id, off.id], {"area": "10"}, "normal")
    assert [(line.service_id, line.kopecks) for line in result.lines] == [
        (survey.id, 300_000), (plan.id, 1_100_000)]
    assert result.total == 1_400_000
    assert calculate([off.id], {}, "normal") == PriceResult()
    assert calculate([], None, "normal") == PriceResult()


def test_same_sort_order_keeps_catalogue_id_order(app):
    second = service("b", 200, order=5)
    first = service("a", 100, order=5)
    ids = [line.service_id for line in calculate([first.id, second.id], {}, "y").lines]
    assert ids == [second.id, first.id]


def test_options_add_their_surcharge_in_the_order_chosen_unknown_ones_ignored(catalogue):
    _plan, survey, _car = catalogue
    result = calculate([survey.id], {}, "normal", ["courier", "nope", "copy"])
    assert [(line.title, line.kopecks, line.service_id) for line in result.lines] == [
        ("Service survey", 300_000, survey.id), ("Courier", 70_000, None),
        ("Paper copy", 50_000, None)]
    assert result.lines[1] == PriceLine("Courier", 70_000)
    assert result.subtotal == result.total == 420_000


def test_an_option_sent_twice_is_one_line(catalogue):
    _plan, survey, _car = catalogue
    result = calculate([survey.id], {}, "normal", ["courier", "courier", "copy", "courier"])
    assert [line.title for line in result.lines] == ["Service survey", "Courier", "Paper copy"]
    assert result.total == 300_000 + 70_000 + 50_000


def test_switched_off_rules_do_not_apply_and_object_type_rules_do_not_price(catalogue):
    _plan, survey, _car = catalogue
    rule(RULE_URGENCY, "asap", coefficient="2", active=False)
    rule(RULE_OPTION, "gift", surcharge=1_000, active=False)
    rule(RULE_OBJECT_TYPE, "house", coefficient="3")  # names only: prices are on options
    result = calculate([survey.id], {"object_type": "house"}, "asap", ["gift"])
    assert [line.kopecks for line in result.lines] == [300_000]
    assert rules_by_key(RULE_OPTION).keys() == {"copy", "courier"}
    # "urgent" is an urgency, not an option; "copy" is no urgency
    assert calculate([survey.id], {}, "copy", ["urgent"]).total == 300_000
    assert calculate([survey.id], {}, "urgent").lines[0].detail == f"3{NB}000{NB}₽ × 1,5"


def test_discount_is_the_companys_percentage_of_the_subtotal_rounded_half_up(catalogue):
    plan, survey, _car = catalogue
    result = calculate([plan.id, survey.id], {"area": "0"}, "normal", ["copy"],
                       company("12.5"))
    assert result.subtotal == 1_350_000
    assert result.discount_percent == Decimal("12.5")
    assert result.discount == 168_750
    assert result.total == 1_181_250
    odd = calculate([survey.id], {}, "normal", ["copy"], company(0.3))
    # 350 000 × 0.3 % = 1 050
    assert (odd.discount, odd.total) == (1_050, 348_950)
    for nobody in (company(None), None):
        none = calculate([survey.id], {}, "normal", company=nobody)
        assert (none.discount_percent, none.discount, none.total) == (Decimal(0), 0, 300_000)


def test_amounts_round_half_up_to_whole_kopecks(app):
    half = service("half", 2, 1, "n")
    # 2 + 1 × 0.5 = 2.5 kopecks → 3 (half up; banker's rounding would give 2)
    result = calculate([half.id], {"n": "0.5"}, "normal", company=company(50))
    assert result.lines[0].kopecks == 3
    # 3 × 50 % = 1.5 → 2
    assert (result.discount, result.total) == (2, 1)
    third = service("third", 1, 1, "n")
    assert calculate([third.id], {"n": "0.4"}, "a").total == 1  # 1.4 → 1
    assert calculate([third.id], {"n": 0.1}, "a").lines[0].detail == \
        f"0,01{NB}₽ + 0,1 × 0,01{NB}₽"  # a float read as written, kopecks shown


@pytest.mark.parametrize("option, coefficient", [
    ({"coefficient": "1.3"}, Decimal("1.3")), ({"coefficient": 2}, Decimal(2)),
    ({"coefficient": 0.5}, Decimal("0.5")), ({"coefficient": "100"}, Decimal(100)),
    ({}, 1), ({"coefficient": None}, 1), ({"coefficient": ""}, 1),
    ({"coefficient": True}, 1), ({"coefficient": "x"}, 1), ({"coefficient": "0"}, 1),
    ({"coefficient": "-2"}, 1), ({"coefficient": "100.001"}, 1), ({"coefficient": "NaN"}, 1),
    ({"coefficient": [1]}, 1), ("premium", 1), (None, 1),
])
def test_option_coefficient(option, coefficient):
    assert option_coefficient(option) == coefficient


@pytest.mark.parametrize("text, stored", [
    ("1,3", "1.3"), ("1.30", "1.3"), (" 2 ", "2"), ("0.001", "0.001"), ("100", "100"),
    (1.5, "1.5"), ("1E+1", "10"),
])
def test_coefficient_text_as_stored(text, stored):
    assert coefficient_text(text) == stored


@pytest.mark.parametrize("text", ["", None, "abc", "0", "-1", "100.0001", "0.0001", "101",
                                  "NaN", "Infinity", "1,3,4"])
def test_coefficient_text_refused(text):
    with pytest.raises(InvalidInput):
        coefficient_text(text)


def test_pricing_fields_are_rate_fields_and_choices_with_coefficients(catalogue):
    plan, survey, car = catalogue
    add_field(car, "vin", "text", "VIN")
    add_field(car, "wheels", "select", "Диски", [{"value": "r", "label": "R",
                                                  "coefficient": "1.1"}],
              show_if_key="vin", show_if_value="x")  # its condition's field is asked too
    add_field(car, "tint", "select", "Тонировка", [{"value": "y", "label": "Y",
                                                    "coefficient": "1.2"}],
              show_if_key="car_class", show_if_value="premium")
    add_field(car, "seats", "integer", "Мест")  # a number, but not the rate field
    add_field(car, "paint", "select", "Цвет", [{"value": "p", "label": "P",
                                                "coefficient": "1"}])
    fields = pricing_fields([plan.id, survey.id, car.id])
    assert [(f.key, f.service_ids, f.show_if_key) for f in fields] == [  # form order
        ("cars", (car.id,), None), ("car_class", (car.id,), None),
        ("vin", (car.id,), None), ("wheels", (car.id,), "vin"),
        ("tint", (car.id,), "car_class"),
        ("area", (plan.id,), None), ("object_type", (plan.id,), None)]
    assert pricing_fields([survey.id]) == []
    assert [f.key for f in pricing_fields([car.id])][:2] == ["cars", "car_class"]
    car.is_active = False
    assert [f.key for f in pricing_fields([plan.id, car.id])] == ["area", "object_type"]


def test_a_rate_field_that_is_no_number_is_not_asked(app):
    odd = service("odd", 0, 100, "name")
    add_field(odd, "name", "text", "Имя")
    assert pricing_fields([odd.id]) == []
    assert has_coefficients(SimpleNamespace(field_type="select", options=OBJECT_TYPES))
    assert not has_coefficients(SimpleNamespace(field_type="text", options=OBJECT_TYPES))
    assert not has_coefficients(SimpleNamespace(field_type="select", options=None))


def test_rule_label_for_every_case(app):
    rule(RULE_OBJECT_TYPE, "house")
    rule(RULE_URGENCY, "slow", label="Медленно", label_en="Slow")
    assert rule_label(RULE_OBJECT_TYPE, None) == "—"
    assert rule_label(RULE_OBJECT_TYPE, "") == "—"
    assert rule_label(RULE_OBJECT_TYPE, "castle") == "castle"
    assert rule_label(RULE_OBJECT_TYPE, "house") == "object_type house"
    assert rule_label(RULE_OBJECT_TYPE, "house", english=True) == "object_type house"
    assert rule_label(RULE_URGENCY, "slow") == "Медленно"
    assert rule_label(RULE_URGENCY, "slow", True) == "Slow"
    assert rule_label(RULE_OBJECT_TYPE, "slow", True) == "slow"  # another kind's key


@pytest.mark.parametrize("mode, total, vat, to_pay", [
    ("none", 3_230_000, 0, 3_230_000),
    ("included20", 3_230_000, 538_333, 3_230_000),  # 32 300 × 20/120 = 5 383,333…
    ("included20", 5, 1, 5),  # 0,8333 kopeck rounds half-up to 1
    ("on_top20", 3_230_000, 646_000, 3_876_000),
    ("on_top20", 3, 1, 4),  # 0,6 kopeck → 1
    ("on_top20", 2, 0, 2),  # 0,4 kopeck → 0
])
def test_vat_figures(mode, total, vat, to_pay):
    from app.pricing import vat_figures

    assert vat_figures(total, mode) == (vat, to_pay)


def test_unknown_vat_mode_is_refused():
    from app.pricing import vat_figures

    with pytest.raises(ValueError, match=r"^unknown VAT mode 'vat18'$"):  # named in the log
        vat_figures(100, "vat18")


def test_amount_payable_follows_the_bureaus_vat_mode(app):
    from app.pricing import amount_payable
    from app.settings import set_setting

    assert amount_payable(3_230_000) == 3_230_000 and amount_payable(None) == 0
    set_setting("vat_mode", "on_top20")
    db.session.commit()
    assert amount_payable(3_230_000) == 3_876_000


@pytest.mark.parametrize("label, unit", [
    ("Длина, км", f"{NB}км"), ("Длина, м", f"{NB}м"), ("Длина, 12345678", f"{NB}12345678"),
    ("Длина, 123456789", ""),
    ("Длина, ", ""), (", км", ""), ("Длина", ""), ("Длина, м, п.", f"{NB}п.")])
def test_the_unit_is_the_rate_fields_label_after_its_last_comma(app, label, unit):
    road = service("road", 0, 100, "km")
    add_field(road, "km", "decimal", label)
    assert calculate([road.id], {"km": "2"}, "x").lines[0].detail == f"2{unit} × 1{NB}₽"
