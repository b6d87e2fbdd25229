"""Telegram: one-time link tokens, the chats linked to users, and the bot's outbox."""

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Integer, String, Text

from models.base import Model, created_at_column, user_fk

TG_PENDING = "pending"
TG_SENDING = "sending"
TG_SENT = "sent"
TG_FAILED = "failed"
TG_DROPPED = "dropped"  # the chat was unlinked or blocked the bot: never sent

UNLINK_BY_USER = "user"  # "Unlink" in the profile
UNLINK_STOP = "stop"  # /stop in the chat
UNLINK_BLOCKED = "blocked"  # the Bot API answered 403: the user blocked the bot
UNLINK_RELINKED = "relinked"  # the user linked another chat


class TelegramLinkToken(Model):
    """A one-time token of the deep link https://t.me/<bot>?start=<token>; only its SHA-256
    is stored (32 random bytes: a fast digest is enough, as for API tokens)."""

    __tablename__ = "telegram_link_token"
    id = Column(Integer, primary_key=True)
    user_id = user_fk(nullable=False, ondelete="CASCADE")
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = created_at_column()
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)
    used_by_chat = Column(BigInteger)  # the chat that used it (a repeated /start is recognised)


class TelegramChat(Model):
    """A user's Telegram chat with the bot; the active link has no `unlinked_at`."""

    __tablename__ = "telegram_chat"
    id = Column(Integer, primary_key=True)
    user_id = user_fk(nullable=False, ondelete="CASCADE")
    chat_id = Column(BigInteger, nullable=False, index=True)  # Telegram ids exceed 2^31
    chat_name = Column(String(100))  # @username or the first name, shown in the profile
    linked_at = created_at_column()
    unlinked_at = Column(DateTime)
    unlink_reason = Column(String(20))


class TelegramMessage(Model):
    """A bot message, written in the same transaction as the change that caused it and
    sent by a job (app.telegram_outbox), like the e-mail outbox."""

    __tablename__ = "telegram_outbox"
    __table_args__ = (Index("ix_telegram_outbox_status_next", "status", "next_attempt_at"),)
    id = Column(Integer, primary_key=True)
    chat_id = Column(BigInteger, nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    kind = Column(String(30), nullable=False, default="notice")
    text = Column(Text, nullable=False)
    status = Column(String(10), nullable=False, default=TG_PENDING)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
    next_attempt_at = Column(DateTime)
    claimed_at = Column(DateTime)
    sent_at = Column(DateTime)
    created_at = created_at_column()
