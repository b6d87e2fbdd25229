"""Webhooks: partner (or admin) endpoints and the deliveries written with each change (outbox)."""

from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String,
                        Text)
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, user_fk

DELIVERY_PENDING = "pending"  # not tried yet (or redelivered): due at next_attempt_at
DELIVERY_SENT = "sent"  # the receiver answered 2xx
DELIVERY_FAILED = "failed"  # the last attempt failed; retried at next_attempt_at
DELIVERY_GIVEN_UP = "given_up"  # every attempt over the retry window failed
DELIVERY_STATUSES = (DELIVERY_PENDING, DELIVERY_SENT, DELIVERY_FAILED, DELIVERY_GIVEN_UP)


class WebhookEndpoint(Model):
    """A URL that receives signed events. `company_id` set: the partner company's requests
    only (registered by its owner); NULL: every request (registered by the admin). The
    secret ("whsec_" + base64 of 32 random bytes) must be kept to sign, so it is stored as
    is; it is shown once, at creation, and never again."""

    __tablename__ = "webhook_endpoint"
    id = Column(Integer, primary_key=True)
    company_id = Column(Integer, ForeignKey("partner_company.id", ondelete="CASCADE"),
                        index=True)
    created_by_id = user_fk(ondelete="SET NULL")
    url = Column(String(500), nullable=False)
    description = Column(String(200))
    events = Column(JSON, nullable=False, default=list)  # the event types it receives
    secret = Column(String(100), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    failure_count = Column(Integer, nullable=False, default=0)  # attempts failed in a row
    last_success_at = Column(DateTime)
    disabled_at = Column(DateTime)
    disabled_reason = Column(String(300))
    created_at = created_at_column()
    deleted_at = Column(DateTime)  # deleted endpoints are hidden; their log goes with them

    company = relationship("PartnerCompany")
    created_by = relationship("User", foreign_keys=[created_by_id])


class WebhookDelivery(Model):
    """One event for one endpoint: the exact JSON body signed and sent, and its attempts.
    `webhook_id` is the same on every attempt (and a redelivery): receivers deduplicate."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),
                      Index("ix_webhook_delivery_endpoint_id_id", "endpoint_id", "id"))
    id = Column(Integer, primary_key=True)
    endpoint_id = Column(Integer, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
                         nullable=False)
    event_type = Column(String(40), nullable=False)
    webhook_id = Column(String(40), nullable=False, unique=True)
    payload = Column(Text, nullable=False)  # the JSON body, exactly as signed
    request_id = Column(Integer, index=True)  # the request the event is about (no FK: kept)
    status = Column(String(10), nullable=False, default=DELIVERY_PENDING)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime)
    claimed_at = Column(DateTime)  # an attempt in flight (a send older than a minute died)
    last_attempt_at = Column(DateTime)
    response_code = Column(Integer)
    latency_ms = Column(Integer)
    last_error = Column(String(500))  # the error, or the start of a non-2xx answer's body
    sent_at = Column(DateTime)
    created_at = created_at_column()

    endpoint = relationship("WebhookEndpoint", backref="deliveries")
