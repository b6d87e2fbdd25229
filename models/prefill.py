"""Prefill tokens: a partner's link that opens the cabinet's new-request form filled in."""

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text

from models.base import Model, created_at_column, user_fk


class PrefillToken(Model):
    """What a partner's site asked to fill in, kept here so that contact data and the end
    client never travel in the link (the link carries only a random secret; a signed token
    would carry them readable, base64 is no encryption). Only the SHA-256 of the secret is
    stored (a 256-bit random secret needs no slow hash, as models.api_tokens explains).
    The token works for users of `company_id` only, until `expires_at`, as often as opened:
    opening fills the form and saves nothing."""

    __tablename__ = "prefill_token"
    id = Column(Integer, primary_key=True)
    company_id = Column(Integer, ForeignKey("partner_company.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    created_by_id = user_fk(nullable=True, ondelete="SET NULL")
    token_hash = Column(String(64), nullable=False, unique=True)
    service_ids = Column(JSON, nullable=False, default=list)
    field_values = Column(JSON, nullable=False, default=dict)  # may hold contact fields
    end_client_name = Column(String(200))
    end_client_phone = Column(String(40))
    description = Column(Text)
    source = Column(String(100))  # the partner's site as the notice names it
    created_at = created_at_column()
    expires_at = Column(DateTime, nullable=False, index=True)
