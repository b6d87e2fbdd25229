"""Daily rollups of the status history (issue 14), kept exact as status changes are written.

status_day_rollup (models.rollups) holds, per (day entered, day left, status left), the
seconds spent and the number of pairs, a pair being two consecutive status changes of one
request (by id) that change the status. Every flush that inserts status changes adds their
pairs (the previous change of the request, this change) with an upsert; `rebuild` recomputes
the whole table from history in one INSERT … SELECT (after a bulk load, after this
migration, after the bureau's time zone changed: days are the zone's days when written).
"""

from __future__ import annotations

from datetime import date, datetime

import pytz
from sqlalchemy import bindparam, event, func, select, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.timefmt import bureau_zone_name, to_local
from models.requests import StatusChange
from models.rollups import StatusDayRollup

ROLLUP = StatusDayRollup.__table__


@event.listens_for(Session, "after_flush")
def _add_new_pairs(session, _context) -> None:
    changes = sorted((obj for obj in session.new if isinstance(obj, StatusChange)),
                     key=lambda change: change.id)
    if not changes:
        return
    zone = pytz.timezone(bureau_zone_name())
    connection = session.connection()
    for change in changes:
        previous = connection.execute(
            select(StatusChange.to_status, StatusChange.created_at)
            .where(StatusChange.request_id == change.request_id, StatusChange.id < change.id)
            .order_by(StatusChange.id.desc()).limit(1)).first()
        if previous is None or previous.to_status == change.to_status:
            continue
        seconds = (change.created_at - previous.created_at).total_seconds()
        _upsert(connection, to_local(previous.created_at, zone).date(),
                to_local(change.created_at, zone).date(), previous.to_status, seconds)


# written out, not built with insert().on_conflict_do_update(): SQLAlchemy cannot cache that
# construct (no cache key), so every status move compiled it again (~1 ms); the same SQL runs
# on PostgreSQL and SQLite (3.24+)
_UPSERT = text(
    "INSERT INTO status_day_rollup (entered_day, left_day, status, seconds, pairs)"
    " VALUES (:entered, :left, :status, :seconds, 1)"
    " ON CONFLICT (entered_day, left_day, status) DO UPDATE"
    " SET seconds = status_day_rollup.seconds + excluded.seconds,"
    " pairs = status_day_rollup.pairs + excluded.pairs"
).bindparams(bindparam("entered", type_=ROLLUP.c.entered_day.type),
             bindparam("left", type_=ROLLUP.c.left_day.type),
             bindparam("status", type_=ROLLUP.c.status.type),
             bindparam("seconds", type_=ROLLUP.c.seconds.type))


def _upsert(connection, entered: date, left: date, status: str, seconds: float) -> None:
    connection.execute(_UPSERT, {"entered": entered, "left": left, "status": status,
                                 "seconds": seconds})


_REBUILD = """
INSERT INTO status_day_rollup (entered_day, left_day, status, seconds, pairs)
SELECT {entered}, {left}, m.status, sum({seconds}), count(*)
FROM (SELECT sc.to_status AS next_status, sc.created_at AS left_at,
             lag(sc.to_status) OVER w AS status, lag(sc.created_at) OVER w AS entered_at
      FROM status_change sc WINDOW w AS (PARTITION BY sc.request_id ORDER BY sc.id)) m
WHERE m.status IS NOT NULL AND m.status <> m.next_status
GROUP BY 1, 2, 3
"""
_POSTGRES = {"entered": "(m.entered_at AT TIME ZONE 'UTC' AT TIME ZONE :zone)::date",
             "left": "(m.left_at AT TIME ZONE 'UTC' AT TIME ZONE :zone)::date",
             "seconds": "extract(epoch FROM m.left_at - m.entered_at)"}
_SQLITE = {"entered": "replan_local_day(m.entered_at, :zone)",
           "left": "replan_local_day(m.left_at, :zone)",
           "seconds": "replan_seconds(m.left_at, m.entered_at)"}


def rebuild(connection, zone_name: str | None = None) -> int:
    """Recompute the rollup from the whole history (one INSERT … SELECT); its row count."""
    zone_name = zone_name or bureau_zone_name()
    if connection.dialect.name == "postgresql":
        parts = _POSTGRES
    else:
        parts = _SQLITE
        _register_local_day(connection)
    connection.execute(ROLLUP.delete())
    connection.execute(text(_REBUILD.format(**parts)), {"zone": zone_name})
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE status_day_rollup"))  # the planner sees its size
    return connection.execute(select(func.count()).select_from(ROLLUP)).scalar_one()


def _register_local_day(connection) -> None:
    """SQLite has no time zones: the day of a stored moment in a zone (and the seconds
    between two moments) computed by Python."""
    def local_day(moment, name):
        if moment is None:
            return None
        return to_local(datetime.fromisoformat(moment), pytz.timezone(name)).date().isoformat()
    def seconds(later, earlier):  # julianday() keeps milliseconds only; the hook has µs
        if later is None or earlier is None:
            return None
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)) \
            .total_seconds()
    driver = connection.connection.driver_connection
    driver.create_function("replan_local_day", 2, local_day, deterministic=True)
    driver.create_function("replan_seconds", 2, seconds, deterministic=True)


def average_seconds_in_status(start: date, end: date) -> dict[str, float]:
    """Mean seconds in each status over the pairs entered and left within [start, end]."""
    rows = db.session.execute(
        select(ROLLUP.c.status, func.sum(ROLLUP.c.seconds) / func.sum(ROLLUP.c.pairs))
        .where(ROLLUP.c.entered_day >= start, ROLLUP.c.left_day <= end,
               ROLLUP.c.pairs > 0)
        .group_by(ROLLUP.c.status)).all()
    return {status: float(seconds) for status, seconds in rows}
