"""REST API v1: requests as JSON, and the request list (filters + keyset cursor pages).

What a reader gets follows the UI's rules: the scope of app.access, the cabinet list's filters
for partners (reports.sources.partner_requests) and the staff list's (app.request_filters) for
staff, and app.visibility for engineers: no company, author, end client, cancel reason or
contact field value, and no search in them.
"""

from __future__ import annotations

import base64
import binascii
import re
import json
from datetime import date, datetime

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from app.access import request_scope
from app.api_input import iso, money_fields, refuse_unknown_params
from app.catalogue_names import line_title
from app.errors import InvalidInput
from app.extensions import db
from app.input_guard import bounded_int
from app.permissions import is_partner
from app.request_filters import (DATE_FIELDS, apply_filters, filter_choices, parse_filters,
                                 text_clause)
from app.request_rules import rules_for
from app.service_fields import fields_for
from app.templating import partner_group, partner_status_of, staff_status
from app.visibility import reads_partner_words
from app.web_security import external_url
from models.request_status import PARTNER_GROUPS, Status
from models.requests import Request, RequestService
from reports.documents import request_totals
from reports.sources import partner_filters, partner_requests

LIMIT_DEFAULT, LIMIT_MAX = 20, 100
FILTER_MAX = 100  # characters of a filter's value (the reference's maxLength)
PARTNER_PARAMS = ("status", "service", "object_type", "from", "to", "q")
STAFF_PARAMS = PARTNER_PARAMS + ("company", "manager", "engineer", "payment", "client",
                                 "date_by")
PAGE_PARAMS = ("cursor", "limit")


def _person(user) -> dict | None:
    return {"id": user.id, "name": user.get_full_name()} if user is not None else None


def visible_field_values(req: Request, full: bool) -> dict:
    """The stored field values the reader may see (engineers: known, non-contact fields)."""
    values = dict(req.field_values or {})
    if full:
        return values
    services = [line.service_id for line in req.lines if line.service_id]
    shown = {item.key for item in fields_for(services, include_inactive=True)
             if not item.is_contact}
    return {key: value for key, value in values.items() if key in shown}


def request_json(req: Request, user, detail: bool = True) -> dict:
    """One request as `user` may read it."""
    full, partner = reads_partner_words(user), is_partner(user)
    body = {
        # partners read the cabinet's status groups, never the bureau's internal steps
        "id": req.id, "number": req.number,
        "status": partner_group(req.status) if partner else req.status,
        "status_label": partner_status_of(req) if partner else staff_status(req.status),
        "partner_status": partner_group(req.status), "version": req.version,
        "title": req.object_address, "urgency": req.urgency, "options": list(req.options or []),
        "description": req.description, "wanted_date": iso(req.wanted_date),
        "services": [{"service_id": line.service_id, "title": line_title(line),
                      **money_fields("price", line.price_kopecks)} for line in req.lines],
        "fields": visible_field_values(req, full),
        **money_fields("total", req.total_kopecks), **money_fields("paid", req.paid_kopecks),
        "payment_state": req.payment_state,
        "created_at": iso(req.created_at), "updated_at": iso(req.updated_at),
        "submitted_at": iso(req.submitted_at),
        "manager": _person(req.manager),
    }
    if not partner:  # the cabinet names the manager, not the engineer
        body["engineer"] = _person(req.engineer)
    if full:
        body |= {"company": {"id": req.company.id, "name": req.company.name},
                 "author": _person(req.author),
                 "end_client": {"id": req.end_client.id, "name": req.end_client.name,
                                "phone": req.end_client.phone} if req.end_client else None,
                 "cancel_reason": req.cancel_reason}
    if partner:
        body["cabinet_url"] = external_url("cabinet.request_detail", request_id=req.id)
    if detail:  # the invoice's arithmetic (the documents' own): lines − discount = total…
        totals = request_totals(req)
        body |= {**money_fields("subtotal", totals.subtotal),
                 **money_fields("discount", totals.discount), "vat_mode": totals.vat_mode,
                 **money_fields("vat", totals.vat), **money_fields("to_pay", totals.to_pay),
                 **money_fields("due", totals.due)}
        rules = rules_for(user, req)
        body["allowed_actions"] = sorted(rules.actions)
        body["waiting_actions"] = {str(action): reason
                                   for action, reason in sorted(rules.waiting.items())}
    return body


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    try:
        stamp, ident = json.loads(base64.urlsafe_b64decode(value.encode() + b"==="))
        if not isinstance(ident, int) or bounded_int(ident) is None:
            raise ValueError(ident)
        return datetime.fromisoformat(stamp), ident
    except (ValueError, TypeError, binascii.Error, UnicodeError, RecursionError):
        raise InvalidInput(_("The cursor is not valid; start again without it.")) from None


def _next_cursor(row: Request) -> str:
    raw = json.dumps([row.created_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _limit(value: str | None) -> int:
    if value in (None, ""):
        return LIMIT_DEFAULT
    number = bounded_int(value, lo=1, hi=LIMIT_MAX)
    if number is None:
        raise InvalidInput(_("“limit” must be a whole number from 1 to %(max)s.",
                             max=LIMIT_MAX))
    return number


def _check_params(user) -> None:
    refuse_unknown_params(set((PARTNER_PARAMS if is_partner(user) else STAFF_PARAMS)
                              + PAGE_PARAMS))
    for name, value in request.args.items(multi=True):  # the reference's maxLength
        if name not in PAGE_PARAMS and len(value) > FILTER_MAX:
            raise InvalidInput(_("“%(name)s” is at most %(max)s characters.", name=name,
                                 max=FILTER_MAX))
    for name in ("from", "to"):
        value = request.args.get(name)
        if value and not _is_day(value):
            raise InvalidInput(_("“%(name)s” must be a day of the years 1900 to 9998.",
                                 name=name) if _is_written_day(value) else
                               _("“%(name)s” must be a date YYYY-MM-DD.", name=name))
    date_by = request.args.get("date_by")
    if date_by and date_by not in DATE_FIELDS:  # it was taken as "created", unsaid
        raise InvalidInput(_("“%(name)s” is one of: %(values)s.", name="date_by",
                             values=", ".join(DATE_FIELDS)))
    if request.args.get("service") and bounded_int(request.args["service"]) is None:
        raise InvalidInput(_("“service” must be a service id."))


def _is_written_day(value: str) -> bool:
    """A real calendar day written YYYY-MM-DD, whatever its year."""
    try:
        return bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)) and bool(
            date.fromisoformat(value))
    except ValueError:
        return False


def _is_day(value: str) -> bool:
    """YYYY-MM-DD exactly ("2020-1-1" is not one: strptime took it)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        return 1900 <= datetime.strptime(value, "%Y-%m-%d").year <= 9998
    except ValueError:
        return False


def _partner_query(user):
    status = request.args.get("status")
    if status and status not in PARTNER_GROUPS:
        raise InvalidInput(_("Unknown status: “%(status)s”.", status=status[:40]))
    return partner_requests(user, partner_filters(request.args))


def _staff_query(user):
    """The staff list's filters in the user's scope; engineers search no partner words."""
    args = request.args
    query = db.session.query(Request).filter(request_scope(user))
    if status := args.get("status"):
        if status not in set(Status):
            raise InvalidInput(_("Unknown status: “%(status)s”.", status=status[:40]))
        query = query.filter(Request.status == status)
    if service := bounded_int(args.get("service")):
        query = query.filter(Request.id.in_(select(RequestService.request_id).where(
            RequestService.service_id == service)))
    if args.get("object_type"):
        query = query.filter(Request.object_type == args["object_type"])
    if (clause := text_clause(args.get("q"), user)) is not None:
        query = query.filter(clause)
    filters = parse_filters(args, user, filter_choices(user))
    if filters.ignored:
        raise InvalidInput(_("Unknown or unavailable filter value: “%(name)s”.",
                             name=filters.ignored[0]))
    return apply_filters(query, filters)


def request_page(user) -> dict:
    """One page of the user's requests, newest first by (created, id), and the next cursor."""
    _check_params(user)
    limit, after = _limit(request.args.get("limit")), _cursor(request.args.get("cursor"))
    query = _partner_query(user) if is_partner(user) else _staff_query(user)
    if after is not None:
        stamp, ident = after
        query = query.filter(or_(Request.created_at < stamp,
                                 and_(Request.created_at == stamp, Request.id < ident)))
    rows = query.options(selectinload(Request.lines), selectinload(Request.company),
                         selectinload(Request.author), selectinload(Request.end_client),
                         selectinload(Request.manager), selectinload(Request.engineer)) \
        .order_by(Request.created_at.desc(), Request.id.desc()).limit(limit + 1).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [request_json(row, user, detail=False) for row in rows],
            "next_cursor": _next_cursor(rows[-1]) if more and rows else None}


_PRICE = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_PERSON = {"type": ["object", "null"], "properties": {"id": {"type": "integer"},
                                                      "name": {"type": "string"}}}
_DRAFT_PROPERTIES = {
    "services": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "integer"},
                 "description": _l("Service ids (GET /services).")},
    "fields": {"type": "object", "description": _l("{field key: value} of the services' "
                                                   "fields (GET /services: types, options, "
                                                   "conditions).")},
    "urgency": {"type": "string", "maxLength": 40},
    "options": {"type": "array", "maxItems": 50, "items": {"type": "string"}},
    "description": {"type": ["string", "null"], "maxLength": 5000},
    "wanted_date": {"type": ["string", "null"], "format": "date"},
    "end_client_id": {"type": ["integer", "null"]},
    "new_client_name": {"type": "string", "maxLength": 200},
    "new_client_phone": {"type": "string", "maxLength": 20},
}
SCHEMAS = {
    "Request": {
        "type": "object",
        "required": ["id", "number", "status", "status_label", "version", "fields",
                     "total", "total_kopecks", "created_at"],
        "properties": {
            "id": {"type": "integer"}, "number": {"type": "string"},
            "status": {"type": "string",
                       "enum": sorted({s.value for s in Status} | set(PARTNER_GROUPS)),
                       "description": _l("Staff: the workflow status; partners: the "
                                         "cabinet's status group (as partner_status).")},
            "status_label": {"type": "string"},
            "partner_status": {"type": "string", "enum": list(PARTNER_GROUPS)},
            "version": {"type": "integer", "description": _l("Send back as If-Match or "
                                                             "`version` when changing it.")},
            "title": {"type": "string"}, "urgency": {"type": "string"},
            "options": {"type": "array", "items": {"type": "string"}},
            "description": {"type": ["string", "null"]},
            "wanted_date": {"type": ["string", "null"], "format": "date"},
            "services": {"type": "array", "items": {"type": "object", "properties": {
                "service_id": {"type": ["integer", "null"]}, "title": {"type": "string"},
                "price": _PRICE, "price_kopecks": {"type": "integer"}}}},
            "fields": {"type": "object", "description": _l("Field values; engineers get no "
                                                           "contact field.")},
            "total": _PRICE, "total_kopecks": {"type": "integer"},
            "paid": _PRICE, "paid_kopecks": {"type": "integer"},
            **{name: {**_PRICE, "description": text} for name, text in (
                ("subtotal", _l("Detail: the sum of the lines.")),
                ("discount", _l("Detail: subtotal − total (the partner discount applied).")),
                ("vat", _l("Detail: the VAT in or on top of the total (vat_mode).")),
                ("to_pay", _l("Detail: what the invoice asks: the total, VAT on top where it "
                              "applies.")),
                ("due", _l("Detail: what is left to pay: to_pay − paid, never negative.")))},
            **{f"{name}_kopecks": {"type": "integer"}
               for name in ("subtotal", "discount", "vat", "to_pay", "due")},
            "vat_mode": {"type": "string", "description": _l(
                "Detail: none, included20 or on_top20 — the mode of the request's first "
                "invoice or payment, else the bureau's.")},
            "payment_state": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
            "submitted_at": {"type": ["string", "null"], "format": "date-time"},
            "manager": _PERSON, "engineer": _PERSON,
            "company": {"type": "object", "description": _l("Not for engineers."),
                        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "author": _PERSON,
            "end_client": {"type": ["object", "null"],
                           "description": _l("Not for engineers."),
                           "properties": {"id": {"type": "integer"},
                                          "name": {"type": "string"},
                                          "phone": {"type": ["string", "null"]}}},
            "cancel_reason": {"type": ["string", "null"]},
            "cabinet_url": {"type": "string", "format": "uri",
                            "description": _l("The request in the partner cabinet "
                                              "(partners).")},
            "allowed_actions": {"type": "array", "items": {"type": "string"},
                                "description": _l("Workflow moves the token's user may "
                                                  "make now (detail and write answers).")},
            "waiting_actions": {"type": "object", "additionalProperties": {"type": "string"},
                                "description": _l("Moves of allowed_actions the request is "
                                                  "not ready for yet, each with the reason "
                                                  "(e.g. submit_review before the work "
                                                  "files are uploaded): refused until then.")},
        }},
    "RequestPage": {"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Request"}},
        "next_cursor": {"type": ["string", "null"]}}},
    "DraftInput": {"type": "object", "additionalProperties": False,
                   "description": _l("`services` is required unless `quote_id` names a saved "
                                     "quote: its services, fields, urgency and options are "
                                     "the draft's start, and what is sent replaces them."),
                   "properties": {**_DRAFT_PROPERTIES,
                                  "quote_id": {"type": ["integer", "null"]}}},
    "DraftChange": {"type": "object", "additionalProperties": False,
                    "properties": {**_DRAFT_PROPERTIES, "version": {"type": "integer"}}},
    "MoveInput": {"type": "object", "additionalProperties": False, "properties": {
        "comment": {"type": ["string", "null"], "maxLength": 5000},
        "version": {"type": ["integer", "null"]},
        "confirmation_code": {"type": ["string", "null"], "maxLength": 20}}},
    "StaffMoveInput": {"type": "object", "additionalProperties": False, "required": ["action"],
                       "properties": {"action": {"type": "string", "maxLength": 30},
                                      "comment": {"type": ["string", "null"],
                                                  "maxLength": 5000},
                                      "version": {"type": ["integer", "null"]}}},
}
