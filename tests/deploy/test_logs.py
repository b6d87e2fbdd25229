"""Structured logs: one JSON object per line with the request id, echoed and carried into jobs."""

import io
import json
import logging
import re

import pytest
from flask import g
from rq import Queue

from app import jobs as jobs_module
from app.extensions import db
from app.logs import configure_logging
from app.worker import run_worker
from tests.deploy.sample_jobs import log_line
from tests.factories import as_user, make_partner


@pytest.fixture
def json_logs(make_app):
    """An app with LOG_FORMAT=json whose log lines go to a string; text logging restored after."""
    application = make_app(LOG_FORMAT="json")
    stream = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "replan", False))
    handler.setStream(stream)
    access = logging.getLogger("replan.request")
    access.setLevel(logging.INFO)
    yield application, stream
    access.setLevel(logging.NOTSET)
    configure_logging("text", logging.WARNING)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_request_writes_one_json_line_with_every_field(json_logs):
    application, stream = json_logs
    partner = make_partner()
    client = as_user(application, partner)
    stream.truncate(0)
    stream.seek(0)
    response = client.get("/cabinet/", headers={"X-Request-ID": "edge-1234abcd"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "edge-1234abcd"
    [entry] = [e for e in lines(stream) if e["logger"] == "replan.request"]
    assert entry["level"] == "INFO"
    assert entry["request_id"] == "edge-1234abcd"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/cabinet/", 200)
    assert entry["user_id"] == partner.id
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])
    assert entry["message"] == "GET /cabinet/ 200"


def test_anonymous_request_has_no_user_id(json_logs):
    application, stream = json_logs
    application.test_client().get("/login/")
    [entry] = [e for e in lines(stream) if e["logger"] == "replan.request"]
    assert "user_id" not in entry and entry["status"] == 200


@pytest.mark.parametrize("supplied", ["short", "has space in it", "a" * 129, "x;Set-Cookie=a-b-c",
                                      "<script>alert(1)</script>"])
def test_an_insane_request_id_is_replaced_by_a_generated_one(app, supplied):
    response = app.test_client().get("/login/", headers={"X-Request-ID": supplied})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_every_response_gets_a_fresh_id(app):
    client = app.test_client()
    first, second = (client.get("/login/").headers["X-Request-ID"] for _ in range(2))
    assert first != second


def test_error_pages_carry_the_id_too(app):
    response = app.test_client().get("/no-such-page", headers={"X-Request-ID": "trace-404-abc"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "trace-404-abc"


def test_an_enqueued_job_carries_the_request_id_and_the_worker_logs_it(json_logs, rq_backend):
    application, stream = json_logs
    with application.test_request_context("/"):
        g.request_id = "req-from-web-42"
        job = jobs_module.enqueue(log_line, "hello from the worker")
    assert job.meta["request_id"] == "req-from-web-42"
    rq_logger = logging.getLogger("rq.worker")  # as in a worker process: through our handler
    saved = rq_logger.level, rq_logger.propagate, rq_logger.handlers[:], rq_logger.disabled
    rq_logger.setLevel(logging.INFO)
    rq_logger.propagate, rq_logger.handlers[:] = True, []
    rq_logger.disabled = False  # alembic's fileConfig disables existing loggers on migrating
    try:
        with application.app_context():  # in this process, so the line reaches this stream
            db.session.commit()
            run_worker(burst=True, with_cron=False, simple=True)
    finally:
        rq_logger.setLevel(saved[0])
        rq_logger.propagate, rq_logger.handlers[:], rq_logger.disabled = saved[1:]
    [entry] = [e for e in lines(stream) if e["logger"] == "replan.test.job"]
    assert entry["message"] == "hello from the worker"
    assert entry["request_id"] == "req-from-web-42"
    assert entry["job_id"] == job.id
    [done] = [e for e in lines(stream) if "Successfully completed" in e["message"]]
    assert (done["logger"], done["request_id"], done["job_id"]) == (
        "rq.worker", "req-from-web-42", job.id)  # RQ's own outcome line carries them too


def test_batch_enqueue_carries_the_request_id(app, rq_backend):
    with app.test_request_context("/"):
        g.request_id = "req-batch-0001"
        assert jobs_module.enqueue_each(log_line, ["a", "b"]) == 2
    queued = Queue("default", connection=rq_backend.connection).get_jobs()
    assert [j.meta["request_id"] for j in queued] == ["req-batch-0001"] * 2


def test_text_format_is_the_default_with_the_request_id(app):
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "replan", False))
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello", None, None)
    for flt in handler.filters:
        flt.filter(record)
    assert app.config["LOG_FORMAT"] == "text"
    assert handler.format(record).endswith("WARNING x [None] hello")
