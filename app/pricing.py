"""The one pricing module: calculator, request totals and back office all use it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import format_decimal
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from flask_babel import gettext as _

from app.catalogue_names import service_name
from app.errors import InvalidInput
from app.extensions import db
from app.service_fields import fields_for
from app.settings import VAT_INCLUDED_20, VAT_NONE, VAT_ON_TOP_20, get_setting
from app.translations import reads_english
from models.catalog import RULE_OPTION, RULE_URGENCY, PriceRule, Service
from models.requests import Request
from models.service_fields import CHOICE_TYPES, NUMBER_TYPES, ServiceField

AMOUNT_LIMIT = 2_147_483_647  # kopecks: the INTEGER columns that keep prices and totals
QUANTITY_LIMIT = Decimal(1_000_000_000)  # a rate field's value: far above any real one
COEFFICIENT_LIMIT = Decimal(100)


class PriceError(InvalidInput):
    """The values given cannot be priced; `field`: the key of the value to blame, if one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


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


def calculate(service_ids, field_values: dict | None, urgency: str, options=(),
              company=None) -> PriceResult:
    """Price services from their form's values: each (base + rate × its rate field's value) ×
    its select fields' option coefficients × urgency, then + options − the company's discount.

    PriceError when a rate field's value is missing, not a number, negative or huge, or an
    amount would not fit the price columns."""
    values = dict(field_values or {})
    urgency_coef = _coef(RULE_URGENCY, urgency)
    services = _services(service_ids)
    rows = _field_rows([s.id for s in services])
    discount_percent = Decimal(str(getattr(company, "discount_percent", None) or 0))
    result = PriceResult(discount_percent=discount_percent)
    for service in services:
        result.lines.append(_service_line(service, rows.get(service.id, []), values,
                                          urgency_coef))
    option_rules = rules_by_key(RULE_OPTION)
    for key in distinct(options):  # an option is one line however often it is sent
        rule = option_rules.get(key)
        if rule is not None:
            result.lines.append(PriceLine(rule.label, rule.surcharge_kopecks))
    result.subtotal = _checked(sum(line.kopecks for line in result.lines))
    result.discount = _round(Decimal(result.subtotal) * result.discount_percent / 100)
    result.total = result.subtotal - result.discount
    return result


def distinct(options) -> list:
    """The options once each, in the order first given (["courier", "courier"] is one
    courier: the API and a crafted form could send a key twice and pay for it twice)."""
    return list(dict.fromkeys(options or ()))


def _coef(kind: str, key: str) -> Decimal:
    rule = rules_by_key(kind).get(key)
    return Decimal(rule.coefficient) if rule is not None else Decimal(1)


def _services(service_ids) -> list[Service]:
    ids = [int(i) for i in service_ids or ()]
    return db.session.query(Service).filter(Service.id.in_(ids), Service.is_active.is_(True)) \
        .order_by(Service.sort_order, Service.id).all()


def _field_rows(service_ids) -> dict[int, list[ServiceField]]:
    """The services' active fields, {service id: rows in form order}."""
    rows = db.session.query(ServiceField).filter(ServiceField.service_id.in_(service_ids),
                                                 ServiceField.is_active.is_(True)) \
        .order_by(ServiceField.sort_order, ServiceField.id).all()
    by_service: dict[int, list[ServiceField]] = {}
    for row in rows:
        by_service.setdefault(row.service_id, []).append(row)
    return by_service


def _service_line(service: Service, rows, values: dict, urgency_coef: Decimal) -> PriceLine:
    base, rate = service.base_price_kopecks or 0, service.rate_kopecks or 0
    parts = [_roubles(base)] if base or not service.rate_field_key else []
    amount = Decimal(base)
    if service.rate_field_key:
        row = next((r for r in rows if r.key == service.rate_field_key), None)
        quantity = rate_quantity(service, row, values.get(service.rate_field_key))
        amount += Decimal(rate) * quantity
        parts.append(f"{_number(quantity)}{_unit(row)} × {_roubles(rate)}")
    coefficients = [_option_coef(row, values.get(row.key)) for row in rows
                    if row.field_type in CHOICE_TYPES] + [urgency_coef]
    coefficients = [c for c in coefficients if c != 1]
    for coefficient in coefficients:
        amount *= coefficient
    detail = " + ".join(parts)
    if coefficients:
        detail = " × ".join([f"({detail})" if len(parts) > 1 else detail]
                            + [_number(c) for c in coefficients])
    return PriceLine(service.name, _checked(_round(amount)), detail, service.id,
                     service.estimated_hours)


def rate_quantity(service: Service, row, value) -> Decimal:
    """The value the service's rate multiplies, as a Decimal; PriceError naming the field
    when it is missing, not a number, negative or beyond QUANTITY_LIMIT."""
    key = service.rate_field_key
    label = row.label_en if row is not None and reads_english() and row.label_en else \
        (row.label if row is not None else key)
    if value is None or value == "":
        raise PriceError(_("Enter “%(field)s”: the price of “%(service)s” depends on it.",
                           field=label, service=service_name(service)), key)
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        quantity = Decimal(str(value).strip().replace(",", "."))
        if not quantity.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise PriceError(_("“%(field)s” must be a number.", field=label), key) from None
    if quantity < 0:
        raise PriceError(_("“%(field)s” must not be negative.", field=label), key)
    if quantity > QUANTITY_LIMIT:
        raise PriceError(_("“%(field)s” is too large.", field=label), key)
    return quantity


def _checked(kopecks: int) -> int:
    if kopecks > AMOUNT_LIMIT:
        raise PriceError(_("The price would exceed %(limit)s: check the values entered.",
                           limit=_roubles(AMOUNT_LIMIT)))
    return kopecks


def option_coefficient(option) -> Decimal:
    """A select option's price coefficient ({"coefficient": "1.3"}); 1 when it has none (or
    an unreadable one: the field editor refuses those)."""
    raw = option.get("coefficient") if isinstance(option, dict) else None
    if raw is None or raw == "" or isinstance(raw, bool):
        return Decimal(1)
    try:
        coefficient = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return Decimal(1)
    return coefficient if coefficient.is_finite() and 0 < coefficient <= COEFFICIENT_LIMIT \
        else Decimal(1)


def _option_coef(row: ServiceField, value) -> Decimal:
    """The product of the chosen options' coefficients (one for a select; a multiselect may
    have several); an unknown or empty choice counts 1."""
    chosen = value if isinstance(value, list) else [value]
    coefficient = Decimal(1)
    for option in row.options or ():
        if isinstance(option, dict) and str(option.get("value")) in [str(v) for v in chosen]:
            coefficient *= option_coefficient(option)
    return coefficient


def coefficient_text(text) -> str:
    """A coefficient typed by the admin ("1,3", "1.3") as stored on an option ("1.3");
    InvalidInput unless it is a number above 0 and at most 100 with at most 3 decimals."""
    raw = str(text or "").strip().replace(",", ".")
    try:
        number = Decimal(raw)
        if not number.is_finite() or number.as_tuple().exponent < -3:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("The coefficient is a number above 0, e.g. 1,3.")) from None
    if not 0 < number <= COEFFICIENT_LIMIT:
        raise InvalidInput(_("The coefficient is a number above 0, e.g. 1,3."))
    text = format(number.normalize(), "f")
    return text


def has_coefficients(row) -> bool:
    """Whether a choice field prices: one of its options has a coefficient other than 1."""
    return row.field_type in CHOICE_TYPES and any(
        option_coefficient(option) != 1 for option in row.options or ())


def pricing_fields(service_ids) -> list:
    """The fields the calculator asks for these services (app.service_fields.FormField): each
    service's rate field and its choice fields with coefficients, and the fields their "shown
    only if" conditions name (a yes/no before the question it opens), so a quote counts a
    conditional field exactly when the request form would keep it; a field is tied to the
    services it prices for (the browser shows it while one of them is ticked)."""
    services = _services(service_ids)
    rate_keys = {s.id: s.rate_field_key for s in services}
    asked: dict[str, list[int]] = {}
    for service_id, rows in _field_rows(list(rate_keys)).items():
        for row in rows:
            if (row.key == rate_keys[service_id] and row.field_type in NUMBER_TYPES) \
                    or has_coefficients(row):
                asked.setdefault(row.key, []).append(service_id)
    every = fields_for(list(rate_keys))
    by_key = {item.key: item for item in every}
    pending = list(asked)
    while pending:  # the condition's field (asked for the services of the field it opens),
        key = pending.pop()  # its own condition's field, …
        parent = by_key[key].show_if_key if key in by_key else None
        if parent not in by_key:
            continue
        grown = list(dict.fromkeys(asked.get(parent, []) + asked[key]))
        if grown != asked.get(parent):
            asked[parent] = grown
            pending.append(parent)
    return [replace(item, service_ids=tuple(asked[item.key]),
                    show_if_key=item.show_if_key if item.show_if_key in asked else None)
            for item in every if item.key in asked]


def _number(value: Decimal) -> str:
    """12,5 in Russian, 12.5 in English; no trailing zeros."""
    return format_decimal(Decimal(value).normalize(), format="#,##0.######")


def _roubles(kopecks: int) -> str:
    """1 500 ₽, 1 500,50 ₽ (whole roubles without kopecks)."""
    return f"{format_decimal(Decimal(kopecks) / 100, format='#,##0.##')}\u00a0₽"


def _unit(row) -> str:
    """The unit from a field's label after its last comma ("Площадь, м²" → " м²")."""
    if row is None:
        return ""
    label = row.label_en if reads_english() and row.label_en else row.label
    head, comma, tail = (label or "").rpartition(",")
    tail = tail.strip()
    return f"\u00a0{tail}" if comma and head and 0 < len(tail) <= 8 else ""


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


def amount_payable(total: int, vat_mode: str | None = None) -> int:
    """What the partner pays for a total under a VAT mode (the request's: request_vat_mode;
    else the bureau's): the invoice's "to pay", which payments are measured against."""
    return vat_figures(total or 0, vat_mode or get_setting("vat_mode"))[1]


def request_vat_mode(request) -> str:
    """The VAT mode a request is invoiced and paid under: the one its first invoice or
    payment was made under, else the bureau's current one (a later change of the setting
    leaves what was invoiced and paid as it was)."""
    return getattr(request, "vat_mode", None) or get_setting("vat_mode")


def request_payable(request) -> int:
    """What the partner pays for this request, VAT on top included where it applies."""
    return amount_payable(request.total_kopecks, request_vat_mode(request))


def keep_vat_mode(request) -> None:
    """Fix the request's VAT mode once it is invoiced or paid (the bureau's current one). A
    plain UPDATE, not the request's version: downloading an invoice is not a change of the
    request that a page open elsewhere should be refused for."""
    if getattr(request, "vat_mode", None):
        return
    mode = get_setting("vat_mode")
    db.session.execute(update(Request).where(Request.id == request.id,
                                             Request.vat_mode.is_(None)).values(vat_mode=mode))
    set_committed_value(request, "vat_mode", mode)
