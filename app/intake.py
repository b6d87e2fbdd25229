"""Creating request drafts (cabinet form, calculator quote, repeat) with priced lines."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.pricing import calculate
from models.base import utcnow
from models.requests import Request, RequestService, next_request_number

DRAFT_FIELDS = ("object_address", "object_type", "area", "floor", "building_type", "urgency",
                "description", "wanted_date", "end_client_id")


def create_draft(author, company, service_ids, options=(), quote=None, source=None,
                 filed_by=None, **fields) -> Request:
    """A new draft with a fresh number and lines priced by app.pricing (caller commits);
    `filed_by`: the staff member who files it on the author's behalf."""
    request = Request(company_id=company.id, author_id=author.id,
                      filed_by_id=getattr(filed_by, "id", None), quote_id=getattr(
        quote, "id", None), source_request_id=getattr(source, "id", None),
        number=next_request_number(db.session, utcnow().year))
    for name in DRAFT_FIELDS:
        if name in fields:
            setattr(request, name, fields[name])
    request.options = list(options)
    reprice(request, service_ids, options, company)
    db.session.add(request)
    db.session.flush()
    return request


def reprice(request: Request, service_ids, options, company) -> None:
    """Replace the request's service lines with freshly priced ones."""
    result = calculate(service_ids, request.area or Decimal(0), request.object_type,
                       request.urgency or "normal", options, company.discount_percent)
    request.lines = [RequestService(service_id=line.service_id, title=line.title,
                                    price_kopecks=line.kopecks, estimated_hours=line.hours)
                     for line in result.lines]
    request.total_kopecks = result.total
