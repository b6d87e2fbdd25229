"""REST API v1: confirmation codes (issue 13.5), the same flow as the cabinet's code step.

A partner's submit or close that the admin put behind a one-time code answers 403 problem+json
of type …/confirmation_required; the client asks for a code here, the partner reads it from
the e-mail or SMS, and the client repeats the move with the code (app.signatures checks it in
the use case, so the API and the cabinet share one rule). GET …/signatures lists what was
signed on a request.
"""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import lazy_gettext as _l

from app.access import get_request_or_404
from app.api import api_blueprint
from app.api_input import json_or_none
from app.api_tokens import require_scope
from app.errors import InvalidInput
from app.signatures import request_code_for_request, signatures_of
from app.uow import unit_of_work
from app.visibility import reads_partner_words
from models.api_tokens import SCOPE_WRITE

bp = api_blueprint("api_v1_signatures")
REQUEST_PURPOSES = ("submit", "close")


def iso(moment) -> str:
    """A stored naive UTC datetime as ISO 8601 with Z."""
    return moment.replace(microsecond=0).isoformat() + "Z"


def _code_input() -> tuple[str, int]:
    body = json_or_none()
    if not isinstance(body, dict):
        raise InvalidInput(_l("Send a JSON object."))
    purpose, request_id = body.get("purpose"), body.get("request_id")
    if purpose not in REQUEST_PURPOSES:
        raise InvalidInput(_l("purpose: submit or close."))
    if isinstance(request_id, bool) or not isinstance(request_id, int) \
            or not 0 < request_id < 2 ** 31:
        raise InvalidInput(_l("request_id: the id of the request (an integer)."))
    return purpose, request_id


@bp.post("/confirmation-codes")
def create_confirmation_code():
    """Send the token user a one-time code for the submit or close of one request."""
    require_scope(g.api_token, SCOPE_WRITE)
    purpose, request_id = _code_input()
    with unit_of_work():
        row = request_code_for_request(g.api_user, purpose, request_id)
        answer = {"id": row.id, "purpose": row.purpose, "request_id": request_id,
                  "channel": row.channel, "sent_to": row.sent_to,
                  "expires_at": iso(row.expires_at), "tries_left": row.tries_left}
    response = jsonify(answer)
    response.status_code = 201
    return response


@bp.get("/requests/<int:request_id>/signatures")
def request_signatures(request_id: int):
    """The simple electronic signatures recorded on a request the token user sees."""
    req = get_request_or_404(g.api_user, request_id)
    full = reads_partner_words(g.api_user)  # an engineer gets neither the name nor the IP
    return jsonify(items=[
        {"id": s.id, "purpose": s.purpose,
         "signed_by": s.user.get_full_name() if full else None,
         "signed_at": iso(s.signed_at), "ip": s.ip if full else None,
         "data_sha256": s.data_hash}
        for s in signatures_of(req)])


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}


_ERRORS = {"401": _problem(_l("No usable token.")),
           "403": _problem(_l("A read-only token, or staff (only the partner signs).")),
           "404": _problem(_l("No such request in the token user's scope.")),
           "422": _problem(_l("Bad purpose or request_id, or this action needs no code.")),
           "429": _problem(_l("A code was sent less than a minute ago (Retry-After)."))}
PATHS = {
    "/confirmation-codes": {"post": {
        "operationId": "createConfirmationCode", "tags": ["signatures"],
        "summary": _l("Send a one-time code for a partner's submit or close"),
        "description": _l("When the admin put submitting or accepting the work behind a code, "
                          "the move answers 403 with type …/confirmation_required. Ask for a "
                          "code here (one a minute), then repeat the move with "
                          "\"confirmation_code\". A code works 10 minutes and 5 tries and "
                          "only for the data it was sent for: edit the request and ask "
                          "again."),
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ConfirmationCodeInput"},
            "example": {"purpose": "submit", "request_id": 42}}}},
        "responses": {"201": {"description": _l("The code is sent."), "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ConfirmationCode"}}}},
            **_ERRORS}}},
    "/requests/{request_id}/signatures": {"get": {
        "operationId": "listRequestSignatures", "tags": ["signatures"],
        "summary": _l("Signatures recorded on a request"),
        "parameters": [{"name": "request_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "responses": {"200": {"description": _l("Oldest first."), "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/SignatureList"}}}},
            "401": _ERRORS["401"], "404": _ERRORS["404"]}}},
}
SCHEMAS = {
    "ConfirmationCodeInput": {
        "type": "object", "required": ["purpose", "request_id"],
        "properties": {"purpose": {"type": "string", "enum": list(REQUEST_PURPOSES)},
                       "request_id": {"type": "integer"}}},
    "ConfirmationCode": {
        "type": "object",
        "required": ["id", "purpose", "request_id", "channel", "sent_to", "expires_at",
                     "tries_left"],
        "properties": {"id": {"type": "integer"}, "purpose": {"type": "string"},
                       "request_id": {"type": "integer"},
                       "channel": {"type": "string", "enum": ["email", "sms"]},
                       "sent_to": {"type": "string", "description": _l("Masked address.")},
                       "expires_at": {"type": "string", "format": "date-time"},
                       "tries_left": {"type": "integer"}}},
    "SignatureList": {
        "type": "object", "required": ["items"],
        "properties": {"items": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "purpose", "signed_by", "signed_at", "ip", "data_sha256"],
            "properties": {"id": {"type": "integer"}, "purpose": {"type": "string"},
                           "signed_by": {"type": ["string", "null"]},
                           "signed_at": {"type": "string", "format": "date-time"},
                           "ip": {"type": ["string", "null"]},
                           "data_sha256": {"type": "string"}}}}}},
}
