"""Logs: one JSON object per line (LOG_FORMAT=json) or plain text, with a request id.

The request id comes from a sane X-Request-ID header (a proxy's) or is generated; it is echoed
in the response, written on every log line of the request, and put into the meta of every RQ
job the request enqueues, so the worker's lines for that job carry the same id.
A leaf module: imports only Flask and RQ.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from rq import get_current_job

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{8,128}")  # no spaces, quotes or controls
ACCESS_LOGGER = "replan.request"
_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "job_id")
# the job a worker is performing, also while RQ logs its outcome (rq's own context ends earlier)
_performing = ContextVar("replan_performing_job", default=None)


def _current_job():
    return get_current_job() or _performing.get()  # context variables: no Redis round trip


@contextmanager
def performing(job):
    """Log lines inside carry the job's id and the request id from its meta."""
    token = _performing.set(job)
    try:
        yield
    finally:
        _performing.reset(token)


class JobLogContext:
    """Worker mixin: every line written while a job is performed, RQ's own included."""

    def perform_job(self, job, *args, **kwargs):
        with performing(job):
            return super().perform_job(job, *args, **kwargs)


def current_request_id() -> str | None:
    """The id of the RQ job being run (from its meta) or of the web request, else None."""
    job = _current_job()
    if job is not None:
        return (job.meta or {}).get("request_id")
    return g.get("request_id") if has_request_context() else None


class ContextFilter(logging.Filter):
    """Adds request_id (and job_id in a worker) to every record passing the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        if getattr(record, "job_id", None) is None:
            job = _current_job()
            record.job_id = job.id if job is not None else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the context fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in _FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development format, with the request id when there is one."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """Install Replan's handler on the root logger (once); json or text."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "replan", False) or type(handler) is logging.StreamHandler:
            root.removeHandler(handler)  # ours from an earlier app, or a basicConfig one
    handler = logging.StreamHandler(sys.stderr)
    handler.replan = True
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level)


def _incoming_request_id() -> str:
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    return supplied if SANE_REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex


def _start_request() -> None:
    g.request_id = _incoming_request_id()
    g.request_started = time.perf_counter()


def _finish_request(response):
    request_id = g.get("request_id") or _incoming_request_id()
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    user = g.get("_login_user")  # already loaded by the request, never loaded here
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s", request.method, request.path, response.status_code, extra={
            "request_id": request_id, "method": request.method, "path": request.path,
            "status": response.status_code, "user_id": getattr(user, "id", None),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None})
    return response


def install_request_logging(app: Flask) -> None:
    """Request ids and one access line per request; logging set up from LOG_FORMAT."""
    level = logging.WARNING if app.testing else logging.INFO
    configure_logging(app.config.get("LOG_FORMAT", "text"), level)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)  # before guards
    app.after_request(_finish_request)
