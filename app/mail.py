"""E-mail through an outbox: queue in the caller's transaction, send after commit.

queue_mail() adds an OutboxMessage; the handler commits and calls flush_outbox(), which
enqueues one send job per pending row. send_outbox_message() claims its row atomically, so a
row is sent at most once even if the job runs twice.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, g, has_request_context
from sqlalchemy import update

from app.extensions import db
from models.base import utcnow
from models.outbox import (MAIL_FAILED, MAIL_PENDING, MAIL_SENDING, MAIL_SENT,
                           OutboxMessage)

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6


def queue_mail(recipient: str, subject: str, body: str, kind: str = "notice") -> OutboxMessage:
    """Add an e-mail to the outbox (committed together with the caller's change)."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, kind=kind,
                            next_attempt_at=utcnow())
    db.session.add(message)
    if has_request_context():
        g.mail_queued = True
    return message


def install_outbox_flush(app) -> None:
    """After a request that queued mail, hand the committed rows to the job helper."""

    @app.after_request
    def _flush_after_request(response):
        if g.pop("mail_queued", False):
            db.session.rollback()  # only what the view committed goes out
            flush_outbox()
        return response


def flush_outbox() -> int:
    """After a commit: hand every due pending e-mail to the job helper."""
    from app.jobs import enqueue

    due = [row_id for (row_id,) in db.session.query(OutboxMessage.id).filter(
        OutboxMessage.status == MAIL_PENDING, OutboxMessage.next_attempt_at <= utcnow())]
    for row_id in due:
        try:
            enqueue(send_outbox_message, row_id, retries=0)
        except Exception:  # Redis down: the periodic sweep sends it later
            log.warning("could not enqueue outbox message %s", row_id, exc_info=True)
    return len(due)


def send_outbox_message(message_id: int) -> str:
    """Send one outbox row if nobody else has; on failure schedule a retry with backoff."""
    claimed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id,
                                    OutboxMessage.status == MAIL_PENDING)
        .values(status=MAIL_SENDING, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    message = db.session.get(OutboxMessage, message_id)
    try:
        _deliver(message)
    except (OSError, smtplib.SMTPException) as exc:
        message.status = MAIL_FAILED if message.attempts >= MAX_ATTEMPTS else MAIL_PENDING
        message.last_error = str(exc)[:1000]
        message.next_attempt_at = utcnow() + timedelta(minutes=2 ** message.attempts)
        db.session.commit()
        return "retry"
    message.status, message.sent_at, message.last_error = MAIL_SENT, utcnow(), None
    db.session.commit()
    return "sent"


def _deliver(message: OutboxMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_ENABLED"):
        log.info("MAIL_ENABLED is off; e-mail to %s: %s\n%s", message.recipient,
                 message.subject, message.body)
        return
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = f"<outbox-{message.id}@replan>"
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
