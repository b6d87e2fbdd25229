"""REST API v1: requests — list, read, create and change drafts, the partner's moves and the
staff's moves, through the cabinet's and the desk's use cases (app.drafts, app.workflow).

A changing call on an existing request names the version it was read at (If-Match or
"version"); a stale one is 409. Creating POSTs take an Idempotency-Key (app.api_idempotency).
"""

from __future__ import annotations

import re
from datetime import date

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.access import can_use_end_client, get_request_or_404, require_partner, visible_quotes
from app.api import api_blueprint
from app.api_catalogue import check_choices, parse_values
from app.api_idempotency import idempotent
from app.api_input import Field, in_api_locale, read_json
from app.api_request_views import SCHEMAS as VIEW_SCHEMAS
from app.api_request_views import request_json, request_page
from app.api_tokens import require_scope
from app.drafts import (DraftInput, create_request_draft, repeat_request, submit_draft,
                        update_draft)
from app.errors import Conflict, InvalidInput, Refused
from app.permissions import is_partner
from app.quotes import quote_values
from app.service_fields import PHONE_RE, fields_for
from app.openapi import cursor_parameters, json_body, json_response, problems, ref
from app.uow import unit_of_work
from app.workflow import transition
from models.api_tokens import SCOPE_WRITE
from models.catalog import Quote
from models.request_status import ONCE_ONLY, STAFF_BUTTONS, Action

bp = api_blueprint("api_v1_requests")
DRAFT_SPEC = {
    "services": Field("list", max_length=50, items="int"), "fields": Field("object"),
    "urgency": Field("str", max_length=40), "options": Field("list", max_length=50, items="str"),
    "description": Field("str", nullable=True, max_length=5000),
    "wanted_date": Field("str", nullable=True, max_length=10),
    "end_client_id": Field("int", nullable=True, minimum=1),
    "new_client_name": Field("str", max_length=200),
    "new_client_phone": Field("str", max_length=20),
}
MOVE_SPEC = {"comment": Field("str", nullable=True, max_length=5000),
             "version": Field("int", nullable=True, minimum=0),
             "confirmation_code": Field("str", nullable=True, max_length=20)}
STAFF_MOVE_SPEC = {"action": Field("str", required=True, max_length=30),
                   "comment": MOVE_SPEC["comment"], "version": MOVE_SPEC["version"]}


def _created(req):
    """201 with Location and the new draft (its cabinet_url included)."""
    response = jsonify(request_json(req, g.api_user))
    response.status_code = 201
    response.headers["Location"] = url_for("api_v1_requests.request_detail",
                                           request_id=req.id)
    return response


def _answer(req):
    response = jsonify(request_json(req, g.api_user))
    response.headers["ETag"] = f'"{req.version}"'
    return response


def _wanted_date(value):
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("“wanted_date” must be a date YYYY-MM-DD.")) from None
    if not 1900 <= day.year <= 2200:  # a real date out of any plan: say so, not the format
        raise InvalidInput(_("“wanted_date” must be a day of the years 1900 to 2200."))
    return day


def _check_client(user, client_id) -> None:
    """An end client chosen by id must be one the partner may pick (the form's choices)."""
    if client_id and not can_use_end_client(user, client_id, require_partner(user).id):
        raise InvalidInput(_("Unknown end client: %(id)s.", id=client_id))


def draft_input(body: dict, current: dict) -> DraftInput:
    """The body over the current draft's inputs (`current`), checked as the request form.
    A key sent as null is taken as not sent (docs/api.md): "services": null kept the
    services out and refused the draft as having none."""
    body = {key: value for key, value in body.items() if value is not None}
    merged = current | body
    _check_client(g.api_user, body.get("end_client_id"))
    services = list(dict.fromkeys(merged.get("services") or []))
    urgency = merged.get("urgency") or "normal"
    options = list(merged.get("options") or [])
    check_choices(services, body.get("urgency"), body.get("options"))  # what is sent now
    fields = fields_for(services)
    known = {item.key for item in fields}
    values = {k: v for k, v in (current.get("fields") or {}).items() if k in known}
    values |= body.get("fields") or {}
    phone = (merged.get("new_client_phone") or "").strip()
    if phone and not PHONE_RE.fullmatch(phone):
        raise InvalidInput(_("Enter a phone number, e.g. +7 900 123-45-67."))
    return DraftInput(fields={"urgency": urgency, "description": merged.get("description"),
                              "wanted_date": _wanted_date(merged.get("wanted_date"))},
                      values=parse_values(fields, values), services=services, options=options,
                      end_client_id=merged.get("end_client_id"),
                      new_client_name=(merged.get("new_client_name") or "").strip(),
                      new_client_phone=phone)


def _from_quote(user, quote_id) -> dict:
    """A draft's inputs from a saved quote (what the cabinet's form starts with)."""
    if not quote_id:
        return {}
    quote = visible_quotes(user).filter(Quote.id == quote_id).first()
    if quote is None:  # a reference in the body, as an unknown end client: 422, not 404
        raise InvalidInput(_("Unknown quote: %(id)s.", id=quote_id))
    return {"services": list(quote.service_ids or []), "fields": quote_values(quote),
            "urgency": quote.urgency, "options": list(quote.options or [])}


def _current_inputs(req) -> dict:
    return {"services": [line.service_id for line in req.lines if line.service_id],
            "fields": dict(req.field_values or {}), "urgency": req.urgency,
            "options": list(req.options or []), "description": req.description,
            "wanted_date": req.wanted_date.isoformat() if req.wanted_date else None,
            "end_client_id": req.end_client_id}


def sent_version(body: dict) -> int:
    """The version the client read: the If-Match header ("3", W/"3", or the ETag as sent
    over a compressed answer, "3:br" / "3:gzip") or the body's; both sent must agree."""
    header = (request.headers.get("If-Match") or "").strip()
    if header == "*":
        raise InvalidInput(_("If-Match: * is not taken here: send the version you read "
                             "(the ETag) so that another person's change is not overwritten."))
    if header:
        match = re.fullmatch(r'(?:W/)?"?(\d{1,10})(?::[A-Za-z0-9-]{1,20})?"?', header)
        if match is None:
            raise InvalidInput(_("If-Match must be the request's version, e.g. \"3\"."))
        if body.get("version") is not None and body["version"] != int(match.group(1)):
            raise InvalidInput(_("If-Match and \"version\" name different versions: send one."))
        return int(match.group(1))
    if body.get("version") is None:
        raise InvalidInput(_("Send the request's version (If-Match header or \"version\") "
                             "so that another person's change is not overwritten."))
    return body["version"]


def optional_version(body: dict) -> int | None:
    """The version the client read for a move that may go without one: the If-Match header
    when sent (it was ignored: a stale submit, cancel or close went through), else the
    body's "version"; "*" (any version) checks none."""
    header = (request.headers.get("If-Match") or "").strip()
    if header == "*":
        return None
    return sent_version(body) if header else body.get("version")


def _writer():
    require_scope(g.api_token, SCOPE_WRITE)
    return g.api_user


@bp.get("/requests")
@in_api_locale
def request_list():
    """The requests the token's user may see, newest first, one cursor page."""
    return jsonify(request_page(g.api_user))


@bp.post("/requests")
@in_api_locale
@idempotent
def request_create():
    """A new draft of the partner's company (from a saved quote if quote_id is given)."""
    user = _writer()
    require_partner(user)
    body = read_json(DRAFT_SPEC | {"quote_id": Field("int", nullable=True, minimum=1)})
    quote_id = body.pop("quote_id", None)
    if not body.get("services") and not quote_id:
        raise InvalidInput(_("Choose at least one service."))
    with unit_of_work():
        draft = draft_input(body, _from_quote(user, quote_id))
        req = create_request_draft(user, draft, quote_id=quote_id)
    return _created(req)


@bp.get("/requests/<int:request_id>")
@in_api_locale
def request_detail(request_id: int):
    """One request (404 outside the user's scope); ETag is its version."""
    return _answer(get_request_or_404(g.api_user, request_id))


@bp.patch("/requests/<int:request_id>")
@in_api_locale
def request_update(request_id: int):
    """Change a draft: the keys sent replace the draft's (fields merge by key)."""
    user = _writer()
    require_partner(user)
    body = read_json(DRAFT_SPEC | {"version": MOVE_SPEC["version"]})
    version = sent_version(body)
    body.pop("version", None)
    with unit_of_work():
        req = get_request_or_404(user, request_id)
        req = update_draft(user, request_id, version, draft_input(body, _current_inputs(req)))
    return _answer(req)


def _partner_move(request_id: int, action: Action):
    user = _writer()
    require_partner(user)
    body = read_json(MOVE_SPEC, optional=True)
    code = {"confirmation_code": body["confirmation_code"]} \
        if body.get("confirmation_code") else {}
    version = optional_version(body)
    with unit_of_work():
        req = get_request_or_404(user, request_id)
        if action == Action.SUBMIT:
            if version is not None and version != req.version:
                raise Conflict()  # a retry of a submit that went through: changed meanwhile
            req = submit_draft(user, request_id, comment=body.get("comment"), **code)
        else:
            transition(req, action, user, body.get("comment"), expected_version=version,
                       **code)
    return _answer(req)


@bp.post("/requests/<int:request_id>/submit")
@in_api_locale
def request_submit(request_id: int):
    """Send the draft to the bureau."""
    return _partner_move(request_id, Action.SUBMIT)


@bp.post("/requests/<int:request_id>/cancel")
@in_api_locale
def request_cancel(request_id: int):
    """Withdraw a submitted request (while the bureau has not taken it)."""
    return _partner_move(request_id, Action.CANCEL)


@bp.post("/requests/<int:request_id>/close")
@in_api_locale
def request_close(request_id: int):
    """Accept the delivered work and close the request."""
    return _partner_move(request_id, Action.CLOSE)


@bp.post("/requests/<int:request_id>/repeat")
@in_api_locale
@idempotent
def request_repeat(request_id: int):
    """A new draft with the values and client of a visible request."""
    user = _writer()
    read_json({}, optional=True)
    with unit_of_work():
        req = repeat_request(user, request_id)
    return _created(req)


@bp.post("/requests/<int:request_id>/moves")
@in_api_locale
def request_move(request_id: int):
    """A staff member's plain move (the desk's move buttons) the role may make now."""
    user = _writer()
    if is_partner(user):
        raise Refused(_("This action is not available."))
    body = read_json(STAFF_MOVE_SPEC)
    action, version = body["action"], optional_version(body)
    with unit_of_work():
        req = get_request_or_404(user, request_id)
        if action not in STAFF_BUTTONS:
            raise InvalidInput(_("“%(action)s” is not a move the API makes; use the back "
                                 "office for moves with their own form.", action=action))
        if action in ONCE_ONLY and version is None:
            raise InvalidInput(_("Send the request's version with this move."))
        extra = {"files": []} if action == Action.ASK_INFO else {}
        transition(req, action, user, body.get("comment"), expected_version=version,
                   **extra)
    return _answer(req)


SCHEMAS = VIEW_SCHEMAS
_ID = {"name": "request_id", "in": "path", "required": True,
       "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}
_ETAG = {"ETag": {"schema": {"type": "string"}, "description": _l("The request's version.")}}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
             "description": _l("The version read (or send \"version\" in the body)."),
             "schema": {"type": "string", "maxLength": 30}}
_IDEMPOTENT = {"$ref": "#/components/parameters/IdempotencyKey"}
_CREATED = json_response(_l("The new draft; Location names it, cabinet_url opens it in "
                            "the cabinet."), ref("Request"),
                         {"Location": {"schema": {"type": "string"}},
                          "Idempotent-Replayed": {"schema": {"type": "string"},
                                                  "description": _l("true on a replay.")}})
_DRAFT_EXAMPLE = {"services": [1], "fields": {"address": "Moscow, Tverskaya 1, apt. 5",
                                              "area": 54.5, "object_type": "apartment"},
                  "urgency": "normal"}
_FILTERS = [
    {"name": name, "in": "query", "required": False, "description": text,
     "schema": {"type": "string", "maxLength": 100}}
    for name, text in (
        ("status", _l("Partners: a status group (draft, accepted, processing, "
                      "action_required, in_work, ready, completed, closed, cancelled); "
                      "staff: a status.")),
        ("service", _l("A service id.")), ("object_type", _l("An object type key.")),
        ("from", _l("Created on or after (YYYY-MM-DD: a day in the bureau's time zone, "
                    "not UTC).")), ("to", _l("Created on or before (the same kind of day).")),
        ("q", _l("Search: number, title, field values (engineers: no contact fields).")),
        ("company", _l("Staff: a company id.")), ("manager", _l("Staff: a manager id.")),
        ("engineer", _l("Staff: an engineer id.")),
        ("payment", _l("Staff: unpaid, partial, paid.")),
        ("client", _l("Staff (not engineers): end client name.")),
        ("date_by", _l("Staff: created or submitted (what from/to filter).")))]


def _move(operation_id: str, summary: str, extra=(409,)) -> dict:
    return {"post": {
        "operationId": operation_id, "tags": ["requests"], "summary": summary,
        "parameters": [_ID],
        "requestBody": json_body(ref("MoveInput"), required=False),
        "responses": {"200": json_response(_l("The request after the move."), ref("Request"),
                                           _ETAG), **problems(403, 404, *extra, 422)}}}


PATHS = {
    "/requests": {
        "get": {"operationId": "listRequests", "tags": ["requests"],
                "summary": _l("Requests the token's user may see, newest first"),
                "parameters": _FILTERS + cursor_parameters(),
                "responses": {"200": json_response(_l("One page."), ref("RequestPage")),
                              **problems(422)}},
        "post": {"operationId": "createDraft", "tags": ["requests"],
                 "summary": _l("Create a draft (partners)"), "parameters": [_IDEMPOTENT],
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": ref("DraftInput"), "example": _DRAFT_EXAMPLE}}},
                 "responses": {"201": _CREATED, **problems(403, 404, 409, 422)}}},
    "/requests/{request_id}": {
        "get": {"operationId": "getRequest", "tags": ["requests"], "summary": _l("One request"),
                "parameters": [_ID],
                "responses": {"200": json_response(_l("The request."), ref("Request"), _ETAG),
                              **problems(404)}},
        "patch": {"operationId": "updateDraft", "tags": ["requests"],
                  "summary": _l("Change a draft (send its version)"),
                  "parameters": [_ID, _IF_MATCH],
                  "requestBody": {"required": True, "content": {"application/json": {
                      "schema": ref("DraftChange"),
                      "example": {"version": 1, "fields": {"area": 60}}}}},
                  "responses": {"200": json_response(_l("The draft."), ref("Request"), _ETAG),
                                **problems(403, 404, 409, 422)}}},
    "/requests/{request_id}/submit": _move("submitDraft", _l("Submit the draft to the bureau")),
    "/requests/{request_id}/cancel": _move("cancelRequest", _l("Cancel a submitted request")),
    "/requests/{request_id}/close": _move("closeRequest", _l("Accept the work and close")),
    "/requests/{request_id}/repeat": {"post": {
        "operationId": "repeatRequest", "tags": ["requests"],
        "summary": _l("A new draft copying a request"), "parameters": [_ID, _IDEMPOTENT],
        "responses": {"201": _CREATED, **problems(403, 404, 409, 422)}}},
    "/requests/{request_id}/moves": {"post": {
        "operationId": "moveRequest", "tags": ["requests"],
        "summary": _l("A staff move (an action of allowed_actions without its own form)"),
        "description": _l("The version (`version` or `If-Match`) is optional but for "
                          "`deliver`, which releases the documents once: sent, a move on a "
                          "request changed since is 409; left out, the move is made on the "
                          "request as it is now."),
        "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ref("StaffMoveInput"), "example": {"action": "accept", "version": 7}}}},
        "responses": {"200": json_response(_l("The request after the move."), ref("Request"),
                                           _ETAG), **problems(403, 404, 409, 422)}}},
}
