"""The director's Excel reports: columns and streamed row queries (never loaded whole)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Callable

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.audit_labels import action_label, details_text, object_name
from app.extensions import db
from app.request_rules import payment_label
from app.scheduling import BOOKED_KINDS, engineers
from app.timefmt import day_bounds_utc
from models.audit import AuditEvent
from models.finance import Payment
from models.partners import EndClient, PartnerCompany
from app.status_labels import staff_labels
from models.request_status import Status
from models.requests import Request
from models.schedule import ENTRY_VISIT, ScheduleEntry
from reports.excel import Column
from reports.fields import export_fields, field_cells, field_columns, sees_contacts

STREAM_CHUNK = 2000


@dataclass(frozen=True)
class Report:
    key: str
    title: object
    columns: list[Column]
    rows: Callable  # (start, end, scope) -> iterator of tuples
    count: Callable  # (start, end, scope) -> bounded row count
    # (start, end, user) -> (columns, rows) when the columns depend on the data (the
    # register's field columns); else `columns` and `rows`
    table: Callable | None = None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Stored UTC moments of the period's days as the bureau's zone has them."""
    return day_bounds_utc(start, end)


def _wall_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min), datetime.combine(end, time.max)


def _stream(statement):
    return db.session.execute(statement.execution_options(yield_per=STREAM_CHUNK))


def _bounded(statement, limit: int = 1_000_001) -> int:
    return db.session.execute(select(func.count()).select_from(
        statement.limit(limit).subquery())).scalar()


REGISTER_COLUMNS = [
    Column(_l("Number"), width=14), Column(_l("Created"), "datetime", 17),
    Column(_l("Status"), width=22), Column(_l("Partner"), width=28),
    Column(_l("Object"), width=45), Column(_l("Client"), width=24),
    Column(_l("Manager"), width=22), Column(_l("Engineer"), width=22),
    Column(_l("Total"), "money", 14), Column(_l("Paid"), "money", 14),
    Column(_l("Payment"), width=18)]


def register_statement(start: date, end: date, scope=None):
    """Requests with names joined in (one streamed query, no per-row lookups); the last
    column is the field values (app.service_fields), written as the field columns."""
    manager, engineer = aliased(User), aliased(User)
    lo, hi = _bounds(start, end)
    statement = select(
        Request.number, Request.created_at, Request.status, PartnerCompany.name,
        Request.object_address, EndClient.name, _full_name(manager), _full_name(engineer),
        Request.total_kopecks, Request.paid_kopecks, Request.payment_state,
        Request.field_values,
    ).join(PartnerCompany, PartnerCompany.id == Request.company_id) \
        .outerjoin(EndClient, EndClient.id == Request.end_client_id) \
        .outerjoin(manager, manager.id == Request.manager_id) \
        .outerjoin(engineer, engineer.id == Request.engineer_id) \
        .where(Request.created_at.between(lo, hi), Request.status != Status.DRAFT)
    if scope is not None:
        statement = statement.where(scope)
    return statement.order_by(Request.id)


def _full_name(user):
    """'First Last' of an aliased user (NULL when there is none: an empty cell)."""
    return user.first_name + " " + user.last_name


def labels_once(label: Callable[[str], str]) -> Callable[[str], str]:
    """`label` asked once per code of one export (not once per row: 200 000 rows)."""
    seen: dict = {}

    def cached(code):
        if code not in seen:
            seen[code] = str(label(code))
        return seen[code]
    return cached


def register_rows(start, end, scope=None, fields=()):
    """Staff labels for the status and the payment state, then the cells of `fields`
    (reports.fields: the field columns) from each request's values."""
    labels = staff_labels()  # once, the admin's wording where set
    payment = labels_once(payment_label)
    for row in _stream(register_statement(start, end, scope)):
        yield (row[:2] + (labels[row[2]],) + row[3:10] + (payment(row[10]),)
               + field_cells(fields, row[11]))


def register_table(start, end, user=None, scope=None):
    """The register's columns (the fixed ones, then one per field of the services of the
    period's requests, found in one query) and its streamed rows."""
    ids = register_statement(start, end, scope).with_only_columns(Request.id).order_by(None)
    fields = export_fields(ids, with_contacts=sees_contacts(user))
    return (REGISTER_COLUMNS + field_columns(fields),
            register_rows(start, end, scope, fields))


def payments_rows(start, end, scope=None):
    statement = select(Payment.paid_on, Request.number, PartnerCompany.name,
                       Payment.amount_kopecks, Payment.document) \
        .join(Request, Request.id == Payment.request_id) \
        .join(PartnerCompany, PartnerCompany.id == Request.company_id) \
        .where(Payment.paid_on.between(start, end), Payment.voided_at.is_(None)) \
        .order_by(Payment.paid_on, Payment.id)
    yield from _stream(statement)


def partners_rows(start, end, scope=None):
    """Requests, revenue and average cycle (submitted → closed, days) per partner."""
    lo, hi = _bounds(start, end)
    counts = dict(db.session.execute(select(Request.company_id, func.count(Request.id)).where(
        Request.created_at.between(lo, hi), Request.status != Status.DRAFT)
        .group_by(Request.company_id)).all())
    revenue = dict(db.session.execute(select(Request.company_id, func.sum(
        Payment.amount_kopecks)).join(Payment, Payment.request_id == Request.id).where(
        Payment.paid_on.between(start, end), Payment.voided_at.is_(None))
        .group_by(Request.company_id)).all())
    cycles = defaultdict(list)
    for company_id, submitted, closed in _stream(select(
            Request.company_id, Request.submitted_at, Request.status_changed_at).where(
            Request.status == Status.CLOSED, Request.status_changed_at.between(lo, hi))):
        if submitted:
            cycles[company_id].append((closed - submitted).total_seconds() / 86400)
    for company in db.session.execute(select(PartnerCompany.id, PartnerCompany.name,
                                             PartnerCompany.inn).order_by(PartnerCompany.name)):
        cycle = cycles.get(company.id)
        yield (company.name, company.inn, counts.get(company.id, 0),
               revenue.get(company.id, 0) or 0,
               round(sum(cycle) / len(cycle), 1) if cycle else None)


def workload_rows(start, end, scope=None):
    """Per engineer: visits, hours booked (visits and work slots, as the dashboard's
    utilisation and the schedule count them: busy time is not work booked), requests in
    work."""
    lo, hi = _wall_bounds(start, end)  # schedule times are wall-clock
    hours, visits = defaultdict(float), defaultdict(int)
    for engineer_id, kind, begins, ends in _stream(select(
            ScheduleEntry.engineer_id, ScheduleEntry.kind, ScheduleEntry.starts_at,
            ScheduleEntry.ends_at).where(ScheduleEntry.starts_at < hi, ScheduleEntry.ends_at > lo,
                                         ScheduleEntry.kind.in_(BOOKED_KINDS))):
        hours[engineer_id] += (min(ends, hi) - max(begins, lo)).total_seconds() / 3600
        visits[engineer_id] += kind == ENTRY_VISIT
    open_counts = dict(db.session.execute(select(Request.engineer_id, func.count(Request.id))
                                          .where(Request.status.in_((
                                              Status.SCHEDULED, Status.IN_PROGRESS,
                                              Status.REWORK, Status.ON_REVIEW)))
                                          .group_by(Request.engineer_id)).all())
    for engineer in engineers():
        yield (engineer.get_full_name(), visits[engineer.id], round(hours[engineer.id], 1),
               open_counts.get(engineer.id, 0))


def audit_rows(start, end, scope=None):
    lo, hi = _bounds(start, end)
    statement = select(AuditEvent.created_at, _full_name(User), AuditEvent.action,
                       AuditEvent.object_type, AuditEvent.object_id, AuditEvent.ip,
                       AuditEvent.details).outerjoin(User, User.id == AuditEvent.actor_id) \
        .where(AuditEvent.created_at.between(lo, hi)).order_by(AuditEvent.id)
    for when, who, action, model, object_id, ip, details in _stream(statement):
        # the back office's log's words (app.audit_labels), in the reader's language
        yield (when, who, action_label(action), object_name(model), object_id, ip,
               details_text(action, model, details))


REPORTS = {r.key: r for r in [
    Report("register", _l("Requests register"), REGISTER_COLUMNS, register_rows,
           lambda s, e, scope=None: _bounded(register_statement(s, e, scope)),
           register_table),
    Report("payments", _l("Payments by period"), [
        Column(_l("Payment date"), "date", 13), Column(_l("Request"), width=14),
        Column(_l("Partner"), width=30), Column(_l("Amount"), "money", 14),
        Column(_l("Payment document"), width=20)], payments_rows,
        lambda s, e, scope=None: _bounded(select(Payment.id).where(
            Payment.paid_on.between(s, e), Payment.voided_at.is_(None)))),
    Report("partners", _l("Partners summary"), [
        Column(_l("Partner"), width=32), Column(_l("INN"), width=14),
        Column(_l("Requests"), "int", 10), Column(_l("Revenue"), "money", 16),
        Column(_l("Average cycle, days"), "number", 14)], partners_rows,
        lambda s, e, scope=None: _bounded(select(PartnerCompany.id))),
    Report("workload", _l("Engineer workload"), [
        Column(_l("Engineer"), width=28), Column(_l("Visits"), "int", 10),
        Column(_l("Booked hours"), "number", 14), Column(_l("Requests in work"), "int", 14)],
        workload_rows, lambda s, e, scope=None: 50),
    Report("audit", _l("Audit log"), [
        Column(_l("When"), "datetime", 17), Column(_l("Who"), width=24),
        Column(_l("Action"), width=22), Column(_l("Object"), width=16),
        Column(_l("Object id"), "int", 10), Column(_l("IP"), width=15),
        Column(_l("Details"), width=50)], audit_rows,
        lambda s, e, scope=None: _bounded(select(AuditEvent.id).where(
            AuditEvent.created_at.between(*_bounds(s, e))))),
]}
