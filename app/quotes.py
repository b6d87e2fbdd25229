"""Saved quotes of the services calculator (use case; the caller commits)."""

from __future__ import annotations

from app.access import require_partner
from app.audit import record
from app.extensions import db
from app.pricing import calculate
from models.catalog import Quote


def save_quote(user, services, area, object_type: str, urgency: str, options=()) -> Quote:
    """Price the services for the user's company (its discount) and keep the breakdown."""
    company = require_partner(user)
    options = list(options or [])
    result = calculate(services, area, object_type, urgency, options,
                       company.discount_percent)
    quote = Quote(company_id=company.id, author_id=user.id, object_type=object_type,
                  area=area, urgency=urgency, options=options, service_ids=list(services),
                  breakdown=[{"title": line.title, "kopecks": line.kopecks,
                              "detail": line.detail} for line in result.lines],
                  subtotal_kopecks=result.subtotal, discount_kopecks=result.discount,
                  total_kopecks=result.total)
    db.session.add(quote)
    db.session.flush()
    record("quote_saved", user, quote, total=result.total)
    return quote
