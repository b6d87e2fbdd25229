"""REST API v1: the service catalogue with its per-service fields, price quotes and saved quotes.

GET /services, POST /quote (price only: app.pricing.calculate, as the cabinet's calculator),
POST /quotes (save it: app.quotes.save_quote, partners). Field values travel as JSON
{key: value} and are typed by app.service_fields.parse like the forms' posted values.
"""

from __future__ import annotations

from decimal import Decimal

from flask import g, jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.api import api_blueprint
from app.api_idempotency import idempotent
from app.api_input import (Field, in_api_locale, iso, money_fields, newest_first_page,
                           read_json, refuse_unknown_params)
from app.api_tokens import require_scope
from app.catalogue_names import line_title, service_name
from app.document_slots import slots_for
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.openapi import cursor_parameters, json_body, json_response, page_of, problems, ref
from app.pricing import calculate, pricing_fields
from app.quotes import request_quote_code, save_or_reuse_quote
from app.request_form import rule_choices
from app.service_fields import FORM_ALIASES, fields_for, parse
from app.uow import unit_of_work
from app.access import require_partner, visible_quotes
from models.api_tokens import SCOPE_WRITE
from models.catalog import RULE_OPTION, RULE_URGENCY, Quote, Service
from models.document_slots import SLOT_KINDS
from models.service_fields import FIELD_BOOLEAN, FIELD_MULTISELECT, FIELD_TYPES

bp = api_blueprint("api_v1_catalogue")
SERVICES_MAX = 50
QUOTE_SPEC = {"services": Field("list", required=True, max_length=SERVICES_MAX, items="int"),
              "fields": Field("object"), "urgency": Field("str", max_length=40),
              "options": Field("list", max_length=50, items="str")}
SAVE_SPEC = QUOTE_SPEC | {"confirmation_code": Field("str", nullable=True, max_length=20)}


def active_services() -> list[Service]:
    return db.session.query(Service).filter_by(is_active=True) \
        .order_by(Service.sort_order, Service.id).all()


def field_json(item) -> dict:
    """One per-service field as the API describes it (labels in the request's language)."""
    return {"key": item.key, "type": item.field_type, "label": item.title,
            "help": item.help or None, "group": item.group or None,
            "required": item.required, "is_contact": item.is_contact,
            "options": [{"value": value, "label": label} for value, label in item.choices()],
            "min": _number(item.min_value), "max": _number(item.max_value),
            "pattern": item.pattern,
            "condition": {"key": item.show_if_key, "value": item.show_if_value}
            if item.show_if_key else None}


def _number(value) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def _service_json(service: Service, english: bool) -> dict:
    priced = {item.key for item in pricing_fields([service.id])}
    return {"id": service.id, "code": service.code,
            "name": service_name(service, english),
            "description": service.description,
            "fields": [field_json(item) for item in fields_for([service.id])],
            "priced_fields": sorted(priced),
            "documents": [{"key": slot.key, "title": slot.title, "required": slot.required,
                           "min_files": slot.min_files, "max_files": slot.max_files,
                           "accepted": list(slot.accepted)}
                          for slot in slots_for([service.id])]}


@bp.get("/services")
@in_api_locale
def services():
    """The active services with their request fields and the fields their price reads."""
    refuse_unknown_params(set())
    english = g.api_locale == "en"
    return jsonify(
        items=[_service_json(s, english) for s in active_services()],
        urgencies=[{"key": key, "label": label} for key, label in rule_choices(RULE_URGENCY)],
        options=[{"key": key, "label": label} for key, label in rule_choices(RULE_OPTION)])


def form_data(values: dict | None, fields) -> dict:
    """JSON field values as app.service_fields.parse reads posted ones; unknown keys refused."""
    known = {item.key for item in fields} | {FORM_ALIASES[item.key] for item in fields
                                             if item.key in FORM_ALIASES}
    types = {item.key: item.field_type for item in fields}
    types |= {FORM_ALIASES[key]: kind for key, kind in list(types.items())
              if key in FORM_ALIASES}
    data = {}
    for key, value in (values or {}).items():
        if key not in known:
            raise InvalidInput(_("Unknown field: “%(name)s”.", name=str(key)[:100]))
        if value is None:
            continue
        if isinstance(value, list):
            if types.get(key) != FIELD_MULTISELECT:  # ["a"] was kept as the text "['a']"
                raise InvalidInput(_("“%(name)s” takes one value, not a list.", name=key))
            if len(value) > 100 or not all(_scalar(v) for v in value):
                raise InvalidInput(_("“%(name)s” must be a list of values.", name=key))
            data[key] = [_text(v) for v in value]
        elif _scalar(value):
            data[key] = "y" if value is True and types.get(key) == FIELD_BOOLEAN \
                else _text(value)
        else:
            raise InvalidInput(_("“%(name)s” must be a string, number or boolean.", name=key))
    return data


def _scalar(value) -> bool:
    return isinstance(value, str | int | bool) or (isinstance(value, Decimal)
                                                   and value.is_finite())


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    if len(text) > 5000:
        raise InvalidInput(_("A field value is too long (at most %(max)s characters).",
                             max=5000))
    return text


def parse_values(fields, values: dict | None) -> dict:
    """The typed values of `fields` from JSON; InvalidInput naming every refused field."""
    typed, errors = parse(fields, form_data(values, fields))
    if errors:
        raise InvalidInput("; ".join(f"{key}: {str(message).rstrip('.')}"
                                     for key, message in errors.items()) + ".")
    return typed


def check_choices(services, urgency: str | None, options) -> None:
    """Active services, urgency and options only (the forms' choices)."""
    active = {s.id for s in active_services()}
    unknown = [i for i in services if i not in active]
    if unknown or not services:
        raise InvalidInput(_("Choose at least one service.") if not services
                           else _("Unknown service: %(id)s.", id=unknown[0]))
    if urgency is not None and urgency not in dict(rule_choices(RULE_URGENCY)):
        raise InvalidInput(_("Unknown urgency: “%(key)s”.", key=urgency))
    bad = [key for key in options or () if key not in dict(rule_choices(RULE_OPTION))]
    if bad:
        raise InvalidInput(_("Unknown option: “%(key)s”.", key=bad[0][:40]))


def _quote_input(spec=QUOTE_SPEC) -> tuple[list, dict, str, list]:
    body = read_json(spec)
    services = list(dict.fromkeys(body["services"]))
    urgency, options = body.get("urgency") or "normal", list(body.get("options") or [])
    check_choices(services, body.get("urgency"), options)
    values = body.get("fields") or {}
    form_data(values, fields_for(services))  # any field of the services; unknown keys refused
    priced = pricing_fields(services)
    keys = {item.key for item in priced}
    values = {key: value for key, value in values.items() if key in keys}
    g.confirmation_code = body.get("confirmation_code")
    return services, parse_values(priced, values), urgency, options


def price_json(result) -> dict:
    return {"lines": [{"title": line_title(line), "detail": line.detail,
                       "service_id": line.service_id, **money_fields("price", line.kopecks)}
                      for line in result.lines],
            **money_fields("subtotal", result.subtotal),
            "discount_percent": format(result.discount_percent.normalize(), "f"),
            **money_fields("discount", result.discount), **money_fields("total", result.total)}


@bp.post("/quote")
@in_api_locale
def quote():
    """Price services for the token's company (its discount), as the calculator does."""
    company = require_partner(g.api_user)
    services, values, urgency, options = _quote_input()
    result = calculate(services, values, urgency, options, company)
    db.session.rollback()  # pricing only reads
    return jsonify(price_json(result) | {"fields": values})


@bp.post("/quotes")
@in_api_locale
@idempotent
def quote_save():
    """Save a quote (the calculator's "save"); a draft may start from it (quote_id). The
    same quote as the user's newest one is not saved twice: that one comes back with 200."""
    require_scope(g.api_token, SCOPE_WRITE)
    services, values, urgency, options = _quote_input(SAVE_SPEC)
    code = {"confirmation_code": g.confirmation_code} if g.confirmation_code else {}
    with unit_of_work():
        saved, created = save_or_reuse_quote(g.api_user, services, values, urgency, options,
                                             **code)
        body = price_json(calculate(services, values, urgency, options,
                                    require_partner(g.api_user)))
        body |= {"id": saved.id, "fields": values}
    response = jsonify(body)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/quotes/{saved.id}"
    return response


def saved_quote_json(quote: Quote) -> dict:
    """A saved quote as it was priced then (the catalogue may have changed since)."""
    return {"id": quote.id, "created_at": iso(quote.created_at),
            "services": list(quote.service_ids or []), "urgency": quote.urgency,
            "options": list(quote.options or []), "fields": dict(quote.field_values or {}),
            "lines": [{"title": line_title(line), "detail": line.get("detail"),
                       "service_id": line.get("service_id"),  # none on quotes saved before
                       **money_fields("price", line.get("kopecks"))}
                      for line in quote.breakdown or []],
            **money_fields("subtotal", quote.subtotal_kopecks),
            **money_fields("discount", quote.discount_kopecks),
            **money_fields("total", quote.total_kopecks)}


@bp.get("/quotes")
@in_api_locale
def quote_list():
    """The saved quotes the token's user may see (a company owner: the company's; a member:
    his own), newest first, one cursor page."""
    refuse_unknown_params({"limit", "cursor"})
    rows, next_cursor = newest_first_page(visible_quotes(g.api_user), Quote.id)
    return jsonify(items=[saved_quote_json(q) for q in rows], next_cursor=next_cursor)


@bp.get("/quotes/<int:quote_id>")
@in_api_locale
def quote_detail(quote_id: int):
    """One saved quote (404 outside the user's scope, named as a quote)."""
    quote = visible_quotes(g.api_user).filter(Quote.id == quote_id).first()
    if quote is None:
        raise NotFound(_("There is no quote %(id)s among yours.", id=quote_id))
    return jsonify(saved_quote_json(quote))


@bp.post("/quotes/confirmation-code")
@in_api_locale
def quote_code():
    """Send the partner a one-time code to agree to this quote (when the admin asks for one);
    then POST /quotes with the same body and "confirmation_code"."""
    require_scope(g.api_token, SCOPE_WRITE)
    services, values, urgency, options = _quote_input()
    with unit_of_work():
        row = request_quote_code(g.api_user, services, values, urgency, options)
        answer = {"id": row.id, "purpose": row.purpose, "channel": row.channel,
                  "sent_to": row.sent_to, "expires_at": iso(row.expires_at),
                  "tries_left": row.tries_left}
    return jsonify(answer), 201


_PRICE = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
# what the demo catalogue's first service (redevelopment) prices by: the area and object type
_EXAMPLE_FIELDS = {"area": 54.5, "object_type": "apartment"}
_LOCATION = {"Location": {"description": _l("The saved quote's address."),
                          "schema": {"type": "string"}}}
_LINES = {"type": "array", "items": {"type": "object", "properties": {  # a quote's priced lines
    "title": {"type": "string"}, "detail": {"type": ["string", "null"]},
    "service_id": {"type": ["integer", "null"]}, "price": _PRICE,
    "price_kopecks": {"type": "integer"}}}}
_MONEY = {f"{name}{suffix}": schema for name in ("subtotal", "discount", "total")
          for suffix, schema in (("", _PRICE), ("_kopecks", {"type": "integer"}))}
SCHEMAS = {
    "ServiceField": {"type": "object", "required": ["key", "type", "label", "required"],
                     "properties": {
                         "key": {"type": "string"},
                         "type": {"type": "string", "enum": list(FIELD_TYPES)},
                         "label": {"type": "string"}, "help": {"type": ["string", "null"]},
                         "group": {"type": ["string", "null"]},
                         "required": {"type": "boolean"}, "is_contact": {"type": "boolean"},
                         "options": {"type": "array", "items": {
                             "type": "object", "properties": {"value": {"type": "string"},
                                                              "label": {"type": "string"}}}},
                         "min": {"type": ["string", "null"]},
                         "max": {"type": ["string", "null"]},
                         "pattern": {"type": ["string", "null"]},
                         "condition": {"type": ["object", "null"], "description":
                                       _l("Shown (and required) only when the field `key` "
                                          "has the value `value`.")}}},
    "Service": {"type": "object", "required": ["id", "code", "name", "fields", "priced_fields"],
                "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                               "name": {"type": "string"},
                               "description": {"type": ["string", "null"]},
                               "fields": {"type": "array", "items": ref("ServiceField")},
                               "priced_fields": {"type": "array",
                                                 "items": {"type": "string"}},
                               "documents": {"type": "array", "items": ref("DocumentSlot"),
                                             "description": _l(
                                                 "The documents the service asks for at "
                                                 "intake: a file's `slot` is its key.")}}},
    "DocumentSlot": {"type": "object",
                     "required": ["key", "title", "required", "min_files", "max_files",
                                  "accepted"],
                     "properties": {"key": {"type": "string"}, "title": {"type": "string"},
                                    "required": {"type": "boolean"},
                                    "min_files": {"type": "integer"},
                                    "max_files": {"type": "integer"},
                                    "accepted": {"type": "array", "items": {
                                        "type": "string",
                                        "enum": list(SLOT_KINDS)}}}},
    "Choice": {"type": "object", "required": ["key", "label"],
               "properties": {"key": {"type": "string"}, "label": {"type": "string"}}},
    "Catalogue": {"type": "object", "required": ["items", "urgencies", "options"],
                  "properties": {"items": {"type": "array", "items": ref("Service")},
                                 "urgencies": {"type": "array", "items": ref("Choice")},
                                 "options": {"type": "array", "items": ref("Choice")}}},
    "QuoteInput": {"type": "object", "additionalProperties": False, "required": ["services"],
                   "properties": {
                       "services": {"type": "array", "minItems": 1, "maxItems": SERVICES_MAX,
                                    "items": {"type": "integer"}},
                       "fields": {"type": "object", "description":
                                  _l("{field key: value} of the services' priced fields.")},
                       "urgency": {"type": "string", "maxLength": 40},
                       "options": {"type": "array", "maxItems": 50,
                                   "items": {"type": "string"}}},
                   "example": {"services": [1], "fields": _EXAMPLE_FIELDS,
                               "urgency": "normal"}},
    "QuoteCode": {"type": "object", "required": ["id", "purpose", "channel", "expires_at"],
                  "properties": {"id": {"type": "integer"}, "purpose": {"type": "string"},
                                 "channel": {"type": "string"},
                                 "sent_to": {"type": ["string", "null"]},
                                 "expires_at": {"type": "string", "format": "date-time"},
                                 "tries_left": {"type": "integer"}}},
    "Quote": {"type": "object", "required": ["lines", "total", "total_kopecks"],
              "properties": {
                  "id": {"type": "integer", "description": _l("Only on a saved quote.")},
                  "lines": _LINES,
                  "discount_percent": {"type": "string"}, "fields": {"type": "object"},
                  **_MONEY}},
    "SavedQuote": {"type": "object",
                   "required": ["id", "created_at", "services", "urgency", "options",
                                "fields", "lines", "total", "total_kopecks"],
                   "description": _l("A saved quote as it was priced when saved: the "
                                     "catalogue may have changed since; a draft started "
                                     "from it (quote_id) is priced anew."),
                   "properties": {
                       "id": {"type": "integer"},
                       "created_at": {"type": "string", "format": "date-time"},
                       "services": {"type": "array", "items": {"type": "integer"}},
                       "urgency": {"type": "string"},
                       "options": {"type": "array", "items": {"type": "string"}},
                       "fields": {"type": "object"},
                       "lines": _LINES,
                       **_MONEY}},
}
SCHEMAS["QuoteSave"] = SCHEMAS["QuoteInput"] | {"properties": SCHEMAS["QuoteInput"][
    "properties"] | {"confirmation_code": {"type": ["string", "null"], "maxLength": 20,
                                           "description": _l("When the admin asks for codes "
                                                             "on quotes (POST "
                                                             "/quotes/confirmation-code).")}}}
PATHS = {
    "/services": {"get": {
        "operationId": "listServices", "tags": ["catalogue"],
        "summary": _l("Active services with their request fields"),
        "responses": {"200": json_response(_l("The catalogue."), ref("Catalogue"))}}},
    "/quote": {"post": {
        "operationId": "priceQuote", "tags": ["catalogue"], "x-scope": "read",
        "summary": _l("Price services (nothing is saved)"),
        "description": _l("A read token may price: nothing changes."),
        "requestBody": json_body(ref("QuoteInput")) | {"content": {"application/json": {
            "schema": ref("QuoteInput"), "example": {"services": [1],
                                                     "fields": _EXAMPLE_FIELDS}}}},
        "responses": {"200": json_response(_l("The price."), ref("Quote")),
                      **problems(403, 422)}}},
    "/quotes/confirmation-code": {"post": {
        "operationId": "requestQuoteCode", "tags": ["catalogue"],
        "summary": _l("Send a one-time code to agree to a quote"),
        "description": _l("Only when the admin asks for codes on quotes: then POST /quotes "
                          "with the same body and confirmation_code."),
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ref("QuoteInput"), "example": {"services": [1],
                                                     "fields": _EXAMPLE_FIELDS}}}},
        "responses": {"201": json_response(_l("The code is sent."), ref("QuoteCode")),
                      **problems(403, 422)}}},
    "/quotes": {
        "get": {
            "operationId": "listQuotes", "tags": ["catalogue"],
            "summary": _l("My saved quotes"),
            "description": _l("Newest first: a company owner's are the company's, a "
                              "member's his own; staff have none."),
            "parameters": cursor_parameters(),
            "responses": {"200": json_response(_l("One page."), page_of(ref("SavedQuote"))),
                          **problems(422)}},
        "post": {
            "operationId": "saveQuote", "tags": ["catalogue"],
            "summary": _l("Save a quote (a draft may start from it)"),
            "description": _l("The same quote as your newest saved one is not saved again: "
                              "that one is answered with 200."),
            "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": ref("QuoteSave"), "example": {"services": [1],
                                                        "fields": _EXAMPLE_FIELDS}}}},
            "responses": {"201": json_response(_l("The saved quote."), ref("Quote"), _LOCATION),
                          "200": json_response(_l("Your newest quote, the same as this one."),
                                               ref("Quote"), _LOCATION),
                          **problems(403, 409, 422)}}},
    "/quotes/{quote_id}": {"get": {
        "operationId": "getQuote", "tags": ["catalogue"], "summary": _l("One saved quote"),
        "parameters": [{"name": "quote_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1}}],
        "responses": {"200": json_response(_l("The saved quote."), ref("SavedQuote")),
                      **problems(404)}}},
}
