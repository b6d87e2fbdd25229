"""Creating request drafts (cabinet form, calculator quote, repeat) with priced lines."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.pricing import calculate, distinct
from app.service_fields import INT_LIMIT, decimal_text, fields_for, title
from models.base import utcnow
from models.catalog import Service
from models.requests import Request, RequestService, next_request_number

# the request's object columns: mirrors of the field values of these keys (issue 12)
MIRRORED = {"address": "object_address", "object_type": "object_type", "area": "area",
            "floor": "floor", "building_type": "building_type"}
DRAFT_FIELDS = ("object_address", "object_type", "area", "floor", "building_type", "urgency",
                "description", "wanted_date", "end_client_id")
OWN_COLUMNS = ("urgency", "description", "wanted_date", "end_client_id")


def create_draft(author, company, service_ids, options=(), quote=None, source=None,
                 filed_by=None, field_values=None, **fields) -> Request:
    """A new draft with a fresh number and lines priced by app.pricing (caller commits);
    `filed_by`: the staff member who files it on the author's behalf. `field_values`: the
    services' form values (app.service_fields.parse); without them the object columns given
    in `fields` (object_address, area, …) become the values of the keys they mirror."""
    request = Request(company_id=company.id, author_id=author.id,
                      filed_by_id=getattr(filed_by, "id", None), quote_id=getattr(
        quote, "id", None), source_request_id=getattr(source, "id", None),
        number=next_request_number(db.session, utcnow().year))
    for name in OWN_COLUMNS:
        if name in fields:
            setattr(request, name, fields[name])
    request.options = distinct(options)
    store_values(request, service_ids, legacy_values(fields) if field_values is None
                 else field_values)
    reprice(request, service_ids, options, company)
    db.session.add(request)
    db.session.flush()
    return request


def reprice(request: Request, service_ids, options, company) -> None:
    """Replace the request's service lines with freshly priced ones (reading the catalogue
    does not write the request early: one save is one UPDATE, its version up by one)."""
    with db.session.no_autoflush:
        result = calculate(service_ids, request.field_values, request.urgency or "normal",
                           options, company)
        request.lines = [RequestService(service_id=line.service_id, title=line.title,
                                        price_kopecks=line.kopecks,
                                        estimated_hours=line.hours)
                         for line in result.lines]
    request.total_kopecks = result.total


def legacy_values(columns: dict) -> dict:
    """Field values from the object columns (object_address, object_type, area, floor,
    building_type) as callers before issue 12 gave them."""
    values = {key: columns.get(column) for key, column in MIRRORED.items()}
    if values["area"] is not None:
        values["area"] = decimal_text(values["area"])
    return {key: value for key, value in values.items() if value not in (None, "")}


def store_values(request: Request, service_ids, values: dict) -> None:
    """Keep the typed values and write the mirrored columns from them: object_address is
    the request's one-line title (lists, search, documents), the rest as typed or None."""
    with db.session.no_autoflush:  # reading definitions must not write the draft early:
        # the draft's version is checked when the use case flushes it (app.drafts)
        fields = fields_for(service_ids, include_inactive=True)
        fallback = _service_names(service_ids)
    request.field_values = dict(values)
    request.object_address = (title(fields, values) or fallback)[:300]
    request.object_type = _text(values.get("object_type"))
    request.building_type = _text(values.get("building_type"))
    request.area = _number(values.get("area"), Decimal("99999999.99"))
    floor = _number(values.get("floor"), Decimal(INT_LIMIT))
    request.floor = int(floor) if floor is not None and floor == int(floor) else None


def _text(value) -> str | None:
    return str(value)[:40] if value not in (None, "", [], True, False) else None


def _number(value, limit: Decimal) -> Decimal | None:
    """A mirrored number if the value is one that fits the column, else None."""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError, TypeError):
        return None
    return number if abs(number) <= limit and not isinstance(value, bool) else None


def _service_names(service_ids) -> str:
    rows = db.session.query(Service.name).filter(Service.id.in_(list(service_ids or ())))
    return ", ".join(name for (name,) in rows) or "—"
