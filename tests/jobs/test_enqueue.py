"""enqueue runs inline without Redis and on an RQ worker with Redis."""

from flask import g
from sqlalchemy import inspect

from app.extensions import db
from app.jobs import enqueue, enqueue_each
from models.audit import AuditEvent
from tests.jobs.sample_jobs import record_ping, session_of_job


def pings():
    db.session.expire_all()
    return [e.details["label"] for e in db.session.query(AuditEvent).filter_by(action="ping")]


def test_inline_when_redis_is_not_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert enqueue(record_ping, "inline") == "pong inline"
    assert pings() == ["inline"]


def test_an_inline_job_runs_as_a_worker_would_in_its_own_session(app, monkeypatch):
    """Without Redis a job still gets its own app context and session: it sees no `g` of
    the caller, and its commits leave the rows the caller loaded as they were."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    enqueue(record_ping, "first")
    loaded = db.session.query(AuditEvent).filter_by(action="ping").one()
    g.caller_mark = "caller"
    job_session, seen_mark = enqueue(session_of_job, "second")
    assert job_session is not db.session()
    assert seen_mark is None
    assert not inspect(loaded).expired_attributes  # a commit in the caller's session expires
    assert enqueue_each(record_ping, ["a", "b"]) == 2
    assert sorted(pings()) == ["a", "b", "first"]


def test_worker_command_needs_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["replan", "worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


def test_rq_worker_runs_the_job_in_an_app_context(app, rq_backend):
    job = enqueue(record_ping, "queued")
    assert job.get_status() == "queued"
    assert pings() == []  # nothing ran yet: it waits for a worker
    rq_backend.work()
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == "pong queued"
    assert pings() == ["queued"]
