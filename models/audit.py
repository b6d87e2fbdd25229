"""Audit events and editable settings."""

from sqlalchemy import JSON, Column, Integer, String
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, user_fk


class AuditEvent(Model):
    """Who did what when: logins, status moves, assignments, payments, user changes."""

    __tablename__ = "audit_event"
    id = Column(Integer, primary_key=True)
    actor_id = user_fk()
    action = Column(String(50), nullable=False, index=True)
    object_type = Column(String(50))
    object_id = Column(Integer)
    details = Column(JSON, nullable=False, default=dict)
    ip = Column(String(45))
    created_at = created_at_column()

    actor = relationship("User", foreign_keys=[actor_id], viewonly=True)

    @property
    def object_ref(self) -> tuple[str | None, int | None]:
        """(model name, id) of the object acted on: one column for the audit list."""
        return self.object_type, self.object_id

    @property
    def change_set(self) -> tuple[str, str | None, dict]:
        """(action, model name, details): what the audit list shows as lines."""
        return self.action, self.object_type, self.details or {}


class Setting(Model):
    """One admin-editable setting (key → JSON value)."""

    __tablename__ = "setting"
    key = Column(String(80), primary_key=True)
    value = Column(JSON)
