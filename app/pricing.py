"""The one pricing module: calculator, request totals and back office all use it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from app.extensions import db
from app.settings import VAT_INCLUDED_20, VAT_NONE, VAT_ON_TOP_20, get_setting
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule, Service


@dataclass
class PriceLine:
    title: str
    kopecks: int
    detail: str = ""
    service_id: int | None = None
    hours: Decimal = Decimal(0)


@dataclass
class PriceResult:
    lines: list[PriceLine] = field(default_factory=list)
    subtotal: int = 0
    discount_percent: Decimal = Decimal(0)
    discount: int = 0
    total: int = 0


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rules_by_key(kind: str) -> dict[str, PriceRule]:
    rows = db.session.query(PriceRule).filter_by(kind=kind, is_active=True).all()
    return {r.key: r for r in rows}


def calculate(service_ids, area, object_type: str, urgency: str, options=(),
              discount_percent=0) -> PriceResult:
    """Price services for an object: (base + m² × area) × type × urgency, + options − discount."""
    area = Decimal(str(area))
    type_coef = _coef(RULE_OBJECT_TYPE, object_type)
    urgency_coef = _coef(RULE_URGENCY, urgency)
    services = db.session.query(Service).filter(Service.id.in_(list(service_ids)),
                                                Service.is_active.is_(True)) \
        .order_by(Service.sort_order, Service.id).all()
    result = PriceResult(discount_percent=Decimal(str(discount_percent or 0)))
    for s in services:
        raw = Decimal(s.base_price_kopecks) + Decimal(s.price_per_m2_kopecks) * area
        amount = _round(raw * type_coef * urgency_coef)
        detail = f"({s.base_price_kopecks / 100:.2f} + {s.price_per_m2_kopecks / 100:.2f} × " \
                 f"{area} m²) × {type_coef} × {urgency_coef}"
        result.lines.append(PriceLine(s.name, amount, detail, s.id, s.estimated_hours))
    option_rules = rules_by_key(RULE_OPTION)
    for key in options:
        rule = option_rules.get(key)
        if rule is not None:
            result.lines.append(PriceLine(rule.label, rule.surcharge_kopecks))
    result.subtotal = sum(line.kopecks for line in result.lines)
    result.discount = _round(Decimal(result.subtotal) * result.discount_percent / 100)
    result.total = result.subtotal - result.discount
    return result


def _coef(kind: str, key: str) -> Decimal:
    rule = rules_by_key(kind).get(key)
    return Decimal(rule.coefficient) if rule is not None else Decimal(1)


def rule_label(kind: str, key: str | None, english: bool = False,
               rules: dict | None = None) -> str:
    """The admin's label of a price rule key (object type, urgency, option); `rules` is
    rules_by_key(kind) when the caller already has it (a list of many rows)."""
    if not key:
        return "—"
    rule = (rules if rules is not None else rules_by_key(kind)).get(key)
    if rule is None:
        return key
    return rule.label_en if english and rule.label_en else rule.label


VAT_RATE = Decimal(20)


def vat_figures(total: int, vat_mode: str) -> tuple[int, int]:
    """(VAT, amount to pay) for a total in kopecks: VAT inside the total (20/120), added on
    top (20/100, so the partner pays more), or none (simplified tax system)."""
    if vat_mode == VAT_INCLUDED_20:
        return _round(Decimal(total) * VAT_RATE / (100 + VAT_RATE)), total
    if vat_mode == VAT_ON_TOP_20:
        vat = _round(Decimal(total) * VAT_RATE / 100)
        return vat, total + vat
    if vat_mode != VAT_NONE:
        raise ValueError(f"unknown VAT mode {vat_mode!r}")
    return 0, total


def amount_payable(total: int) -> int:
    """What the partner pays for a total under the bureau's VAT mode (the invoice's
    "to pay"): payments are measured against this, not against the total before VAT."""
    return vat_figures(total or 0, get_setting("vat_mode"))[1]
