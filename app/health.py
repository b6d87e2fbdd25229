"""/healthz (liveness) and /readyz (readiness), answered before Flask sees the request.

A WSGI wrapper rather than a view: no session cookie, no user lookup, no CSRF, no rate limit,
no menu entry and no access log line per probe. /healthz only says the process answers;
/readyz runs SELECT 1 on the database and PING on Redis (when REDIS_URL is set) and answers
503 with a JSON body naming what failed, so a load balancer stops sending traffic meanwhile.
"""

from __future__ import annotations

import json
import logging

from flask import Flask
from redis import Redis
from sqlalchemy import text

from app.extensions import db
from app.jobs import fail_fast_options

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 2.0  # seconds for the Redis probe: a hung Redis makes the probe fail, not hang
LIVE, READY = "/healthz", "/readyz"


def database_ok() -> bool:
    """SELECT 1 through the app's pool (pre-ping replaces a connection a restart killed)."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        log.warning("readiness: the database does not answer", exc_info=True)
        return False


def redis_ok(url: str) -> bool:
    """PING with short timeouts and no retries."""
    client = Redis.from_url(url, **fail_fast_options(PROBE_TIMEOUT))
    try:
        return bool(client.ping())
    except Exception:
        log.warning("readiness: Redis does not answer", exc_info=True)
        return False
    finally:
        client.close()


def readiness(app: Flask) -> tuple[int, dict]:
    """(HTTP status, body): 200 when every dependency answers, else 503 naming the failures."""
    with app.app_context():
        checks = {"database": "ok" if database_ok() else "unavailable"}
        if app.config.get("REDIS_URL"):
            checks["redis"] = "ok" if redis_ok(app.config["REDIS_URL"]) else "unavailable"
    failed = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "unavailable" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    return (503 if failed else 200), body


class HealthEndpoints:
    """WSGI middleware answering the two probe paths; everything else goes to the app."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path not in (LIVE, READY):
            return self.wsgi_app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _respond(start_response, 405, {"status": "method not allowed"},
                            [("Allow", "GET, HEAD")])
        status, body = (200, {"status": "ok"}) if path == LIVE else readiness(self.app)
        if environ.get("REQUEST_METHOD") == "HEAD":
            return _respond(start_response, status, None)
        return _respond(start_response, status, body)


_REASONS = {200: "OK", 405: "METHOD NOT ALLOWED", 503: "SERVICE UNAVAILABLE"}


def _respond(start_response, status: int, body: dict | None, extra=()):
    payload = json.dumps(body).encode() if body is not None else b""
    start_response(f"{status} {_REASONS[status]}", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
        ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"), *extra])
    return [payload]


def install_health_endpoints(app: Flask) -> None:
    """Wrap the app (outermost, after static files) so probes never reach Flask."""
    app.wsgi_app = HealthEndpoints(app.wsgi_app, app)
