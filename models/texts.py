"""Words the admin edits: overrides of status labels, e-mail and PDF texts, and SLA
thresholds per service (the defaults live in code: models.request_status, app.texts)."""

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from models.base import Model, utcnow, user_fk

# TextOverride.kind
KIND_STAFF_LABEL = "staff_label"  # key: a status
KIND_PARTNER_LABEL = "partner_label"  # key: a partner group
KIND_EMAIL = "email"  # key: an event of app.notifications.EVENTS; subject + body
KIND_PDF = "pdf"  # key: "<document>.<part>" (invoice.terms, act.signature …)
KIND_UI = "ui"  # key: the SHA-1 of an interface text's msgid (app.ui_texts); body only
TEXT_KINDS = (KIND_STAFF_LABEL, KIND_PARTNER_LABEL, KIND_EMAIL, KIND_PDF)  # fixed lists


class TextOverride(Model):
    """The admin's wording of one text in one language; no row means the default."""

    __tablename__ = "text_override"
    __table_args__ = (UniqueConstraint("kind", "key", "locale",
                                       name="uq_text_override_kind_key_locale"),)
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    key = Column(String(60), nullable=False)
    locale = Column(String(5), nullable=False)
    subject = Column(String(300))  # e-mails only
    body = Column(Text, nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_id = user_fk(index=False)


class ServiceSla(Model):
    """Minutes a request with this service may stay in a status (the tightest applies)."""

    __tablename__ = "service_sla"
    __table_args__ = (UniqueConstraint("service_id", "status",
                                       name="uq_service_sla_service_status"),)
    id = Column(Integer, primary_key=True)
    service_id = Column(Integer, ForeignKey("service.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    status = Column(String(20), nullable=False)
    minutes = Column(Integer, nullable=False)

    service = relationship("Service")
