"""Pricing: (base + m² × area) × object type × urgency, + options − discount, in kopecks.

Every figure below is worked out by hand, so a changed operator, coefficient, rounding or
filter (a switched-off service or rule still priced) gives another number.
"""

from decimal import Decimal

import pytest

from app.extensions import db
from app.pricing import PriceLine, PriceResult, calculate, rule_label, rules_by_key
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule, Service


def service(code, base, per_m2, hours="4", active=True, order=0) -> Service:
    row = Service(code=code, name=f"Service {code}", base_price_kopecks=base,
                  price_per_m2_kopecks=per_m2, estimated_hours=Decimal(hours),
                  is_active=active, sort_order=order)
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


@pytest.fixture
def catalogue(app):
    """Two services, coefficients for a house and for urgent work, two options."""
    plan = service("plan", 1_000_000, 10_000, hours="4.5")
    survey = service("survey", 300_000, 0, hours="2")
    rule(RULE_OBJECT_TYPE, "house", coefficient="1.2")
    rule(RULE_URGENCY, "urgent", coefficient="1.5")
    rule(RULE_OPTION, "copy", label="Paper copy", surcharge=50_000)
    rule(RULE_OPTION, "courier", label="Courier", surcharge=70_000)
    db.session.commit()  # read back as stored (Numeric(6, 3) coefficients)
    return plan, survey


def test_one_service_with_both_coefficients(catalogue):
    plan, _survey = catalogue
    result = calculate([plan.id], 50, "house", "urgent")
    # (10 000.00 + 100.00 × 50) × 1.2 × 1.5 = 27 000.00 roubles
    assert result.lines == [PriceLine(
        "Service plan", 2_700_000, "(10000.00 + 100.00 × 50 m²) × 1.200 × 1.500",
        plan.id, Decimal("4.5"))]
    assert (result.subtotal, result.discount_percent, result.discount, result.total) == \
        (2_700_000, Decimal(0), 0, 2_700_000)


def test_unknown_keys_price_with_coefficient_one_and_area_is_exact(catalogue):
    plan, _survey = catalogue
    result = calculate([plan.id], 0.1, "flat", "whenever")
    # a float area is read as written (0.1, not 0.1000000000000000055…)
    assert result.lines[0].detail == "(10000.00 + 100.00 × 0.1 m²) × 1 × 1"
    assert result.lines[0].kopecks == 1_001_000
    assert result.total == 1_001_000


def test_services_in_catalogue_order_and_switched_off_ones_not_priced(catalogue):
    plan, survey = catalogue
    survey.sort_order = -1  # shown first although created later
    off = service("old", 999_999, 0, active=False)
    result = calculate([plan.id, survey.id, off.id], Decimal("10"), "apartment", "normal")
    assert [(line.service_id, line.kopecks) for line in result.lines] == [
        (survey.id, 300_000), (plan.id, 1_100_000)]
    assert result.total == 1_400_000
    assert calculate([off.id], 10, "apartment", "normal") == PriceResult()


def test_same_sort_order_keeps_catalogue_id_order(app):
    second = service("b", 200, 0, order=5)
    first = service("a", 100, 0, order=5)
    ids = [line.service_id for line in calculate([first.id, second.id], 1, "x", "y").lines]
    assert ids == [second.id, first.id]


def test_options_add_their_surcharge_in_the_order_chosen_unknown_ones_ignored(catalogue):
    plan, _survey = catalogue
    result = calculate([plan.id], 0, "apartment", "normal", ["courier", "nope", "copy"])
    assert [(line.title, line.kopecks, line.service_id) for line in result.lines] == [
        ("Service plan", 1_000_000, plan.id), ("Courier", 70_000, None),
        ("Paper copy", 50_000, None)]
    assert result.lines[1] == PriceLine("Courier", 70_000)
    assert result.subtotal == result.total == 1_120_000


def test_switched_off_rules_do_not_apply(catalogue):
    plan, _survey = catalogue
    rule(RULE_OBJECT_TYPE, "barn", coefficient="3", active=False)
    rule(RULE_URGENCY, "asap", coefficient="2", active=False)
    rule(RULE_OPTION, "gift", surcharge=1_000, active=False)
    result = calculate([plan.id], 0, "barn", "asap", ["gift"])
    assert [line.kopecks for line in result.lines] == [1_000_000]
    assert rules_by_key(RULE_OPTION).keys() == {"copy", "courier"}


def test_a_rule_applies_only_to_its_own_kind(catalogue):
    plan, _survey = catalogue
    # "urgent" is an urgency, not an object type; "house" is no urgency and no option
    result = calculate([plan.id], 0, "urgent", "house", ["house"])
    assert [line.kopecks for line in result.lines] == [1_000_000]
    assert set(rules_by_key(RULE_OBJECT_TYPE)) == {"house"}
    assert rules_by_key(RULE_URGENCY)["urgent"].coefficient == Decimal("1.5")


def test_discount_is_a_percentage_of_the_subtotal_rounded_half_up(catalogue):
    plan, survey = catalogue
    result = calculate([plan.id, survey.id], 0, "apartment", "normal", ["copy"],
                       discount_percent="12.5")
    assert result.subtotal == 1_350_000
    assert result.discount_percent == Decimal("12.5")
    assert result.discount == 168_750
    assert result.total == 1_181_250
    odd = calculate([survey.id], 0, "apartment", "normal", ["copy"], discount_percent=0.3)
    # 350 000 × 0.3 % = 1 050
    assert (odd.discount, odd.total) == (1_050, 348_950)
    none = calculate([survey.id], 0, "apartment", "normal", discount_percent=None)
    assert (none.discount_percent, none.discount, none.total) == (Decimal(0), 0, 300_000)


def test_amounts_round_half_up_to_whole_kopecks(app):
    half = service("half", 2, 1)
    # 2 + 1 × 0.5 = 2.5 kopecks → 3 (half up; banker's rounding would give 2)
    result = calculate([half.id], "0.5", "apartment", "normal", discount_percent=50)
    assert result.lines[0].kopecks == 3
    # 3 × 50 % = 1.5 → 2
    assert (result.discount, result.total) == (2, 1)
    third = service("third", 1, 1)
    assert calculate([third.id], "0.4", "a", "b").total == 1  # 1.4 → 1


def test_rule_label_for_every_case(catalogue):
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

    with pytest.raises(ValueError):
        vat_figures(100, "vat18")


def test_amount_payable_follows_the_bureaus_vat_mode(app):
    from app.extensions import db
    from app.pricing import amount_payable
    from app.settings import set_setting

    assert amount_payable(3_230_000) == 3_230_000 and amount_payable(None) == 0
    set_setting("vat_mode", "on_top20")
    db.session.commit()
    assert amount_payable(3_230_000) == 3_876_000
