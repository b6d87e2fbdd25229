"""Shared column helpers for Replan models."""

from datetime import UTC, datetime

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer

__all__ = ["Model", "utcnow", "created_at_column", "user_fk", "postgresql_only",
           "include_object_for"]


def utcnow() -> datetime:
    """Naive UTC now: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def created_at_column(index: bool = True) -> Column:
    return Column(DateTime, default=utcnow, nullable=False, index=index)


def user_fk(nullable: bool = True, index: bool = True, ondelete: str | None = None) -> Column:
    """A foreign key to a Flask-AppBuilder user (ab_user.id)."""
    return Column(Integer, ForeignKey("ab_user.id", ondelete=ondelete), nullable=nullable,
                  index=index)


def postgresql_only(index):
    """An index that exists on PostgreSQL only (a pg_trgm GIN index): SQLite keeps plain LIKE
    scans, so neither create_all nor the schema comparison expects it there."""
    index.info["dialect"] = "postgresql"
    return index.ddl_if(dialect="postgresql")



def include_object_for(dialect_name: str):
    """Alembic's comparison filter for one database: it skips the indexes of another
    dialect (postgresql_only), which the migrations create on that dialect only."""
    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        declared = compare_to if reflected else obj
        wanted = getattr(declared, "info", {}).get("dialect") if declared is not None else None
        return type_ != "index" or wanted is None or wanted == dialect_name
    return include_object
