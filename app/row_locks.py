"""One user's writes of a kind made one at a time until the transaction ends: the second of
two concurrent requests waits, then sees what the first one wrote (an engineer's bookings,
a partner's newest quote)."""

from __future__ import annotations

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select, text

from app.extensions import db


def lock_user(user_id: int) -> None:
    """Hold the user until the transaction ends.

    PostgreSQL: the user's row is locked (FOR NO KEY UPDATE: rows that merely refer to the
    user are not held up). SQLite starts a transaction lazily, at the first write: a write
    here takes the database's write lock at once (what BEGIN IMMEDIATE would do), so what is
    read next is what is committed and nobody writes until this transaction ends.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id == user_id)
                           .with_for_update(key_share=True))
    else:  # a no-op write; raw SQL so that no onupdate column changes
        db.session.execute(text("UPDATE user_profile SET weekly_capacity_hours = "
                                "weekly_capacity_hours WHERE user_id = :id"), {"id": user_id})
