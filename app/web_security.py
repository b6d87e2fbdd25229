"""Web hardening: absolute URLs from the configured base, proxies, security headers."""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

# style-src keeps 'unsafe-inline': Flask-AppBuilder's templates and its jQuery widgets
# (select2, datepicker, bootstrap modals) write style attributes; CSS cannot run script,
# and script-src (no 'unsafe-inline', a fresh nonce per response) is the XSS barrier.
CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
       "form-action 'self'")
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
STATIC_ENDPOINTS = {"static", "appbuilder.static", "cabinet.static"}


def external_url(endpoint: str, **values) -> str:
    """Absolute URL for `endpoint` built from BASE_URL, never from the request's Host."""
    base = urlsplit(current_app.config["BASE_URL"])
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(anchor, safe='/:')}" if anchor else url


def install_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* only from REPLAN_PROXY_COUNT proxies (0 = trust nothing)."""
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=count, x_prefix=count)


def csp_nonce() -> str:
    """This response's script nonce (Jinja global; FAB's baselib.get_nonce() uses it too)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def add_security_headers(response: Response) -> Response:
    """CSP with this response's nonce, framing/sniffing/referrer rules, no-store, HSTS."""
    response.headers["Content-Security-Policy"] = CSP.format(nonce=csp_nonce())
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("ENV_NAME") == "production":
        response.headers["Strict-Transport-Security"] = HSTS
    if request.endpoint not in STATIC_ENDPOINTS:
        # pages and downloads may carry personal data or one-time tokens: never cached
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def install_web_security(app: Flask) -> None:
    """Trusted proxies, the csp_nonce() Jinja global and headers on every response."""
    install_proxy_fix(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_security_headers)
