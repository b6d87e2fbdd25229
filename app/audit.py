"""Audit trail: one row per significant action, written in the caller's transaction."""

from __future__ import annotations

from flask import has_request_context, request

from app.extensions import db
from models.audit import AuditEvent


def record(action: str, actor=None, obj=None, **details) -> AuditEvent:
    """Add an audit event for `actor` doing `action` on `obj` (committed by the caller)."""
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        details={k: _plain(v) for k, v in details.items()},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
