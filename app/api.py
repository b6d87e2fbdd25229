"""REST API v1 under /api/v1: personal tokens only (app.api_tokens), errors as problem+json.

Only `Authorization: Bearer rpl_…` authenticates here. The session cookie (and Flask-Login's
remember cookie) is ignored under /api/ and no cookie is ever set on an API response
(ApiSessionInterface), CSRF does not apply (no cookie is trusted), and every error is an RFC
9457 problem document in the language of Accept-Language, else the token owner's, else ru.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.api_tokens import authenticate, check_rate
from app.errors import Conflict, RateLimited, conflict_message
from app.errors import DomainError
from app.permissions import role_label
from app.uow import unit_of_work

API_PREFIX = "/api/"
API_CONFLICT = _l("The request was changed by someone else meanwhile: read it again and send "
                  "the version you read (If-Match or \"version\").")
PROBLEM_TYPE = "https://replan.example/problems/"  # + kind; documented with the API
LANGUAGES = ("ru", "en")
READING = {"GET", "HEAD", "OPTIONS"}
READING_POSTS = {"api_v1_catalogue.quote"}  # pricing changes nothing: a read token may, too
TITLES = {
    400: _l("Bad request"), 401: _l("Not authenticated"), 403: _l("Not allowed"),
    404: _l("Not found"), 405: _l("Method not allowed"), 409: _l("Changed by someone else"),
    413: _l("Too large"), 422: _l("Invalid input"), 429: _l("Too many requests"),
    500: _l("Server error"), 503: _l("Temporarily unavailable"),
}



def api_blueprint(name: str) -> Blueprint:
    """A blueprint under /api/v1 with token authentication, rate limit and problem+json errors.

    Every API area module (app/api_*.py) makes its own with this, defines its routes on it and
    documents them in module-level PATHS / SCHEMAS (OpenAPI path items and component schemas);
    app/api_surface.py lists the modules, registers them and builds the OpenAPI document.
    """
    blueprint = Blueprint(name, __name__, url_prefix="/api/v1")
    blueprint.before_request(authenticate_request)
    blueprint.after_request(rate_headers)
    blueprint.register_error_handler(DomainError, domain_error)
    return blueprint


def rate_headers(response):
    """The token's limit, what is left of it and the seconds until it refills, on every
    answer past the rate check (a refused one too); answers differ by Accept-Language."""
    for name, value in g.get("api_rate", {}).items():
        response.headers[name] = value
    response.vary.add("Accept-Language")
    return response


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


class ApiSessionInterface(SecureCookieSessionInterface):
    """Cookies as before everywhere else; under /api/ an empty session that is never saved."""

    def open_session(self, app, request):
        if request.path.startswith(API_PREFIX):
            return SecureCookieSession()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if is_api_request():  # still inside the request being answered
            return None
        return super().save_session(app, session, response)


def problem_locale() -> str:
    if request.headers.get("Accept-Language"):
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    user = g.get("api_token_user")
    profile = getattr(user, "profile", None)
    if profile is not None and profile.locale in LANGUAGES:
        return profile.locale
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "ru")


def problem(status: int, detail=None, kind: str | None = None, headers=None):
    """An application/problem+json response (RFC 9457)."""
    with force_locale(problem_locale()):
        title = str(TITLES.get(status, TITLES[500]))
        body = {"type": PROBLEM_TYPE + (kind or str(status)), "title": title,
                "status": status, "detail": str(detail) if detail is not None else title}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers["Content-Language"] = problem_locale()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def domain_error(error: DomainError):
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="replan"'
    detail = error
    if isinstance(error, Conflict):  # the pages' "reload the page" means nothing to a program
        with force_locale(problem_locale()):
            if str(error) == conflict_message():
                detail = API_CONFLICT
    return problem(error.status, detail, error.kind, headers)


def authenticate_request():
    """Every /api/v1 request: the token's user in g.api_user, counted against its limit."""
    with unit_of_work():  # commits the once-a-minute last_used touch
        g.api_user = authenticate(request.headers.get("Authorization"), request.remote_addr)
    check_rate(g.api_token, writing=request.method not in READING
               and request.endpoint not in READING_POSTS)


bp = api_blueprint("api_v1")
PATHS = {  # OpenAPI path items of this module (see api_blueprint; app/openapi.py adds the rest)
    "/me": {"get": {
        "operationId": "getMe", "summary": _l("Who the token belongs to"), "tags": ["account"],
        "responses": {"200": {"description": _l("The token's user, company and scope."),
                              "content": {"application/json": {
                                  "schema": {"$ref": "#/components/schemas/Me"}}}}}}},
}
SCHEMAS = {
    "Me": {"type": "object", "required": ["id", "name", "username", "roles", "scope"],
           "properties": {
               "id": {"type": "integer"}, "name": {"type": "string"},
               "username": {"type": "string"},
               "role": {"type": ["string", "null"],
                        "description": _l("The first role's label.")},
               "roles": {"type": "array", "items": {"type": "string"}},
               "company": {"oneOf": [
                   {"type": "null"},
                   {"type": "object", "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}]},
               "scope": {"type": "string", "enum": ["read", "write"]}}},
}


@bp.get("/me")
def me():
    """Who the token belongs to."""
    user = g.api_user
    profile = getattr(user, "profile", None)
    company = profile.partner_company if profile is not None else None
    with force_locale(problem_locale()):
        roles = [role_label(role) for role in user.roles]
    return jsonify(id=user.id, name=user.get_full_name(), username=user.username,
                   role=roles[0] if roles else None,
                   roles=[role.name for role in user.roles],
                   company={"id": company.id, "name": company.name} if company else None,
                   scope=g.api_token.scope)


def install_api(app: Flask, csrf, blueprints) -> None:
    """Register the /api/v1 blueprints, exempt them from CSRF, drop cookies and cookie logins
    under /api/ (app/api_surface.py passes the blueprints of every API module)."""
    for blueprint in blueprints:
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    app.session_interface = ApiSessionInterface()

    def anonymous_under_api():
        # before FAB's and Replan's own hooks: Flask-Login must not load a user from a
        # session or remember cookie for an API request
        if is_api_request():
            g._login_user = app.login_manager.anonymous_user()

    app.before_request_funcs.setdefault(None, []).insert(0, anonymous_under_api)
