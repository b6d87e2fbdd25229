"""Aggregates for the director's dashboard; grouping is done by the database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import BigInteger, String, cast, func, literal, select, union_all

from app.extensions import db
from app.rollups import average_seconds_in_status
from app.scheduling import period_loads, sql_hours_between
from app.timefmt import day_bounds_utc, local_today
from models.finance import Payment
from models.partners import PartnerCompany
from models.request_status import Status
from models.requests import Request, StatusChange


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Stored UTC moments of the period's days as the bureau's zone has them."""
    return day_bounds_utc(start, end)


def _wall_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min), datetime.combine(end, time.max)


def _period_expr(column, unit: str):
    """'YYYY-MM' or the ISO week's Monday 'YYYY-MM-DD', on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.date_trunc(unit, column), "YYYY-MM" if unit == "month"
                            else "YYYY-MM-DD")
    if unit == "month":
        return func.strftime("%Y-%m", column)
    return func.date(column, "-6 days", "weekday 1")


def _by_status(start: date, end: date):
    lo, hi = _bounds(start, end)
    return select(Request.status, func.count(Request.id)).where(
        Request.created_at.between(lo, hi), Request.status != Status.DRAFT) \
        .group_by(Request.status)


def _per_week(start: date, end: date):
    lo, hi = _bounds(start, end)
    week = _period_expr(Request.submitted_at, "week")
    return select(week, func.count(Request.id)).where(
        Request.submitted_at.between(lo, hi)).group_by(week).order_by(week)


def _revenue(start: date, end: date):
    month = _period_expr(Payment.paid_on, "month")
    return select(month, func.sum(Payment.amount_kopecks)).where(
        Payment.paid_on.between(start, end), Payment.voided_at.is_(None)) \
        .group_by(month).order_by(month)


def _top_partners(start: date, end: date, limit: int = 10):
    total = func.sum(Payment.amount_kopecks)
    return select(PartnerCompany.name, total) \
        .join(Request, Request.company_id == PartnerCompany.id) \
        .join(Payment, Payment.request_id == Request.id) \
        .where(Payment.paid_on.between(start, end), Payment.voided_at.is_(None)) \
        .group_by(PartnerCompany.name).order_by(total.desc(), PartnerCompany.name).limit(limit)


def requests_by_status(start: date, end: date) -> dict[str, int]:
    return {status: count for status, count in db.session.execute(_by_status(start, end))}


def new_requests_per_week(start: date, end: date) -> list[tuple[str, int]]:
    return [(str(k), n) for k, n in db.session.execute(_per_week(start, end))]


def revenue_per_month(start: date, end: date) -> list[tuple[str, int]]:
    return [(str(k), int(v or 0)) for k, v in db.session.execute(_revenue(start, end))]


def top_partners(start: date, end: date, limit: int = 10) -> list[tuple[str, int]]:
    return [(name, int(total or 0))
            for name, total in db.session.execute(_top_partners(start, end, limit))]


FIGURES = {"by_status": _by_status, "weekly": _per_week, "revenue": _revenue,
           "partners": _top_partners}


def period_figures(start: date, end: date) -> dict[str, list[tuple[str, int]]]:
    """The four figures above in one statement (UNION ALL, one round trip instead of four;
    each part still uses its own index): {name: [(key, value)]}, each part in its own order
    (top partners by total, then name; weeks and months ascending; statuses by name)."""
    parts = []
    for name, build in FIGURES.items():
        part = build(start, end).subquery()
        key, value = part.c
        parts.append(select(literal(name).label("figure"), cast(key, String).label("key"),
                            cast(func.coalesce(value, 0), BigInteger).label("value")))
    found: dict[str, list[tuple[str, int]]] = {name: [] for name in FIGURES}
    for figure, key, value in db.session.execute(union_all(*parts)):
        found[figure].append((key, int(value)))
    found["partners"].sort(key=lambda row: (-row[1], row[0]))
    for name in ("by_status", "weekly", "revenue"):
        found[name].sort()
    return found


def average_hours_in_status(start: date, end: date) -> dict[str, float]:
    """Mean time between entering a status and leaving it, over the pairs of consecutive
    moves of a request entered and left within the period (days in the bureau's zone):
    one aggregate over the daily rollup (app.rollups); statuses in workflow order."""
    found = {status: round(seconds / 3600.0, 1)
             for status, seconds in average_seconds_in_status(start, end).items()}
    return _in_workflow_order(found)


def average_hours_in_status_from_history(start: date, end: date) -> dict[str, float]:
    """The same figure straight from the history (a window over the period's moves, each
    paired with the request's previous move in the period): the rollup's reference."""
    lo, hi = _bounds(start, end)
    window = {"partition_by": StatusChange.request_id, "order_by": StatusChange.id}
    moves = select(StatusChange.to_status.label("status"),
                   StatusChange.created_at.label("at"),
                   func.lag(StatusChange.to_status).over(**window).label("left"),
                   func.lag(StatusChange.created_at).over(**window).label("entered")) \
        .where(StatusChange.created_at.between(lo, hi)).subquery()
    rows = db.session.execute(
        select(moves.c.left, func.avg(sql_hours_between(moves.c.at, moves.c.entered)))
        .where(moves.c.left.is_not(None), moves.c.left != moves.c.status)
        .group_by(moves.c.left)).all()
    return _in_workflow_order({status: round(float(hours), 1) for status, hours in rows})


def _in_workflow_order(found: dict[str, float]) -> dict[str, float]:
    order = {status.value: k for k, status in enumerate(Status)}
    return dict(sorted(found.items(), key=lambda item: (order.get(item[0], len(order)),
                                                        item[0])))


def engineer_utilisation(start: date, end: date) -> list:
    """Each active engineer's load over the period's days (app.scheduling.period_loads):
    hours booked (visits, work slots) in per cent of the weekly capacity for the period's
    weeks less busy time and vacations; 0 when no capacity is left."""
    lo = datetime.combine(start, time.min)  # schedule times are wall-clock
    hi = datetime.combine(end + timedelta(days=1), time.min)
    return [(engineer.get_full_name(), load.percent() or 0)
            for engineer, load in period_loads(lo, hi)]


def default_period() -> tuple[date, date]:
    today = local_today()
    return today - timedelta(days=90), today
