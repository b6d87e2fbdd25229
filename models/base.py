"""Shared column helpers for Replan models."""

from datetime import UTC, datetime

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer

__all__ = ["Model", "utcnow", "created_at_column", "user_fk"]


def utcnow() -> datetime:
    """Naive UTC now: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def created_at_column() -> Column:
    return Column(DateTime, default=utcnow, nullable=False, index=True)


def user_fk(nullable: bool = True, index: bool = True, ondelete: str | None = None) -> Column:
    """A foreign key to a Flask-AppBuilder user (ab_user.id)."""
    return Column(Integer, ForeignKey("ab_user.id", ondelete=ondelete), nullable=nullable,
                  index=index)
