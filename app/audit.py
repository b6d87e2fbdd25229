"""Audit trail: one row per significant action, written in the caller's transaction.

Admin edits of back-office records (views.base.ReplanInterface) are recorded generically:
record_created / record_update / record_deleted keep {field: [old, new]} of what changed.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from sqlalchemy import inspect
from sqlalchemy.orm import MANYTOONE

from app.extensions import db
from models.audit import AuditEvent


def record(action: str, actor=None, obj=None, **details) -> AuditEvent:
    """Add an audit event for `actor` doing `action` on `obj` (committed by the caller)."""
    # a context proxy (Flask-Login's current_user) is recorded as the row it stands for: its
    # own class name ("LocalProxy") would be the object's type on the audit log
    actor, obj = _unproxied(actor), _unproxied(obj)
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


def _unproxied(value):
    unwrap = getattr(value, "_get_current_object", None)
    return unwrap() if callable(unwrap) else value


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):  # [old, new] of a change
        return [_plain(item) for item in value]
    return str(value)


# columns a change never needs to name: keys, stamps, the optimistic-lock counter
NOT_AUDITED = frozenset({"id", "created_at", "updated_at", "version"})
TEXT_LIMIT = 300  # long texts (an article's body) are kept in the audit trail shortened
REMEMBERED = "audit_before"


def snapshot(obj) -> dict[str, object]:
    """The values a form can change: columns, and each many-to-one relation as its row's
    text (a category by name, not category_id)."""
    mapper = inspect(obj).mapper
    values: dict[str, object] = {}
    behind_relations = set()
    for relation in mapper.relationships:
        if relation.direction is MANYTOONE:
            related = getattr(obj, relation.key)
            values[relation.key] = None if related is None else str(related)
            behind_relations |= {mapper.get_property_by_column(c).key
                                 for c in relation.local_columns}
    for attr in mapper.column_attrs:
        if attr.key not in NOT_AUDITED and attr.key not in behind_relations:
            values[attr.key] = copy.deepcopy(getattr(obj, attr.key))
    return values


def remember(obj) -> None:
    """Keep `obj`'s values before a form changes them (record_update compares with them)."""
    inspect(obj).info[REMEMBERED] = snapshot(obj)


def changes(before: dict, after: dict) -> dict[str, list]:
    """{field: [old, new]} for the fields whose value differs (None and "" are the same)."""
    return {key: [_kept(before.get(key)), _kept(value)] for key, value in after.items()
            if _blank(before.get(key)) != _blank(value)}


def record_created(actor, obj) -> AuditEvent:
    """An admin added `obj`: its filled-in values as [None, value]."""
    db.session.flush()  # the new row's id names it in the event
    filled = changes({}, snapshot(obj))
    return _record_details("record_created", actor, obj, filled)


def record_update(actor, obj) -> AuditEvent | None:
    """An admin changed `obj`: old → new of each changed field, or nothing at all for a save
    that changed nothing. The old values are the remembered ones, else the loaded ones."""
    before = inspect(obj).info.pop(REMEMBERED, None)
    if before is None:
        before = _loaded_values(obj)
    diff = changes(before, snapshot(obj))
    return _record_details("record_updated", actor, obj, diff) if diff else None


def record_deleted(actor, obj) -> AuditEvent:
    """An admin deleted `obj`: what it held, as [value, None]."""
    held = {key: [value, None] for key, [_none, value] in
            changes({}, snapshot(obj)).items()}
    return _record_details("record_deleted", actor, obj, held)


def _record_details(action: str, actor, obj, details: dict) -> AuditEvent:
    event = record(action, actor, obj)
    event.details = details
    return event


def _loaded_values(obj) -> dict[str, object]:
    """The values as loaded from the database (attribute history before the next flush)."""
    values = snapshot(obj)
    state = inspect(obj)
    for key in values:
        history = state.attrs[key].history
        if history.deleted:
            old = history.deleted[0]
            values[key] = str(old) if key in state.mapper.relationships and old else old
    return values


def _blank(value):
    return None if value == "" else value


def _kept(value):
    """A value as JSON keeps it: money in kopecks and booleans as they are, decimals as
    '7.5', long text shortened."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str) and len(value) > TEXT_LIMIT:
        return value[:TEXT_LIMIT] + "…"
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)
