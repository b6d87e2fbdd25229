"""REST API v1: prefill tokens (issue 13.4). A partner's site creates one with the partner's
read-and-write token and sends its visitor (or the partner) to the returned cabinet URL: the
new-request form opens filled in, contact fields and the end client included (app.prefill)."""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.api import api_blueprint, problem_locale
from app.api_input import json_or_none
from app.api_tokens import require_scope
from app.errors import InvalidInput
from app.openapi import json_body, json_response, problems, ref
from app.prefill import MAX_DAYS, MAX_SERVICES, create_prefill_token
from app.uow import unit_of_work
from app.web_security import external_url
from models.api_tokens import SCOPE_WRITE

bp = api_blueprint("api_v1_prefill")


def iso(moment) -> str:
    """A stored naive UTC datetime as ISO 8601 with Z."""
    return moment.replace(microsecond=0).isoformat() + "Z"


@bp.post("/prefill-tokens")
def create_prefill():
    """A prefill token for the token user's company, with the cabinet URL that uses it."""
    require_scope(g.api_token, SCOPE_WRITE)
    payload = json_or_none()
    if not isinstance(payload, dict):
        raise InvalidInput(_l("Send a JSON object."))
    # the use case's messages (the form's own checks) in the language of the answer
    with force_locale(problem_locale()), unit_of_work():
        row, secret = create_prefill_token(g.api_user, payload)
        expires_at = row.expires_at
    response = jsonify(token=secret, expires_at=iso(expires_at),
                       url=external_url("cabinet.request_new", prefill=secret))
    response.status_code = 201
    return response


_VALUE = {"oneOf": [{"type": "string", "maxLength": 5000}, {"type": "number"},
                    {"type": "boolean"}, {"type": "null"},
                    {"type": "array", "items": {"type": "string", "maxLength": 5000}}]}
SCHEMAS = {
    "PrefillTokenInput": {
        "type": "object",
        "required": ["service"],
        "additionalProperties": False,
        "properties": {
            "service": {"description": _l("The service's code or id, or a list of up to "
                                          "%(n)s of them.", n=MAX_SERVICES),
                        "oneOf": [{"type": "string", "maxLength": 40}, {"type": "integer"},
                                  {"type": "array", "maxItems": MAX_SERVICES,
                                   "items": {"oneOf": [{"type": "string", "maxLength": 40},
                                                       {"type": "integer"}]}}]},
            "values": {"type": "object", "additionalProperties": _VALUE,
                       "description": _l("Field values by the service's field keys, contact "
                                         "fields included; checked as the form checks them "
                                         "(an unknown key or a refused value is 422).")},
            "end_client": {"type": "object", "additionalProperties": False, "properties": {
                "name": {"type": "string", "maxLength": 200},
                "phone": {"type": "string", "maxLength": 40}}},
            "description": {"type": "string", "maxLength": 5000},
            "source": {"type": "string", "maxLength": 100,
                       "description": _l("Your site's name, shown in the note above the "
                                         "form (default: your company's name).")},
            "expires_in_days": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS,
                                "description": _l("Default 7 (the PREFILL_TOKEN_DAYS "
                                                  "setting).")},
        },
    },
    "PrefillToken": {
        "type": "object",
        "required": ["token", "url", "expires_at"],
        "properties": {
            "token": {"type": "string", "description": _l("pf_<secret>; shown only now.")},
            "url": {"type": "string", "format": "uri",
                    "description": _l("The cabinet's new-request form with this token: it "
                                      "opens filled in for users of your company only; "
                                      "nothing is saved until the user clicks.")},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
}
PATHS = {
    "/prefill-tokens": {
        "post": {
            "tags": ["Prefill"],
            "operationId": "createPrefillToken",
            "summary": _l("Create a prefill link for the new-request form"),
            "description": _l("A partner's read-and-write token only. The link works for users "
                              "of the token owner's company until it expires; opening it fills "
                              "the form (values checked again then) and saves nothing. No "
                              "Idempotency-Key: the answer holds the secret, so it is not "
                              "kept for replay; a repeated POST makes another, equally "
                              "harmless link."),
            "requestBody": json_body(ref("PrefillTokenInput"), example={
                "service": "measure", "values": {"address": "Moscow, Tverskaya 1, apt. 5",
                                                 "area": 54.5, "object_type": "apartment"},
                "end_client": {"name": "Ivan Petrov", "phone": "+7 900 123-45-67"}}),
            "responses": {"201": json_response(_l("The token and the link."),
                                               ref("PrefillToken")),
                          **problems(403, 422)},
        },
    },
}
