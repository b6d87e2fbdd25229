"""Module-level jobs used by the job tests (RQ imports them by name)."""

from app.audit import record
from app.extensions import db


def record_ping(label: str) -> str:
    """A job with a visible effect: one audit row."""
    record("ping", None, None, label=label)
    db.session.commit()
    return f"pong {label}"


def session_of_job(_label: str):
    """The database session the job ran in, and whether it saw `g.caller_mark`."""
    from flask import g
    db.session.commit()
    return db.session(), g.get("caller_mark")
