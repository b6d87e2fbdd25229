"""E-mail through an outbox: queue in the caller's transaction, send after commit.

queue_mail() adds an OutboxMessage and remembers it for this request (or job); after the
commit flush_outbox() enqueues a send job for exactly those rows, in one bounded attempt.
Everything else (retries after a backoff, rows whose enqueue failed, stuck sends, failed
rows once the mail server is back) is the periodic sweep's work (app.periodic).

send_outbox_message() claims its row with one UPDATE (pending, due, not claimed), so a row is
sent by one job at a time; every delivery carries a stable Message-ID, so the rare repeat
after a crash mid-send is recognisable. Sensitive bodies are erased once sent.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from flask import current_app, g, has_app_context
from markupsafe import Markup, escape
from sqlalchemy import inspect, or_, update

from app import jobs
from app.extensions import db
from models.base import utcnow
from models.outbox import MAIL_FAILED, MAIL_PENDING, MAIL_SENDING, MAIL_SENT, OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8  # about 16 hours of backoff, then `failed` (still retried for days)
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360)  # after the 1st, 2nd, ... failure; then the last
FAILED_RETRY_EVERY = timedelta(hours=3)
FAILED_RETRY_FOR = timedelta(days=3)
STUCK_AFTER = timedelta(minutes=10)  # a send claimed this long ago died with its worker
ENQUEUE_BATCH = 500
REMOVED_BODY = "[removed after sending]"
_QUEUED = "outbox_queued"


def queue_mail(recipient: str, subject: str, body: str, kind: str = "notice",
               sensitive: bool = False) -> OutboxMessage:
    """Add an e-mail to the outbox (committed with the caller's change).

    `sensitive` bodies (one-time passwords, reset links) are erased once sent.
    """
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, kind=kind,
                            sensitive=sensitive, next_attempt_at=utcnow())
    db.session.add(message)
    if has_app_context():
        g.setdefault(_QUEUED, []).append(message)
    return message


def install_outbox_flush(app) -> None:
    """After a request that queued mail, enqueue the rows it committed (never raises)."""

    @app.after_request
    def _flush_after_request(response):
        if g.get(_QUEUED):
            try:
                db.session.rollback()  # only what the view committed goes out
                flush_outbox()
            except Exception:  # the sweep sends it later; the user's change is saved
                log.warning("outbox flush after the request failed", exc_info=True)
        return response


def flush_outbox() -> int:
    """After a commit: enqueue the e-mails queued in this request or job, nothing else."""
    rows = g.pop(_QUEUED, []) if has_app_context() else []
    committed = [inspect(row).identity for row in rows]
    return enqueue_sends([identity[0] for identity in committed if identity])


def enqueue_sends(message_ids: list[int]) -> int:
    """One bounded attempt to enqueue send jobs; on a Redis error the sweep catches up."""
    message_ids = list(message_ids)[:ENQUEUE_BATCH]
    if not message_ids:
        return 0
    try:
        return jobs.enqueue_each(send_outbox_message, message_ids)  # via the module: tests swap it
    except Exception:  # Redis down or hung: rows stay pending for the sweep
        db.session.rollback()
        log.warning("could not enqueue %s outbox message(s)", len(message_ids), exc_info=True)
        return 0


def due_message_ids(limit: int = ENQUEUE_BATCH) -> list[int]:
    """Pending rows whose next attempt is due, oldest first (for the sweep)."""
    return [row_id for (row_id,) in db.session.query(OutboxMessage.id).filter(
        OutboxMessage.status == MAIL_PENDING,
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= utcnow()),
    ).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)]


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: minutes at first, then hours."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return timedelta(minutes=BACKOFF_MINUTES[index])


def send_outbox_message(message_id: int) -> str:
    """Send one due outbox row if this job claims it; on failure schedule a later retry."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.status == MAIL_PENDING,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .values(status=MAIL_SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    _commit_step()
    if not claimed:
        return "skipped"
    message = db.session.get(OutboxMessage, message_id)
    try:
        _deliver(message)
    except Exception as exc:  # SMTP down, refused, or a message it cannot take: back off
        _record_failure(message, now, str(exc) or type(exc).__name__)
        return "retry"
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status=MAIL_SENT, sent_at=utcnow(), last_error=None,
        body=REMOVED_BODY if message.sensitive else message.body))
    _commit_step()
    return "sent"


def _record_failure(message: OutboxMessage, claimed_at, error: str) -> None:
    """Back off (or give up for now) unless the row was re-queued meanwhile."""
    db.session.rollback()  # whatever the failed send left half done
    failed = message.attempts >= MAX_ATTEMPTS
    wait = FAILED_RETRY_EVERY if failed else backoff(message.attempts)
    db.session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message.id, OutboxMessage.status == MAIL_SENDING,
        OutboxMessage.claimed_at == claimed_at).values(
        status=MAIL_FAILED if failed else MAIL_PENDING, last_error=error[:1000],
        next_attempt_at=utcnow() + wait))
    _commit_step()
    log.warning("e-mail %s not sent (attempt %s): %s", message.id, message.attempts, error)


def retry_now(message_id: int) -> bool:
    """Admin's "Retry now": a failed or waiting row becomes due and is enqueued."""
    changed = db.session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id,
        OutboxMessage.status.in_((MAIL_FAILED, MAIL_PENDING))).values(
        status=MAIL_PENDING, next_attempt_at=utcnow())).rowcount
    _commit_step()
    if changed:
        enqueue_sends([message_id])
    return bool(changed)


def requeue_stuck() -> int:
    """Sends claimed more than STUCK_AFTER ago died with their worker: make them due again."""
    cutoff = utcnow() - STUCK_AFTER
    started = OutboxMessage.claimed_at
    count = db.session.query(OutboxMessage).filter(
        OutboxMessage.status == MAIL_SENDING,
        or_(started < cutoff, started.is_(None) & (OutboxMessage.created_at < cutoff)),
    ).update({OutboxMessage.status: MAIL_PENDING, OutboxMessage.next_attempt_at: utcnow()},
             synchronize_session=False)
    _commit_step()
    return count


def requeue_failed() -> int:
    """Failed rows of the last days get another try: all of them once SMTP answers again,
    otherwise each one every FAILED_RETRY_EVERY."""
    recent = db.session.query(OutboxMessage).filter(
        OutboxMessage.status == MAIL_FAILED,
        OutboxMessage.created_at >= utcnow() - FAILED_RETRY_FOR)
    count = 0
    if recent.first() is not None:
        if not smtp_reachable():
            recent = recent.filter(OutboxMessage.next_attempt_at <= utcnow())
        count = recent.update({OutboxMessage.status: MAIL_PENDING,
                               OutboxMessage.next_attempt_at: utcnow()},
                              synchronize_session=False)
    db.session.execute(update(OutboxMessage).where(  # never retried again: drop secrets
        OutboxMessage.status == MAIL_FAILED, OutboxMessage.sensitive.is_(True),
        OutboxMessage.created_at < utcnow() - FAILED_RETRY_FOR).values(body=REMOVED_BODY))
    _commit_step()
    return count


def smtp_reachable() -> bool:
    """Does the mail server answer (connect + NOOP)? True when sending is switched off."""
    config = current_app.config
    if not config.get("MAIL_ENABLED"):
        return True
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=5) as smtp:
            return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def message_id_header(message: OutboxMessage) -> str:
    """The same Message-ID on every attempt: a repeat delivery is recognisable."""
    domain = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2]
    stamp = message.created_at.strftime("%Y%m%d%H%M%S") if message.created_at else "0"
    return f"<outbox-{message.id}.{stamp}@{domain or 'replan'}>"


def _deliver(message: OutboxMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_ENABLED"):
        shown = message.body if config.get("ENV_NAME") == "development" or \
            not message.sensitive else "(sensitive: not logged)"
        log.info("MAIL_ENABLED is off; e-mail to %s: %s\n%s", message.recipient,
                 message.subject, shown)
        return
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message_id_header(message)
    email.set_content(message.body)
    email.add_alternative(html_body(message.body), subtype="html")
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


_URL = re.compile(r"https?://[^\s<>\"']+")


def html_body(text: str) -> str:
    """The HTML part of an e-mail: the plain text escaped, paragraphs kept, addresses as
    links (nothing in the text is ever taken as markup)."""
    paragraphs = []
    for paragraph in (text or "").strip().split("\n\n"):
        pieces, last = [], 0
        for found in _URL.finditer(paragraph):
            pieces.append(escape(paragraph[last:found.start()]))
            pieces.append(Markup('<a href="{0}">{0}</a>').format(found.group(0)))
            last = found.end()
        pieces.append(escape(paragraph[last:]))
        joined = Markup("").join(pieces).replace("\n", Markup("<br>\n"))
        paragraphs.append(Markup("<p>{}</p>").format(joined))
    return str(Markup('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
                      '<body style="font-family: sans-serif">\n{}\n</body></html>\n')
               .format(Markup("\n").join(paragraphs)))


def _commit_step() -> None:
    """Commit one step of the outbox's own state machine (claim, sent, retry, failed).

    Not app.uow.commit(): app.uow hands queued mail over through this module, and a step
    of the outbox queues no mail and no job, so there is nothing to hand over.
    """
    db.session.commit()
