"""Per day of a request date, the least and greatest number and creation time of the requests
dated that day (issue 14: a staff list filtered by one date and sorted by the other column).

The staff list sorted by number (or creation) and filtered by a period of the other date
walks the sort's index from the period's first value on (views.keyset). That first value
was read from the period's own rows — at a million requests “submitted after a day a year
back” is ~450 000 index entries, ~90 ms — and is read here from one row a day instead.

A row of `request_day_bounds` is (date kind, UTC day, least and greatest number, least and
greatest creation time) over every request whose `kind` date falls on that day. The Request
mapper's insert and update hooks widen the row of each date a flush writes (an upsert that
keeps the lesser least and the greater greatest); nothing narrows a row (a deleted draft
leaves its values), so the bounds always hold every request of their days and may hold
more: a list reads them as bounds, never as its rows. `rebuild` recomputes the table from
the requests (the migration, a bulk load, `flask replan rebuild-rollups`).

A day's row is locked by the upsert until the writing transaction ends: requests created (or
submitted) at once on one day wait for each other's commit — creation already does, on the
year's number counter (models.requests.next_request_number) — so a transaction that creates
or submits requests should commit promptly, as every use case does.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Column, Date, DateTime, String, bindparam, event, func, inspect, literal,
                        select, text)

from models.base import Model
from models.requests import Request

KINDS = ("created_at", "submitted_at")
# the sort columns whose bounds are kept: name -> (least column, greatest column)
BOUNDED = {"number": ("min_number", "max_number"),
           "created_at": ("min_created_at", "max_created_at")}


class RequestDayBounds(Model):
    """The least and greatest number and creation time of the requests whose `kind` date
    (created_at or submitted_at, UTC) is `day`. Kept by the Request hooks below."""

    __tablename__ = "request_day_bounds"
    kind = Column(String(16), primary_key=True)
    day = Column(Date, primary_key=True)
    min_number = Column(String(20), nullable=False)
    max_number = Column(String(20), nullable=False)
    min_created_at = Column(DateTime, nullable=False)
    max_created_at = Column(DateTime, nullable=False)


TABLE = RequestDayBounds.__table__


def _widened(name: str, keep: str) -> str:
    return (f"{name} = CASE WHEN excluded.{name} {keep} request_day_bounds.{name}"
            f" THEN excluded.{name} ELSE request_day_bounds.{name} END")


# written out (SQLAlchemy cannot cache the dialects' on_conflict_do_update: app.rollups); the
# same SQL on PostgreSQL and SQLite (3.24+); CASE, as LEAST / GREATEST are PostgreSQL's only
_WIDEN = text(
    "INSERT INTO request_day_bounds (kind, day, min_number, max_number, min_created_at,"
    " max_created_at) VALUES (:kind, :day, :number, :number, :created, :created)"
    " ON CONFLICT (kind, day) DO UPDATE SET "
    + ", ".join((_widened("min_number", "<"), _widened("max_number", ">"),
                 _widened("min_created_at", "<"), _widened("max_created_at", ">")))
).bindparams(bindparam("kind", type_=TABLE.c.kind.type), bindparam("day", type_=Date()),
             bindparam("number", type_=TABLE.c.min_number.type),
             bindparam("created", type_=DateTime()))

WATCHED = ("number", "created_at", "submitted_at")


def _widen(connection, request: Request) -> None:
    for kind in KINDS:
        moment = getattr(request, kind)
        if isinstance(moment, datetime):
            connection.execute(_WIDEN, {"kind": kind, "day": moment.date(),
                                        "number": request.number,
                                        "created": request.created_at})


@event.listens_for(Request, "after_insert")
def _bounds_of_new_request(_mapper, connection, request) -> None:
    _widen(connection, request)


@event.listens_for(Request, "after_update")
def _bounds_of_changed_request(_mapper, connection, request) -> None:
    """Only when a dated value changed (a submission, a date set by hand): a status move or
    an edit writes nothing here."""
    changed = inspect(request).attrs
    if any(changed[name].history.has_changes() for name in WATCHED):
        _widen(connection, request)


def rebuild(connection) -> int:
    """Recompute the whole table from the requests (one grouped pass per date); its rows."""
    connection.execute(TABLE.delete())
    for kind in KINDS:
        moment = Request.__table__.c[kind]
        day = func.date(moment)
        grouped = select(literal(kind), day, func.min(Request.number),
                         func.max(Request.number), func.min(Request.created_at),
                         func.max(Request.created_at)) \
            .where(moment.is_not(None)).group_by(day)
        connection.execute(TABLE.insert().from_select(
            ["kind", "day", "min_number", "max_number", "min_created_at", "max_created_at"],
            grouped))
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE request_day_bounds"))
    return connection.execute(select(func.count()).select_from(TABLE)).scalar_one()


def bound(session, kind: str, first: date | None, last: date | None, column: str,
          descending: bool):
    """The least (or, `descending`, the greatest) `column` value ("number" or "created_at")
    among the requests whose `kind` date lies between the days `first` and `last` (either
    open), read from one row a day; None when no request is dated in the period."""
    least, greatest = BOUNDED[column]
    target = TABLE.c[greatest if descending else least]
    query = select((func.max if descending else func.min)(target)) \
        .where(TABLE.c.kind == kind)
    if first is not None:
        query = query.where(TABLE.c.day >= first)
    if last is not None:
        query = query.where(TABLE.c.day <= last)
    return session.execute(query).scalar()
