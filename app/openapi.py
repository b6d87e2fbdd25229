"""The OpenAPI 3.1 document of REST API v1, built from the API area modules' PATHS / SCHEMAS.

app/api_surface.py lists the modules (MODULES) and installs this module's public blueprint:
GET /api/v1/openapi.json (the document) and GET /api/v1/docs (a server-rendered page made from
it), both without a token. Area modules may use the helpers here (`ref`, `json_body`,
`json_response`, `problems`, `cursor_parameters`) to write their PATHS; the builder adds the
common parts (info, servers, bearerAuth, Problem, common responses) and per operation the
`x-scope` (read for GET, write otherwise), the default security and the 401/429 responses.
"""

from __future__ import annotations

import copy
import json
import re
import sys

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.api import LANGUAGES, problem_locale

API_VERSION = "1.0.0"
SERVER_URL = "/api/v1"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCOPE_READ, SCOPE_WRITE = "read", "write"  # the token scopes (app.api_tokens)
COMMON_STATUSES = {"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden",
                   "404": "NotFound", "409": "Conflict", "422": "InvalidInput",
                   "429": "TooManyRequests"}
RESPONSE_TEXT = {
    "BadRequest": _l("The request cannot be read: a NUL byte or an unpaired surrogate in the "
                     "path, query, form or JSON. Any operation may answer so (a body nested "
                     "too deep is invalid JSON: 422)."),
    "Unauthorized": _l("No valid token: the Authorization header is missing, malformed, or "
                       "the token is unknown, expired or revoked."),
    "Forbidden": _l("The token or its user may not do this (a read-only token writing, a "
                    "move the role may not make)."),
    "NotFound": _l("No such object within what the token's user may see."),
    "Conflict": _l("The object changed meanwhile (stale version) or the Idempotency-Key is "
                   "in use by a request still running."),
    "InvalidInput": _l("The input is malformed or breaks a rule; `detail` says what."),
    "TooManyRequests": _l("The token's rate limit is used up; retry after Retry-After "
                          "seconds."),
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": _l("An RFC 9457 problem document; `detail` is translated (Accept-Language, "
                      "else the token owner's language, else Russian)."),
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri",
                 "description": _l("Identifies the kind of problem.")},
        "title": {"type": "string", "description": _l("A short summary of the kind.")},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": "string", "description": _l("What went wrong this time.")},
        "instance": {"type": "string", "format": "uri-reference"},
    },
}


def ref(name: str) -> dict:
    """A $ref to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict, required: bool = True, example=None) -> dict:
    """A requestBody of application/json (with the example the reference's curl line sends:
    one that works on the demo catalogue)."""
    body = {"schema": schema} if example is None else {"schema": schema, "example": example}
    return {"required": required, "content": {"application/json": body}}


def json_response(description: str, schema: dict, headers: dict | None = None) -> dict:
    """A response with an application/json body."""
    response = {"description": description,
                "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def problems(*statuses: int | str) -> dict:
    """The common problem responses by status, for an operation's `responses`."""
    return {str(status): {"$ref": f"#/components/responses/{COMMON_STATUSES[str(status)]}"}
            for status in statuses}


def cursor_parameters() -> list[dict]:
    """The `cursor` and `limit` query parameters of a cursor-paginated list."""
    return [{"$ref": "#/components/parameters/Cursor"}, {"$ref": "#/components/parameters/Limit"}]


def page_of(item_schema: dict) -> dict:
    """The schema of one page of a cursor-paginated list."""
    return {"type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": item_schema},
                           "next_cursor": {"type": ["string", "null"],
                                           "description": _l("Pass as `cursor` for the next "
                                                             "page; null on the last "
                                                             "page.")}}}


def _common_components() -> dict:
    responses = {}
    for status, name in COMMON_STATUSES.items():
        response = {"description": RESPONSE_TEXT[name],
                    "content": {"application/problem+json": {"schema": ref("Problem")}}}
        if status == "429":
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                   "description": _l("Seconds to wait.")}}
        if status == "401":
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[name] = response
    return {
        "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer", "bearerFormat": "rpl_<prefix>_<secret>",
            "description": _l("A personal API token made in the profile (read or "
                              "read-write).")}},
        "responses": responses,
        "parameters": {
            "Cursor": {"name": "cursor", "in": "query", "required": False,
                       "description": _l("The `next_cursor` of the previous page."),
                       "schema": {"type": "string", "maxLength": 200}},
            "Limit": {"name": "limit", "in": "query", "required": False,
                      "description": _l("Items per page (1-100, default 20)."),
                      "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                 "default": 20}},
            "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                               "description": _l("Repeat a creating POST safely: the same "
                                                 "key and body within 24 h replays the first "
                                                 "answer."),
                               "schema": {"type": "string", "minLength": 1,
                                          "maxLength": 200}},
        },
        "schemas": {"Problem": PROBLEM_SCHEMA},
    }


def _complete_operation(method: str, operation: dict) -> None:
    """Add what every operation has: its scope, security, the 401/429 responses and the 400
    of the input guard (app.input_guard refuses NUL bytes before any route runs)."""
    public = operation.get("security") == []
    operation.setdefault("responses", {}).setdefault("400", problems("400")["400"])
    if not public:
        operation.setdefault("x-scope", SCOPE_READ if method in ("get", "head") else SCOPE_WRITE)
        responses = operation.setdefault("responses", {})
        for status in ("401", "429") + (("403",) if operation["x-scope"] == SCOPE_WRITE else ()):
            responses.setdefault(status, problems(status)[status])


def build_document(modules) -> dict:
    """The OpenAPI 3.1 document of the given API area modules (a fresh dict each call)."""
    components = _common_components()
    paths: dict = {}
    for module in modules:
        for path, item in getattr(module, "PATHS", {}).items():
            merged = paths.setdefault(path, {})
            merged.update(copy.deepcopy(item))
        components["schemas"].update(copy.deepcopy(getattr(module, "SCHEMAS", {})))
    for item in paths.values():
        for method, operation in item.items():
            if method in METHODS:
                _complete_operation(method, operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": _l("%(brand)s REST API"), "version": API_VERSION,
                 "description": _l("Partner and staff access to the requests in %(brand)s "
                                   "over personal API tokens. Errors are RFC 9457 problem "
                                   "documents; lists use cursor pagination. Every answer "
                                   "carries RateLimit-Limit, RateLimit-Remaining and "
                                   "RateLimit-Reset (the token's requests a minute, those "
                                   "left, the seconds until the count starts again); over "
                                   "the limit it is 429 with Retry-After. Guide: "
                                   "docs/api.md.")},
        "servers": [{"url": SERVER_URL}],
        "security": [{"bearerAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


def api_modules():
    return current_app.extensions["replan_api_modules"]


bp = Blueprint("api_v1_docs", __name__, url_prefix=SERVER_URL)

PAGE_TITLE = _l("%(brand)s REST API v1")
PATHS = {
    "/openapi.json": {"get": {
        "operationId": "getOpenApiDocument", "summary": _l("This OpenAPI 3.1 document"),
        "tags": ["documentation"], "security": [],
        "responses": {"200": json_response(_l("The document."), {"type": "object"})}}},
    "/docs": {"get": {
        "operationId": "getApiDocs", "summary": _l("The API reference as an HTML page"),
        "tags": ["documentation"], "security": [],
        "parameters": [{"name": "lang", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": list(LANGUAGES)}}],
        "responses": {"200": {"description": _l("The page."),
                              "content": {"text/html": {"schema": {"type": "string"}}}}}}},
}
SCHEMAS: dict = {}


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document (public: no token needed)."""
    with force_locale(docs_locale()):  # summaries and descriptions may be lazy strings
        response = jsonify(build_document(api_modules()))
    response.headers["Cache-Control"] = "no-cache"
    return response


def docs_locale() -> str:
    wanted = request.args.get("lang")
    return wanted if wanted in LANGUAGES else problem_locale()


@bp.get("/docs")
def docs_page():
    """The API reference page rendered from the document (public, no external assets)."""
    document = build_document(api_modules())
    locale = docs_locale()
    base = request.host_url.rstrip("/") + SERVER_URL
    with force_locale(locale):
        html = render_template("api_docs.html", doc=document, locale=locale, base_url=base,
                               operations=_operations(document, base),
                               languages=LANGUAGES, title=PAGE_TITLE,
                               schema_text=_schema_text)
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Language"] = locale
    return response


def _schema_text(schema: dict) -> str:
    """A schema as indented JSON for the page, its translated texts readable (Jinja's tojson
    would write Russian as \\u escapes); the template escapes it as text."""
    return json.dumps(schema, ensure_ascii=False, sort_keys=True, indent=2, default=str)


def _operations(document: dict, base: str):
    """One entry per operation, grouped by its first tag, with an example curl command."""
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                found.append({"tag": (operation.get("tags") or ["other"])[0], "path": path,
                              "method": method, "op": operation,
                              "anchor": f"{method}-{path}".replace("/", "-").strip("-")
                              .replace("{", "").replace("}", ""),
                              "params": _parameters(document, item, operation),
                              "curl": _curl(base, path, method, operation)})
    return sorted(found, key=lambda entry: entry["tag"])


def _parameters(document: dict, item: dict, operation: dict) -> list[dict]:
    """The operation's parameters with $refs to components.parameters resolved."""
    resolved = []
    for parameter in item.get("parameters", []) + operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        resolved.append(parameter)
    return resolved


def _curl(base: str, path: str, method: str, operation: dict) -> str:
    """An example curl command line for the operation."""
    url = base + re.sub(r"\{[^}]+\}", "42", path)  # every id of the path: a real-looking one
    parts = ["curl"]
    if method != "get":
        parts.append(f"-X {method.upper()}")
    if operation.get("security") != []:
        parts.append('-H "Authorization: Bearer $REPLAN_TOKEN"')
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        example = content["application/json"].get("example", {})
        parts.append('-H "Content-Type: application/json"')
        parts.append("-d '" + json.dumps(example, ensure_ascii=False) + "'")
    parts.append(f'"{url}"')
    return " \\\n  ".join(parts)


def install(app: Flask, modules) -> None:
    """Remember the API modules for the document and register the public blueprint."""
    app.extensions["replan_api_modules"] = tuple(modules) + (_this_module(),)
    app.register_blueprint(bp)


def _this_module():
    return sys.modules[__name__]
