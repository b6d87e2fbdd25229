"""Outgoing e-mail, written in the same transaction as the change that caused it."""

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Text

from models.base import Model, created_at_column

MAIL_PENDING = "pending"
MAIL_SENDING = "sending"
MAIL_SENT = "sent"
MAIL_FAILED = "failed"


class OutboxMessage(Model):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id = Column(Integer, primary_key=True)
    recipient = Column(String(200), nullable=False)
    subject = Column(String(300), nullable=False)
    body = Column(Text, nullable=False)
    kind = Column(String(30), nullable=False, default="notice")
    status = Column(String(10), nullable=False, default=MAIL_PENDING)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
    next_attempt_at = Column(DateTime)
    sent_at = Column(DateTime)
    claimed_at = Column(DateTime)  # when the current send started (stuck-send rule)
    sensitive = Column(Boolean, nullable=False, default=False)  # body erased once sent
    created_at = created_at_column()
