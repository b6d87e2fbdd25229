"""The bot's outbox: queue a message in the caller's transaction, send it by a job.

Works like the e-mail outbox (app.mail): `queue_telegram` adds a row and, after the commit,
enqueues its send job; `send_telegram_message` claims the row with one UPDATE, calls the Bot
API's sendMessage and records the outcome. A failure backs off (app.mail.backoff) and is
retried by the periodic sweep; a 403 ("bot was blocked by the user", "user is deactivated")
or "chat not found" unlinks the chat and drops what is still waiting for it. The Bot API's
address is TELEGRAM_API_BASE, so tests talk to a real HTTP server on loopback.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

from flask import current_app
from sqlalchemy import inspect, or_, update

from app import jobs
from app.extensions import db
from app.mail import backoff
from app.uow import after_commit
from models.base import utcnow
from models.telegram import (TG_DROPPED, TG_FAILED, TG_PENDING, TG_SENDING, TG_SENT,
                             UNLINK_BLOCKED, TelegramChat, TelegramLinkToken, TelegramMessage)

log = logging.getLogger(__name__)
TEXT_LIMIT = 4096  # Telegram's limit for one message
MAX_ATTEMPTS = 8  # about 16 hours of backoff, then `failed`
STUCK_AFTER = timedelta(minutes=10)
KEEP_LINK_TOKENS = timedelta(days=1)  # after expiry: a late /start still gets "expired"
BATCH = 500
TIMEOUT = 10  # seconds for one Bot API call


class BotApiError(Exception):
    """The Bot API refused or could not be reached; `code` is its error_code (0: no answer)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(f"{code} {description}".strip())
        self.code, self.description, self.retry_after = code, description, retry_after

    @property
    def chat_gone(self) -> bool:
        """The chat can never receive from the bot again (blocked, deleted, not found)."""
        return self.code == 403 or (self.code == 400 and "chat not found" in
                                    self.description.lower())


def bot_api(method: str, payload: dict, timeout: float = TIMEOUT) -> dict:
    """Call a Bot API method with a JSON body; its `result`, or BotApiError."""
    config = current_app.config
    token = config.get("TELEGRAM_BOT_TOKEN")
    if not token:
        raise BotApiError(0, "TELEGRAM_BOT_TOKEN is not set")
    url = f"{config['TELEGRAM_API_BASE']}/bot{token}/{method}"
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = _json(response.read())
    except urllib.error.HTTPError as error:
        answer = _json(error.read()) or {"error_code": error.code}
        answer.setdefault("error_code", error.code)
    except (OSError, ValueError) as error:  # refused, timed out, DNS: no answer at all
        raise BotApiError(0, _scrub(str(error) or type(error).__name__)) from None
    if not answer.get("ok"):
        retry = (answer.get("parameters") or {}).get("retry_after")
        raise BotApiError(int(answer.get("error_code") or 0),
                          _scrub(str(answer.get("description") or "")),
                          int(retry) if isinstance(retry, int) else None)
    return answer.get("result")


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _scrub(text: str) -> str:
    """Never store or log the bot token (it is part of every Bot API address)."""
    token = current_app.config.get("TELEGRAM_BOT_TOKEN")
    return text.replace(token, "***") if token else text


def queue_telegram(chat_id: int, text: str, user_id: int | None = None,
                   kind: str = "notice") -> TelegramMessage:
    """Add a bot message to the outbox (committed with the caller's change); its send job is
    enqueued after the commit, and the periodic sweep catches up on anything missed."""
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT - 1] + "…"
    message = TelegramMessage(chat_id=chat_id, user_id=user_id, kind=kind, text=text,
                              next_attempt_at=utcnow())
    db.session.add(message)
    after_commit(_enqueue_committed, message)
    return message


def _enqueue_committed(message: TelegramMessage) -> None:
    identity = inspect(message).identity
    if identity:
        enqueue_telegram_sends([identity[0]])


def enqueue_telegram_sends(message_ids: list[int]) -> int:
    """One bounded attempt to enqueue send jobs; on a Redis error the sweep catches up."""
    message_ids = list(message_ids)[:BATCH]
    if not message_ids:
        return 0
    try:
        return jobs.enqueue_each(send_telegram_message, message_ids)
    except Exception:  # Redis down or hung: rows stay pending for the sweep
        db.session.rollback()
        log.warning("could not enqueue %s Telegram message(s)", len(message_ids),
                    exc_info=True)
        return 0


def send_telegram_message(message_id: int) -> str:
    """Send one due outbox row if this job claims it; on failure schedule a later retry."""
    now = utcnow()
    claimed = db.session.execute(update(TelegramMessage).where(
        TelegramMessage.id == message_id, TelegramMessage.status == TG_PENDING,
        or_(TelegramMessage.next_attempt_at.is_(None), TelegramMessage.next_attempt_at <= now))
        .values(status=TG_SENDING, claimed_at=now, attempts=TelegramMessage.attempts + 1)
    ).rowcount
    _commit_step()
    if not claimed:
        return "skipped"
    message = db.session.get(TelegramMessage, message_id)
    if message.user_id is not None and not _still_linked(message):
        _finish(message, TG_DROPPED, "the chat is no longer linked")
        return "dropped"
    try:
        bot_api("sendMessage", {"chat_id": message.chat_id, "text": message.text,
                                "link_preview_options": {"is_disabled": True}})
    except BotApiError as error:
        return _record_failure(message, now, error)
    _finish(message, TG_SENT, None)
    return "sent"


def _still_linked(message: TelegramMessage) -> bool:
    return db.session.query(TelegramChat.id).filter_by(
        user_id=message.user_id, chat_id=message.chat_id, unlinked_at=None).first() is not None


def _finish(message: TelegramMessage, status: str, error: str | None) -> None:
    db.session.execute(update(TelegramMessage).where(TelegramMessage.id == message.id).values(
        status=status, last_error=error, sent_at=utcnow() if status == TG_SENT else None))
    _commit_step()


def _record_failure(message: TelegramMessage, claimed_at, error: BotApiError) -> str:
    """A gone chat is unlinked; anything else backs off unless the row was re-queued."""
    db.session.rollback()
    text = str(error)[:1000]
    if error.chat_gone:
        unlinked = db.session.execute(update(TelegramChat).where(
            TelegramChat.chat_id == message.chat_id, TelegramChat.unlinked_at.is_(None))
            .values(unlinked_at=utcnow(), unlink_reason=UNLINK_BLOCKED)).rowcount
        db.session.execute(update(TelegramMessage).where(
            TelegramMessage.chat_id == message.chat_id,
            TelegramMessage.status.in_((TG_PENDING, TG_FAILED)) | (
                TelegramMessage.id == message.id)).values(status=TG_DROPPED, last_error=text))
        _commit_step()
        log.info("Telegram chat gone (%s link(s) ended): %s", unlinked, text)
        return "unlinked"
    failed = message.attempts >= MAX_ATTEMPTS or error.code in (400, 401, 404)
    wait = timedelta(seconds=error.retry_after) if error.retry_after else \
        backoff(message.attempts)
    db.session.execute(update(TelegramMessage).where(
        TelegramMessage.id == message.id, TelegramMessage.status == TG_SENDING,
        TelegramMessage.claimed_at == claimed_at).values(
        status=TG_FAILED if failed else TG_PENDING, last_error=text,
        next_attempt_at=utcnow() + wait))
    _commit_step()
    log.warning("Telegram message %s not sent (attempt %s): %s", message.id,
                message.attempts, text)
    return "failed" if failed else "retry"


def sweep_telegram() -> int:
    """Periodic: sends claimed long ago died with their worker (make them due again), link
    tokens expired a day ago are deleted, then every due pending row is enqueued."""
    cutoff = utcnow() - STUCK_AFTER
    db.session.query(TelegramLinkToken).filter(
        TelegramLinkToken.expires_at < utcnow() - KEEP_LINK_TOKENS).delete(
        synchronize_session=False)
    db.session.query(TelegramMessage).filter(
        TelegramMessage.status == TG_SENDING, TelegramMessage.claimed_at < cutoff,
    ).update({TelegramMessage.status: TG_PENDING, TelegramMessage.next_attempt_at: utcnow()},
             synchronize_session=False)
    _commit_step()
    due = [row_id for (row_id,) in db.session.query(TelegramMessage.id).filter(
        TelegramMessage.status == TG_PENDING,
        or_(TelegramMessage.next_attempt_at.is_(None),
            TelegramMessage.next_attempt_at <= utcnow()),
    ).order_by(TelegramMessage.next_attempt_at, TelegramMessage.id).limit(BATCH)]
    return enqueue_telegram_sends(due)


def set_webhook(url: str) -> dict:
    """Register the bot's webhook (setWebhook) with the secret token header."""
    secret = current_app.config.get("TELEGRAM_WEBHOOK_SECRET")
    if not secret:
        raise BotApiError(0, "TELEGRAM_WEBHOOK_SECRET is not set")
    target = f"{url.rstrip('/')}/telegram/webhook/{secret}"
    return bot_api("setWebhook", {"url": target, "secret_token": secret,
                                  "allowed_updates": ["message"],
                                  "drop_pending_updates": True})


def _commit_step() -> None:
    """Commit one step of the outbox's own state machine (claim, sent, retry, dropped);
    like app.mail's, it queues nothing, so there is nothing to hand over."""
    db.session.commit()
