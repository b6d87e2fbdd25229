"""Saved quotes of the services calculator (use case; the caller commits)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from app.access import require_partner
from app.audit import record
from app.errors import InvalidInput
from app.extensions import db
from app.intake import legacy_values
from app.pricing import calculate, distinct
from app.row_locks import lock_user
from app.service_fields import display_value, fields_for
from app.signatures import (PURPOSE_QUOTE, check_confirmation, quote_payload, request_code,
                            required)
from models.catalog import Quote

AREA_LIMIT = Decimal("99999999.99")  # Quote.area is Numeric(10, 2)


def save_quote(user, services, field_values: dict, urgency: str, options=(),
               confirmation_code: str | None = None) -> Quote:
    """Price the services from their priced fields' values (app.pricing.pricing_fields, as
    parsed by app.service_fields) for the user's company (its discount); keep the breakdown.
    Saving is agreeing to the quote: a one-time code when the admin asks for one."""
    return save_or_reuse_quote(user, services, field_values, urgency, options,
                               confirmation_code)[0]


def save_or_reuse_quote(user, services, field_values: dict, urgency: str, options=(),
                        confirmation_code: str | None = None) -> tuple[Quote, bool]:
    """save_quote, telling whether the quote is new (False: the user's newest quote was this
    very quote and is given back, as the API answers 200 instead of 201)."""
    company = require_partner(user)
    options, values = distinct(options), dict(field_values or {})
    result = calculate(services, values, urgency, options, company)
    lock_user(user.id)  # the same quote sent twice at once: the second sees the first's
    again = _same_as_last(user, company, list(services), values, urgency, options, result.total)
    if again is not None:  # "Create a request" pressed again after going back: one quote
        return again, False
    object_type = values.get("object_type")
    quote = Quote(company_id=company.id, author_id=user.id, field_values=values,
                  object_type=str(object_type)[:40] if isinstance(object_type, str) else None,
                  area=_area(values.get("area")),
                  urgency=urgency, options=options, service_ids=list(services),
                  breakdown=[{"title": line.title, "kopecks": line.kopecks,
                              "detail": line.detail, "service_id": line.service_id}
                             for line in result.lines],
                  subtotal_kopecks=result.subtotal, discount_kopecks=result.discount,
                  total_kopecks=result.total)
    db.session.add(quote)
    db.session.flush()
    check_confirmation(user, PURPOSE_QUOTE, quote_payload(services, values, urgency, options,
                                                          result.total),
                       confirmation_code, quote)
    record("quote_saved", user, quote, total=result.total)
    return quote, True


def _same_as_last(user, company, services: list, values: dict, urgency: str, options: list,
                  total: int) -> Quote | None:
    """The user's newest quote when it is this very quote (same services, values, urgency,
    options and total): saving it again would only pile up copies in the list."""
    last = db.session.query(Quote).filter_by(author_id=user.id, company_id=company.id) \
        .order_by(Quote.id.desc()).first()
    if last is None or last.total_kopecks != total or last.urgency != urgency \
            or sorted(last.service_ids or []) != sorted(services) \
            or sorted(last.options or []) != sorted(options):  # the same services in any order
        return None
    stored = json.loads(json.dumps(values, default=str))  # as the JSON column keeps them
    return last if json.loads(json.dumps(last.field_values or {}, default=str)) == stored \
        else None


def request_quote_code(user, services, field_values: dict, urgency: str, options=()):
    """Send the partner a code to agree to this quote (the API's way to ask; the cabinet asks
    when save_quote answers ConfirmationRequired); priced exactly as save_quote prices it."""
    company = require_partner(user)
    if not required(PURPOSE_QUOTE):  # else a code by e-mail or SMS for nothing, each time
        raise InvalidInput(_("This action needs no confirmation code."))
    options, values = distinct(options), dict(field_values or {})
    result = calculate(services, values, urgency, options, company)
    return request_code(user, PURPOSE_QUOTE, quote_payload(services, values, urgency, options,
                                                           result.total))


def quote_values(quote: Quote) -> dict:
    """The values a new request from this quote starts with (quotes saved before the priced
    fields kept only object type and area)."""
    if quote.field_values:
        return dict(quote.field_values)
    return legacy_values({"object_type": quote.object_type, "area": quote.area})


def quote_summary(quote: Quote) -> list[tuple[str, str]]:
    """[(field label, value as people read it)] of the quote's priced values."""
    values = quote_values(quote)
    return [(item.title, display_value(item, values[item.key]))
            for item in fields_for(quote.service_ids or (), include_inactive=True)
            if values.get(item.key) not in (None, "", [])]


def _area(value) -> Decimal | None:
    """The "area" value mirrored into Quote.area when it is a number that fits."""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return number if not isinstance(value, bool) and abs(number) <= AREA_LIMIT else None
