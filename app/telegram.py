"""Telegram: linking a user's chat with the bot, the Telegram switches, the bot's outbox.

A user links Telegram from the profile: `create_link_token` makes a one-time token (15
minutes, stored as SHA-256) for the deep link https://t.me/<bot>?start=<token>; the bot's
webhook (app.telegram_webhook) receives "/start <token>" and `link_chat` links that chat.
Notifications reach the chat per the user's Telegram switches (UserProfile.notify_prefs keys
"telegram:<kind>"; until set, a kind follows its e-mail switch): app.notifications puts the
e-mail's rendered text into the bot's outbox with `queue_telegram`, in the caller's
transaction; the send job (app.telegram_outbox) leaves after the commit. Without
TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_USERNAME the feature is off and nothing is queued.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import quote

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy import update

from app.audit import record
from app.errors import NotFound
from app.extensions import db
from models.base import utcnow
from models.telegram import (UNLINK_BY_USER, UNLINK_RELINKED, UNLINK_STOP, TelegramChat,
                             TelegramLinkToken)

LINK_TOKEN_MINUTES = 15
PREF_PREFIX = "telegram:"
# what link_chat found
LINKED, ALREADY, EXPIRED, USED, UNKNOWN = "linked", "already", "expired", "used", "unknown"


def enabled() -> bool:
    """Is the bot configured (token and username)? Otherwise Telegram is hidden."""
    config = current_app.config
    return bool(config.get("TELEGRAM_BOT_TOKEN") and config.get("TELEGRAM_BOT_USERNAME"))


def pref_key(kind: str) -> str:
    return PREF_PREFIX + kind


def wants_telegram(user, kind: str, default: bool) -> bool:
    """The user's Telegram switch for this kind; `default` (the e-mail switch) until set."""
    profile = getattr(user, "profile", None)
    prefs = (profile.notify_prefs if profile is not None else None) or {}
    return bool(prefs.get(pref_key(kind), default))


def active_chat(user) -> TelegramChat | None:
    """The user's linked chat, if any."""
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.query(TelegramChat).filter_by(user_id=user.id, unlinked_at=None) \
        .order_by(TelegramChat.id.desc()).first()


def chat_for(user, kind: str, default: bool) -> int | None:
    """The chat a notification of `kind` goes to, or None (off, not linked, switched off)."""
    if not enabled() or not wants_telegram(user, kind, default):
        return None
    chat = active_chat(user)
    return chat.chat_id if chat is not None else None



def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def deep_link(raw: str) -> str:
    """https://t.me/<bot>?start=<token>: opens the bot, which receives "/start <token>"."""
    bot = current_app.config["TELEGRAM_BOT_USERNAME"]
    return f"https://t.me/{quote(bot)}?start={quote(raw)}"


def create_link_token(user) -> tuple[str, TelegramLinkToken]:
    """A fresh one-time link token for the user (the caller commits); (raw, row)."""
    if not enabled():
        raise NotFound()
    raw = secrets.token_urlsafe(32)  # 43 characters of [A-Za-z0-9_-]: a valid start param
    row = TelegramLinkToken(user_id=user.id, token_hash=_digest(raw),
                            expires_at=utcnow() + timedelta(minutes=LINK_TOKEN_MINUTES))
    db.session.add(row)
    record("telegram_link_started", user, user)
    return raw, row


def unlink_user(user, reason: str = UNLINK_BY_USER) -> int:
    """End the user's active link(s); how many (the caller commits)."""
    if not enabled():
        raise NotFound()
    count = _end_links(TelegramChat.user_id == user.id, reason)
    if count:
        record("telegram_unlinked", user, user)
    return count


def unlink_chat(chat_id: int, reason: str) -> int:
    """End every active link of a chat (/stop, the bot blocked); how many (caller commits)."""
    return _end_links(TelegramChat.chat_id == chat_id, reason)


def _end_links(condition, reason: str) -> int:
    return db.session.execute(update(TelegramChat).where(
        condition, TelegramChat.unlinked_at.is_(None)).values(
        unlinked_at=utcnow(), unlink_reason=reason)).rowcount


def link_chat(raw: str, chat_id: int, chat_name: str | None):
    """Use a link token from "/start <token>": (outcome, user). Linked only when the token
    is known, unexpired, unused and its user active; the claim is one UPDATE, so a token
    works once even when two updates race. The caller commits."""
    row = db.session.query(TelegramLinkToken).filter_by(token_hash=_digest(raw)).first() \
        if raw else None
    user = db.session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        return UNKNOWN, None
    if row.used_at is not None:
        chat = active_chat(user)
        same = row.used_by_chat == chat_id and chat is not None and chat.chat_id == chat_id
        return (ALREADY if same else USED), user
    if row.expires_at <= utcnow():
        return EXPIRED, user
    claimed = db.session.execute(update(TelegramLinkToken).where(
        TelegramLinkToken.id == row.id, TelegramLinkToken.used_at.is_(None)).values(
        used_at=utcnow(), used_by_chat=chat_id)).rowcount
    if not claimed:
        return USED, user
    _end_links(TelegramChat.user_id == user.id, UNLINK_RELINKED)  # one chat per user
    db.session.add(TelegramChat(user_id=user.id, chat_id=chat_id,
                                chat_name=(chat_name or "")[:100] or None))
    record("telegram_linked", user, user)
    return LINKED, user


def stop_chat(chat_id: int) -> int:
    """/stop: the chat hears nothing more; how many links ended (the caller commits)."""
    return unlink_chat(chat_id, UNLINK_STOP)


def reply_text(outcome: str) -> str:
    """The bot's answer to a /start (in the current locale)."""
    return {
        LINKED: _("Telegram is linked to %(brand)s: notifications will come here. "
                  "Send /stop to unlink."),
        ALREADY: _("This chat is already linked to %(brand)s."),
        EXPIRED: _("The link has expired. Open your %(brand)s profile and press "
                   "“Link Telegram” again."),
        USED: _("The link was already used. Open your %(brand)s profile and press "
                "“Link Telegram” again."),
    }.get(outcome, _("The link is not valid. Open your %(brand)s profile and press "
                     "“Link Telegram” to get a new one."))
