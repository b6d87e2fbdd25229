"""Outbox rules (finding 15, 13, 17): own rows only, due claims, long backoff, secrets erased,
bounded enqueueing, and the admin's outbox page."""

from datetime import timedelta

import pytest

import app.jobs as jobs_module
from app.extensions import db
from app.mail import (MAX_ATTEMPTS, REMOVED_BODY, backoff, enqueue_sends, flush_outbox,
                      queue_mail, send_outbox_message)
from models.base import utcnow
from models.outbox import OutboxMessage
from models.request_status import Status
from tests.factories import (Staff, as_user, make_partner, make_request, make_user, post)


@pytest.fixture
def enqueued(monkeypatch):
    """Record every batch handed to the job helper instead of running it."""
    batches = []
    monkeypatch.setattr(jobs_module, "enqueue_each",
                        lambda func, ids, **kw: batches.append(list(ids)) or len(ids))
    return batches


def test_a_request_enqueues_only_the_mail_it_queued(app, enqueued):
    staff = Staff()
    partner = make_partner(username="p")
    req = make_request(partner, Status.ASSIGNED, staff)
    for n in range(25):  # due rows of earlier requests: left to the sweep
        queue_mail(f"old{n}@test.example", "old", "body")
    db.session.commit()
    flush_outbox()  # (the test's own context: as a job would after its commit)
    enqueued.clear()
    before = {row_id for (row_id,) in db.session.query(OutboxMessage.id)}
    manager = as_user(app, staff.manager)
    post(manager, f"/desk/{req.id}/message", {"body": "Пришлите план"})
    new = {row_id for (row_id,) in db.session.query(OutboxMessage.id)} - before
    assert len(new) == 1 and enqueued == [sorted(new)]


def test_rolled_back_mail_is_never_enqueued(app, enqueued):
    queue_mail("gone@test.example", "s", "b")
    db.session.flush()
    db.session.rollback()
    assert flush_outbox() == 0 and enqueued == []


def test_a_send_claims_only_a_due_row(app, mailbox):
    message = queue_mail("later@test.example", "s", "b")
    message.next_attempt_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert send_outbox_message(message.id) == "skipped"
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts, row.claimed_at) == ("pending", 0, None)
    assert mailbox.messages == []


def test_backoff_grows_from_a_minute_to_hours_and_is_capped():
    waits = [backoff(n) for n in range(1, MAX_ATTEMPTS + 3)]
    assert waits[0] == timedelta(minutes=1)
    assert waits == sorted(waits) and waits[-1] == timedelta(hours=6)
    assert sum(waits[:MAX_ATTEMPTS - 1], timedelta()) > timedelta(hours=12)


def test_every_attempt_carries_the_same_message_id(app, mailbox):
    message = queue_mail("twice@test.example", "s", "b")
    db.session.commit()
    send_outbox_message(message.id)
    db.session.get(OutboxMessage, message.id).status = "pending"  # as if re-queued
    db.session.commit()
    send_outbox_message(message.id)
    first, second = mailbox.to("twice@test.example")
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<outbox-{message.id}.")


def test_one_time_passwords_are_erased_from_the_outbox_once_sent(app, mailbox, jobs):
    owner = make_partner(username="owner")
    client = as_user(app, owner)
    post(client, "/cabinet/team", {"first_name": "Ivan", "last_name": "Petrov",
                                   "email": "ivan@test.example"})
    jobs.run()
    row = db.session.query(OutboxMessage).filter_by(recipient="ivan@test.example").one()
    db.session.refresh(row)
    assert row.sensitive is True and row.status == "sent" and row.body == REMOVED_BODY
    (mail,) = mailbox.to("ivan@test.example")
    assert "ivan" in mailbox.text(mail)  # the password reached the member, not the table


def test_a_failed_sensitive_body_stays_until_sent(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens
    message = queue_mail("x@test.example", "s", "secret 123", sensitive=True)
    db.session.commit()
    assert send_outbox_message(message.id) == "retry"
    assert db.session.get(OutboxMessage, message.id).body == "secret 123"


def test_enqueueing_uses_short_timeouts_and_no_retries(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6399/0")
    monkeypatch.setitem(app.config, "REDIS_ENQUEUE_TIMEOUT", 0.3)
    options = jobs_module.enqueue_connection().connection_pool.connection_kwargs
    assert options["socket_timeout"] == 0.3 and options["socket_connect_timeout"] == 0.3
    assert options["retry"].get_retries() == 0


def test_enqueue_errors_never_reach_the_caller(app, monkeypatch):
    def broken(func, ids, **kw):
        raise ConnectionError("redis hung")
    monkeypatch.setattr(jobs_module, "enqueue_each", broken)
    message = queue_mail("y@test.example", "s", "b")
    db.session.commit()
    assert enqueue_sends([message.id]) == 0
    assert db.session.get(OutboxMessage, message.id).status == "pending"


def test_outbox_page_is_for_admins_filters_and_never_shows_bodies(app):
    sent = queue_mail("a@test.example", "Hello A", "body A")
    failed = queue_mail("b@test.example", "Hello B", "body B")
    db.session.commit()
    sent.status, failed.status, failed.last_error = "sent", "failed", "550 mailbox full"
    db.session.commit()
    admin = as_user(app, make_user("Admin", username="boss"))
    page = admin.get("/jobs/outbox/?status=failed").get_data(as_text=True)
    assert "Hello B" in page and "550 mailbox full" in page and "Hello A" not in page
    assert "body B" not in page and f'data-retry="{failed.id}"' in page
    everything = admin.get("/jobs/outbox/?status=nonsense&before=99999999999")
    assert everything.status_code == 200
    assert "/jobs/outbox/" in admin.get("/jobs/").get_data(as_text=True)
    for role in ("Director", "Supermanager", "Manager", "Engineer"):
        other = as_user(app, make_user(role))
        refused = other.get("/jobs/outbox/")
        assert refused.status_code == 403 and "Hello B" not in refused.get_data(as_text=True)
        post(other, f"/jobs/outbox/{failed.id}/retry")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, failed.id).status == "failed"


def test_retry_now_needs_csrf_and_an_existing_row(app, enqueued):
    message = queue_mail("c@test.example", "s", "b")
    db.session.commit()
    message.status = "failed"
    db.session.commit()
    admin = as_user(app, make_user("Admin", username="boss"))
    assert admin.post(f"/jobs/outbox/{message.id}/retry").status_code == 400
    assert db.session.get(OutboxMessage, message.id).status == "failed"
    assert post(admin, "/jobs/outbox/999999/retry").status_code == 404
    assert post(admin, f"/jobs/outbox/{message.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "pending"
    assert enqueued == [[message.id]]


def test_jobs_page_answers_while_redis_hangs(app, monkeypatch):
    from tests.jobs.servers import HungServer

    hung = HungServer()
    monkeypatch.setitem(app.config, "REDIS_URL", hung.url)
    admin = as_user(app, make_user("Admin", username="boss"))
    try:
        response = admin.get("/jobs/")
    finally:
        hung.stop()
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Redis не отвечает" in page or "Redis does not answer" in page  # before the merge
    assert len(hung.accepted) <= 1


def test_failed_rows_give_up_after_three_days_and_lose_their_secrets(app, enqueued):
    from app.periodic import sweep_outbox

    old = queue_mail("old@test.example", "s", "password 123", sensitive=True)
    db.session.commit()
    old.status, old.created_at = "failed", utcnow() - timedelta(days=4)
    old.next_attempt_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    sweep_outbox()
    db.session.expire_all()
    row = db.session.get(OutboxMessage, old.id)
    assert (row.status, row.body) == ("failed", REMOVED_BODY) and enqueued == []
