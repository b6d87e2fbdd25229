"""Web hardening: absolute URLs from the configured base, proxies, security headers."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask, current_app


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
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=count, x_prefix=count)


def install_web_security(app: Flask) -> None:
    """Proxy handling (headers and nonces come next)."""
    install_proxy_fix(app)
