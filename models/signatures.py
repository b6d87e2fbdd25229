"""Confirmation codes and the simple electronic signatures they make (app.signatures)."""

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, user_fk

# what a code confirms: the partner actions the admin may put behind a one-time code
PURPOSE_SUBMIT = "submit"  # submitting a request
PURPOSE_CLOSE = "close"  # accepting the delivered work: signing the act (the partner's close)
PURPOSE_QUOTE = "quote"  # agreeing to a quote (saving the calculator's price)
PURPOSE_CONTACT = "contact"  # changing the profile's e-mail or phone
PURPOSES = (PURPOSE_SUBMIT, PURPOSE_CLOSE, PURPOSE_QUOTE, PURPOSE_CONTACT)

CHANNEL_EMAIL, CHANNEL_SMS = "email", "sms"
CHANNELS = (CHANNEL_EMAIL, CHANNEL_SMS)


class ConfirmationCode(Model):
    """One code sent to a user for one purpose and one exact piece of data: the code itself is
    never stored, only its HMAC with the application's secret; `data_hash` is the SHA-256 of
    the canonical data the code signs, so a code for other data is refused."""

    __tablename__ = "confirmation_code"
    id = Column(Integer, primary_key=True)
    user_id = user_fk(nullable=False, ondelete="CASCADE")
    purpose = Column(String(20), nullable=False)
    data_hash = Column(String(64), nullable=False)
    code_hash = Column(String(64), nullable=False)
    channel = Column(String(10), nullable=False)
    sent_to = Column(String(120), nullable=False)  # masked address or phone, for the page
    created_at = created_at_column()
    expires_at = Column(DateTime, nullable=False)
    tries_left = Column(Integer, nullable=False, default=5)
    used_at = Column(DateTime)


class Signature(Model):
    """A confirmed action: who, when, from where, what exactly (SHA-256 of the data signed)."""

    __tablename__ = "signature"
    __table_args__ = (Index("ix_signature_object", "object_type", "object_id"),)
    id = Column(Integer, primary_key=True)
    user_id = user_fk(nullable=False)
    purpose = Column(String(20), nullable=False)
    object_type = Column(String(50), nullable=False)
    object_id = Column(Integer, nullable=False)
    data_hash = Column(String(64), nullable=False)
    code_id = Column(Integer, ForeignKey("confirmation_code.id"), nullable=False)
    ip = Column(String(45))
    user_agent = Column(String(300))
    signed_at = created_at_column()

    user = relationship("User", foreign_keys=[user_id], viewonly=True)
