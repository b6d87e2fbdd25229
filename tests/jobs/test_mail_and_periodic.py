"""E-mail is never lost (outbox, SMTP or Redis down), periodic jobs happen once."""

from datetime import timedelta


from app.extensions import db
from app.mail import flush_outbox, queue_mail, send_outbox_message
from app.periodic import (auto_close_delivered, send_director_digest, send_sla_reminders,
                          sweep_outbox)
from app.workflow import transition
from models.base import utcnow
from models.notifications import Notification
from models.outbox import OutboxMessage
from models.request_status import Status
from models.requests import Request
from tests.factories import login, make_partner, make_request, make_user, post



def test_smtp_down_the_change_succeeds_and_the_mail_goes_out_later_once(app, staff, mailbox,
                                                                       jobs, monkeypatch):
    partner = make_partner(username="p")
    req = make_request(partner, Status.ASSIGNED, staff)
    db.session.query(OutboxMessage).delete()  # earlier notices are not what this is about
    db.session.commit()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    c = app.test_client()
    login(c, staff.manager.username)
    post(c, f"/desk/{req.id}/move/ask_info", {"version": req.version, "comment": "Нужен план"})
    jobs.run()
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.NEEDS_INFO
    row = db.session.query(OutboxMessage).filter_by(recipient=partner.email).one()
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    app.config["MAIL_PORT"] = port  # the SMTP server is back
    row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the backoff has passed
    db.session.commit()
    sweep_outbox()
    jobs.run()
    sweep_outbox()  # a second sweep must not send it again
    jobs.run()
    assert len(mailbox.to(partner.email)) == 1
    db.session.expire_all()
    assert db.session.query(OutboxMessage).filter_by(recipient=partner.email).one().status \
        == "sent"


def test_a_send_job_running_twice_sends_once(app, mailbox):
    message = queue_mail("x@test.example", "Тема", "Текст")
    db.session.commit()
    assert send_outbox_message(message.id) == "sent"
    assert send_outbox_message(message.id) == "skipped"
    assert len(mailbox.messages) == 1


def test_worker_killed_mid_send_is_resent_once_by_the_sweep(app, mailbox, jobs):
    message = queue_mail("y@test.example", "Тема", "Текст")
    db.session.commit()
    message.status, message.claimed_at = "sending", utcnow() - timedelta(minutes=11)
    db.session.commit()  # as if a worker claimed it and died before sending
    sweep_outbox()
    jobs.run()
    sweep_outbox()
    jobs.run()
    assert len(mailbox.to("y@test.example")) == 1


def test_redis_down_the_change_succeeds_and_mail_waits_for_the_sweep(app, staff, mailbox,
                                                                    monkeypatch):
    partner = make_partner(username="p")
    req = make_request(partner, Status.ASSIGNED, staff)
    db.session.query(OutboxMessage).delete()
    db.session.commit()
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # unreachable
    c = app.test_client()
    login(c, staff.manager.username)
    response = post(c, f"/desk/{req.id}/move/ask_info", {"version": req.version,
                                                         "comment": "Нужен план"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.NEEDS_INFO
    assert db.session.query(OutboxMessage).filter_by(recipient=partner.email,
                                                     status="pending").count() == 1
    assert mailbox.to(partner.email) == []
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # Redis is back (inline here)
    sweep_outbox()
    assert len(mailbox.to(partner.email)) == 1


def test_sla_alert_once_per_breach(app, staff):
    partner = make_partner()
    req = make_request(partner, Status.ASSIGNED, staff)
    req.status_changed_at = utcnow() - timedelta(days=3)
    db.session.commit()

    def alerts():
        return db.session.query(Notification).filter_by(kind="sla").count()
    assert send_sla_reminders() == 1
    assert alerts() == 2  # the manager and the supermanager
    assert send_sla_reminders() == 0 and alerts() == 2
    transition(req, "ask_info", staff.manager, "?")
    db.session.commit()
    req.status_changed_at = utcnow() - timedelta(days=5)
    db.session.commit()
    assert send_sla_reminders() == 1  # a new breach in another status


def test_auto_close_after_the_configured_days(app, staff):
    partner = make_partner()
    fresh = make_request(partner, Status.DELIVERED, staff)
    old = make_request(partner, Status.DELIVERED, staff)
    old.status_changed_at = utcnow() - timedelta(days=30)
    db.session.commit()
    assert auto_close_delivered() == 1
    db.session.expire_all()
    assert db.session.get(Request, old.id).status == Status.CLOSED
    assert db.session.get(Request, fresh.id).status == Status.DELIVERED
    last = sorted(db.session.get(Request, old.id).history, key=lambda h: h.id)[-1]
    assert last.actor_id is None and "автоматически" in last.comment
    assert auto_close_delivered() == 0


def test_daily_digest_once_a_day(app, staff, mailbox, jobs):
    director = make_user("Director", username="dir")
    make_request(make_partner(), Status.SUBMITTED, staff)
    today = utcnow().date()
    assert send_director_digest(today) == 1
    assert send_director_digest(today) == 0
    jobs.run()
    (mail,) = mailbox.to(director.email)
    assert "Новых заявок: 1" in mailbox.text(mail)


def test_cli_runs_each_job(app):
    runner = app.test_cli_runner()
    for name in ("sla", "digest", "auto-close", "cleanup-exports", "sweep-outbox",
                 "cleanup-form-nonces"):
        result = runner.invoke(args=["replan", "run", name])
        assert result.exit_code == 0 and result.output.startswith(name)
    assert runner.invoke(args=["replan", "run", "nope"]).exit_code != 0


def always_fails(label):
    raise ValueError(f"broken {label}")


def test_failing_job_is_retried_a_bounded_number_of_times_then_shown(app, rq_backend,
                                                                     monkeypatch):
    from app.jobs import enqueue

    monkeypatch.setitem(app.config, "JOB_RETRY_INTERVALS", [0, 0])
    job = enqueue(always_fails, "x", retries=2)
    for _ in range(3):
        rq_backend.work()
    assert job.get_status(refresh=True) == "failed"
    job.refresh()
    assert job.retries_left == 0
    admin = app.test_client()
    make_user("Admin", username="boss")
    login(admin, "boss")
    page = admin.get("/jobs/").get_data(as_text=True)
    assert "always_fails" in page and "broken x" in page


def test_flush_survives_a_redis_outage(app, monkeypatch):
    queue_mail("z@test.example", "s", "b")
    db.session.commit()
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    assert flush_outbox() == 0  # attempted once, logged, left pending for the sweep
    assert db.session.query(OutboxMessage).one().status == "pending"
