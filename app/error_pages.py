"""Replan's own error pages (400-503) in the user's language; they never touch the database."""

from __future__ import annotations

from flask import Flask, current_app, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db

PAGES = {
    400: (_l("Bad request"), _l("The request could not be processed. Go back, check what "
                                "you entered and try again.")),
    403: (_l("No access"), _l("This page is not available for your account.")),
    404: (_l("Not found"), _l("The page does not exist or is not available to you.")),
    405: (_l("Not allowed"), _l("This address does not accept this kind of request.")),
    413: (_l("File too large"), _l("The upload is larger than the server accepts.")),
    429: (_l("Too many requests"), _l("Too many attempts in a short time. Wait a minute "
                                      "and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Try again in a minute; "
                                         "if it repeats, contact the bureau.")),
    503: (_l("Temporarily unavailable"), _l("The service is briefly unavailable (maintenance "
                                            "or a database restart). Try again in a minute.")),
}
SPECIFIC_CODES = {400, 413}  # our own aborts explain these (NUL bytes, limits)
FORM_EXPIRED = _l("The form has expired or was sent from another page. Reload the page and "
                  "try again.")


def error_response(code: int, text=None):
    """The error page (JSON under /api/) for `code`; renders without the database."""
    title, default_text = PAGES[code]
    message = str(text or default_text)
    if request.path.startswith("/api/"):  # RFC 9457 problem+json (app.api)
        from app.api import problem  # deferred: app.api imports the use cases (cycle)

        return problem(code, text or default_text)
    if "_login_user" not in g:  # Flask-Login's context processor would load the user from
        g._login_user = current_app.login_manager.anonymous_user()  # the database: skip it
    return render_template("error.html", code=code, title=title, text=message), code


def http_error(error: HTTPException):
    """400/403/404/405/413/429/500 raised by aborts, routing, CSRF or the rate limiter."""
    code = error.code if error.code in PAGES else 500
    if isinstance(error, CSRFError):
        return error_response(code, FORM_EXPIRED)
    response = make_response(error_response(code, _own_description(error)))
    if error.code == 405:  # the methods the address takes (RFC 9110), on the page and the API
        response.headers["Allow"] = dict(error.get_headers()).get("Allow", "")
    return response


def _own_description(error: HTTPException):
    """The translated reason Replan passed to abort() (400/413), not Werkzeug's English."""
    if error.code in SPECIFIC_CODES and error.description != type(error).description:
        return error.description
    return None


def database_error(error: DBAPIError):
    """A lost or refused database connection is a 503; any other database error a 500."""
    _rollback_quietly()
    unavailable = isinstance(error, OperationalError) or error.connection_invalidated
    current_app.logger.error("database error on %s %s: %s", request.method, request.path,
                             error, exc_info=not unavailable)
    return error_response(503 if unavailable else 500)


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it (pool_pre_ping)
        current_app.logger.warning("rollback after a database error failed", exc_info=True)


def redis_error(error: RedisError):
    """Redis down or hung where a page needed it: the 503 page, not a traceback."""
    _rollback_quietly()  # nothing half-written: the use case's transaction did not commit
    current_app.logger.error("Redis error on %s %s: %s", request.method, request.path, error)
    return error_response(503)


def install_error_pages(app: Flask) -> None:
    """Register the pages: HTTP errors by code, database errors by exception class."""
    for code in PAGES:
        if code != 503:
            app.register_error_handler(code, http_error)
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(RedisError, redis_error)
