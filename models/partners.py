"""Partner companies, registration applications, user profiles and end clients."""

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import backref, relationship

from models.base import Model, created_at_column, postgresql_only, user_fk

PARTNER_OWNER = "owner"
PARTNER_MEMBER = "member"

APPLICATION_PENDING = "pending"
APPLICATION_APPROVED = "approved"
APPLICATION_REJECTED = "rejected"
APPLICATION_STATUS_LABELS = {APPLICATION_PENDING: _l("Under review"),
                             APPLICATION_APPROVED: _l("Approved"),
                             APPLICATION_REJECTED: _l("Rejected")}

NOTIFY_EVENT_KINDS = ("status", "message", "needs_info")


class PartnerCompany(Model):
    """A real-estate agency or broker that files requests."""

    __tablename__ = "partner_company"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False, index=True)
    inn = Column(String(12), nullable=False, unique=True)
    city = Column(String(100))
    phone = Column(String(40))
    email = Column(String(200))
    discount_percent = Column(Numeric(5, 2), nullable=False, default=0)
    is_blocked = Column(Boolean, nullable=False, default=False)
    created_at = created_at_column()

    def __repr__(self) -> str:
        return self.name


class PartnerApplication(Model):
    """A public registration application reviewed by the admin."""

    __tablename__ = "partner_application"
    id = Column(Integer, primary_key=True)
    company_name = Column(String(200), nullable=False)
    inn = Column(String(12), nullable=False, index=True)
    contact_name = Column(String(200), nullable=False)
    email = Column(String(200), nullable=False, index=True)
    phone = Column(String(40), nullable=False)
    city = Column(String(100))
    comment = Column(Text)
    consent = Column(Boolean, nullable=False, default=False)
    status = Column(String(20), nullable=False, default=APPLICATION_PENDING, index=True)
    reject_reason = Column(Text)
    reviewed_by_id = user_fk()
    reviewed_at = Column(DateTime)
    company_id = Column(Integer, ForeignKey("partner_company.id"))
    created_at = created_at_column()

    company = relationship(PartnerCompany)


class UserProfile(Model):
    """Replan data about a user (1:1 with ab_user): phone, partner link, locale, prefs."""

    __tablename__ = "user_profile"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    phone = Column(String(40))
    partner_company_id = Column(Integer, ForeignKey("partner_company.id"), index=True)
    partner_role = Column(String(10))  # owner | member, only for partner users
    locale = Column(String(5), nullable=False, default="ru")
    must_change_password = Column(Boolean, nullable=False, default=False)
    notify_prefs = Column(JSON, nullable=False, default=dict)
    # engineers: hours a week available for visits and work (vacations and busy time reduce it)
    weekly_capacity_hours = Column(Integer, nullable=False, default=40, server_default="40")

    user = relationship(User, backref=backref("profile", uselist=False, lazy="joined"))
    partner_company = relationship(PartnerCompany, backref="profiles")

    def wants_email(self, kind: str) -> bool:
        """E-mail copies are on unless the user switched this kind off."""
        return bool((self.notify_prefs or {}).get(kind, True))


class EndClient(Model):
    """A partner's own client (apartment owner) saved for repeat requests."""

    __tablename__ = "end_client"
    __table_args__ = (UniqueConstraint("company_id", "name", "phone", name="uq_end_client"),
                      # the client search (ILIKE '%text%'): pg_trgm on PostgreSQL
                      postgresql_only(Index("ix_end_client_name_trgm", "name",
                                            postgresql_using="gin",
                                            postgresql_ops={"name": "gin_trgm_ops"})),
                      # the back office's list sorted by name (0023_staff_keyset)
                      Index("ix_end_client_name", "name"))
    id = Column(Integer, primary_key=True)
    company_id = Column(Integer, ForeignKey("partner_company.id"), nullable=False, index=True)
    created_by_id = user_fk()
    name = Column(String(200), nullable=False)
    phone = Column(String(40))
    email = Column(String(200))
    note = Column(Text)
    created_at = created_at_column()

    company = relationship(PartnerCompany)

    def __repr__(self) -> str:
        return self.name
